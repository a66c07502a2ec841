//! How IR types and functions are spelled at the raw ABI level in C and in Rust `extern` blocks.
//! The guest bindings and the reference docs both use these, so they cannot disagree.

use crate::names;
use proxy_wasm_spec::ir::{Abi, Builtin, Function, Side, TypeDefKind, TypeRef};

/// The C spelling of a type: builtins as `<stdint.h>` types, named types by their typedef.
pub fn c_type(t: &TypeRef) -> String {
    match t {
        TypeRef::Builtin { name } => c_builtin(*name).to_string(),
        TypeRef::Named { name } => names::c_type(name),
        TypeRef::Pointer { to } => format!("{}*", c_type(to)),
        TypeRef::ConstPointer { to } => format!("const {}*", c_type(to)),
        // `generate` refuses ABIs with these (`renderable`); spelled as their address.
        TypeRef::List { .. } | TypeRef::Tuple { .. } | TypeRef::Variant { .. } => {
            "void*".to_string()
        }
    }
}

/// The C type a builtin maps to.
pub fn c_builtin(b: Builtin) -> &'static str {
    match b {
        Builtin::U8 => "uint8_t",
        Builtin::U16 => "uint16_t",
        Builtin::U32 => "uint32_t",
        Builtin::U64 => "uint64_t",
        Builtin::S8 => "int8_t",
        Builtin::S16 => "int16_t",
        Builtin::S32 => "int32_t",
        Builtin::S64 => "int64_t",
        Builtin::Usize => "size_t",
        Builtin::Char8 => "char",
        Builtin::Char => "uint32_t",
        // The ABI carries booleans as a 32-bit 0 or 1.
        Builtin::Bool => "uint32_t",
        Builtin::String => "const char*",
        Builtin::F32 => "float",
        Builtin::F64 => "double",
    }
}

/// The Rust spelling of a type at the FFI boundary. Enums and flags travel as their integer
/// representation: a Rust enum receiving an unknown number would be undefined behaviour.
pub fn rust_type(abi: &Abi, t: &TypeRef) -> String {
    match t {
        TypeRef::Builtin { name } => rust_builtin(*name).to_string(),
        TypeRef::Named { name } => match abi.type_def(name).map(|d| &d.def) {
            Some(TypeDefKind::Enum { repr, .. } | TypeDefKind::Flags { repr, .. }) => {
                rust_builtin(*repr).to_string()
            }
            Some(TypeDefKind::Alias { target }) => rust_type(abi, target),
            Some(TypeDefKind::Handle) => "u32".to_string(),
            Some(
                TypeDefKind::Struct { .. }
                | TypeDefKind::Variant { .. }
                | TypeDefKind::Union { .. },
            )
            | None => names::rust_type(name),
        },
        TypeRef::Pointer { to } => format!("*mut {}", rust_type(abi, to)),
        TypeRef::ConstPointer { to } => format!("*const {}", rust_type(abi, to)),
        // `generate` refuses ABIs with these (`renderable`); spelled as their address.
        TypeRef::List { .. } | TypeRef::Tuple { .. } | TypeRef::Variant { .. } => {
            "*const u8".to_string()
        }
    }
}

/// The Rust type a builtin maps to.
pub fn rust_builtin(b: Builtin) -> &'static str {
    match b {
        Builtin::U8 | Builtin::Char8 => "u8",
        Builtin::U16 => "u16",
        Builtin::U32 | Builtin::Bool | Builtin::Char => "u32",
        Builtin::U64 => "u64",
        Builtin::S8 => "i8",
        Builtin::S16 => "i16",
        Builtin::S32 => "i32",
        Builtin::S64 => "i64",
        Builtin::Usize => "usize",
        Builtin::String => "*const u8",
        Builtin::F32 => "f32",
        Builtin::F64 => "f64",
    }
}

/// `uint32_t proxy_log(proxy_log_level_t log_level, const uint8_t* message_data, ...)`.
pub fn c_declaration(f: &Function) -> String {
    c_declaration_with(f, names::c_ident)
}

/// A C declaration whose parameter names come from `ident` (the Envoy-era page keeps the
/// camelCase the witx wrote).
pub fn c_declaration_with(f: &Function, ident: impl Fn(&str) -> String) -> String {
    let ret = f
        .results
        .first()
        .map_or("void".to_string(), |r| c_type(&r.ty));
    let params: Vec<String> = f
        .params
        .iter()
        .map(|p| match p.ty {
            TypeRef::Builtin {
                name: Builtin::String,
            } => format!("const char* {0}_ptr, size_t {0}_len", ident(&p.name)),
            _ => format!("{} {}", c_type(&p.ty), ident(&p.name)),
        })
        .collect();
    let params = if params.is_empty() {
        "void".to_string()
    } else {
        params.join(", ")
    };
    format!("{ret} {}({params})", f.name)
}

/// `fn proxy_log(log_level: u32, message_data: *const u8, message_size: u32) -> u32`.
pub fn rust_declaration(abi: &Abi, f: &Function) -> String {
    let params: Vec<String> = f
        .params
        .iter()
        .map(|p| match p.ty {
            TypeRef::Builtin {
                name: Builtin::String,
            } => format!("{0}_ptr: *const u8, {0}_len: usize", p.name),
            _ => format!("{}: {}", names::rust_ident(&p.name), rust_type(abi, &p.ty)),
        })
        .collect();
    let ret = f
        .results
        .first()
        .map(|r| format!(" -> {}", rust_type(abi, &r.ty)))
        .unwrap_or_default();
    format!(
        "fn {}({}){ret}",
        names::rust_ident(&f.name),
        params.join(", ")
    )
}

/// Whether a function is implemented by the host (imported by the plugin).
pub fn is_import(abi: &Abi, f: &Function) -> bool {
    abi.modules
        .iter()
        .any(|m| m.side == Side::Host && m.import_module == f.module)
}
