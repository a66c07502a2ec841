//! Host bindings: the `proxy-wasm-host-abi` crate. Per ABI version a `Host` trait with one method
//! per host function (typed values, input buffers as slices, outputs as the return value, a
//! default body that reports "unimplemented"), the wasmtime glue that checks every raw argument
//! before calling it, and `Callbacks`, a typed caller for the plugin's exports.
//!
//! The generated Rust must already be laid out as rustfmt would; the statements below are kept to
//! a few shapes whose layout rules were measured against rustfmt (see [`Code`]).

use crate::guest::{doc_lines, ensure_newline, matching_paren, preamble, split_params};
use crate::signature::rust_builtin;
use crate::{Files, Inputs, names};
use askama::Template;
use proxy_wasm_spec::ir::{
    Abi, Builtin, Function, Invalid, Param, Role, Side, TypeDefKind, TypeRef, WasmType,
};
use std::fmt;

/// rustfmt's line width and its width limit for a call's argument list.
const MAX_WIDTH: usize = 100;
const CALL_ARGS_WIDTH: usize = 60;

/// clippy's default `too_many_arguments` threshold.
const CLIPPY_MAX_ARGS: usize = 7;

/// Status members the glue returns on its own, by what they mean; the first one the status type
/// has is used. The spec documents name no such roles, so they live here.
const MEMORY_ERROR: &[&str] = &["invalid_memory_access", "fault"];
const UNIMPLEMENTED: &[&str] = &["unimplemented", "nosys"];

/// Formats that change how a parameter is lifted; every other format is a plain byte buffer.
const IOVEC_ARRAY: &str = "iovec_array";
const STRING_LIST: &str = "string_list";

