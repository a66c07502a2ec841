//! One host function lifted from raw wasm values to a typed trait method: what each raw
//! parameter becomes, what the method returns, and the method, the glue and (for older
//! versions) the delegation to the newest version rendered from that.

use super::{
    Conversions, Error, IOVEC_ARRAY, STRING_LIST, StatusType, is_bytes, one_line, raw_scalar,
    unsupported, value_type,
};
use crate::guest::doc_lines;
use crate::names;
use crate::signature::rust_builtin;
use proxy_wasm_spec::ir::{
    Abi, Builtin, Field, Function, Invalid, Param, Role, Side, TypeDefKind, TypeRef, WasmType,
};

/// clippy's default `too_many_arguments` threshold.
const CLIPPY_MAX_ARGS: usize = 7;

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

#[derive(Clone)]
enum Write {
    U32,
    U64,
    /// A u8 or u16, in its own size.
    Narrow(u32),
    /// A struct of integer fields, laid out with natural alignment: its size and, per field,
    /// the Rust field name, offset and size.
    Struct {
        size: u32,
        fields: Vec<(String, u32, u32)>,
    },
    /// An enum or bool carried as u32.
    IntoU32,
    /// A flags newtype carried as u32.
    FlagsU32,
}

/// A host function as its trait method and glue see it.
pub(super) struct Lifted<'a> {
    f: &'a Function,
    status: Option<StatusType>,
    raw_params: Vec<(String, String)>,
    lifts: Vec<Lift>,
    outputs: Vec<Output>,
    /// The import module names the function is registered under: its module's, then the aliases.
    import_modules: Vec<String>,
}

impl<'a> Lifted<'a> {
    pub(super) fn new(abi: &Abi, f: &'a Function) -> Result<Self, Error> {
        let module = abi
            .modules
            .iter()
            .find(|m| m.side == Side::Host && m.import_module == f.module);
        let import_modules = std::iter::once(f.module.clone())
            .chain(
                module
                    .iter()
                    .flat_map(|m| m.aliases.iter().map(|a| a.name.clone())),
            )
            .collect();
        let status = match module.and_then(|m| m.status_type.as_deref()) {
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
            import_modules,
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
    /// `fn name(&mut self, ...) -> Result<..., HostError<Status>>`, or `Result<(), Trap>` for a
    /// function without a status.
    fn signature(&self) -> String {
        let params: Vec<String> = std::iter::once("&mut self".to_string())
            .chain(
                self.method_params()
                    .iter()
                    .map(|(n, t)| format!("{n}: {t}")),
            )
            .collect();
        let ret = match &self.status {
            Some(st) => format!("Result<{}, glue::HostError<{}>>", self.ok_type(), st.rust),
            None => "Result<(), glue::Trap>".to_string(),
        };
        let allow = if params.len() > CLIPPY_MAX_ARGS {
            "#[allow(clippy::too_many_arguments, reason = \"the ABI fixes the arity\")]\n"
        } else {
            ""
        };
        format!(
            "{allow}fn {}({}) -> {ret}",
            self.method_name(),
            params.join(", ")
        )
    }

    /// The default answer: the "unimplemented" status, or a trap for a function without one.
    fn refusal(&self) -> String {
        let params: Vec<String> = self.method_params().into_iter().map(|(n, _)| n).collect();
        let unused = match params.len() {
            0 => String::new(),
            1 => format!("let _ = {};", params[0]),
            _ => format!("let _ = ({});", params.join(", ")),
        };
        let refuse = match &self.status {
            Some(st) => format!("Err(glue::HostError::Status({}))", st.unimplemented),
            None => format!("Err(glue::Trap::unimplemented({:?}))", self.f.name),
        };
        format!("{unused} {refuse}")
    }

    /// The trait method, documented, with its default body.
    pub(super) fn method(&self) -> String {
        let mut text = self.f.docs.clone();
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
                format!("- `{name}`: {}", self.param_docs(raw))
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
                format!("- to {pointers}: {}", self.param_docs(raw))
            })
            .collect();
        if !outputs.is_empty() {
            text.push_str("\n\nReturns what the glue writes, on success only:\n");
            text.push_str(&outputs.join("\n"));
        }
        format!(
            "{}{} {{ {} }}",
            doc_comment(&text),
            self.signature(),
            self.refusal()
        )
    }

