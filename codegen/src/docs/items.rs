//! How ABI items read on a page: titles, types, signatures, levels, contexts and pointer
//! conventions, and links to functions, callbacks, types, hosts and formats.

use super::markdown::{code, inline, item_anchor, link};
use crate::{names, signature};
use proxy_wasm_spec::Abi;
use proxy_wasm_spec::ir::{
    ContextKind, Direction, Function, Invalid, Level, Param, Role, TypeRef, WasmType,
};

/// The heading of a host in the hosts section.
pub(super) fn host_heading(name: &str) -> String {
    format!("Host {}", code(name))
}

/// The heading of a wire format.
pub(super) fn format_heading(name: &str) -> String {
    format!("Format {}", code(name))
}

/// When an ABI was released; the Envoy-era description never was.
pub(super) fn released_text(abi: &Abi) -> String {
    abi.released
        .clone()
        .unwrap_or_else(|| "unnumbered, before 0.1.0".to_string())
}

/// How an ABI is called in titles.
pub(super) fn abi_title(abi: &Abi) -> String {
    if abi.version.is_some() {
        format!("ABI {}", abi.name)
    } else {
        format!("Envoy-era ABI ({})", abi.name)
    }
}

/// A type as the IR writes it: `u32`, `map_type`, `Pointer<size>`.
pub(super) fn ir_type(t: &TypeRef) -> String {
    match t {
        TypeRef::Builtin { name } => name.keyword().to_string(),
        TypeRef::Named { name } => name.clone(),
        TypeRef::Pointer { to } => format!("Pointer<{}>", ir_type(to)),
        TypeRef::ConstPointer { to } => format!("ConstPointer<{}>", ir_type(to)),
        TypeRef::List { of } => format!("List<{}>", ir_type(of)),
        TypeRef::Tuple { .. } | TypeRef::Variant { .. } => "(written in place)".to_string(),
    }
}

/// The named type a type refers to, through pointers.
pub(super) fn named_type_of(t: &TypeRef) -> Option<&str> {
    match t {
        TypeRef::Builtin { .. } => None,
        TypeRef::Named { name } => Some(name),
        TypeRef::Pointer { to } | TypeRef::ConstPointer { to } => named_type_of(to),
        TypeRef::List { of } => named_type_of(of),
        TypeRef::Tuple { .. } | TypeRef::Variant { .. } => None,
    }
}

