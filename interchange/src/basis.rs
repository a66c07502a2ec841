//! Why a check expects what it does. A check is `required` only where a sentence of its ABI
//! version's spec text says exactly what it tests, and then it cites that sentence; otherwise
//! it is `reference` and names the host code it follows, or `advisory` when neither the spec
//! nor a host fixes the behaviour and the check only points at something fragile.

use proxy_wasm_spec::ir::Citation;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How binding a check is, from most to least. The default is the level a run judges unless
/// told otherwise: required and reference checks.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// A sentence of the spec text requires it.
    Required,
    /// A reference host (proxy-wasm-cpp-host, Envoy) behaves so where the spec is silent.
    #[default]
    Reference,
    /// A robustness expectation no spec sentence or host fixes.
    Advisory,
}

impl Level {
    /// Every level, most binding first.
    pub const ALL: [Level; 3] = [Level::Required, Level::Reference, Level::Advisory];

    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Level::Required => "required",
            Level::Reference => "reference",
            Level::Advisory => "advisory",
        }
    }

    /// The level named `name`.
    pub fn parse(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name() == name)
    }
}

/// The source of a check's expectation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "level", rename_all = "snake_case")]
pub enum Basis {
    /// Required by the cited sentence.
    Required {
        /// The sentence: version, section and line of the published text.
        spec: Citation,
        /// What the sentence requires, in our words.
        requires: String,
    },
    /// What a reference host does.
    Reference {
        /// The host, source file and function, e.g. `proxy-wasm-cpp-host src/exports.cc
        /// get_buffer_bytes`.
        source: String,
    },
    /// A robustness expectation.
    Advisory {
        /// Why it is worth a look though nothing requires it.
        why: String,
    },
}

impl Basis {
    /// Required by `spec`, which requires `requires`.
    pub fn required(spec: Citation, requires: impl Into<String>) -> Basis {
        Basis::Required {
            spec,
            requires: requires.into(),
        }
    }

    /// What the host code at `source` does.
    pub fn reference(source: impl Into<String>) -> Basis {
        Basis::Reference {
            source: source.into(),
        }
    }

    /// Nothing fixes it; `why` it is still worth a look.
    pub fn advisory(why: impl Into<String>) -> Basis {
        Basis::Advisory { why: why.into() }
    }

    /// Its level.
    pub fn level(&self) -> Level {
        match self {
            Basis::Required { .. } => Level::Required,
            Basis::Reference { .. } => Level::Reference,
            Basis::Advisory { .. } => Level::Advisory,
        }
    }

    /// One line for failure messages: the citation or the source.
    pub fn describe(&self) -> String {
        match self {
            Basis::Required { spec, requires } => format!(
                "required by spec v{} `{}` line {}: {requires}",
                spec.version, spec.section, spec.line
            ),
            Basis::Reference { source } => format!("reference: {source}"),
            Basis::Advisory { why } => format!("advisory: {why}"),
        }
    }
}

/// One check of a case: its id (as its verdict lines spell it) and its basis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The check id.
    pub id: String,
    /// Why it expects what it does.
    #[serde(flatten)]
    pub basis: Basis,
}
