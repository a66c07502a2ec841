//! Host bindings: the `proxy-wasm-host-abi` crate.
//!
//! Per ABI version, one trait per host module (`Host` for the proxy functions, `Wasi` for WASI)
//! with one method per host function (typed values, input buffers as slices, outputs as the
//! return value, a default body that refuses the call), its `add_*to_linker` with the wasmtime
//! glue that checks every raw argument first, and `Callbacks`, a typed caller for the plugin's
//! exports. For older versions, `*ViaLatest` traits serve the version through the newest
//! version's implementation ([`lift`]). Across versions, the version enum with its detection,
//! linking by version and a callback caller for a plugin of any version ([`versions`]).
//!
//! Templates render the Rust and `prettyplease` lays it out, so no layout rule lives here.

mod lift;
mod versions;

use crate::guest::{doc_lines, ensure_newline, preamble};
use crate::signature::rust_builtin;
use crate::{Files, Inputs, names};
use askama::Template;
use lift::Lifted;
use proxy_wasm_spec::ir::{Abi, Builtin, Function, Side, TypeDefKind, TypeRef, WasmType};
use std::collections::BTreeSet;
use std::fmt;

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
    /// A template rendered something that is not Rust: a bug of the generator.
    Syntax {
        /// The file.
        file: String,
        /// What `syn` said.
        error: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Template(e) => write!(f, "{e}"),
            Error::Unsupported(what) => write!(f, "host glue: {what}"),
            Error::NotRendered(what) => write!(f, "{what}"),
            Error::Syntax { file, error } => write!(f, "host glue: {file} is not Rust: {error}"),
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
    title: String,
    docs: Vec<String>,
    version: String,
    marker: Option<String>,
    types: Vec<crate::guest::Item>,
    status_helpers: Vec<String>,
    conversions: Vec<String>,
    traits: Vec<HostTrait>,
    glue: Vec<String>,
    signatures: Vec<String>,
    callers: Vec<String>,
}

/// The functions of one host module.
struct HostTrait {
    /// `Host`.
    name: String,
    /// The wasm import module.
    import_module: String,
    /// What the module is, as doc lines.
    docs: Vec<String>,
    /// `add_to_linker`.
    linker_fn: String,
    /// `host_refused`.
    refused_fn: String,
    methods: Vec<String>,
    registrations: Vec<String>,
    /// For an older version: the trait that serves it through the newest version's.
    via: Option<ViaLatest>,
}

struct ViaLatest {
    /// `HostViaLatest`.
    name: String,
    /// `crate::v0_2_1::Host`.
    latest_trait: String,
    /// `0.2.1`.
    latest_version: String,
    methods: Vec<String>,
    forwards: Vec<String>,
}

#[derive(Template)]
#[template(path = "host/lib.rs", escape = "none")]
struct Lib {
    modules: Vec<String>,
    /// The newest version's module.
    latest: String,
    /// The older versions' modules.
    older: Vec<String>,
}

#[derive(Template)]
#[template(path = "host/glue.rs", escape = "none")]
struct Glue;

#[derive(Template)]
#[template(path = "host/Cargo.toml", escape = "none")]
struct CargoToml {
    preamble: String,
}