/// Why the host backend cannot render an ABI.
#[derive(Debug)]
pub enum Error {
    /// A template failed.
    Template(askama::Error),
    /// The ABI uses a convention the glue has no lifting for.
    Unsupported(String),
    /// The ABI holds what no generator renders (plain witx, witx 0.9 types).
    NotRendered(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Template(e) => write!(f, "{e}"),
            Error::Unsupported(what) => write!(f, "host glue: {what}"),
            Error::NotRendered(what) => write!(f, "{what}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<askama::Error> for Error {
    fn from(e: askama::Error) -> Self {
        Error::Template(e)
    }
}

#[derive(Template)]
#[template(path = "host/version.rs", escape = "none")]
struct Version {
    preamble: String,
    title: String,
    docs: Vec<String>,
    version: String,
    marker: Option<String>,
    types: Vec<crate::guest::Item>,
    status_helpers: Vec<String>,
    conversions: Vec<String>,
    methods: Vec<String>,
    registrations: Vec<String>,
    glue: Vec<String>,
    signatures: Vec<String>,
    callers: Vec<String>,
}

#[derive(Template)]
#[template(path = "host/lib.rs", escape = "none")]
struct Lib {
    preamble: String,
    modules: Vec<String>,
}

#[derive(Template)]
#[template(path = "host/glue.rs", escape = "none")]
struct Glue {
    preamble: String,
}

#[derive(Template)]
#[template(path = "host/Cargo.toml", escape = "none")]
struct CargoToml {
    preamble: String,
}

/// The host crate for every released version.
pub fn render(inputs: &Inputs) -> Result<Files, Error> {
    let mut files = Files::new();
    let mut modules = Vec::new();
    let latest = inputs.versions.last();
    for abi in &inputs.versions {
        let module = names::rust_module(&abi.name);
        let newer = latest.filter(|l| l.name != abi.name);
        files.insert(format!("host/src/{module}.rs"), version(abi, newer)?);
        modules.push(module);
    }
    files.insert(
        "host/src/lib.rs".into(),
        Lib {
            preamble: preamble("//"),
            modules,
        }
        .render()?,
    );
    files.insert(
        "host/src/glue.rs".into(),
        Glue {
            preamble: preamble("//"),
        }
        .render()?,
    );
    files.insert(
        "host/Cargo.toml".into(),
        CargoToml {
            preamble: preamble("#"),
        }
        .render()?,
    );
    Ok(files
        .into_iter()
        .map(|(k, v)| (k, ensure_newline(v)))
        .collect())
}

fn version(abi: &Abi, latest: Option<&Abi>) -> Result<String, Error> {
    let mut status_types: Vec<String> = Vec::new();
    for m in abi.modules.iter().filter(|m| m.side == Side::Host) {
        if let Some(st) = &m.status_type
            && !status_types.contains(st)
        {
            status_types.push(st.clone());
        }
    }
    let status_helpers = status_types
        .iter()
        .map(|st| status_helper(abi, st))
        .collect::<Result<_, _>>()?;
    let mut methods = Vec::new();
    let mut registrations = Vec::new();
    let mut glue = Vec::new();
    for f in abi.functions.iter() {
        let lifted = Lifted::new(abi, f)?;
        methods.push(lifted.method());
        glue.push(lifted.glue());
        let mut c = Code::new(1);
        c.call_stmt(
            "",
            "linker.func_wrap",
            &[
                format!("{:?}", f.module),
                format!("{:?}", f.name),
                format!("{}::<T>", names::rust_ident(&f.name)),
            ],
            "?;",
        );
        registrations.push(c.finish());
    }
    let callbacks: Vec<&Function> = abi.callbacks.iter().filter(|f| !f.marker).collect();
    let signatures = callbacks.iter().map(|f| signature_entry(f)).collect();
    let callers = callbacks
        .iter()
        .map(|f| caller(abi, f))
        .collect::<Result<_, _>>()?;
    Ok(Version {
        preamble: preamble("//"),
        title: format!("Host side of Proxy-Wasm ABI {}.", abi.name),
        docs: doc_lines(&abi.docs),
        version: abi.name.clone(),
        marker: abi.marker.clone(),
        types: abi
            .types
            .iter()
            .map(|t| crate::guest::rust_type_item(abi, t, host_field_type))
            .collect(),
        status_helpers,
        conversions: latest.map(|l| conversions(abi, l)).unwrap_or_default(),
        methods,
        registrations,
        glue,
        signatures,
        callers,
    }
    .render()?)
}

/// `From` conversions between this version's enums and the latest version's, so a host can
/// implement the latest trait once and serve older versions through it: upward when every member
/// (name and number) is also in the latest enum, downward too when the members are the same.
fn conversions(abi: &Abi, latest: &Abi) -> Vec<String> {
    let latest_module = names::rust_module(&latest.name);
    let mut out = Vec::new();
    for t in &abi.types {
        let (
            Some(TypeDefKind::Enum { values: old, .. }),
            Some(TypeDefKind::Enum { values: new, .. }),
        ) = (Some(&t.def), latest.type_def(&t.name).map(|d| &d.def))
        else {
            continue;
        };
        let key = |v: &proxy_wasm_spec::ir::EnumValue| (v.name.clone(), v.value);
        let old_keys: Vec<_> = old.iter().map(key).collect();
        let new_keys: Vec<_> = new.iter().map(key).collect();
        if !old_keys.iter().all(|k| new_keys.contains(k)) {
            continue;
        }
        let name = names::rust_type(&t.name);
        let there = format!("crate::{latest_module}::{name}");
        let arms = |from: &str, to: &str| {
            old.iter()
                .map(|v| {
                    let variant = names::rust_variant(&v.name);
                    format!("            {from}::{variant} => {to}::{variant},\n")
                })
                .collect::<String>()
        };
        out.push(format!(
            "impl From<{name}> for {there} {{\n    fn from(value: {name}) -> Self {{\n        match value {{\n{}        }}\n    }}\n}}",
            arms(&name, "Self")
        ));
        if old_keys.len() == new_keys.len() {
            out.push(format!(
                "impl From<{there}> for {name} {{\n    fn from(value: {there}) -> Self {{\n        match value {{\n{}        }}\n    }}\n}}",
                arms(&there, "Self")
            ));
        }
    }
    out
}

/// Struct fields hold guest addresses, not host pointers.
fn host_field_type(abi: &Abi, t: &TypeRef) -> String {
    match t {
        TypeRef::Pointer { .. } | TypeRef::ConstPointer { .. } => "u32".to_string(),
        _ => crate::signature::rust_type(abi, t),
    }
}

/// A status type as the glue uses it.
struct StatusType {
    /// `Status`.
    rust: String,
    /// `raw_status`: turns a member into the wasm result.
    raw_fn: String,
    /// `Status::Ok`.
    success: String,
    /// `Status::InvalidMemoryAccess`.
    memory_error: String,
    /// `Status::Unimplemented`.
    unimplemented: String,
}

impl StatusType {
    fn of(abi: &Abi, name: &str) -> Result<Self, Error> {
        let Some(TypeDefKind::Enum { values, .. }) = abi.type_def(name).map(|d| &d.def) else {
            return Err(Error::Unsupported(format!(
                "status type `{name}` is not an enum"
            )));
        };
        let rust = names::rust_type(name);
        let member = |wanted: &[&str], role: &str| {
            values
                .iter()
                .find(|v| wanted.contains(&v.name.as_str()))
                .map(|v| format!("{rust}::{}", names::rust_variant(&v.name)))
                .ok_or_else(|| {
                    Error::Unsupported(format!(
                        "status type `{name}` has no {role} member (one of {wanted:?})"
                    ))
                })
        };
        let success = values
            .iter()
            .find(|v| v.value == 0)
            .map(|v| format!("{rust}::{}", names::rust_variant(&v.name)))
            .ok_or_else(|| {
                Error::Unsupported(format!("status type `{name}` has no member with value 0"))
            })?;
        Ok(StatusType {
            raw_fn: format!("raw_{}", names::rust_ident(name)),
            success,
            memory_error: member(MEMORY_ERROR, "memory-error")?,
            unimplemented: member(UNIMPLEMENTED, "unimplemented")?,
            rust,
        })
    }
}

/// `fn raw_status(status: Status) -> u32 { ... }`.
fn status_helper(abi: &Abi, name: &str) -> Result<String, Error> {
    let st = StatusType::of(abi, name)?;
    let repr = match abi.type_def(name).map(|d| &d.def) {
        Some(TypeDefKind::Enum { repr, .. }) => *repr,
        _ => Builtin::U32,
    };
    let var = names::rust_ident(name);
    let body = match repr {
        Builtin::U32 => format!("u32::from({var})"),
        Builtin::U8 | Builtin::U16 => format!("u32::from({}::from({var}))", rust_builtin(repr)),
        other => {
            return Err(Error::Unsupported(format!(
                "status type `{name}` is carried as {}, not an unsigned integer of at most 32 bits",
                other.keyword()
            )));
        }
    };
    Ok(format!(
        "/// The wasm result for a `{}`.\nfn {}({var}: {}) -> u32 {{\n    {body}\n}}",
        st.rust, st.raw_fn, st.rust
    ))
}

/// How one raw parameter reaches the trait method.
enum Lift {
    /// Passed on as it is (after decoding, for enums and bools).
    Value {
        name: String,
        raw: String,
        ty: String,
        decode: Decode,
    },
    /// A (pointer, length) input buffer → `&[u8]`.
    Input {
        name: String,
        data: String,
        len: String,
    },
    /// A WASI iovec array → `&[&[u8]]`.
    Iovecs {
        name: String,
        data: String,
        count: String,
    },
    /// A guest buffer the host fills → `&mut [u8]`.
    Fill {
        name: String,
        data: String,
        len: String,
    },
}

enum Decode {
    None,
    Bool,
    Enum { ty: String, invalid: String },
    Flags { ty: String },
}

/// One output of a host function: part of the method's return value, written on success.
enum Output {
    /// One value written to an out-pointer.
    Value {
        ptr: String,
        ty: String,
        write: Write,
    },
    /// A buffer from the guest allocator, its address and length written to two out-pointers.
    Alloc { data: String, len: String },
    /// A WASI string list written to two guest buffers.
    StringList { array: String, buffer: String },
}

#[derive(Clone, Copy)]
enum Write {
    U32,
    U64,
    /// An enum or bool carried as u32.
    IntoU32,
    /// A flags newtype carried as u32.
    FlagsU32,
}

struct Lifted<'a> {
    f: &'a Function,
    status: Option<StatusType>,
    raw_params: Vec<(String, String)>,
    lifts: Vec<Lift>,
    outputs: Vec<Output>,
}

impl<'a> Lifted<'a> {
    fn new(abi: &Abi, f: &'a Function) -> Result<Self, Error> {
        let status = match abi
            .modules
            .iter()
            .find(|m| m.side == Side::Host && m.import_module == f.module)
            .and_then(|m| m.status_type.as_deref())
        {
            Some(st) if !f.results.is_empty() => Some(StatusType::of(abi, st)?),
            _ => None,
        };
        if f.results.len() > usize::from(status.is_some()) {
            return Err(unsupported(f, "a result that is not the status"));
        }
        let mut raw_params = Vec::new();
        for p in &f.params {
            if p.wasm_types.len() != 1 {
                return Err(unsupported(
                    f,
                    &format!("`{}` takes two wasm values", p.name),
                ));
            }
            let ty = match p.wasm_types[0] {
                WasmType::I64 => raw_scalar(abi, &p.ty).unwrap_or("u64"),
                WasmType::I32 => raw_scalar(abi, &p.ty).unwrap_or("u32"),
                _ => return Err(unsupported(f, &format!("`{}` is a float", p.name))),
            };
            raw_params.push((names::rust_ident(&p.name), ty.to_string()));
        }
        let mut lifts = Vec::new();
        let mut outputs = Vec::new();
        let by_name = |n: &Option<String>| {
            n.as_ref()
                .and_then(|n| f.params.iter().find(|q| &q.name == n))
        };
        let mut skip: Vec<&str> = Vec::new();
        for p in &f.params {
            if skip.contains(&p.name.as_str()) {
                continue;
            }
            let raw = names::rust_ident(&p.name);
            match p.role {
                Role::Value => lifts.push(value_lift(abi, f, p, status.as_ref())?),
                Role::InputData => {
                    let Some(len) = by_name(&p.pair) else {
                        return Err(unsupported(f, &format!("`{}` has no length", p.name)));
                    };
                    skip.push(&len.name);
                    let name = names::rust_ident(p.name.trim_end_matches("_data"));
                    let len = names::rust_ident(&len.name);
                    if p.format.as_deref() == Some(IOVEC_ARRAY) {
                        lifts.push(Lift::Iovecs {
                            name,
                            data: raw,
                            count: len,
                        });
                    } else if is_bytes(abi, &p.ty) {
                        lifts.push(Lift::Input {
                            name,
                            data: raw,
                            len,
                        });
                    } else {
                        return Err(unsupported(
                            f,
                            &format!("`{}` is an array of records with no known format", p.name),
                        ));
                    }
                }
                Role::FillData if p.format.as_deref() == Some(STRING_LIST) => {
                    return Err(unsupported(
                        f,
                        &format!("`{}`: a string list starts with its pointer array", p.name),
                    ));
                }
                Role::FillData => {
                    let Some(len) = by_name(&p.pair) else {
                        return Err(unsupported(f, &format!("`{}` has no length", p.name)));
                    };
                    skip.push(&len.name);
                    lifts.push(Lift::Fill {
                        name: names::rust_ident(&p.name),
                        data: raw,
                        len: names::rust_ident(&len.name),
                    });
                }
                Role::OutValue if p.format.as_deref() == Some(STRING_LIST) => {
                    let buffer = f.params.iter().skip_while(|q| q.name != p.name).nth(1);
                    let Some(buffer) = buffer.filter(|q| q.format.as_deref() == Some(STRING_LIST))
                    else {
                        return Err(unsupported(
                            f,
                            &format!("string list `{}` is not followed by its buffer", p.name),
                        ));
                    };
                    skip.push(&buffer.name);
                    outputs.push(Output::StringList {
                        array: raw,
                        buffer: names::rust_ident(&buffer.name),
                    });
                }
                Role::OutValue => {
                    let TypeRef::Pointer { to } = &p.ty else {
                        return Err(unsupported(f, &format!("`{}` is not a pointer", p.name)));
                    };
                    let (ty, write) = out_type(abi, to).ok_or_else(|| {
                        unsupported(f, &format!("`{}`: unknown out type", p.name))
                    })?;
                    outputs.push(Output::Value {
                        ptr: raw,
                        ty,
                        write,
                    });
                }
                Role::AllocData => {
                    let Some(len) = by_name(&p.pair) else {
                        return Err(unsupported(f, &format!("`{}` has no length", p.name)));
                    };
                    skip.push(&len.name);
                    outputs.push(Output::Alloc {
                        data: raw,
                        len: names::rust_ident(&len.name),
                    });
                }
                Role::InputLength | Role::FillLength | Role::AllocLength => {
                    return Err(unsupported(
                        f,
                        &format!("length `{}` comes before its buffer", p.name),
                    ));
                }
            }
        }
        Ok(Lifted {
            f,
            status,
            raw_params,
            lifts,
            outputs,
        })
    }

