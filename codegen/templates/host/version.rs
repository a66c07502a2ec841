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
{%- for t in traits %}

/// The functions of the host module `{{ t.import_module }}`:
{%- for line in t.docs %}
///{{ line }}
{%- endfor %}
///
/// Every method has a default body that refuses the call (the "unimplemented" status, or a trap
/// for a function without a status), so a host implements what it supports and nothing more.
pub trait {{ t.name }} {
{%- for m in t.methods %}
{{ m }}
{%- endfor %}
    /// Hears of a call the glue answered with the error `status` itself, before or after the
    /// method for `function` (a value its type does not have, memory out of bounds, a failed
    /// allocation), so a host can say why. Does nothing unless the host overrides it.
    fn refused_by_glue(&mut self, function: &'static str, status: u32, why: glue::Refusal) {
        let _ = (function, status, why);
    }

    /// Where the glue keeps what it looked up in the plugin (its memory, its allocator) for
    /// later calls. `None`, the default, looks them up on every call. Return a [`glue::Guest`]
    /// only if each store holds one plugin instance, the one being called.
    fn guest(&mut self) -> Option<&mut glue::Guest> {
        None
    }
}

/// Registers every function of the host module `{{ t.import_module }}` in `linker`, implemented by
/// the store's data.
pub fn {{ t.linker_fn }}<T: {{ t.name }} + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
{%- for r in t.registrations %}
{{ r }}
{%- endfor %}
    Ok(())
}

/// Tells the host why the glue answers a call of `function` with the error `status` itself;
/// returns the status.
fn {{ t.refused_fn }}<T: {{ t.name }}>(host: &mut T, function: &'static str, status: u32, why: glue::Refusal) -> u32 {
    host.refused_by_glue(function, status, why);
    status
}
{%- if let Some(via) = t.via %}

/// Serves [`{{ t.name }}`] through the {{ via.latest_version }} implementation, `{{ via.latest_trait }}`:
/// every function {{ via.latest_version }} has with types this version converts to is delegated to it
/// (enums converted up, outputs and statuses back); the others are refused as in [`{{ t.name }}`]
/// until implemented here. Implement it (empty, or with what only this version has) and the
/// blanket implementation makes the type a [`{{ t.name }}`].
pub trait {{ via.name }}: {{ via.latest_trait }} {
{%- for m in via.methods %}
{{ m }}
{%- endfor %}
}

impl<T: {{ via.name }}> {{ t.name }} for T {
{%- for m in via.forwards %}
{{ m }}
{%- endfor %}
    fn refused_by_glue(&mut self, function: &'static str, status: u32, why: glue::Refusal) {
        {{ via.latest_trait }}::refused_by_glue(self, function, status, why)
    }

    fn guest(&mut self) -> Option<&mut glue::Guest> {
        {{ via.latest_trait }}::guest(self)
    }
}
{%- endif %}
{%- endfor %}
{%- for h in status_helpers %}

{{ h }}
{%- endfor %}
{%- for g in glue %}

{{ g }}
{%- endfor %}

const fn sig(name: &'static str, params: &'static [Wasm], results: &'static [Wasm]) -> Signature {
    Signature { name, params, results }
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

    fn call<P: WasmParams + 'static, R: WasmResults + 'static>(&self, store: impl AsContextMut, index: usize, args: P) -> Result<Option<R>, CallError> {
        self.exports.call(store, index, args)
    }
{%- for c in callers %}

{{ c }}
{%- endfor %}
}
