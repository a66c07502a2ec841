{{ preamble }}
//! {{ title }}
//!
{%- for line in docs %}
//!{{ line }}
{%- endfor %}

/// The ABI version these bindings describe.
pub const ABI_VERSION: &str = "{{ version }}";
{%- if let Some(marker) = marker %}

/// The export that marks a plugin as built for this ABI version; the host never calls it.
pub const ABI_MARKER: &str = "{{ marker }}";
{%- endif %}
{%- for t in types %}

{% for line in t.docs %}///{{ line }}
{% endfor -%}
{{ t.body }}
{%- endfor %}
{%- for block in imports %}

// Functions the host provides under the wasm import module `{{ block.module }}`.
#[link(wasm_import_module = "{{ block.module }}")]
unsafe extern "C" {
{%- for f in block.functions %}
{%- if !loop.first %}
{% endif %}
{%- for line in f.docs %}
    ///{{ line }}
{%- endfor %}
    {{ f.declaration }}
{%- endfor %}
}
{%- endfor %}

/// The callbacks a plugin may export, as function pointer types: export a function of the
/// type under the name given in its docs.
pub mod callbacks {
{%- for f in callbacks %}
{%- if !loop.first %}
{% endif %}
{%- for line in f.docs %}
    ///{{ line }}
{%- endfor %}
    {{ f.declaration }}
{%- endfor %}

    /// Every callback name, in the order above.
    pub const NAMES: &[&str] = &[
{%- for f in callbacks %}
        "{{ f.name }}",
{%- endfor %}
    ];
}
