//! Code and docs from the Proxy-Wasm ABI IR.
//!
//! Every backend is a pure function from IRs to [`Files`]; only `cargo xtask codegen` touches the
//! disk. Names are converted in one place, [`names`]; text is laid out by askama templates in
//! `codegen/templates/`. [`docs::witx::render`] lays out any document set, plain witx or not, as
//! the witx 0.6 Markdown generator did (`cargo xtask spec docs`).

pub mod disk;
pub mod docs;
pub mod guest;
pub mod host;
pub mod names;
pub mod results;
pub mod signature;

use proxy_wasm_spec::Abi;
use proxy_wasm_spec::ir::{Builtin, Dialect, TypeDefKind, TypeRef};
use results::HostResults;
use std::collections::BTreeMap;
use std::path::Path;

/// Generated files: path below `generated/` → contents.
pub type Files = BTreeMap<String, String>;

/// The command that regenerates everything, named in every file's preamble.
pub const COMMAND: &str = "cargo xtask codegen";

/// Where the JSON Schemas of the interchange documents go, below `generated/`.
pub const SCHEMAS_DIR: &str = "schemas";

/// Where the stored conformance results live, relative to the workspace root.
pub const RESULTS_DIR: &str = "runner/results";

/// What every backend works from: the ABIs from the built-in spec documents, and the stored
/// conformance results of the hosts the docs show.
pub struct Inputs {
    /// The released versions, oldest first.
    pub versions: Vec<Abi>,
    /// The Envoy-era description.
    pub envoy_2020: Abi,
    /// One stored run per host, sorted by host page; empty unless loaded.
    pub results: Vec<HostResults>,
}

impl Inputs {
    /// Loads the built-in ABIs, without results.
    pub fn builtin() -> Result<Self, proxy_wasm_spec::Errors> {
        Ok(Inputs {
            versions: proxy_wasm_spec::RELEASED
                .into_iter()
                .map(proxy_wasm_spec::builtin)
                .collect::<Result<_, _>>()?,
            envoy_2020: proxy_wasm_spec::builtin("envoy-2020")?,
            results: Vec::new(),
        })
    }

    /// Adds the results stored in `dir` (every `*.json` report in it), replacing any loaded.
    pub fn with_results(mut self, dir: &Path) -> Result<Self, results::Errors> {
        self.results = results::load_dir(dir)?;
        Ok(self)
    }
}

/// Everything under `generated/`.
pub fn generate(inputs: &Inputs) -> Result<Files, host::Error> {
    for abi in inputs.versions.iter().chain([&inputs.envoy_2020]) {
        renderable(abi)?;
    }
    let mut files = Files::new();
    files.extend(docs::render(inputs)?);
    files.extend(guest::render(inputs)?);
    files.extend(host::render(inputs)?);
    files.extend(
        proxy_wasm_interchange::schemas()
            .into_iter()
            .map(|(name, text)| (format!("{SCHEMAS_DIR}/{name}"), text)),
    );
    Ok(files)
}

/// Refuses an ABI that holds what the generators do not render: plain witx, which states no
/// statuses or pointer directions to build glue and docs from, and the types witx 0.9 added.
fn renderable(abi: &Abi) -> Result<(), host::Error> {
    let refuse = |what: String| {
        Err(host::Error::NotRendered(format!(
            "ABI `{}`: {what}, which the generators do not render",
            abi.name
        )))
    };
    if abi.dialect == Dialect::Witx {
        return refuse("it is plain witx (no `(@abi ...)`)".to_string());
    }
    let mut uses: Vec<(String, &TypeRef)> = Vec::new();
    for t in &abi.types {
        match &t.def {
            TypeDefKind::Variant { .. } => {
                return refuse(format!("type `{}` is a variant", t.name));
            }
            TypeDefKind::Union { .. } => return refuse(format!("type `{}` is a union", t.name)),
            TypeDefKind::Alias { target } => uses.push((format!("type `{}`", t.name), target)),
            TypeDefKind::Struct { fields } => uses.extend(
                fields
                    .iter()
                    .map(|f| (format!("field `{}` of `{}`", f.name, t.name), &f.ty)),
            ),
            TypeDefKind::Enum { .. } | TypeDefKind::Flags { .. } | TypeDefKind::Handle => {}
        }
    }
    for f in abi.functions.iter().chain(&abi.callbacks) {
        for p in f.params.iter().chain(&f.results) {
            uses.push((format!("`{}` of `{}`", p.name, f.name), &p.ty));
        }
    }
    for (place, t) in uses {
        if let Some(what) = witx_only(t) {
            return refuse(format!("{place} is {what}"));
        }
    }
    Ok(())
}

/// What a type written in place uses that only witx 0.9 documents have.
fn witx_only(t: &TypeRef) -> Option<&'static str> {
    match t {
        TypeRef::List { .. } => Some("a list"),
        TypeRef::Tuple { .. } => Some("a tuple"),
        TypeRef::Variant { .. } => Some("a variant"),
        TypeRef::Builtin {
            name: Builtin::Char,
        } => Some("a `char`"),
        TypeRef::Pointer { to } | TypeRef::ConstPointer { to } => witx_only(to),
        TypeRef::Builtin { .. } | TypeRef::Named { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(text: &'static str) -> Inputs {
        let abi = proxy_wasm_spec::load_text("t.witx", text).expect("the test document is valid");
        Inputs {
            versions: vec![abi.clone()],
            envoy_2020: abi,
            results: Vec::new(),
        }
    }

    #[test]
    fn what_no_generator_renders_is_refused_by_name() {
        let plain = inputs("(typename $size u32)");
        let err = generate(&plain).expect_err("plain witx is refused");
        assert!(err.to_string().contains("plain witx"), "{err}");
        let list = inputs(";;; T.\n(@abi \"t\")\n;;; Bytes.\n(typename $bytes (list u8))");
        let err = generate(&list).expect_err("a list is refused");
        assert_eq!(
            err.to_string(),
            "ABI `t`: type `bytes` is a list, which the generators do not render"
        );
    }
}
