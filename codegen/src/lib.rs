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
pub mod signature;

use proxy_wasm_spec::Abi;
use std::collections::BTreeMap;

/// Generated files: path below `generated/` → contents.
pub type Files = BTreeMap<String, String>;

/// The command that regenerates everything, named in every file's preamble.
pub const COMMAND: &str = "cargo xtask codegen";

/// The ABIs every backend works from, loaded from the built-in spec documents.
pub struct Inputs {
    /// The released versions, oldest first.
    pub versions: Vec<Abi>,
    /// The Envoy-era description.
    pub envoy_2020: Abi,
}

impl Inputs {
    /// Loads the built-in ABIs.
    pub fn builtin() -> Result<Self, proxy_wasm_spec::Errors> {
        Ok(Inputs {
            versions: ["0.1.0", "0.2.0", "0.2.1"]
                .into_iter()
                .map(proxy_wasm_spec::builtin)
                .collect::<Result<_, _>>()?,
            envoy_2020: proxy_wasm_spec::builtin("envoy-2020")?,
        })
    }
}

/// Everything under `generated/`.
pub fn generate(inputs: &Inputs) -> Result<Files, host::Error> {
    let mut files = Files::new();
    files.extend(docs::render(inputs)?);
    files.extend(guest::render(inputs)?);
    files.extend(host::render(inputs)?);
    Ok(files)
}
