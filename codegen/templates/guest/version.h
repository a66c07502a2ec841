{{ preamble }}
/*
 * {{ title }}
 *
{%- for line in docs %}
 *{{ line }}
{%- endfor %}
 */
#ifndef {{ guard }}
#define {{ guard }}

#include <stddef.h>
#include <stdint.h>

#define PROXY_WASM_ABI_VERSION "{{ version }}"
{%- if let Some(marker) = marker %}

/* Defines and exports the version marker; use it once in a plugin. */
#define PROXY_WASM_DEFINE_ABI_MARKER() \
  __attribute__((export_name("{{ marker }}"))) void {{ marker }}(void) {}
{%- endif %}
{%- for t in types %}

/*
{%- for line in t.docs %}
 *{{ line }}
{%- endfor %}
 */
{{ t.body }}
{%- endfor %}
{%- for block in imports %}

/* Functions the host provides under the wasm import module "{{ block.module }}". */
{%- for f in block.functions %}

/*
{%- for line in f.docs %}
 *{{ line }}
{%- endfor %}
 */
__attribute__((import_module("{{ block.module }}"), import_name("{{ f.name }}")))
{{ f.declaration }};
{%- endfor %}
{%- endfor %}

/* Callbacks a plugin may define; each is exported under its own name when defined. */
{%- for f in callbacks %}

/*
{%- for line in f.docs %}
 *{{ line }}
{%- endfor %}
 */
__attribute__((export_name("{{ f.name }}")))
{{ f.declaration }};
{%- endfor %}

#endif /* {{ guard }} */
