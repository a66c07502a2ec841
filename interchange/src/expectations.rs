//! The expectations file (`--expectations FILE.toml`): which cases a host is known to fail or
//! cannot run, each with a reason. The runner checks and applies it (`runner/src/expectations.rs`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A whole file (TOML; its schema describes the same structure read as JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// The file format; must be 1.
    pub version: u32,
    /// The host the profile describes: the `name` its adapter's `info` prints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// true: the entries were observed on the host; false: derived from its documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<bool>,
    /// The entries (`[[expect]]` tables); the first whose `case` matches a case decides.
    #[serde(default)]
    pub expect: Vec<Entry>,
}

/// One entry: `expected = "fail"` or `skip = true`, with a reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// A case id, or a glob: `*` any run of characters including `/`, `?` one character.
    #[schemars(regex(pattern = r"^[A-Za-z0-9._/:+*?-]+$"))]
    pub case: String,
    /// `"fail"`: the case runs and is expected to fail (a pass is an unexpected result).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// true: the case is not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<bool>,
    /// Why, with a source.
    #[schemars(length(min = 1))]
    pub reason: String,
    /// A URL backing the reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}
