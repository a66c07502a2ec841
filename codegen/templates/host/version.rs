{{ preamble }}
//! {{ title }}
//!
{%- for line in docs %}
//!{{ line }}
{%- endfor %}

use crate::glue::{self, CallError, Signature, Wasm};
use wasmtime::{AsContextMut, Caller, Instance, Linker, WasmParams, WasmResults};

/// The ABI version this module implements.
pub const ABI_VERSION: &str = "{{ version }}";
{%- if let Some(marker) = marker %}

/// The export that marks a plugin as built for this ABI version.
pub const ABI_MARKER: &str = "{{ marker }}";
{%- endif %}
{%- for t in types %}

{% for line in t.docs %}///{{ line }}
{% endfor -%}
{{ t.body }}
{%- endfor %}

{%- for c in conversions %}

{{ c }}
{%- endfor %}

/// The host functions of this ABI version. Every method has a default body that returns the
/// "unimplemented" status, so a host implements what it supports and nothing more.
pub trait Host {
{%- for m in methods %}
{%- if !loop.first %}
{% endif %}
{{ m }}
{%- endfor %}
}

/// Registers every host function of this ABI version in `linker`, implemented by the store's data.
pub fn add_to_linker<T: Host + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
{%- for r in registrations %}
{{ r }}
{%- endfor %}
    Ok(())
}
{%- for h in status_helpers %}

{{ h }}
{%- endfor %}
{%- for g in glue %}

{{ g }}
{%- endfor %}

const fn sig(name: &'static str, params: &'static [Wasm], results: &'static [Wasm]) -> Signature {
    Signature {
        name,
        params,
        results,
    }
}

/// Every callback of this ABI version with its wasm signature.
pub const CALLBACKS: &[Signature] = &[
{%- for s in signatures %}
{{ s }}
{%- endfor %}
];

/// The plugin's callbacks, looked up once per instance and checked against [`CALLBACKS`].
#[derive(Clone, Debug)]
pub struct Callbacks {
    exports: glue::Exports,
}

impl Callbacks {
    /// Looks up the callbacks `instance` exports. One exported with the wrong signature is an
    /// error; one not exported is absent, and calling it returns `Ok(None)`.
    pub fn new(store: impl AsContextMut, instance: &Instance) -> Result<Self, CallError> {
        let exports = glue::Exports::find(store, instance, CALLBACKS)?;
        Ok(Self { exports })
    }

    /// Whether the plugin exports the callback `name`.
    pub fn has(&self, name: &str) -> bool {
        self.exports.has(name)
    }

    fn call<P: WasmParams, R: WasmResults>(
        &self,
        store: impl AsContextMut,
        name: &'static str,
        args: P,
    ) -> Result<Option<R>, CallError> {
        self.exports.call(store, name, args)
    }
{%- for c in callers %}

{{ c }}
{%- endfor %}
}