/// A wasm signature: `(i32, i64) -> i32`.
pub(super) fn wasm_signature(f: &Function) -> String {
    let list = |types: Vec<WasmType>| {
        types
            .iter()
            .map(|t| match t {
                WasmType::I32 => "i32",
                WasmType::I64 => "i64",
                WasmType::F32 => "f32",
                WasmType::F64 => "f64",
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let results = f.wasm_results();
    let params = format!("({})", list(f.wasm_params()));
    match results.len() {
        0 => params,
        1 => format!("{params} -> {}", list(results)),
        _ => format!("{params} -> ({})", list(results)),
    }
}

/// "spec", or "reference: where from".
pub(super) fn level_text(level: Level, reference: Option<&str>) -> String {
    match (level, reference) {
        (Level::Spec, _) => "spec".to_string(),
        (Level::Reference, Some(r)) => format!("reference: {}", inline(r)),
        (Level::Reference, None) => "reference".to_string(),
    }
}

/// Whether the ABI has a host function or a callback of this name.
pub(super) fn has_item(abi: &Abi, name: &str) -> bool {
    abi.function(name).is_some() || abi.callback(name).is_some()
}

/// A function or callback of the page's own ABI, linked when it exists.
pub(super) fn local_ref(abi: &Abi, name: &str) -> String {
    if has_item(abi, name) {
        link(&code(name), &format!("#{}", item_anchor(name)))
    } else {
        code(name)
    }
}

/// A function or callback on another page, linked when that ABI has it.
pub(super) fn page_ref(abi: &Abi, name: &str) -> String {
    if has_item(abi, name) {
        let target = format!("{}#{}", names::doc_page(&abi.name), item_anchor(name));
        link(&code(name), &target)
    } else {
        code(name)
    }
}

/// A callback or function with its parameter names: ``[`proxy_on_log`](#proxy_on_log)`(context_id)` ``.
pub(super) fn local_call(abi: &Abi, name: &str) -> String {
    match abi.callback(name).or_else(|| abi.function(name)) {
        Some(f) => {
            let params: Vec<&str> = f.params.iter().map(|p| p.name.as_str()).collect();
            format!(
                "{}{}",
                local_ref(abi, name),
                code(&format!("({})", params.join(", ")))
            )
        }
        None => code(name),
    }
}

/// A named type of the page's ABI, linked.
pub(super) fn local_type_ref(abi: &Abi, name: &str) -> String {
    if abi.type_def(name).is_some() {
        link(&code(name), &format!("#{}", item_anchor(name)))
    } else {
        code(name)
    }
}

/// Rendered prose with each code span that names a function, callback or type of the page's ABI
/// linked to its entry. `own` are names that mean something else where the text stands (the
/// function being described and its parameters: `size` is a parameter there, not the type).
pub(super) fn linked(abi: &Abi, markdown: &str, own: &[&str]) -> String {
    let mut out = String::with_capacity(markdown.len());
    let parts: Vec<&str> = markdown.split('`').collect();
    for (i, part) in parts.iter().enumerate() {
        let closed = i + 1 < parts.len();
        if i % 2 == 0 {
            out.push_str(part);
        } else if !closed {
            out.push('`');
            out.push_str(part);
        } else if !out.ends_with('[')
            && !own.contains(part)
            && (has_item(abi, part) || abi.type_def(part).is_some())
        {
            out.push_str(&link(&code(part), &format!("#{}", item_anchor(part))));
        } else {
            out.push_str(&code(part));
        }
    }
    out
}

/// A parameter's type as C spells it, linked to the named type it refers to.
pub(super) fn c_type_ref(abi: &Abi, t: &TypeRef) -> String {
    let c = signature::c_type(t);
    match named_type_of(t) {
        Some(name) if abi.type_def(name).is_some() => {
            link(&code(&c), &format!("#{}", item_anchor(name)))
        }
        _ => code(&c),
    }
}

/// A host named in an annotation, linked to the hosts section.
pub(super) fn host_ref(abi: &Abi, name: &str) -> String {
    match abi.hosts.iter().find(|h| h.name == name) {
        Some(h) => link(
            &inline(&h.title),
            &format!("#{}", names::doc_anchor(&host_heading(name))),
        ),
        None => code(name),
    }
}

/// A wire format, linked to the formats section.
pub(super) fn format_ref(abi: &Abi, name: &str) -> String {
    if abi.formats.iter().any(|f| f.name == name) {
        link(
            &code(name),
            &format!("#{}", names::doc_anchor(&format_heading(name))),
        )
    } else {
        code(name)
    }
}

/// Where a function may be called, or which context a callback receives.
pub(super) fn context_text(kind: ContextKind) -> &'static str {
    match kind {
        ContextKind::Start => "start-up (`_initialize`, `main`, `_start`)",
        ContextKind::Root => "the plugin (root) context",
        ContextKind::Stream => "a stream context",
        ContextKind::Any => "any time, also during start-up and inside the allocator",
    }
}

/// A parameter's part in the pointer conventions.
pub(super) fn convention(p: &Param) -> String {
    let pair = p
        .pair
        .as_deref()
        .map_or("the paired parameter".to_string(), code);
    match p.role {
        Role::Value => match &p.invalid {
            Some(Invalid::Status { code: c, .. }) => {
                format!("value; a number outside the enum returns {}", code(c))
            }
            Some(Invalid::Unchecked { why }) => {
                format!(
                    "value; numbers outside the enum are accepted: {}",
                    inline(why)
                )
            }
            None => "value".to_string(),
        },
        Role::InputData => format!("input buffer, length in {pair}"),
        Role::InputLength => format!("length of the input buffer {pair}"),
        Role::OutValue => "out: the host writes one value here".to_string(),
        Role::FillData => {
            format!("out: buffer the plugin provides and the host fills, capacity in {pair}")
        }
        Role::FillLength => format!("capacity of the buffer {pair}"),
        Role::AllocData => format!(
            "out: the host allocates the buffer with the plugin's allocator and writes its \
             address here, length written to {pair}"
        ),
        Role::AllocLength => {
            format!("out: the host writes the length of the buffer it allocated for {pair} here")
        }
    }
}

/// "in", "out" or "return".
pub(super) fn direction_text(d: Direction) -> &'static str {
    match d {
        Direction::In => "in",
        Direction::Out => "out",
        Direction::Return => "return",
        Direction::Unknown => "unknown",
    }
}
