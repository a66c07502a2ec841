//! The validated ABI: plain data with every name resolved, for generators, probes and hosts.
//! Names are written without `$`. Nothing here refers back to the source text.

use serde::{Deserialize, Serialize};

/// One ABI: a released version ("0.2.1") or another described interface ("envoy-2020").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Abi {
    /// The name given by `(@abi "NAME")`; for plain witx, the entry document's file name without
    /// its extension.
    pub name: String,
    /// What the documents say: this project's dialect, or plain witx.
    #[serde(default)]
    pub dialect: Dialect,
    /// The version number, when the name is one.
    pub version: Option<Version>,
    /// The export that marks a module as built for this ABI.
    pub marker: Option<String>,
    /// Release date, `YYYY-MM-DD`.
    pub released: Option<String>,
    /// What this ABI is.
    pub docs: String,
    /// Hosts that annotations name.
    pub hosts: Vec<Host>,
    /// Wire formats that parameters name.
    pub formats: Vec<Format>,
    /// Named types, in source order.
    pub types: Vec<TypeDef>,
    /// Named values of types (witx 0.9 `(@witx const ...)`), in source order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constants: Vec<Constant>,
    /// Function groups, in source order.
    pub modules: Vec<Module>,
    /// Host functions: what a plugin imports.
    pub functions: Vec<Function>,
    /// Callbacks: what a plugin exports and the host calls.
    pub callbacks: Vec<Function>,
}

/// Which facts a document set states.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    /// The entry document has `(@abi ...)`: every function states its statuses, contexts and
    /// level, every pointer parameter its direction, every item its docs.
    #[default]
    ProxyWasm,
    /// Plain witx: only what witx says. Statuses and contexts are not stated (their lists are
    /// empty), a `(@witx pointer T)` parameter has [`Direction::Unknown`], and docs may be empty.
    Witx,
}

/// `major.minor.patch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Version {
    /// Major: breaking changes.
    pub major: u32,
    /// Minor: new functions.
    pub minor: u32,
    /// Patch: new enum values.
    pub patch: u32,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl std::str::FromStr for Version {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('.').collect();
        let num = |p: &str| {
            (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<u32>().ok())
                .flatten()
        };
        match parts.as_slice() {
            [a, b, c] => match (num(a), num(b), num(c)) {
                (Some(major), Some(minor), Some(patch)) => Ok(Version {
                    major,
                    minor,
                    patch,
                }),
                _ => Err(format!("`{s}` is not a version like \"0.2.1\"")),
            },
            _ => Err(format!("`{s}` is not a version like \"0.2.1\"")),
        }
    }
}

/// A host that annotations can name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Host {
    /// Identifier used in annotations.
    pub name: String,
    /// Human-readable name.
    pub title: String,
    /// The source revision the facts were read from.
    pub source: String,
    /// Notes.
    pub docs: String,
}

/// A wire format.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Format {
    /// Identifier used by `(@format $name)`.
    pub name: String,
    /// Human-readable title.
    pub title: String,
    /// The layout, in prose.
    pub docs: String,
}

/// Whether a fact comes from the spec text or from the reference implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Stated by the published spec text.
    Spec,
    /// Not in the spec text; what the named implementation does.
    Reference,
}

/// A builtin type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Builtin {
    U8,
    U16,
    U32,
    U64,
    S8,
    S16,
    S32,
    S64,
    Usize,
    Char8,
    Bool,
    /// A Unicode scalar value in 32 bits (witx 0.9 `char`).
    Char,
    String,
    F32,
    F64,
}

impl Builtin {
    /// True for the integer types that can represent an enum.
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            Builtin::U8
                | Builtin::U16
                | Builtin::U32
                | Builtin::U64
                | Builtin::S8
                | Builtin::S16
                | Builtin::S32
                | Builtin::S64
        )
    }

    /// The range of values the type holds, for integer types.
    pub fn range(self) -> Option<(i128, i128)> {
        Some(match self {
            Builtin::U8 => (0, u8::MAX.into()),
            Builtin::U16 => (0, u16::MAX.into()),
            Builtin::U32 => (0, u32::MAX.into()),
            Builtin::U64 => (0, u64::MAX.into()),
            Builtin::S8 => (i8::MIN.into(), i8::MAX.into()),
            Builtin::S16 => (i16::MIN.into(), i16::MAX.into()),
            Builtin::S32 => (i32::MIN.into(), i32::MAX.into()),
            Builtin::S64 => (i64::MIN.into(), i64::MAX.into()),
            _ => return None,
        })
    }

    /// The keyword as written.
    pub fn keyword(self) -> &'static str {
        match self {
            Builtin::U8 => "u8",
            Builtin::U16 => "u16",
            Builtin::U32 => "u32",
            Builtin::U64 => "u64",
            Builtin::S8 => "s8",
            Builtin::S16 => "s16",
            Builtin::S32 => "s32",
            Builtin::S64 => "s64",
            Builtin::Usize => "usize",
            Builtin::Char8 => "char8",
            Builtin::Bool => "bool",
            Builtin::Char => "char",
            Builtin::String => "string",
            Builtin::F32 => "f32",
            Builtin::F64 => "f64",
        }
    }
}

