{{ preamble }}
/*
 * Proxy-Wasm ABI declarations for plugins written in C. Define one of
{%- for v in versions %}
 * {{ v.macro_name }}
{%- endfor %}
 * before including this header to pick a version; without one, the latest is used.
 */
{%- for v in versions %}
#{% if loop.first %}if{% else %}elif{% endif %} defined({{ v.macro_name }})
#include "{{ v.file }}"
{%- endfor %}
#else
#include "{{ latest }}"
#endif