    /// The docs of the raw parameter whose Rust name is `raw`, on one line.
    fn param_docs(&self, raw: &str) -> String {
        self.f
            .params
            .iter()
            .find(|p| names::rust_ident(&p.name) == raw)
            .map(|p| one_line(&p.docs))
            .unwrap_or_default()
    }

    fn method_name(&self) -> String {
        names::rust_ident(&self.f.name)
    }

    /// The method's parameters after `&mut self`.
    fn method_params(&self) -> Vec<(String, String)> {
        self.lifts
            .iter()
            .map(|l| match l {
                Lift::Value { name, ty, .. } => (name.clone(), ty.clone()),
                Lift::Input { name, .. } => (name.clone(), "&[u8]".to_string()),
                Lift::Iovecs { name, .. } => (name.clone(), "&[&[u8]]".to_string()),
                Lift::Fill { name, .. } => (name.clone(), "&mut [u8]".to_string()),
            })
            .collect()
    }

    /// `T`, `(A, B)` or `()`.
    fn ok_type(&self) -> String {
        let types: Vec<String> = self
            .outputs
            .iter()
            .map(|o| match o {
                Output::Value { ty, .. } => ty.clone(),
                Output::Alloc { .. } => "Vec<u8>".to_string(),
                Output::StringList { .. } => "Vec<Vec<u8>>".to_string(),
            })
            .collect();
        match types.len() {
            1 => types[0].clone(),
            _ => format!("({})", types.join(", ")),
        }
    }