/// The host crate for every released version.
pub fn render(inputs: &Inputs) -> Result<Files, Error> {
    let Some(latest) = inputs.versions.last() else {
        return Err(Error::Unsupported("there is no released version".into()));
    };
    let mut files = Files::new();
    let mut modules = Vec::new();
    let mut versions = Vec::new();
    for abi in &inputs.versions {
        let module = names::rust_module(&abi.name);
        let conversions = (abi.name != latest.name).then(|| Conversions::new(abi, latest));
        let text = version(abi, latest, conversions.as_ref())?;
        files.insert(format!("host/src/{module}.rs"), rust(&module, &text)?);
        versions.push((abi, conversions));
        modules.push(module);
    }
    files.insert(
        "host/src/versions.rs".into(),
        rust("versions", &versions::render(&versions)?)?,
    );
    let lib = Lib {
        latest: names::rust_module(&latest.name),
        older: modules[..modules.len() - 1].to_vec(),
        modules,
    };
    files.insert("host/src/lib.rs".into(), rust("lib", &lib.render()?)?);
    // The same in every version: a template that is already laid out as rustfmt would.
    files.insert(
        "host/src/glue.rs".into(),
        format!("{}\n{}", preamble("//"), Glue.render()?),
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

/// Keeps rustfmt off a file `prettyplease` laid out: the two differ in places (chains, struct
/// patterns, blank lines), and `cargo fmt --check` must pass without rustfmt being needed here.
const RUSTFMT_SKIP: &str = "#![cfg_attr(rustfmt, rustfmt::skip)]";

/// Rust source laid out by `prettyplease`, under the preamble (a plain comment, which `syn`
/// would drop).
fn rust(file: &str, source: &str) -> Result<String, Error> {
    let parsed = syn::parse_file(source).map_err(|e| Error::Syntax {
        file: file.to_string(),
        error: e.to_string(),
    })?;
    Ok(format!(
        "{}\n{RUSTFMT_SKIP}\n{}",
        preamble("//"),
        prettyplease::unparse(&parsed)
    ))
}

/// One version's module. `conversions` is set for versions older than `latest`.
fn version(abi: &Abi, latest: &Abi, conversions: Option<&Conversions>) -> Result<String, Error> {
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
    if let Some(f) = abi.functions.iter().find(|f| {
        !abi.modules
            .iter()
            .any(|m| m.side == Side::Host && m.import_module == f.module)
    }) {
        return Err(Error::Unsupported(format!(
            "`{}` is imported from `{}`, which is not a host module",
            f.name, f.module
        )));
    }
    let mut traits = Vec::new();
    let mut glue = Vec::new();
    for m in abi.modules.iter().filter(|m| m.side == Side::Host) {
        let name = names::host_trait(&m.name);
        let latest_trait = format!("crate::{}::{name}", names::rust_module(&latest.name));
        let mut methods = Vec::new();
        let mut registrations = Vec::new();
        let mut via_methods = Vec::new();
        let mut forwards = Vec::new();
        let via_name = names::via_latest_trait(&m.name);
        let refused_fn = names::refused_fn(&m.name);
        for f in abi.functions.iter().filter(|f| f.module == m.import_module) {
            let lifted = Lifted::new(abi, f)?;
            methods.push(lifted.method());
            registrations.push(lifted.registration());
            glue.push(lifted.glue(&name, &refused_fn));
            if let Some(conversions) = conversions {
                let newest = latest
                    .function(&f.name)
                    .filter(|g| g.module == f.module)
                    .map(|g| Lifted::new(latest, g))
                    .transpose()?;
                via_methods.push(lifted.via_method(
                    &name,
                    newest.as_ref(),
                    &latest_trait,
                    conversions,
                ));
                forwards.push(lifted.forward(&via_name));
            }
        }
        traits.push(HostTrait {
            docs: doc_lines(&m.docs),
            import_module: m.import_module.clone(),
            linker_fn: names::linker_fn(&m.name),
            refused_fn,
            methods,
            registrations,
            via: conversions.map(|_| ViaLatest {
                name: via_name,
                latest_trait,
                latest_version: latest.name.clone(),
                methods: via_methods,
                forwards,
            }),
            name,
        });
    }
    let callbacks: Vec<&Function> = abi.callbacks.iter().filter(|f| !f.marker).collect();
    let signatures = callbacks.iter().map(|f| signature_entry(f)).collect();
    let callers = (callbacks.iter().enumerate())
        .map(|(index, f)| caller(abi, index, f))
        .collect::<Result<_, _>>()?;
    Ok(Version {
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
        conversions: conversions.map(|c| c.impls.clone()).unwrap_or_default(),
        traits,
        glue,
        signatures,
        callers,
    }
    .render()?)
}

/// `From` conversions between an older version's enums and the latest version's, which serve
/// the older version through the latest implementation: upward when every member (name and
/// number) is also in the latest enum, downward too when the members are the same.
struct Conversions {
    /// Enums that convert to the latest version's.
    up: BTreeSet<String>,
    /// Enums the latest version's convert to.
    down: BTreeSet<String>,
    /// The `impl From` items.
    impls: Vec<String>,
}

impl Conversions {
    fn new(abi: &Abi, latest: &Abi) -> Self {
        let latest_module = names::rust_module(&latest.name);
        let mut conversions = Conversions {
            up: BTreeSet::new(),
            down: BTreeSet::new(),
            impls: Vec::new(),
        };
        for t in &abi.types {
            if let (
                TypeDefKind::Struct { fields: old },
                Some(TypeDefKind::Struct { fields: new }),
            ) = (&t.def, latest.type_def(&t.name).map(|d| &d.def))
            {
                let same = old.len() == new.len()
                    && old.iter().zip(new).all(|(a, b)| {
                        a.name == b.name
                            && host_field_type(abi, &a.ty) == host_field_type(latest, &b.ty)
                            && matches!(abi.resolve(&a.ty), TypeRef::Builtin { .. })
                    });
                if same {
                    let name = names::rust_type(&t.name);
                    let there = format!("crate::{latest_module}::{name}");
                    let fields: String = old
                        .iter()
                        .map(|f| {
                            let f = names::rust_ident(&f.name);
                            format!("{f}: value.{f},")
                        })
                        .collect();
                    for (from, to) in [(&name, &there), (&there, &name)] {
                        conversions.impls.push(format!(
                            "impl From<{from}> for {to} {{ fn from(value: {from}) -> Self {{ Self {{ {fields} }} }} }}"
                        ));
                    }
                    conversions.up.insert(name.clone());
                    conversions.down.insert(name);
                }
                continue;
            }
            let (
                TypeDefKind::Enum { values: old, .. },
                Some(TypeDefKind::Enum { values: new, .. }),
            ) = (&t.def, latest.type_def(&t.name).map(|d| &d.def))
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
            let arms = |from: &str| {
                old.iter()
                    .map(|v| {
                        let variant = names::rust_variant(&v.name);
                        format!("{from}::{variant} => Self::{variant},")
                    })
                    .collect::<String>()
            };
            conversions.impls.push(format!(
                "impl From<{name}> for {there} {{ fn from(value: {name}) -> Self {{ match value {{ {} }} }} }}",
                arms(&name)
            ));
            if old_keys.len() == new_keys.len() {
                conversions.impls.push(format!(
                    "impl From<{there}> for {name} {{ fn from(value: {there}) -> Self {{ match value {{ {} }} }} }}",
                    arms(&there)
                ));
                conversions.down.insert(name.clone());
            }
            conversions.up.insert(name);
        }
        conversions
    }
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
        "/// The wasm result for a `{}`.\nfn {}({var}: {}) -> u32 {{ {body} }}",
        st.rust, st.raw_fn, st.rust
    ))
}

