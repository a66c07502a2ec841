//! What spans the ABI versions: which version a plugin is built for, linking that version's host
//! functions, and calling the plugin's callbacks whatever its version.

use crate::glue::CallError;
use crate::{ {%- for v in versions %}{{ v.module }}, {% endfor -%} };
use std::fmt;
use std::str::FromStr;
use wasmtime::{AsContextMut, Instance, Linker};

/// A released ABI version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AbiVersion {
{%- for v in versions %}
    /// {{ v.name }}.
    {{ v.variant }},
{%- endfor %}
}

impl AbiVersion {
    /// Every version, oldest first.
    pub const ALL: [AbiVersion; {{ versions.len() }}] = [ {%- for v in versions %}AbiVersion::{{ v.variant }}, {% endfor -%} ];

    /// The newest version, which serves the older ones (their `*ViaLatest` traits).
    pub const LATEST: AbiVersion = AbiVersion::{{ latest }};

    /// `"0.2.1"`.
    pub fn as_str(self) -> &'static str {
        match self {
{%- for v in versions %}
            AbiVersion::{{ v.variant }} => {{ v.module }}::ABI_VERSION,
{%- endfor %}
        }
    }

    /// The export that marks a plugin as built for this version.
    pub fn marker(self) -> &'static str {
        match self {
{%- for v in versions %}
            AbiVersion::{{ v.variant }} => {{ v.module }}::ABI_MARKER,
{%- endfor %}
        }
    }

    /// The version a module declares, given its exports in order, each as its name and whether
    /// it is a function: the first function export named `{{ marker_prefix }}X_Y_Z`, as
    /// proxy-wasm-cpp-host reads it (src/bytecode_util.cc BytecodeUtil::getAbiVersion).
    pub fn from_exports<'a>(exports: impl IntoIterator<Item = (&'a str, bool)>) -> Result<AbiVersion, NoMarker> {
        let mut missing = NoMarker::default();
        for (name, function) in exports {
            missing.exports += 1;
            if !name.starts_with("{{ marker_prefix }}") {
                continue;
            }
            match (AbiVersion::ALL.into_iter().find(|v| v.marker() == name), function) {
                (Some(version), true) => return Ok(version),
                (Some(_), false) => missing.unknown.push(format!("`{name}` (not a function)")),
                (None, _) => missing.unknown.push(format!("`{name}`")),
            }
        }
        Err(missing)
    }
}

impl fmt::Display for AbiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AbiVersion {
    type Err = UnknownVersion;

    /// `"0.2.1"` → [`AbiVersion::{{ latest }}`].
    fn from_str(s: &str) -> Result<Self, UnknownVersion> {
        AbiVersion::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| UnknownVersion(s.to_string()))
    }
}

/// A version this crate does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownVersion(pub String);

impl fmt::Display for UnknownVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let UnknownVersion(name) = self;
        write!(f, "unknown ABI version `{name}`: the versions are {{ names_and }}")
    }
}

impl std::error::Error for UnknownVersion {}

/// A module without a known version marker among its function exports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoMarker {
    /// Exports named `{{ marker_prefix }}*` that are not a known version, or not functions.
    pub unknown: Vec<String>,
    /// How many exports the module has.
    pub exports: usize,
}

impl fmt::Display for NoMarker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.unknown.is_empty() {
            write!(f, "missing ABI version marker: none of the {} exports is {{ markers_or }}", self.exports)
        } else {
            write!(f, "unknown ABI version marker: found {}, but this host serves {{ markers_and }} (as function exports)", self.unknown.join(", "))
        }
    }
}

impl std::error::Error for NoMarker {}
{%- for l in linkers %}

/// Registers the functions of the host module `{{ l.import_module }}` that `version` has in
/// `linker`, implemented by the store's data as that version's `{{ l.trait_name }}`.
pub fn {{ l.name }}<T>(version: AbiVersion, linker: &mut Linker<T>) -> wasmtime::Result<()>
where
    T: {{ l.bounds }} + 'static,
{
    match version {
{%- for a in l.arms %}
        {{ a }}
{%- endfor %}
    }
}
{%- endfor %}

/// A plugin's callbacks, whatever ABI version it is built for: each method takes the newest
/// version's types and calls the plugin as its version has the callback.
#[derive(Clone, Debug)]
pub enum Callbacks {
{%- for v in versions %}
    /// A plugin built for {{ v.name }}.
    {{ v.variant }}({{ v.module }}::Callbacks),
{%- endfor %}
}

impl Callbacks {
    /// Looks up the callbacks of a plugin built for `version` (see the version's `Callbacks::new`).
    pub fn new(version: AbiVersion, store: impl AsContextMut, instance: &Instance) -> Result<Self, CallError> {
        Ok(match version {
{%- for v in versions %}
            AbiVersion::{{ v.variant }} => Callbacks::{{ v.variant }}({{ v.module }}::Callbacks::new(store, instance)?),
{%- endfor %}
        })
    }

    /// The version the plugin is built for.
    pub fn version(&self) -> AbiVersion {
        match self {
{%- for v in versions %}
            Callbacks::{{ v.variant }}(_) => AbiVersion::{{ v.variant }},
{%- endfor %}
        }
    }

    /// Whether the plugin exports the callback `name`.
    pub fn has(&self, name: &str) -> bool {
        match self {
{%- for v in versions %}
            Callbacks::{{ v.variant }}(c) => c.has(name),
{%- endfor %}
        }
    }
{%- for c in callers %}

{{ c }}
{%- endfor %}
}
