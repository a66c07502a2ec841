{{ preamble }}
//! Raw Proxy-Wasm ABI bindings for plugins: the host functions as `extern "C"` imports, the
//! callback signatures, and every type with its exact values, one module per ABI version.
//! Enums and flags cross the boundary as integers; convert with `TryFrom`.

#![no_std]
{% for m in modules %}
pub mod {{ m }};
{%- endfor %}
