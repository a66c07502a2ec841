//! Which ABI version a module is built for: the first function export named
//! `proxy_abi_version_X_Y_Z`, in export order, as proxy-wasm-cpp-host reads it
//! (src/bytecode_util.cc BytecodeUtil::getAbiVersion).

use std::fmt;
use wasmparser::{ExternalKind, Parser, Payload};

/// A released ABI version the host serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AbiVersion {
    /// 0.1.0.
    V0_1_0,
    /// 0.2.0.
    V0_2_0,
    /// 0.2.1.
    V0_2_1,
}

impl AbiVersion {
    /// Every version, oldest first.
    pub const ALL: [AbiVersion; 3] = [AbiVersion::V0_1_0, AbiVersion::V0_2_0, AbiVersion::V0_2_1];

    /// "0.2.1".
    pub fn as_str(self) -> &'static str {
        match self {
            AbiVersion::V0_1_0 => "0.1.0",
            AbiVersion::V0_2_0 => "0.2.0",
            AbiVersion::V0_2_1 => "0.2.1",
        }
    }

    /// The marker export.
    pub fn marker(self) -> &'static str {
        match self {
            AbiVersion::V0_1_0 => "proxy_abi_version_0_1_0",
            AbiVersion::V0_2_0 => "proxy_abi_version_0_2_0",
            AbiVersion::V0_2_1 => "proxy_abi_version_0_2_1",
        }
    }
}

impl fmt::Display for AbiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a plugin could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The bytes are not a wasm module.
    Malformed(String),
    /// No known version marker among the function exports.
    NoMarker {
        /// Exports named `proxy_abi_version_*` that are not a known version, or not functions.
        unknown: Vec<String>,
        /// How many exports the module has.
        exports: usize,
    },
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
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Malformed(e) => write!(f, "not a valid wasm module: {e}"),
            LoadError::NoMarker { unknown, exports } if unknown.is_empty() => write!(
                f,
                "missing ABI version marker: none of the {exports} exports is proxy_abi_version_0_1_0, \
                 proxy_abi_version_0_2_0 or proxy_abi_version_0_2_1"
            ),
            LoadError::NoMarker { unknown, .. } => write!(
                f,
                "unknown ABI version marker: found {}, but this host serves proxy_abi_version_0_1_0, \
                 proxy_abi_version_0_2_0 and proxy_abi_version_0_2_1 (as function exports)",
                unknown.join(", ")
            ),
            LoadError::WrongVersion { expected, found } => write!(
                f,
                "the scenario expects ABI {expected}, but the module declares {found}"
            ),
            LoadError::Compile(e) => write!(f, "cannot compile the module: {e}"),
            LoadError::Link(e) => write!(f, "cannot link the module: {e}"),
            LoadError::Callback(e) => write!(f, "bad callback export: {e}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// Reads the ABI version from the export section.
pub fn detect(wasm: &[u8]) -> Result<AbiVersion, LoadError> {
    let mut unknown = Vec::new();
    let mut exports = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| LoadError::Malformed(e.to_string()))?;
        let Payload::ExportSection(section) = payload else {
            continue;
        };
        for export in section {
            let export = export.map_err(|e| LoadError::Malformed(e.to_string()))?;
            exports += 1;
            if !export.name.starts_with("proxy_abi_version_") {
                continue;
            }
            let known = AbiVersion::ALL
                .into_iter()
                .find(|v| v.marker() == export.name);
            match (known, export.kind) {
                (Some(v), ExternalKind::Func) => return Ok(v),
                (Some(_), _) => unknown.push(format!("`{}` (not a function)", export.name)),
                (None, _) => unknown.push(format!("`{}`", export.name)),
            }
        }
    }
    Err(LoadError::NoMarker { unknown, exports })
}