    fn method(&self) -> String {
        let mut text = self.f.docs.clone();
        let params = self.method_params();
        let described: Vec<String> = self
            .lifts
            .iter()
            .map(|l| {
                let (name, raw) = match l {
                    Lift::Value { name, raw, .. } => (name, raw),
                    Lift::Input { name, data, .. }
                    | Lift::Iovecs { name, data, .. }
                    | Lift::Fill { name, data, .. } => (name, data),
                };
                let docs = self.param_docs(raw);
                format!("- `{name}`: {docs}")
            })
            .collect();
        if !described.is_empty() {
            text.push_str("\n\nArguments:\n");
            text.push_str(&described.join("\n"));
        }
        let outputs: Vec<String> = self
            .outputs
            .iter()
            .map(|o| {
                let (raw, pointers) = match o {
                    Output::Value { ptr, .. } => (ptr, format!("`{ptr}`")),
                    Output::Alloc { data, len } => (
                        data,
                        format!("a plugin-allocated buffer at `{data}`/`{len}`"),
                    ),
                    Output::StringList { array, buffer } => {
                        (array, format!("`{array}`/`{buffer}`"))
                    }
                };
                let docs = self.param_docs(raw);
                format!("- to {pointers}: {docs}")
            })
            .collect();
        if !outputs.is_empty() {
            text.push_str("\n\nReturns what the glue writes, on success only:\n");
            text.push_str(&outputs.join("\n"));
        }
        let mut s = String::new();
        for line in doc_lines(&text) {
            s.push_str(&format!("    ///{line}\n"));
        }
        let list: Vec<String> = std::iter::once("&mut self".to_string())
            .chain(params.iter().map(|(n, t)| format!("{n}: {t}")))
            .collect();
        let ret = match &self.status {
            Some(st) => format!(" -> Result<{}, {}>", self.ok_type(), st.rust),
            None => String::new(),
        };
        let head = format!("fn {}({}){ret}", self.method_name(), list.join(", "));
        s.push_str(&format!("    {}\n", wrap_fn(4, &head)));
        let unused: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
        match unused.len() {
            0 => {}
            1 => s.push_str(&format!("        let _ = {};\n", unused[0])),
            _ => {
                let mut c = Code::new(2);
                c.tuple_stmt("let _ = ", &unused);
                s.push_str(&c.finish());
            }
        }
        if let Some(st) = &self.status {
            s.push_str(&format!("        Err({})\n", st.unimplemented));
        }
        s.push_str("    }");
        s
    }

