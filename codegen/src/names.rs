//! Every name conversion of every backend: IR names are snake_case without `$`; here they become
//! Rust, C and Markdown names. Templates and backends never convert case themselves.

use heck::{ToKebabCase, ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

/// Rust keywords that cannot be identifiers as they are.
const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// C keywords and names our headers must not shadow.
const C_KEYWORDS: &[&str] = &[
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "bool",
];

/// A Rust type name: `map_type` → `MapType`.
pub fn rust_type(name: &str) -> String {
    name.to_upper_camel_case()
}

/// The guest crate's type of a callback: `proxy_on_tick` → `ProxyOnTick`, `_start` → `Start`.
pub fn rust_callback_type(name: &str) -> String {
    rust_type(name.trim_start_matches('_'))
}

/// A Rust enum variant: `http_request_body` → `HttpRequestBody`; `Self` is escaped.
pub fn rust_variant(name: &str) -> String {
    let v = name.to_upper_camel_case();
    if v == "Self" { "Self_".to_string() } else { v }
}

/// A Rust function, method, field or parameter name, keywords escaped as raw identifiers.
/// Leading underscores stay: `_start` is the export's real name.
pub fn rust_ident(name: &str) -> String {
    let underscores = &name[..name.len() - name.trim_start_matches('_').len()];
    let s = format!("{underscores}{}", name.to_snake_case());
    if matches!(s.as_str(), "self" | "super" | "crate" | "Self") {
        format!("{s}_")
    } else if RUST_KEYWORDS.contains(&s.as_str()) {
        format!("r#{s}")
    } else {
        s
    }
}

/// A Rust constant: `end_of_stream` → `END_OF_STREAM`.
pub fn rust_const(name: &str) -> String {
    name.to_shouty_snake_case()
}

/// An enum member as the spec texts write it: `http_request_headers` → `HTTP_REQUEST_HEADERS`.
pub fn spec_const(member: &str) -> String {
    member.to_shouty_snake_case()
}

/// The Rust module of an ABI: `0.2.1` → `v0_2_1`, `envoy-2020` → `envoy_2020`.
pub fn rust_module(abi: &str) -> String {
    let s: String = abi
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("v{s}")
    } else {
        s
    }
}

/// A version enum variant: `0.2.1` → `V0_2_1`.
pub fn rust_version_variant(abi: &str) -> String {
    rust_module(abi).to_uppercase()
}

/// The trait of a host module's functions: the proxy functions (`env`) are `Host`, WASI's are
/// `Wasi`, any other module is named after itself.
pub fn host_trait(module: &str) -> String {
    match module {
        "env" => "Host".to_string(),
        "wasi_snapshot_preview1" => "Wasi".to_string(),
        other => other.to_upper_camel_case(),
    }
}

/// The function that links a host module's functions: `add_to_linker` for `Host`,
/// `add_wasi_to_linker` for `Wasi`.
pub fn linker_fn(module: &str) -> String {
    match host_trait(module).as_str() {
        "Host" => "add_to_linker".to_string(),
        other => format!("add_{}_to_linker", other.to_snake_case()),
    }
}

/// The glue's helper that tells the host why it refuses a call: `Host` → `host_refused`.
pub fn refused_fn(module: &str) -> String {
    format!("{}_refused", host_trait(module).to_snake_case())
}

/// The trait that serves an older version's host module through the newest version's
/// implementation: `Host` → `HostViaLatest`.
pub fn via_latest_trait(module: &str) -> String {
    format!("{}ViaLatest", host_trait(module))
}

/// A C type name: `map_type` → `proxy_map_type_t`.
pub fn c_type(name: &str) -> String {
    format!("proxy_{}_t", name.to_snake_case())
}

/// A C enum constant: (`status`, `not_found`) → `PROXY_STATUS_NOT_FOUND`.
pub fn c_const(type_name: &str, member: &str) -> String {
    format!(
        "PROXY_{}_{}",
        type_name.to_shouty_snake_case(),
        member.to_shouty_snake_case()
    )
}

/// A C parameter name, keywords suffixed with `_`.
pub fn c_ident(name: &str) -> String {
    let s = name.to_snake_case();
    if C_KEYWORDS.contains(&s.as_str()) {
        format!("{s}_")
    } else {
        s
    }
}

/// A C preprocessor guard for an ABI: `0.2.1` → `PROXY_WASM_ABI_0_2_1`.
pub fn c_version_macro(abi: &str) -> String {
    format!(
        "PROXY_WASM_ABI_{}",
        rust_module(abi).trim_start_matches('v').to_uppercase()
    )
}

/// The name of an ABI's reference page: `0.2.1` → `v0.2.1.md`.
pub fn doc_page(abi: &str) -> String {
    if abi.starts_with(|c: char| c.is_ascii_digit()) {
        format!("v{abi}.md")
    } else {
        format!("{abi}.md")
    }
}

/// The stem of a host's support page: `Envoy Proxy 1.33` → `envoy-proxy-1-33`.
pub fn host_slug(name: &str) -> String {
    name.to_kebab_case()
}

/// A Markdown heading anchor as mdBook and GitHub compute it for `text`.
pub fn doc_anchor(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            'A'..='Z' => Some(c.to_ascii_lowercase()),
            'a'..='z' | '0'..='9' | '_' | '-' => Some(c),
            ' ' => Some('-'),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(rust_type("map_type"), "MapType");
        assert_eq!(rust_variant("http_request_body"), "HttpRequestBody");
        assert_eq!(rust_ident("type"), "r#type");
        assert_eq!(rust_ident("self"), "self_");
        assert_eq!(rust_ident("messageSize"), "message_size");
        assert_eq!(rust_ident("__main_void"), "__main_void");
        assert_eq!(spec_const("http_request_headers"), "HTTP_REQUEST_HEADERS");
        assert_eq!(rust_module("0.2.1"), "v0_2_1");
        assert_eq!(rust_module("envoy-2020"), "envoy_2020");
        assert_eq!(rust_version_variant("0.2.1"), "V0_2_1");
        assert_eq!(host_trait("env"), "Host");
        assert_eq!(linker_fn("env"), "add_to_linker");
        assert_eq!(linker_fn("wasi_snapshot_preview1"), "add_wasi_to_linker");
        assert_eq!(via_latest_trait("wasi_snapshot_preview1"), "WasiViaLatest");
        assert_eq!(c_type("status"), "proxy_status_t");
        assert_eq!(c_const("status", "not_found"), "PROXY_STATUS_NOT_FOUND");
        assert_eq!(c_ident("default"), "default_");
        assert_eq!(c_version_macro("0.2.1"), "PROXY_WASM_ABI_0_2_1");
        assert_eq!(doc_page("0.1.0"), "v0.1.0.md");
        assert_eq!(doc_page("envoy-2020"), "envoy-2020.md");
        assert_eq!(doc_anchor("`proxy_log`"), "proxy_log");
        assert_eq!(doc_anchor("Status codes"), "status-codes");
        assert_eq!(host_slug("reference-host"), "reference-host");
        assert_eq!(host_slug("Envoy Proxy 1.33"), "envoy-proxy-1-33");
    }
}