    /// The method of the trait that serves an older version through the newest one's
    /// implementation `latest` (trait path `latest_trait`): delegated when the newest version
    /// has the function with a signature this one converts to, else refused as in `trait_name`.
    pub(super) fn via_method(
        &self,
        trait_name: &str,
        latest: Option<&Lifted>,
        latest_trait: &str,
        conversions: &Conversions,
    ) -> String {
        let name = self.method_name();
        let delegated = latest.and_then(|l| self.delegation(l, latest_trait, conversions));
        let (docs, body) = match delegated {
            Some(call) => (
                format!("[`{trait_name}::{name}`], served by [`{latest_trait}::{name}`]."),
                call,
            ),
            None => (
                format!(
                    "[`{trait_name}::{name}`], which `{latest_trait}` {}: refused as there until \
                     implemented here.",
                    if latest.is_some() {
                        "has with types this version does not convert to"
                    } else {
                        "does not have"
                    }
                ),
                self.refusal(),
            ),
        };
        format!("{}{} {{ {body} }}", doc_comment(&docs), self.signature())
    }

    /// The call of the newest version's method, its enum arguments converted up and its
    /// outputs and status converted back; `None` if some type does not convert.
    fn delegation(
        &self,
        latest: &Lifted,
        latest_trait: &str,
        conv: &Conversions,
    ) -> Option<String> {
        let (mine, theirs) = (self.method_params(), latest.method_params());
        if mine.len() != theirs.len() || self.ok_type() != latest.ok_type() {
            return None;
        }
        let map_err = match (&self.status, &latest.status) {
            (Some(a), Some(b)) if a.rust == b.rust && conv.down.contains(&a.rust) => {
                format!(".map_err(|e| e.map_status({}::from))", a.rust)
            }
            (None, None) => String::new(),
            _ => return None,
        };
        let mut args = Vec::new();
        for (lift, ((name, ty), (_, their_ty))) in self.lifts.iter().zip(mine.iter().zip(&theirs)) {
            if ty != their_ty {
                return None;
            }
            args.push(match lift {
                Lift::Value {
                    decode: Decode::Enum { .. },
                    ..
                } if conv.up.contains(ty) => format!("{name}.into()"),
                Lift::Value {
                    decode: Decode::Enum { .. } | Decode::Flags { .. },
                    ..
                } => return None,
                _ => name.clone(),
            });
        }
        let mut converted = Vec::new();
        for (i, o) in self.outputs.iter().enumerate() {
            converted.push(match o {
                Output::Value {
                    ty,
                    write: Write::IntoU32,
                    ..
                } if ty != "bool" => {
                    if !conv.down.contains(ty) {
                        return None;
                    }
                    format!("o{i}.into()")
                }
                Output::Value {
                    write: Write::FlagsU32,
                    ..
                } => return None,
                Output::Value {
                    ty,
                    write: Write::Struct { .. },
                    ..
                } => {
                    if !conv.down.contains(ty) {
                        return None;
                    }
                    format!("o{i}.into()")
                }
                _ => format!("o{i}"),
            });
        }
        let map_ok = if converted.iter().all(|c| !c.ends_with(".into()")) {
            String::new()
        } else if converted.len() == 1 {
            ".map(Into::into)".to_string()
        } else {
            let bound: Vec<String> = (0..converted.len()).map(|i| format!("o{i}")).collect();
            format!(".map(|({})| ({}))", bound.join(", "), converted.join(", "))
        };
        Some(format!(
            "{latest_trait}::{}(self, {}){map_ok}{map_err}",
            self.method_name(),
            args.join(", ")
        ))
    }