/// `sig("proxy_on_tick", &[Wasm::I32], &[]),`: a callback's entry in `CALLBACKS`.
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
    format!(
        "sig({:?}, &[{}], &[{}]),",
        f.name,
        list(f.wasm_params()),
        list(f.wasm_results())
    )
}

/// What a callback returns, as its typed caller hands it back.
enum Finish {
    Unit,
    Plain,
    Bool,
    Enum,
}

/// The Rust type of a callback's result (`()` for none) and how the caller decodes it.
fn callback_result(abi: &Abi, f: &Function) -> (String, Finish) {
    let Some(r) = f.results.first() else {
        return ("()".to_string(), Finish::Unit);
    };
    let resolved = abi.resolve(&r.ty);
    match named_def(abi, resolved) {
        Some(TypeDefKind::Enum { .. }) => (value_type(abi, resolved), Finish::Enum),
        _ if value_type(abi, &r.ty) == "bool" => ("bool".to_string(), Finish::Bool),
        _ => (value_type(abi, &r.ty), Finish::Plain),
    }
}

/// The definition of a named type.
fn named_def<'a>(abi: &'a Abi, t: &TypeRef) -> Option<&'a TypeDefKind> {
    match t {
        TypeRef::Named { name } => abi.type_def(name).map(|d| &d.def),
        _ => None,
    }
}

/// A typed caller method for one callback, the one at `index` of `CALLBACKS`.
fn caller(abi: &Abi, index: usize, f: &Function) -> Result<String, Error> {
    let mut params = vec!["&self".to_string(), "store: impl AsContextMut".to_string()];
    let mut args = Vec::new();
    for p in &f.params {
        let name = names::rust_ident(&p.name);
        let ty = value_type(abi, &p.ty);
        args.push(match named_def(abi, abi.resolve(&p.ty)) {
            Some(TypeDefKind::Enum { repr, .. }) => {
                format!("{}::from({name})", rust_builtin(*repr))
            }
            Some(TypeDefKind::Flags { .. }) => format!("{name}.0"),
            _ if ty == "bool" => format!("u32::from({name})"),
            _ => name.clone(),
        });
        params.push(format!("{name}: {ty}"));
    }
    let (ok, finish) = callback_result(abi, f);
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
    let args = match args.len() {
        1 => args[0].clone(),
        _ => format!("({})", args.join(", ")),
    };
    let finish = match finish {
        Finish::Unit | Finish::Plain => "Ok(raw)".to_string(),
        Finish::Bool => "Ok(raw.map(|v| v != 0))".to_string(),
        Finish::Enum => format!("glue::decode({:?}, raw)", f.name),
    };
    let mut s: String = doc_lines(&docs)
        .iter()
        .map(|line| format!("///{line}\n"))
        .collect();
    s.push_str(&format!(
        "pub fn {}({}) -> Result<Option<{ok}>, CallError> {{ let args = {args}; let raw: Option<{raw_result}> = self.call(store, {index}, args)?; {finish} }}",
        names::rust_ident(&f.name),
        params.join(", "),
    ));
    Ok(s)
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