/// A reference to a type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TypeRef {
    /// A builtin.
    Builtin {
        /// Which.
        name: Builtin,
    },
    /// A named type of [`Abi::types`].
    Named {
        /// Its name.
        name: String,
    },
    /// A pointer the host may write through.
    Pointer {
        /// The pointee.
        to: Box<TypeRef>,
    },
    /// A pointer the host only reads through.
    ConstPointer {
        /// The pointee.
        to: Box<TypeRef>,
    },
    /// A sequence of values in guest memory, passed as address and count (witx 0.9 `list`,
    /// witx 0.6 `array`).
    List {
        /// The element type.
        of: Box<TypeRef>,
    },
    /// Values side by side, laid out like a struct (witx 0.9 `tuple`).
    Tuple {
        /// The member types in order.
        members: Vec<TypeRef>,
    },
    /// A tagged union written in place (witx 0.9 `variant` or `expected`).
    Variant {
        /// The integer type the tag is carried in.
        tag: Builtin,
        /// The cases, in tag order.
        cases: Vec<Case>,
    },
}

/// A wasm value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum WasmType {
    I32,
    I64,
    F32,
    F64,
}

/// A named type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TypeDef {
    /// The name.
    pub name: String,
    /// What it means.
    pub docs: String,
    /// Spec or reference.
    pub level: Level,
    /// Where a reference-level type comes from.
    pub reference: Option<String>,
    /// The version it appeared in, if gated.
    pub since: Option<String>,
    /// What it is.
    #[serde(flatten)]
    pub def: TypeDefKind,
}

/// The body of a named type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TypeDefKind {
    /// Another name for a type.
    Alias {
        /// The type it names.
        target: TypeRef,
    },
    /// A closed set of numbers.
    Enum {
        /// The integer type the values are carried in.
        repr: Builtin,
        /// Members in source order.
        values: Vec<EnumValue>,
    },
    /// A set of bits.
    Flags {
        /// The integer type the bits are carried in.
        repr: Builtin,
        /// Members in source order.
        values: Vec<EnumValue>,
    },
    /// A record in guest memory (witx `struct`, witx 0.9 `record`).
    Struct {
        /// Fields in order.
        fields: Vec<Field>,
    },
    /// An opaque 32-bit handle.
    Handle,
    /// A tagged union: a tag, then the payload of its case (witx 0.9 `variant`, `union` and
    /// `expected`; the cases of an `expected` are `ok` and `err`).
    Variant {
        /// The integer type the tag is carried in.
        tag: Builtin,
        /// The cases, in tag order.
        cases: Vec<Case>,
    },
    /// An untagged union: the fields share one place in memory (witx 0.6 `union`).
    Union {
        /// The alternatives.
        fields: Vec<Field>,
    },
}

/// A case of a tagged union.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// The name.
    pub name: String,
    /// The payload, if the case has one.
    #[serde(rename = "type")]
    pub ty: Option<TypeRef>,
    /// What it means.
    pub docs: String,
}

/// A named value of a type (witx 0.9 `(@witx const $type $name VALUE)`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Constant {
    /// The type it is a value of.
    #[serde(rename = "type")]
    pub ty: String,
    /// Its name.
    pub name: String,
    /// The value.
    pub value: u64,
    /// What it means.
    pub docs: String,
}

/// An enum or flags member.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnumValue {
    /// The name.
    pub name: String,
    /// Its number.
    pub value: i64,
    /// What it means.
    pub docs: String,
    /// Spec or reference.
    pub level: Level,
    /// Where a reference-level value comes from.
    pub reference: Option<String>,
    /// The version it appeared in, if gated.
    pub since: Option<String>,
    /// Callbacks in which the buffer or map this value names may be used.
    pub available_in: Vec<Availability>,
}