    /// The method of the blanket `impl<T: Via> Trait for T`: `via`'s method.
    pub(super) fn forward(&self, via: &str) -> String {
        let args: Vec<String> = self.method_params().into_iter().map(|(n, _)| n).collect();
        let args = std::iter::once("self".to_string())
            .chain(args)
            .collect::<Vec<_>>();
        format!(
            "{} {{ {via}::{}({}) }}",
            self.signature(),
            self.method_name(),
            args.join(", ")
        )
    }

    /// `linker.func_wrap("env", "proxy_log", proxy_log::<T>)?;`, once per import module name.
    pub(super) fn registration(&self) -> String {
        self.import_modules
            .iter()
            .map(|module| {
                format!(
                    "linker.func_wrap({module:?}, {:?}, {}::<T>)?;",
                    self.f.name,
                    self.method_name()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The glue function: checks and lifts the raw arguments, calls the `trait_name` method,
    /// writes its outputs.
    pub(super) fn glue(&self, trait_name: &str, refused_fn: &str) -> String {
        let name = self.method_name();
        let ret = match &self.status {
            Some(_) => "wasmtime::Result<u32>",
            None => "wasmtime::Result<()>",
        };
        let params: Vec<String> = std::iter::once("mut caller: Caller<'_, T>".to_string())
            .chain(self.raw_params.iter().map(|(n, t)| format!("{n}: {t}")))
            .collect();
        let mut out = format!("/// Glue for `{}`.\n", self.f.name);
        if params.len() > CLIPPY_MAX_ARGS {
            out.push_str(
                "#[allow(clippy::too_many_arguments, reason = \"the ABI fixes the arity\")]\n",
            );
        }
        out.push_str(&format!(
            "fn {name}<T: {trait_name}>({}) -> {ret} {{\n",
            params.join(", ")
        ));
        let mut body: Vec<String> = Vec::new();
        // An error status the glue answers itself; the host hears why through its trait.
        let refuse = |owner: &str, status: &str, why: &str| match &self.status {
            Some(st) => format!(
                "return Ok({refused_fn}({owner}, {:?}, {}({status}), {why}));",
                self.f.name, st.raw_fn
            ),
            None => "return Ok(());".to_string(),
        };
        let out_of_bounds = |param: &str| match &self.status {
            Some(st) => refuse(
                "host",
                &st.memory_error,
                &format!("glue::Refusal::OutOfBounds {{ param: {param:?} }}"),
            ),
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
                    Decode::Bool => body.push(format!("let {name} = {raw} != 0;")),
                    Decode::Flags { ty } => body.push(format!("let {name} = {ty}({raw});")),
                    Decode::Enum { ty, invalid } => body.push(format!(
                        "let Ok({name}) = {ty}::try_from({raw}) else {{ {} }};",
                        refuse(
                            "caller.data_mut()",
                            invalid,
                            &format!(
                                "glue::Refusal::UnknownValue {{ param: {name:?}, value: {raw}.to_string() }}"
                            )
                        )
                    )),
                }
            }
        }
        let uses_memory =
            self.lifts.iter().any(|l| !matches!(l, Lift::Value { .. })) || !self.outputs.is_empty();
        let memory_fail = |owner: &str, why: &str| match &self.status {
            Some(st) => refuse(owner, &st.memory_error, why),
            None => "return Ok(());".to_string(),
        };
        if uses_memory {
            body.push(format!(
                "let Some(memory) = glue::memory(&mut caller, <T as {trait_name}>::guest) else {{ {} }};",
                memory_fail("caller.data_mut()", "glue::Refusal::NoMemory")
            ));
            let reads_memory = self.lifts.iter().any(|l| !matches!(l, Lift::Value { .. }))
                || self
                    .outputs
                    .iter()
                    .any(|o| !matches!(o, Output::StringList { .. }));
            body.push(
                if reads_memory {
                    "let (mem, host) = memory.data_and_store_mut(&mut caller);"
                } else {
                    "let host = caller.data_mut();"
                }
                .to_string(),
            );
            for l in &self.lifts {
                match l {
                    Lift::Value { .. } => {}
                    Lift::Input { name, data, len } => body.push(format!(
                        "let Some({name}) = glue::input(mem, {data}, {len}) else {{ {} }};",
                        out_of_bounds(data)
                    )),
                    Lift::Iovecs { name, data, count } => body.push(format!(
                        "let Some({name}) = glue::iovecs(mem, {data}, {count}) else {{ {} }};",
                        out_of_bounds(data)
                    )),
                    Lift::Fill { name, data, len } => {
                        body.push(format!(
                            "if !glue::fits(mem, {data}, {len}) {{ {} }}",
                            out_of_bounds(data)
                        ));
                        body.push(format!("let mut {name}_fill = vec![0; {len} as usize];"));
                    }
                }
            }
            for o in &self.outputs {
                match o {
                    Output::Value { ptr, write, .. } => body.push(format!(
                        "if !glue::fits(mem, {ptr}, {}) {{ {} }}",
                        write.size(),
                        out_of_bounds(ptr)
                    )),
                    Output::Alloc { data, len } => {
                        for p in [data, len] {
                            body.push(format!(
                                "if !glue::fits(mem, {p}, 4) {{ {} }}",
                                out_of_bounds(p)
                            ));
                        }
                    }
                    Output::StringList { .. } => {}
                }
            }
        } else {
            body.push("let host = caller.data_mut();".to_string());
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
        let call = format!("host.{name}({})", args.join(", "));
        let Some(st) = &self.status else {
            // A trap travels on as the function's error.
            body.push(format!("{call}?;"));
            body.push("Ok(())".to_string());
            return out + &body.join("\n") + "\n}";
        };
        let refused = format!("return glue::refused(error, {})", st.raw_fn);
        match self.outputs.len() {
            0 => body.push(format!("if let Err(error) = {call} {{ {refused}; }}")),
            n => {
                let bound: Vec<String> = (0..n).map(|i| format!("out{i}")).collect();
                let pattern = if n == 1 {
                    bound[0].clone()
                } else {
                    format!("({})", bound.join(", "))
                };
                body.push(format!(
                    "let {pattern} = match {call} {{ Ok(value) => value, Err(error) => {refused}, }};"
                ));
            }
        }
        for (i, o) in self.outputs.iter().enumerate() {
            if let Output::Alloc { .. } = o {
                // The allocator's traps propagate.
                body.push(format!(
                    "let Some(out{i}_ptr) = glue::allocate(&mut caller, <T as {trait_name}>::guest, memory, &out{i})? else {{ {} }};",
                    refuse("caller.data_mut()", &st.memory_error, "glue::Refusal::Allocation")
                ));
            }
        }
        let has_writes =
            !self.outputs.is_empty() || self.lifts.iter().any(|l| matches!(l, Lift::Fill { .. }));
        if has_writes {
            body.push("let mut writes = glue::Writes::new();".to_string());
            for l in &self.lifts {
                if let Lift::Fill { name, data, .. } = l {
                    body.push(format!("writes.bytes({data}, {name}_fill);"));
                }
            }
            for (i, o) in self.outputs.iter().enumerate() {
                match o {
                    Output::Value { ptr, write, .. } => {
                        let value = match write {
                            Write::U32 | Write::U64 => format!("out{i}"),
                            Write::Narrow(_) => {
                                body.push(format!(
                                    "writes.bytes({ptr}, out{i}.to_le_bytes().to_vec());"
                                ));
                                continue;
                            }
                            Write::IntoU32 => format!("u32::from(out{i})"),
                            Write::FlagsU32 => format!("out{i}.0"),
                            Write::Struct { size, fields } => {
                                let mut put = vec![format!("let mut bytes = vec![0u8; {size}];")];
                                for (field, offset, len) in fields {
                                    put.push(format!(
                                        "bytes[{offset}..{}].copy_from_slice(&out{i}.{field}.to_le_bytes());",
                                        offset + len
                                    ));
                                }
                                put.push(format!("writes.bytes({ptr}, bytes);"));
                                body.push(format!("{{ {} }}", put.join(" ")));
                                continue;
                            }
                        };
                        let method = match write {
                            Write::U64 => "u64",
                            _ => "u32",
                        };
                        body.push(format!("writes.{method}({ptr}, {value});"));
                    }
                    Output::Alloc { data, len } => {
                        body.push(format!("writes.keep(out{i}_ptr, glue::len32(&out{i}));"));
                        body.push(format!("writes.u32({data}, out{i}_ptr);"));
                        body.push(format!("writes.u32({len}, glue::len32(&out{i}));"));
                    }
                    Output::StringList { array, buffer } => {
                        body.push(format!("writes.string_list({array}, {buffer}, &out{i});"));
                    }
                }
            }
            body.push(format!(
                "if !writes.apply(memory.data_mut(&mut caller)) {{ {} }}",
                refuse(
                    "caller.data_mut()",
                    &st.memory_error,
                    "glue::Refusal::WriteBack"
                )
            ));
        }
        body.push(format!("Ok({}({}))", st.raw_fn, st.success));
        out + &body.join("\n") + "\n}"
    }
}

impl Write {
    fn size(&self) -> u32 {
        match self {
            Write::U64 => 8,
            Write::Narrow(size) | Write::Struct { size, .. } => *size,
            _ => 4,
        }
    }
}

/// `text` as `///` lines.
fn doc_comment(text: &str) -> String {
    doc_lines(text)
        .iter()
        .map(|line| format!("///{line}\n"))
        .collect()
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
            Builtin::U32 | Builtin::Usize => Write::U32,
            Builtin::U16 => Write::Narrow(2),
            Builtin::U8 => Write::Narrow(1),
            _ => return None,
        },
        TypeRef::Named { name } => match abi.type_def(name).map(|d| &d.def) {
            Some(TypeDefKind::Enum { repr, .. }) if *repr == Builtin::U32 => Write::IntoU32,
            Some(TypeDefKind::Flags { repr, .. }) if *repr == Builtin::U32 => Write::FlagsU32,
            Some(TypeDefKind::Struct { fields }) => struct_layout(abi, fields)?,
            _ => return None,
        },
        _ => return None,
    };
    let ty = match write {
        Write::IntoU32 | Write::FlagsU32 | Write::Struct { .. } => value_type(abi, resolved),
        _ => value_type(abi, to),
    };
    Some((ty, write))
}

/// The natural-alignment layout of a struct whose fields are all integers (each aligned to its
/// size, the whole to its largest field), as C and witx lay it out; `None` for any other field.
fn struct_layout(abi: &Abi, fields: &[Field]) -> Option<Write> {
    let mut offset = 0u32;
    let mut align = 1u32;
    let mut out = Vec::new();
    for field in fields {
        let size = match abi.resolve(&field.ty) {
            TypeRef::Builtin { name } => match name {
                Builtin::U8 | Builtin::S8 => 1,
                Builtin::U16 | Builtin::S16 => 2,
                Builtin::U32 | Builtin::S32 | Builtin::Usize => 4,
                Builtin::U64 | Builtin::S64 => 8,
                _ => return None,
            },
            _ => return None,
        };
        offset = offset.next_multiple_of(size);
        out.push((names::rust_ident(&field.name), offset, size));
        offset += size;
        align = align.max(size);
    }
    Some(Write::Struct {
        size: offset.next_multiple_of(align),
        fields: out,
    })
}
