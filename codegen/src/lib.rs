//! Code and docs from the Proxy-Wasm ABI IR.
//!
//! Every backend is a pure function from IRs to [`Files`]; only `cargo xtask codegen` touches the
//! disk. Names are converted in one place, [`names`]; text is laid out by askama templates in
//! `codegen/templates/`.

pub mod disk;
pub mod docs;
pub mod guest;
pub mod host;
pub mod names;
pub mod results;
pub mod signature;

use proxy_wasm_spec::Abi;
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