/// Where a buffer or map may be used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Availability {
    /// Read only, or read and modify.
    pub access: Access,
    /// The callback.
    pub callback: String,
}

/// Access to a buffer or map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// May be read.
    Read,
    /// May be read and modified.
    ReadWrite,
}

/// A struct field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The name.
    pub name: String,
    /// The type.
    #[serde(rename = "type")]
    pub ty: TypeRef,
    /// What it holds.
    pub docs: String,
}

/// Who implements a module's functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The host; the plugin imports them.
    Host,
    /// The plugin; the host calls them.
    Guest,
}

/// A group of functions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Module {
    /// The name in the document.
    pub name: String,
    /// The wasm import module name (host modules).
    pub import_module: String,
    /// Who implements it.
    pub side: Side,
    /// The type every function's result must have, if any.
    pub status_type: Option<String>,
    /// Whether the module imports the plugin's memory.
    pub imports_memory: bool,
    /// The memory imports as written, `(import "NAME" (memory))`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub memory_imports: Vec<MemoryImport>,
    /// Other wasm import module names the host serves the same functions under.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<ModuleAlias>,
    /// What the module is.
    pub docs: String,
}

/// `(@also_import_module "NAME" (@reference "..."))`: the host serves the module's functions
/// under this import module name too.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModuleAlias {
    /// The other import module name.
    pub name: String,
    /// The host that does so.
    pub reference: String,
}

/// `(import "NAME" (memory))`: the module uses the plugin's memory under that import name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryImport {
    /// The import name.
    pub name: String,
    /// What the document says of it.
    pub docs: String,
}

/// Where a function may be called, or which context a callback receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContextKind {
    /// During `_initialize`/`_start`/`main`.
    Start,
    /// The plugin (root) context.
    Root,
    /// An HTTP or TCP stream context.
    Stream,
    /// Anywhere.
    Any,
}

/// A host function or callback.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Function {
    /// The export/import name.
    pub name: String,
    /// The wasm import module (host functions) or the document module (callbacks).
    pub module: String,
    /// What it does.
    pub docs: String,
    /// Parameters, in wasm order.
    pub params: Vec<Param>,
    /// Results.
    pub results: Vec<Param>,
    /// Status codes it may return.
    pub statuses: Vec<StatusCase>,
    /// Where it may be called / which context it receives.
    pub contexts: Vec<ContextKind>,
    /// Spec or reference.
    pub level: Level,
    /// Where a reference-level function comes from.
    pub reference: Option<String>,
    /// The sentence of this version's spec text that says what it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<Citation>,
    /// The version it appeared in, if gated.
    pub since: Option<String>,
    /// The version it was removed in, if gated.
    pub until: Option<String>,
    /// What replaced it.
    pub replaced_by: Option<Replacement>,
    /// Why it is deprecated.
    pub deprecated: Option<String>,
    /// Other names hosts accept.
    pub aliases: Vec<Alias>,
    /// How hosts deviate.
    pub deviations: Vec<Deviation>,
    /// Where the published spec text is wrong or silent.
    pub errata: Vec<String>,
    /// True for the ABI version marker export.
    pub marker: bool,
    /// True if the function never returns (witx 0.9 `(@witx noreturn)`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub noreturn: bool,
}

impl Function {
    /// The wasm parameter types, in order: the parameters', then the pointers results are
    /// written through.
    pub fn wasm_params(&self) -> Vec<WasmType> {
        self.params
            .iter()
            .flat_map(|p| p.wasm_types.iter().copied())
            .chain(
                self.results
                    .iter()
                    .flat_map(|r| r.out_pointers.iter().copied()),
            )
            .collect()
    }

    /// The wasm result types, in order.
    pub fn wasm_results(&self) -> Vec<WasmType> {
        self.results
            .iter()
            .flat_map(|p| p.wasm_types.iter().copied())
            .collect()
    }
}