    fn glue(&self) -> String {
        let name = self.method_name();
        let ret = match &self.status {
            Some(_) => "wasmtime::Result<u32>",
            None => "wasmtime::Result<()>",
        };
        let params: Vec<String> = std::iter::once("mut caller: Caller<'_, T>".to_string())
            .chain(self.raw_params.iter().map(|(n, t)| format!("{n}: {t}")))
            .collect();
        let head = format!("fn {name}<T: Host>({}) -> {ret}", params.join(", "));
        let mut c = Code::new(1);
        c.raw(&format!("/// Glue for `{}`.\n", self.f.name));
        if params.len() > CLIPPY_MAX_ARGS {
            c.raw("#[allow(clippy::too_many_arguments)] // the ABI fixes the arity\n");
        }
        c.raw(&format!("{}\n", wrap_fn(0, &head)));
        let fail = |what: &str| match &self.status {
            Some(st) => format!("return Ok({}({what}));", st.raw_fn),
            None => "return Ok(());".to_string(),
        };
        // Values first: they need no memory.
        for l in &self.lifts {
            if let Lift::Value {
                name, raw, decode, ..
            } = l
            {
                match decode {
                    Decode::None => {}
                    Decode::Bool => c.line(&format!("let {name} = {raw} != 0;")),
                    Decode::Flags { ty } => c.line(&format!("let {name} = {ty}({raw});")),
                    Decode::Enum { ty, invalid } => {
                        c.let_else(
                            &format!("let Ok({name}) = "),
                            &format!("{ty}::try_from"),
                            std::slice::from_ref(raw),
                            "",
                            &fail(invalid),
                        );
                    }
                }
            }
        }
        let uses_memory =
            self.lifts.iter().any(|l| !matches!(l, Lift::Value { .. })) || !self.outputs.is_empty();
        let mem_error = self.status.as_ref().map(|st| st.memory_error.clone());
        let mem_fail = match &mem_error {
            Some(e) => fail(e),
            None => "return Ok(());".to_string(),
        };
        if uses_memory {
            c.let_else(
                "let Some(memory) = ",
                "glue::memory",
                &["&mut caller".to_string()],
                "",
                &mem_fail,
            );
            let reads_memory = self.lifts.iter().any(|l| !matches!(l, Lift::Value { .. }))
                || self
                    .outputs
                    .iter()
                    .any(|o| !matches!(o, Output::StringList { .. }));
            if reads_memory {
                c.line("let (mem, host) = memory.data_and_store_mut(&mut caller);");
            } else {
                c.line("let host = caller.data_mut();");
            }
            for l in &self.lifts {
                match l {
                    Lift::Value { .. } => {}
                    Lift::Input { name, data, len } => c.let_else(
                        &format!("let Some({name}) = "),
                        "glue::input",
                        &["mem".to_string(), data.clone(), len.clone()],
                        "",
                        &mem_fail,
                    ),
                    Lift::Iovecs { name, data, count } => c.let_else(
                        &format!("let Some({name}) = "),
                        "glue::iovecs",
                        &["mem".to_string(), data.clone(), count.clone()],
                        "",
                        &mem_fail,
                    ),
                    Lift::Fill { name, data, len } => {
                        c.block_if_not(
                            "glue::fits",
                            &["mem".to_string(), data.clone(), len.clone()],
                            &mem_fail,
                        );
                        c.line(&format!("let mut {name}_fill = vec![0; {len} as usize];"));
                    }
                }
            }
            for o in &self.outputs {
                match o {
                    Output::Value { ptr, write, .. } => c.block_if_not(
                        "glue::fits",
                        &["mem".to_string(), ptr.clone(), write.size().to_string()],
                        &mem_fail,
                    ),
                    Output::Alloc { data, len } => {
                        for p in [data, len] {
                            c.block_if_not(
                                "glue::fits",
                                &["mem".to_string(), p.clone(), "4".to_string()],
                                &mem_fail,
                            );
                        }
                    }
                    Output::StringList { .. } => {}
                }
            }
        } else {
            c.line("let host = caller.data_mut();");
        }
        let args: Vec<String> = self
            .lifts
            .iter()
            .map(|l| match l {
                Lift::Value { name, .. } | Lift::Input { name, .. } => name.clone(),
                Lift::Iovecs { name, .. } => format!("&{name}"),
                Lift::Fill { name, .. } => format!("&mut {name}_fill"),
            })
            .collect();
        let Some(st) = &self.status else {
            c.call_stmt("", &format!("host.{name}"), &args, ";");
            c.line("Ok(())");
            return c.finish() + "}";
        };
        c.call_stmt("let result = ", &format!("host.{name}"), &args, ";");
        let bound: Vec<String> = (0..self.outputs.len()).map(|i| format!("out{i}")).collect();
        match bound.len() {
            0 => {
                c.line("if let Err(status) = result {");
                c.line(&format!("    return Ok({}(status));", st.raw_fn));
                c.line("}");
            }
            n => {
                let pattern = if n == 1 {
                    bound[0].clone()
                } else {
                    format!("({})", bound.join(", "))
                };
                c.line(&format!("let {pattern} = match result {{"));
                c.line("    Ok(value) => value,");
                c.line(&format!(
                    "    Err(status) => return Ok({}(status)),",
                    st.raw_fn
                ));
                c.line("};");
            }
        }
        for (i, o) in self.outputs.iter().enumerate() {
            if let Output::Alloc { .. } = o {
                c.let_else(
                    &format!("let Some(out{i}_ptr) = "),
                    "glue::allocate",
                    &[
                        "&mut caller".to_string(),
                        "memory".to_string(),
                        format!("&out{i}"),
                    ],
                    // The allocator's traps propagate.
                    "?",
                    &format!("return Ok({}({}));", st.raw_fn, st.memory_error),
                );
            }
        }
        let has_writes =
            !self.outputs.is_empty() || self.lifts.iter().any(|l| matches!(l, Lift::Fill { .. }));
        if has_writes {
            c.line("let mut writes = glue::Writes::new();");
            for l in &self.lifts {
                if let Lift::Fill { name, data, .. } = l {
                    c.line(&format!("writes.bytes({data}, {name}_fill);"));
                }
            }
            for (i, o) in self.outputs.iter().enumerate() {
                match o {
                    Output::Value { ptr, write, .. } => {
                        let value = match write {
                            Write::U32 | Write::U64 => format!("out{i}"),
                            Write::IntoU32 => format!("u32::from(out{i})"),
                            Write::FlagsU32 => format!("out{i}.0"),
                        };
                        let method = match write {
                            Write::U64 => "u64",
                            _ => "u32",
                        };
                        c.line(&format!("writes.{method}({ptr}, {value});"));
                    }
                    Output::Alloc { data, len } => {
                        c.line(&format!("writes.keep(out{i}_ptr, glue::len32(&out{i}));"));
                        c.line(&format!("writes.u32({data}, out{i}_ptr);"));
                        c.line(&format!("writes.u32({len}, glue::len32(&out{i}));"));
                    }
                    Output::StringList { array, buffer } => {
                        c.line(&format!("writes.string_list({array}, {buffer}, &out{i});"));
                    }
                }
            }
            c.line("if !writes.apply(memory.data_mut(&mut caller)) {");
            c.line(&format!("    {mem_fail}"));
            c.line("}");
        }
        c.line(&format!("Ok({}({}))", st.raw_fn, st.success));
        c.finish() + "}"
    }
}

impl Write {
    fn size(self) -> u32 {
        match self {
            Write::U64 => 8,
            _ => 4,
        }
    }
}

/// A function head followed by its body's `{`: on one line if that fits, else one parameter per
/// line (rustfmt's layout for items with a body).
fn wrap_fn(indent: usize, head: &str) -> String {
    let (Some(open), Some(close)) = (head.find('('), matching_paren(head)) else {
        return format!("{head} {{");
    };
    if indent + head.len() + 2 <= MAX_WIDTH {
        return format!("{head} {{");
    }
    let pad = " ".repeat(indent);
    let mut out = format!("{}(\n", &head[..open]);
    for p in split_params(&head[open + 1..close]) {
        out.push_str(&format!("{pad}    {p},\n"));
    }
    out.push_str(&format!("{pad}){} {{", &head[close + 1..]));
    out
}

fn unsupported(f: &Function, what: &str) -> Error {
    Error::Unsupported(format!("`{}`: {what}", f.name))
}

fn one_line(docs: &str) -> String {
    docs.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The Rust type of a raw wasm argument, when it is not plain u32/u64.
fn raw_scalar(abi: &Abi, t: &TypeRef) -> Option<&'static str> {
    match abi.resolve(t) {
        TypeRef::Builtin { name } => match name {
            Builtin::S32 | Builtin::S16 | Builtin::S8 => Some("i32"),
            Builtin::S64 => Some("i64"),
            _ => None,
        },
        TypeRef::Named { name } => match abi.type_def(name).map(|d| &d.def) {
            Some(TypeDefKind::Enum { repr, .. } | TypeDefKind::Flags { repr, .. }) => match repr {
                Builtin::S32 | Builtin::S16 | Builtin::S8 => Some("i32"),
                Builtin::S64 => Some("i64"),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

fn is_bytes(abi: &Abi, t: &TypeRef) -> bool {
    match t {
        TypeRef::ConstPointer { to } | TypeRef::Pointer { to } => matches!(
            abi.resolve(to),
            TypeRef::Builtin {
                name: Builtin::U8 | Builtin::Char8
            }
        ),
        _ => false,
    }
}

/// The method-side Rust type of a value: aliases by their name, enums and flags by theirs.
fn value_type(abi: &Abi, t: &TypeRef) -> String {
    match t {
        TypeRef::Builtin {
            name: Builtin::Bool,
        } => "bool".to_string(),
        TypeRef::Builtin { name } => rust_builtin(*name).to_string(),
        TypeRef::Named { name } => match abi.type_def(name).map(|d| &d.def) {
            Some(TypeDefKind::Alias { target })
                if matches!(
                    abi.resolve(target),
                    TypeRef::Builtin {
                        name: Builtin::Bool
                    }
                ) =>
            {
                "bool".to_string()
            }
            _ => names::rust_type(name),
        },
        // `generate` refuses ABIs with list, tuple and variant types (`renderable`).
        TypeRef::Pointer { .. }
        | TypeRef::ConstPointer { .. }
        | TypeRef::List { .. }
        | TypeRef::Tuple { .. }
        | TypeRef::Variant { .. } => "u32".to_string(),
    }
}

fn value_lift(
    abi: &Abi,
    f: &Function,
    p: &Param,
    status: Option<&StatusType>,
) -> Result<Lift, Error> {
    let raw = names::rust_ident(&p.name);
    let resolved = abi.resolve(&p.ty);
    let def = match resolved {
        TypeRef::Named { name } => abi.type_def(name).map(|d| &d.def),
        _ => None,
    };
    let (ty, decode) = match (def, &p.invalid) {
        (Some(TypeDefKind::Enum { repr, .. }), Some(Invalid::Unchecked { .. }) | None)
            if status.is_none() || p.invalid.is_some() =>
        {
            (rust_builtin(*repr).to_string(), Decode::None)
        }
        (Some(TypeDefKind::Enum { .. }), Some(Invalid::Status { code, .. })) => {
            let Some(st) = status else {
                return Err(unsupported(f, "`@invalid` without a status type"));
            };
            let ty = value_type(abi, resolved);
            let invalid = format!("{}::{}", st.rust, names::rust_variant(code));
            (ty.clone(), Decode::Enum { ty, invalid })
        }
        (Some(TypeDefKind::Enum { .. }), None) => {
            return Err(unsupported(
                f,
                &format!("enum `{}` says nothing about invalid values", p.name),
            ));
        }
        (Some(TypeDefKind::Flags { .. }), _) => {
            let ty = value_type(abi, resolved);
            (ty.clone(), Decode::Flags { ty })
        }
        _ if value_type(abi, &p.ty) == "bool" => ("bool".to_string(), Decode::Bool),
        _ => (value_type(abi, &p.ty), Decode::None),
    };
    Ok(Lift::Value {
        name: raw.clone(),
        raw,
        ty,
        decode,
    })
}

/// The Rust type and the write of an out-value pointee.
fn out_type(abi: &Abi, to: &TypeRef) -> Option<(String, Write)> {
    let resolved = abi.resolve(to);
    let write = match resolved {
        TypeRef::Builtin { name } => match name {
            Builtin::U64 | Builtin::S64 => Write::U64,
            Builtin::Bool => Write::IntoU32,
            Builtin::U32 | Builtin::Usize | Builtin::U16 | Builtin::U8 => Write::U32,
            _ => return None,
        },
        TypeRef::Named { name } => match abi.type_def(name).map(|d| &d.def) {
            Some(TypeDefKind::Enum { repr, .. }) if *repr == Builtin::U32 => Write::IntoU32,
            Some(TypeDefKind::Flags { repr, .. }) if *repr == Builtin::U32 => Write::FlagsU32,
            _ => return None,
        },
        _ => return None,
    };
    let ty = match write {
        Write::IntoU32 | Write::FlagsU32 => value_type(abi, resolved),
        _ => value_type(abi, to),
    };
    Some((ty, write))
}

/// `glue::Signature { name: "proxy_on_tick", params: &[I32], results: &[] },` entries.
fn signature_entry(f: &Function) -> String {
    let list = |types: Vec<WasmType>| {
        types
            .iter()
            .map(|t| match t {
                WasmType::I64 => "Wasm::I64",
                _ => "Wasm::I32",
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut c = Code::new(1);
    c.call_stmt(
        "",
        "sig",
        &[
            format!("{:?}", f.name),
            format!("&[{}]", list(f.wasm_params())),
            format!("&[{}]", list(f.wasm_results())),
        ],
        ",",
    );
    c.finish().trim_end().to_string()
}

/// A typed caller method for one callback.
fn caller(abi: &Abi, f: &Function) -> Result<String, Error> {
    let mut params = Vec::new();
    let mut args = Vec::new();
    for p in &f.params {
        let name = names::rust_ident(&p.name);
        let resolved = abi.resolve(&p.ty);
        let def = match resolved {
            TypeRef::Named { name } => abi.type_def(name).map(|d| &d.def),
            _ => None,
        };
        let ty = value_type(abi, &p.ty);
        let arg = match def {
            Some(TypeDefKind::Enum { repr, .. }) => {
                format!("{}::from({name})", rust_builtin(*repr))
            }
            Some(TypeDefKind::Flags { .. }) => format!("{name}.0"),
            _ if ty == "bool" => format!("u32::from({name})"),
            _ => name.clone(),
        };
        params.push(format!("{name}: {ty}"));
        args.push(arg);
    }
    let (ok, finish) = match f.results.first() {
        None => ("()".to_string(), Finish::Unit),
        Some(r) => {
            let resolved = abi.resolve(&r.ty);
            let def = match resolved {
                TypeRef::Named { name } => abi.type_def(name).map(|d| &d.def),
                _ => None,
            };
            match def {
                Some(TypeDefKind::Enum { .. }) => (value_type(abi, resolved), Finish::Enum),
                _ if value_type(abi, &r.ty) == "bool" => ("bool".to_string(), Finish::Bool),
                _ => (value_type(abi, &r.ty), Finish::Plain),
            }
        }
    };
    let raw_result = match f.wasm_results().first() {
        None => "()",
        Some(WasmType::I64) => "u64",
        Some(_) => f
            .results
            .first()
            .and_then(|r| raw_scalar(abi, &r.ty))
            .unwrap_or("u32"),
    };
    let mut docs = f.docs.clone();
    docs.push_str(&format!(
        "\n\nCalls the export `{}`; `Ok(None)` if the plugin does not export it.",
        f.name
    ));
    let mut s = String::new();
    for line in doc_lines(&docs) {
        s.push_str(&format!("    ///{line}\n"));
    }
    let list: Vec<String> = ["&self".to_string(), "store: impl AsContextMut".to_string()]
        .into_iter()
        .chain(params)
        .collect();
    let head = format!(
        "pub fn {}({}) -> Result<Option<{ok}>, CallError>",
        names::rust_ident(&f.name),
        list.join(", ")
    );
    s.push_str(&format!("    {}\n", wrap_fn(4, &head)));
    let mut c = Code::new(2);
    match args.len() {
        0 => c.line("let args = ();"),
        1 => c.line(&format!("let args = {};", args[0])),
        _ => c.tuple_stmt(
            "let args = ",
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        ),
    }
    c.call_stmt(
        &format!("let raw: Option<{raw_result}> = "),
        "self.call",
        &[
            "store".to_string(),
            format!("{:?}", f.name),
            "args".to_string(),
        ],
        "?;",
    );
    match finish {
        Finish::Unit | Finish::Plain => c.line("Ok(raw)"),
        Finish::Bool => c.line("Ok(raw.map(|v| v != 0))"),
        Finish::Enum => c.call_stmt(
            "",
            "glue::decode",
            &[format!("{:?}", f.name), "raw".to_string()],
            "",
        ),
    }
    s.push_str(&c.finish());
    s.push_str("    }");
    Ok(s)
}

enum Finish {
    Unit,
    Plain,
    Bool,
    Enum,
}

/// Rust statements laid out as rustfmt lays them out. Measured rules (rustfmt 1.95, default
/// heuristics): a call stays on one line if the line is at most 100 columns and its argument
/// list at most 60; otherwise one argument per line with a trailing comma. A `let ... else {`
/// head must stay under 100 columns. A tuple follows the call rule.
struct Code {
    indent: usize,
    out: String,
}

impl Code {
    fn new(level: usize) -> Self {
        Code {
            indent: level * 4,
            out: String::new(),
        }
    }

    fn pad(&self) -> String {
        " ".repeat(self.indent)
    }

    fn raw(&mut self, text: &str) {
        self.out.push_str(text);
    }

    fn line(&mut self, text: &str) {
        let pad = self.pad();
        self.out.push_str(&format!("{pad}{text}\n"));
    }

    fn fits(&self, line: &str, args: &[String]) -> bool {
        self.indent + line.len() <= MAX_WIDTH && args.join(", ").len() <= CALL_ARGS_WIDTH
    }

    /// `{head}{callee}({args}){tail}`.
    fn call_stmt(&mut self, head: &str, callee: &str, args: &[String], tail: &str) {
        let one = format!("{head}{callee}({}){tail}", args.join(", "));
        if self.fits(&one, args) {
            self.line(&one);
            return;
        }
        // A `let` whose value fits on the next line breaks after `=`.
        let rhs = format!("{callee}({}){tail}", args.join(", "));
        if head.starts_with("let ")
            && self.indent + 4 + rhs.len() <= MAX_WIDTH
            && args.join(", ").len() <= CALL_ARGS_WIDTH
        {
            self.line(head.trim_end());
            self.line(&format!("    {rhs}"));
            return;
        }
        self.line(&format!("{head}{callee}("));
        for a in args {
            self.line(&format!("    {a},"));
        }
        self.line(&format!("){tail}"));
    }

    /// `{head}({items});` for a tuple.
    fn tuple_stmt(&mut self, head: &str, items: &[&str]) {
        let items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
        self.call_stmt(head, "", &items, ";");
    }

    /// `let PAT = CALL{after} else { STMT };`, `after` being `?` or nothing.
    fn let_else(&mut self, head: &str, callee: &str, args: &[String], after: &str, stmt: &str) {
        let call = format!("{head}{callee}({}){after}", args.join(", "));
        let bare = format!("{callee}({}){after}", args.join(", "));
        if self.indent + call.len() + " else {".len() < MAX_WIDTH
            && args.join(", ").len() <= CALL_ARGS_WIDTH
        {
            self.line(&format!("{call} else {{"));
        } else if self.fits(&call, args) {
            self.line(&call);
            self.line("else {");
        } else if self.indent + 4 + bare.len() <= MAX_WIDTH
            && args.join(", ").len() <= CALL_ARGS_WIDTH
        {
            self.line(head.trim_end());
            self.line(&format!("    {bare}"));
            self.line("else {");
        } else {
            self.line(&format!("{head}{callee}("));
            for a in args {
                self.line(&format!("    {a},"));
            }
            self.line(&format!("){after} else {{"));
        }
        self.line(&format!("    {stmt}"));
        self.line("};");
    }

    /// `if !CALL { STMT }`.
    fn block_if_not(&mut self, callee: &str, args: &[String], stmt: &str) {
        self.call_stmt("if !", callee, args, " {");
        self.line(&format!("    {stmt}"));
        self.line("}");
    }

    fn finish(self) -> String {
        self.out
    }
}
