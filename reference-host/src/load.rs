//! Loading a plugin: the ABI version it declares, read from its export section by the generated
//! marker rule ([`AbiVersion::from_exports`]), and why a plugin cannot be loaded.

use proxy_wasm_host_abi::{AbiVersion, NoMarker};
use std::fmt;
use wasmparser::{ExternalKind, Parser, Payload};

/// Why a plugin could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The bytes are not a wasm module.
    Malformed(String),
    /// No known version marker among the function exports.
    NoMarker(NoMarker),
    /// The module declares another version than the scenario expects.
    WrongVersion {
        /// What the scenario expects.
        expected: String,
        /// What the module declares.
        found: AbiVersion,
    },
    /// wasmtime could not compile the module.
    Compile(String),
    /// An import is not provided by this version, or has another signature.
    Link(String),
    /// An exported callback has the wrong signature.
    Callback(String),
    /// The scenario asks for something the host cannot do (the plugin is not to blame).
    Scenario(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Malformed(e) => write!(f, "not a valid wasm module: {e}"),
            LoadError::NoMarker(e) => write!(f, "{e}"),
            LoadError::WrongVersion { expected, found } => write!(
                f,
                "the scenario expects ABI {expected}, but the module declares {found}"
            ),
            LoadError::Compile(e) => write!(f, "cannot compile the module: {e}"),
            LoadError::Link(e) => write!(f, "cannot link the module: {e}"),
            LoadError::Callback(e) => write!(f, "bad callback export: {e}"),
            LoadError::Scenario(e) => write!(f, "bad scenario: {e}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// Reads the ABI version from the export section. What follows the marker is parsed only when
/// there is none, so bytes past it do not matter here (wasmtime judges them).
pub fn detect(wasm: &[u8]) -> Result<AbiVersion, LoadError> {
    let mut missing = NoMarker::default();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| LoadError::Malformed(e.to_string()))?;
        let Payload::ExportSection(section) = payload else {
            continue;
        };
        let mut broken = None;
        let exports = section.into_iter().map_while(|export| match export {
            Ok(export) => Some((export.name, export.kind == ExternalKind::Func)),
            Err(e) => {
                broken = Some(e);
                None
            }
        });
        match AbiVersion::from_exports(exports) {
            Ok(version) => return Ok(version),
            Err(e) => missing = e,
        }
        if let Some(e) = broken {
            return Err(LoadError::Malformed(e.to_string()));
        }
    }
    Err(LoadError::NoMarker(missing))
}