/// A parameter or result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// The name.
    pub name: String,
    /// The type.
    #[serde(rename = "type")]
    pub ty: TypeRef,
    /// The wasm values it occupies: parameters in the wasm parameters, results in the wasm
    /// results.
    pub wasm_types: Vec<WasmType>,
    /// For a result: the wasm parameters, after all others, that point to where the callee
    /// writes the result (plain witx: a second result in witx 0.6, the value of an `expected`
    /// in witx 0.9).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub out_pointers: Vec<WasmType>,
    /// Which way data flows.
    pub direction: Direction,
    /// Its part in a pointer convention.
    pub role: Role,
    /// The parameter it pairs with (a buffer's length, or a length's buffer).
    pub pair: Option<String>,
    /// The wire format of the bytes, for buffers.
    pub format: Option<String>,
    /// The version it appeared in, if gated.
    pub since: Option<String>,
    /// What a host returns for a value outside the parameter's enum, for enum-typed inputs of
    /// host functions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid: Option<Invalid>,
    /// What it carries.
    pub docs: String,
}

/// How a host treats an enum-typed input that is not a member of its enum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Invalid {
    /// The call fails with this status code and does nothing else.
    Status {
        /// The status member's name.
        code: String,
        /// Its number.
        value: i64,
    },
    /// The raw number reaches the implementation, which gives it a meaning.
    Unchecked {
        /// Why, and what implementations do with such values.
        why: String,
    },
}

/// Which way a parameter's data flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From caller to callee.
    In,
    /// The host writes into guest memory.
    Out,
    /// The function's return value.
    Return,
    /// The document does not say: a `(@witx pointer T)` parameter of plain witx, which the
    /// callee may read, write or both.
    Unknown,
}

/// A parameter's part in a pointer convention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A plain value, or (plain witx) a pointer in no convention the document states.
    Value,
    /// An input buffer's address: the callee reads there.
    InputData,
    /// An input buffer's length.
    InputLength,
    /// Where the host writes one value.
    OutValue,
    /// A guest-provided buffer the host fills.
    FillData,
    /// That buffer's length.
    FillLength,
    /// Where the host writes the address of a buffer it allocated through the guest allocator.
    AllocData,
    /// Where the host writes that buffer's length.
    AllocLength,
}

/// One status code a function may return, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusCase {
    /// The status member's name.
    pub code: String,
    /// Its number.
    pub value: i64,
    /// When it is returned.
    pub condition: String,
    /// Spec or reference.
    pub level: Level,
    /// Which implementation returns it, for reference-level cases.
    pub reference: Option<String>,
    /// The sentence of this version's spec text that states it, for spec-level cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<Citation>,
    /// The version it applies from, if gated.
    pub since: Option<String>,
}

/// A line of a published spec text (proxy-wasm/spec `abi-versions/vX.Y.Z/README.md`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Citation {
    /// The ABI version whose text it is.
    pub version: String,
    /// The heading the line stands under, e.g. `proxy_get_header_map_value` or
    /// `wasi_snapshot_preview1.fd_write`.
    pub section: String,
    /// The line, counted from 1.
    pub line: u32,
}

/// A replacement for a removed function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Replacement {
    /// The function that replaced it.
    pub function: String,
    /// How to use it instead.
    pub how: String,
}

/// Another name a host accepts for a function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alias {
    /// The other name.
    pub name: String,
    /// The host that accepts it.
    pub host: String,
    /// Remarks.
    pub note: String,
}

/// How one host deviates from the spec.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deviation {
    /// The host.
    pub host: String,
    /// What differs.
    pub text: String,
}

impl Abi {
    /// A named type by name.
    pub fn type_def(&self, name: &str) -> Option<&TypeDef> {
        self.types.iter().find(|t| t.name == name)
    }

    /// A host function by name.
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// A callback by name.
    pub fn callback(&self, name: &str) -> Option<&Function> {
        self.callbacks.iter().find(|f| f.name == name)
    }

    /// Follows aliases to a type that is not an alias.
    pub fn resolve<'t>(&'t self, t: &'t TypeRef) -> &'t TypeRef {
        let mut cur = t;
        for _ in 0..=self.types.len() {
            let TypeRef::Named { name } = cur else {
                return cur;
            };
            match self.type_def(name).map(|d| &d.def) {
                Some(TypeDefKind::Alias { target }) => cur = target,
                _ => return cur,
            }
        }
        cur
    }
}

#[cfg(test)]
mod tests {
    use super::Version;

    #[test]
    fn versions_parse_and_order() {
        let v: Version = "0.2.1".parse().expect("valid");
        assert_eq!(v.to_string(), "0.2.1");
        assert!(v > "0.2.0".parse::<Version>().expect("valid"));
        for bad in [
            "0.2",
            "0.2.1.0",
            "a.b.c",
            "",
            "0..1",
            "+1.0.0",
            "99999999999.0.0",
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?} accepted");
        }
    }
}
