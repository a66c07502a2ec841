//! Modules and functions: parameter conventions, status results and function annotations.

use super::annotations::{self, all, find};
use super::types::{Checked, Scope};
use super::{Validator, suggest};
use crate::diagnostic::{Diagnostic, Span};
use crate::ir::{
    self, Alias, Builtin, ContextKind, Deviation, Dialect, Direction, Level, Replacement, Role,
    Side, StatusCase, TypeDefKind, TypeRef, WasmType,
};
use crate::syntax::ast::{self, TypeExpr};

/// Names that functions refer to.
pub(crate) struct Names<'a> {
    pub types: &'a [Checked],
    pub hosts: &'a [(ir::Host, Span)],
    pub formats: &'a [(ir::Format, Span)],
    pub scope: Scope<'a>,
}

/// How a value is passed to a function.
pub(crate) enum Passing {
    /// As these wasm values.
    Value(Vec<WasmType>),
    /// By its address: a struct, union or tuple, which witx passes that way.
    Address,
}

impl Names<'_> {
    fn type_names(&self) -> Vec<&str> {
        self.scope.names.clone()
    }

    fn def(&self, name: &str) -> Option<&ir::TypeDef> {
        self.types.iter().map(|t| &t.def).find(|t| t.name == name)
    }

    /// Follows aliases to a type that is not an alias.
    pub(crate) fn resolve<'t>(&'t self, t: &'t TypeRef) -> &'t TypeRef {
        let mut cur = t;
        for _ in 0..self.types.len() + 1 {
            let TypeRef::Named { name } = cur else {
                return cur;
            };
            match self.def(name).map(|d| &d.def) {
                Some(TypeDefKind::Alias { target }) => cur = target,
                _ => return cur,
            }
        }
        cur
    }

    /// How a type is passed as a parameter.
    pub(crate) fn passing(&self, t: &TypeRef) -> Passing {
        Passing::Value(match self.resolve(t) {
            TypeRef::Builtin { name } => match name {
                Builtin::U64 | Builtin::S64 => vec![WasmType::I64],
                Builtin::F32 => vec![WasmType::F32],
                Builtin::F64 => vec![WasmType::F64],
                Builtin::String => vec![WasmType::I32, WasmType::I32],
                _ => vec![WasmType::I32],
            },
            TypeRef::Named { name } => match self.def(name).map(|d| &d.def) {
                Some(TypeDefKind::Enum { repr, .. } | TypeDefKind::Flags { repr, .. }) => {
                    match repr {
                        Builtin::U64 | Builtin::S64 => vec![WasmType::I64],
                        _ => vec![WasmType::I32],
                    }
                }
                Some(TypeDefKind::Struct { .. } | TypeDefKind::Union { .. }) => {
                    return Passing::Address;
                }
                _ => vec![WasmType::I32],
            },
            TypeRef::List { .. } => vec![WasmType::I32, WasmType::I32],
            TypeRef::Tuple { .. } => return Passing::Address,
            // witx 0.9 passes every variant as one i32.
            TypeRef::Pointer { .. } | TypeRef::ConstPointer { .. } | TypeRef::Variant { .. } => {
                vec![WasmType::I32]
            }
        })
    }

    /// The wasm values a type occupies when passed by value; `None` for one passed by address.
    fn wasm_types(&self, t: &TypeRef) -> Option<Vec<WasmType>> {
        match self.passing(t) {
            Passing::Value(w) => Some(w),
            Passing::Address => None,
        }
    }

    /// The tag and cases of a variant type, through names.
    pub(crate) fn variant<'t>(&'t self, t: &'t TypeRef) -> Option<(Builtin, &'t [ir::Case])> {
        match self.resolve(t) {
            TypeRef::Variant { tag, cases } => Some((*tag, cases)),
            TypeRef::Named { name } => match self.def(name).map(|d| &d.def) {
                Some(TypeDefKind::Variant { tag, cases }) => Some((*tag, cases)),
                _ => None,
            },
            _ => None,
        }
    }

    fn is_integer_value(&self, t: &TypeRef) -> bool {
        matches!(self.resolve(t), TypeRef::Builtin { name } if name.is_integer() || *name == Builtin::Usize)
    }

    fn is_byte(&self, t: &TypeRef) -> bool {
        matches!(
            self.resolve(t),
            TypeRef::Builtin {
                name: Builtin::U8 | Builtin::Char8
            }
        )
    }

    fn enum_members(&self, name: &str) -> Option<&[ir::EnumValue]> {
        match self.def(name).map(|d| &d.def) {
            Some(TypeDefKind::Enum { values, .. }) => Some(values),
            _ => None,
        }
    }
}

type Lists = (Vec<ir::Module>, Vec<ir::Function>, Vec<ir::Function>);

const FUNCTION_ANNOTATIONS: &[&str] = &[
    "status",
    "context",
    "since",
    "until",
    "replaced_by",
    "deprecated",
    "alias",
    "deviation",
    "erratum",
    "reference",
    "cite",
    "marker",
    "no_status",
];

impl Validator {
    pub(crate) fn modules(&mut self, modules: &[&ast::Module], names: &Names) -> Lists {
        let mut out_modules: Vec<(ir::Module, Span)> = Vec::new();
        let mut functions: Vec<(ir::Function, Span)> = Vec::new();
        let mut callbacks: Vec<(ir::Function, Span)> = Vec::new();
        for m in modules {
            self.only(
                &m.annotations,
                &[
                    "import_module",
                    "also_import_module",
                    "status_type",
                    "guest",
                ],
                "a module",
            );
            if let Some((_, first)) = out_modules.iter().find(|(o, _)| o.name == m.name.name) {
                let first = *first;
                self.duplicate("module", &m.name.name, m.name.span, first);
                continue;
            }
            let docs = self.docs(&m.docs, &format!("module `${}`", m.name.name), m.name.span);
            let side = match find(&m.annotations, "guest") {
                Some(a) => {
                    self.read(a, &annotations::GUEST);
                    Side::Guest
                }
                None => Side::Host,
            };
            let import_module = find(&m.annotations, "import_module")
                .and_then(|a| self.read(a, &annotations::IMPORT_MODULE))
                .and_then(|r| r.str(0).map(|s| s.value.clone()))
                .unwrap_or_else(|| m.name.name.clone());
            let status_type = self.status_type(m, names);
            let aliases = self.aliases(m, side, &import_module);
            for i in &m.memory_imports {
                // witx takes any name; this project's hosts give the plugin's memory as "memory".
                if self.dialect == Dialect::ProxyWasm && i.name.value != "memory" {
                    self.error(Diagnostic::new(
                        format!(
                            "a module can import only `\"memory\"`, not `{:?}`",
                            i.name.value
                        ),
                        i.name.span,
                    ));
                }
            }
            let module = ir::Module {
                name: m.name.name.clone(),
                import_module: import_module.clone(),
                side,
                status_type: status_type.clone(),
                imports_memory: !m.memory_imports.is_empty(),
                memory_imports: m
                    .memory_imports
                    .iter()
                    .map(|i| ir::MemoryImport {
                        name: i.name.value.clone(),
                        docs: i.docs.text.clone(),
                    })
                    .collect(),
                aliases,
                docs,
            };
            for f in &m.functions {
                let module_name = match side {
                    Side::Host => &import_module,
                    Side::Guest => &m.name.name,
                };
                let Some(func) = self.function(f, module_name, side, status_type.as_deref(), names)
                else {
                    continue;
                };
                let seen = functions.iter().chain(callbacks.iter());
                if let Some((_, first)) = seen.clone().find(|(o, _)| o.name == func.name) {
                    let first = *first;
                    self.error(
                        Diagnostic::new(
                            format!("function `{}` is defined twice", func.name),
                            f.name.span,
                        )
                        .with_note("first defined here", Some(first)),
                    );
                    continue;
                }
                match side {
                    Side::Host => functions.push((func, f.name.span)),
                    Side::Guest => callbacks.push((func, f.name.span)),
                }
            }
            out_modules.push((module, m.name.span));
        }
        (
            out_modules.into_iter().map(|(m, _)| m).collect(),
            functions.into_iter().map(|(f, _)| f).collect(),
            callbacks.into_iter().map(|(f, _)| f).collect(),
        )
    }

    /// The module's `@also_import_module` names: a host module's, each with the host that serves
    /// it, none equal to the import module or given twice.
    fn aliases(
        &mut self,
        m: &ast::Module,
        side: Side,
        import_module: &str,
    ) -> Vec<ir::ModuleAlias> {
        let mut out: Vec<ir::ModuleAlias> = Vec::new();
        for a in m
            .annotations
            .iter()
            .filter(|a| a.name == "also_import_module")
        {
            let Some(r) = self.read(a, &annotations::ALSO_IMPORT_MODULE) else {
                continue;
            };
            let Some(name) = r.str(0) else {
                continue;
            };
            let reference = r
                .nested
                .iter()
                .find(|n| n.name == "reference")
                .and_then(|n| self.read(n, &annotations::REFERENCE))
                .and_then(|n| n.str(0).map(|s| s.value.clone()));
            let problem = if side == Side::Guest {
                Some("the plugin's callbacks are exports, which have no import module".to_string())
            } else if name.value == import_module {
                Some(format!(
                    "`{}` is already the module's import module",
                    name.value
                ))
            } else if out.iter().any(|o| o.name == name.value) {
                Some(format!("`{}` is given twice", name.value))
            } else if reference.is_none() {
                Some("say which host serves it: `(@reference \"...\")`".to_string())
            } else {
                None
            };
            match (problem, reference) {
                (None, Some(reference)) => out.push(ir::ModuleAlias {
                    name: name.value.clone(),
                    reference,
                }),
                (problem, _) => self.error(Diagnostic::new(
                    format!("`@also_import_module`: {}", problem.unwrap_or_default()),
                    a.name_span,
                )),
            }
        }
        out
    }

    fn status_type(&mut self, m: &ast::Module, names: &Names) -> Option<String> {
        let a = find(&m.annotations, "status_type")?;
        let r = self.read(a, &annotations::STATUS_TYPE)?;
        let id = r.id(0)?;
        if names.def(&id.name).is_none() {
            let hint = suggest(&id.name, names.type_names().into_iter(), "$");
            self.error(Diagnostic::new(
                format!("unknown type `${}`{hint}", id.name),
                id.span,
            ));
            return None;
        }
        if names.enum_members(&id.name).is_none() {
            self.error(Diagnostic::new(
                format!(
                    "`@status_type` must name an enum, and `${}` is not one",
                    id.name
                ),
                id.span,
            ));
            return None;
        }
        Some(id.name.clone())
    }

    fn function(
        &mut self,
        f: &ast::Function,
        module: &str,
        side: Side,
        status_type: Option<&str>,
        names: &Names,
    ) -> Option<ir::Function> {
        self.only(&f.annotations, FUNCTION_ANNOTATIONS, "a function");
        let gates = self.gates(&f.annotations);
        if !gates.keep {
            return None;
        }
        let name = f.name.value.clone();
        // The heading the spec text files it under: WASI functions are qualified.
        let section = match side {
            Side::Host if module != "env" => format!("{module}.{name}"),
            _ => name.clone(),
        };
        let docs = self.docs(&f.docs, &format!("function `{name}`"), f.name.span);
        let (params, results) = match self.dialect {
            Dialect::ProxyWasm => (
                self.params(&f.params, &name, names, false),
                self.params(&f.results, &name, names, true),
            ),
            Dialect::Witx => (
                self.plain_params(&f.params, names),
                self.plain_results(&f.results, names),
            ),
        };
        self.unique_params(f);
        if self.dialect == Dialect::ProxyWasm && f.results.len() > 1 {
            self.error(Diagnostic::new(
                format!(
                    "`{name}` has {} results; a function here returns at most one value",
                    f.results.len()
                ),
                f.results[1].name.span,
            ));
        }
        let no_status = find(&f.annotations, "no_status")
            .and_then(|a| self.read(a, &annotations::NO_STATUS))
            .is_some();
        if let (Some(st), false) = (status_type, no_status) {
            self.require_status(f, &name, st, names);
        }
        let statuses = self.statuses(f, &name, &section, status_type, names);
        let mut params = params;
        if self.dialect == Dialect::ProxyWasm {
            self.invalid_values(f, &name, side, status_type, &statuses, &mut params, names);
        }
        let contexts = self.contexts(&f.annotations);
        let reference = self.reference(&f.annotations);
        let spec = self.cite(&f.annotations, &section, reference.is_some());
        let marker = match find(&f.annotations, "marker")
            .filter(|_| self.dialect == Dialect::ProxyWasm)
        {
            Some(a) => {
                self.read(a, &annotations::MARKER);
                if side != Side::Guest {
                    self.error(Diagnostic::new(
                        "`@marker` belongs on a callback: the version marker is exported by the plugin",
                        a.span,
                    ));
                }
                if !f.params.is_empty() || !f.results.is_empty() {
                    self.error(Diagnostic::new(
                        format!(
                            "the version marker `{name}` takes no parameters and returns nothing"
                        ),
                        f.name.span,
                    ));
                }
                true
            }
            None => false,
        };
        let replaced_by = find(&f.annotations, "replaced_by")
            .and_then(|a| {
                let r = self.read(a, &annotations::REPLACED_BY)?;
                if gates.until.is_none() {
                    self.error(Diagnostic::new(
                        "`@replaced_by` describes a removed function; add `(@until \"X.Y.Z\")` to say when it was removed",
                        a.span,
                    ));
                }
                Some(Replacement {
                    function: r.str(0)?.value.clone(),
                    how: r.str(1)?.value.clone(),
                })
            });
        let deprecated = find(&f.annotations, "deprecated")
            .and_then(|a| self.read(a, &annotations::DEPRECATED))
            .and_then(|r| r.str(0).map(|s| s.value.clone()));
        let mut aliases = Vec::new();
        for a in all(&f.annotations, "alias") {
            let Some(r) = self.read(a, &annotations::ALIAS) else {
                continue;
            };
            if let (Some(alias), Some(host), Some(note)) = (r.str(0), r.id(1), r.str(2)) {
                self.known_host(host, names);
                aliases.push(Alias {
                    name: alias.value.clone(),
                    host: host.name.clone(),
                    note: note.value.clone(),
                });
            }
        }
        let mut deviations = Vec::new();
        for a in all(&f.annotations, "deviation") {
            let Some(r) = self.read(a, &annotations::DEVIATION) else {
                continue;
            };
            if let (Some(host), Some(text)) = (r.id(0), r.str(1)) {
                self.known_host(host, names);
                deviations.push(Deviation {
                    host: host.name.clone(),
                    text: text.value.clone(),
                });
            }
        }
        let errata = all(&f.annotations, "erratum")
            .filter_map(|a| self.read(a, &annotations::ERRATUM))
            .filter_map(|r| r.str(0).map(|s| s.value.clone()))
            .collect();
        Some(ir::Function {
            name,
            module: module.to_string(),
            docs,
            params,
            results,
            statuses,
            contexts,
            level: if reference.is_some() {
                Level::Reference
            } else {
                Level::Spec
            },
            reference,
            spec,
            since: gates.since,
            until: gates.until,
            replaced_by,
            deprecated,
            aliases,
            deviations,
            errata,
            marker,
            noreturn: f.noreturn.is_some(),
        })
    }

    /// Reads `@invalid`/`@unchecked` on enum inputs of host functions, which every such input
    /// of a function with a status result must carry: what a bad value returns is part of the
    /// ABI, not something a generator may guess.
    #[allow(clippy::too_many_arguments)]
    fn invalid_values(
        &mut self,
        f: &ast::Function,
        name: &str,
        side: Side,
        status_type: Option<&str>,
        statuses: &[StatusCase],
        params: &mut [ir::Param],
        names: &Names,
    ) {
        for p in &f.params {
            let invalid = find(&p.annotations, "invalid");
            let unchecked = find(&p.annotations, "unchecked");
            let Some(param) = params.iter_mut().find(|q| q.name == p.name.name) else {
                continue;
            };
            let is_enum = matches!(names.resolve(&param.ty), TypeRef::Named { name } if names.enum_members(name).is_some());
            let applies = side == Side::Host && param.direction == Direction::In && is_enum;
            if let (Some(_), Some(u)) = (invalid, unchecked) {
                self.error(Diagnostic::new(
                    format!(
                        "`${}` has both `@invalid` and `@unchecked`; keep one",
                        p.name.name
                    ),
                    u.name_span,
                ));
                continue;
            }
            let Some(a) = invalid.or(unchecked) else {
                if applies && status_type.is_some() && !f.results.is_empty() {
                    self.error(Diagnostic::new(
                        format!(
                            "`${}` of `{name}` is an enum: say what a value outside it returns with `(@invalid $status_code)`, or `(@unchecked \"why\")` if hosts accept any number",
                            p.name.name
                        ),
                        p.name.span,
                    ));
                }
                continue;
            };
            if !applies {
                self.error(Diagnostic::new(
                    format!(
                        "`@{}` belongs on an enum-typed input of a host function, and `${}` is not one",
                        a.name, p.name.name
                    ),
                    a.name_span,
                ));
                continue;
            }
            if a.name == "unchecked" {
                if let Some(why) = self
                    .read(a, &annotations::UNCHECKED)
                    .and_then(|r| r.str(0).cloned())
                {
                    param.invalid = Some(ir::Invalid::Unchecked { why: why.value });
                }
                continue;
            }
            let Some(code) = self
                .read(a, &annotations::INVALID)
                .and_then(|r| r.id(0).cloned())
            else {
                continue;
            };
            match statuses.iter().find(|s| s.code == code.name) {
                Some(s) => {
                    param.invalid = Some(ir::Invalid::Status {
                        code: s.code.clone(),
                        value: s.value,
                    })
                }
                None => {
                    let hint = suggest(&code.name, statuses.iter().map(|s| s.code.as_str()), "$");
                    self.error(Diagnostic::new(
                        format!(
                            "`@invalid` names `${}`, which `{name}` does not list with `@status`{hint}",
                            code.name
                        ),
                        code.span,
                    ));
                }
            }
        }
    }

    fn known_host(&mut self, host: &ast::Ident, names: &Names) {
        if !names.hosts.iter().any(|(h, _)| h.name == host.name) {
            let hint = suggest(
                &host.name,
                names.hosts.iter().map(|(h, _)| h.name.as_str()),
                "$",
            );
            self.error(Diagnostic::new(
                format!(
                    "unknown host `${}`: declare it with `(@host ${} \"title\" \"source\")`{hint}",
                    host.name, host.name
                ),
                host.span,
            ));
        }
    }

    fn unique_params(&mut self, f: &ast::Function) {
        let mut seen: Vec<&ast::Ident> = Vec::new();
        for p in f.params.iter().chain(&f.results) {
            if let Some(first) = seen.iter().find(|s| s.name == p.name.name) {
                let first = first.span;
                self.duplicate("parameter", &p.name.name, p.name.span, first);
            } else {
                seen.push(&p.name);
            }
        }
    }

    /// Resolves parameters (or results) and works out each one's part in a pointer convention.
    fn params(
        &mut self,
        params: &[ast::Param],
        function: &str,
        names: &Names,
        results: bool,
    ) -> Vec<ir::Param> {
        let place = if results { "a result" } else { "a parameter" };
        let allowed: &[&str] = if results {
            &["format"]
        } else {
            &["out", "format", "since", "until", "invalid", "unchecked"]
        };
        let mut kept: Vec<(&ast::Param, TypeRef, Option<String>)> = Vec::new();
        for p in params {
            self.only(&p.annotations, allowed, place);
            self.check_out(p);
            let gates = self.gates(&p.annotations);
            if !gates.keep {
                continue;
            }
            let Some(ty) = self.type_ref(&p.ty, &names.scope) else {
                continue;
            };
            // witx 0.9 writes the value of an `expected` result through a hidden pointer; this
            // dialect names every out-pointer as a parameter instead.
            if results
                && names
                    .variant(&ty)
                    .is_some_and(|(_, cases)| cases.iter().any(|c| c.ty.is_some()))
            {
                self.error(Diagnostic::new(
                    format!(
                        "`${}` of `{function}` returns a variant with a payload; in this dialect a function returns one value and the host writes the rest through `(@witx pointer T) (@out)` parameters",
                        p.name.name
                    ),
                    p.ty.span(),
                ));
                continue;
            }
            kept.push((p, ty, gates.since));
        }
        let mut out: Vec<ir::Param> = Vec::new();
        let mut i = 0;
        while i < kept.len() {
            let (p, ty, since) = &kept[i];
            let out_mode = out_kind(p);
            let next = kept.get(i + 1);
            let mut role = Role::Value;
            let mut partner: Option<(Role, usize)> = None;
            let direction = if results {
                Direction::Return
            } else if out_mode.is_some() {
                Direction::Out
            } else {
                Direction::In
            };
            match (names.resolve(ty), out_mode) {
                (TypeRef::ConstPointer { .. }, None) => {
                    role = Role::InputData;
                    match next {
                        Some((np, nty, _)) if names.is_integer_value(nty) && out_kind(np).is_none() => {
                            partner = Some((Role::InputLength, i + 1));
                        }
                        _ => self.error(Diagnostic::new(
                            format!(
                                "`${}` is a `const_pointer`, so the next parameter must be its length (an integer), but {}",
                                p.name.name,
                                describe_next(next.map(|n| n.0))
                            ),
                            p.name.span,
                        )),
                    }
                }
                (TypeRef::Pointer { .. }, None) if !results => self.error(Diagnostic::new(
                    format!(
                        "`${}` is a pointer the host writes through: mark it `(@out)`, or make it a `(@witx const_pointer ...)` if the host only reads it",
                        p.name.name
                    ),
                    p.name.span,
                )),
                (TypeRef::Pointer { to }, Some(OutMode::Alloc)) => {
                    role = Role::AllocData;
                    if !matches!(names.resolve(to), TypeRef::Pointer { to } if names.is_byte(to)) {
                        self.error(Diagnostic::new(
                            format!(
                                "`(@out alloc)` marks where the host writes the address of a buffer it allocates, so `${}` must be `(@witx pointer (@witx pointer u8))`",
                                p.name.name
                            ),
                            p.ty.span(),
                        ));
                    }
                    match next {
                        Some((np, nty, _))
                            if out_kind(np) == Some(OutMode::Plain)
                                && matches!(names.resolve(nty), TypeRef::Pointer { to } if names.is_integer_value(to)) =>
                        {
                            partner = Some((Role::AllocLength, i + 1));
                        }
                        _ => self.error(Diagnostic::new(
                            format!(
                                "`(@out alloc)` on `${}` must be followed by the out-pointer for the buffer's length, `(param $..._size (@witx pointer $size) (@out))`, but {}",
                                p.name.name,
                                describe_next(next.map(|n| n.0))
                            ),
                            p.name.span,
                        )),
                    }
                }
                (TypeRef::Pointer { to }, Some(OutMode::Plain)) => {
                    if names.is_byte(to) {
                        role = Role::FillData;
                        if let Some((np, nty, _)) = next
                            && names.is_integer_value(nty)
                            && out_kind(np).is_none()
                        {
                            partner = Some((Role::FillLength, i + 1));
                        }
                    } else {
                        role = Role::OutValue;
                    }
                }
                (_, Some(_)) => self.error(Diagnostic::new(
                    format!(
                        "`(@out)` marks a parameter the host writes through, but `${}` is not a pointer; an out-pointer must be `(@witx pointer T)`",
                        p.name.name
                    ),
                    p.ty.span(),
                )),
                (TypeRef::Builtin { name: Builtin::String } | TypeRef::List { .. }, None) => {
                    role = Role::InputData
                }
                _ => {}
            }
            let Some(wasm_types) = names.wasm_types(ty) else {
                self.error(Diagnostic::new(
                    format!(
                        "`${}` passes a struct by value; pass a `(@witx const_pointer ...)` to it instead",
                        p.name.name
                    ),
                    p.ty.span(),
                ));
                i += 1;
                continue;
            };
            let format = self.param_format(p, names);
            let docs = self.docs(
                &p.docs,
                &format!("{place} `${}` of `{function}`", p.name.name),
                p.name.span,
            );
            out.push(ir::Param {
                name: p.name.name.clone(),
                ty: ty.clone(),
                wasm_types,
                out_pointers: Vec::new(),
                direction,
                role,
                pair: partner.map(|(_, j)| kept[j].0.name.name.clone()),
                format,
                since: since.clone(),
                invalid: None,
                docs,
            });
            i += 1;
            if let Some((partner_role, j)) = partner {
                let (lp, lty, lsince) = &kept[j];
                let docs = self.docs(
                    &lp.docs,
                    &format!("{place} `${}` of `{function}`", lp.name.name),
                    lp.name.span,
                );
                let format = self.param_format(lp, names);
                out.push(ir::Param {
                    name: lp.name.name.clone(),
                    ty: lty.clone(),
                    wasm_types: names.wasm_types(lty).unwrap_or_default(),
                    out_pointers: Vec::new(),
                    direction: if partner_role == Role::InputLength
                        || partner_role == Role::FillLength
                    {
                        Direction::In
                    } else {
                        Direction::Out
                    },
                    role: partner_role,
                    pair: Some(p.name.name.clone()),
                    format,
                    since: lsince.clone(),
                    invalid: None,
                    docs,
                });
                i += 1;
            }
        }
        out
    }

    /// Reports malformed `@out` annotations; [`out_kind`] then reads them without reporting.
    fn check_out(&mut self, p: &ast::Param) {
        let Some(a) = find(&p.annotations, "out") else {
            return;
        };
        if a.args.is_empty() {
            self.read(a, &annotations::OUT);
        } else if let Some(r) = self.read(a, &annotations::OUT_ALLOC)
            && let Some((other, span)) = r.word(0).filter(|(w, _)| *w != "alloc")
        {
            self.error(Diagnostic::new(
                format!("`@out` takes nothing or `alloc`, not `{other}`"),
                span,
            ));
        }
    }

    fn param_format(&mut self, p: &ast::Param, names: &Names) -> Option<String> {
        let a = find(&p.annotations, "format")?;
        let r = self.read(a, &annotations::FORMAT_USE)?;
        let id = r.id(0)?;
        if !names.formats.iter().any(|(f, _)| f.name == id.name) {
            let hint = suggest(
                &id.name,
                names.formats.iter().map(|(f, _)| f.name.as_str()),
                "$",
            );
            self.error(Diagnostic::new(
                format!(
                    "unknown format `${}`: declare it with `(@format ${} \"title\")`{hint}",
                    id.name, id.name
                ),
                id.span,
            ));
            return None;
        }
        Some(id.name.clone())
    }

    fn require_status(&mut self, f: &ast::Function, name: &str, status_type: &str, names: &Names) {
        let found = f.results.first().map(|r| (&r.ty, r.name.span));
        let ok = matches!(found, Some((TypeExpr::Named(id), _)) if names.resolve(&TypeRef::Named { name: id.name.clone() }) == &(TypeRef::Named { name: status_type.to_string() }));
        if ok {
            return;
        }
        let what = match found {
            None => "it has no result".to_string(),
            Some((ty, _)) => format!("its result has type `{}`", describe_type(ty)),
        };
        self.error(Diagnostic::new(
            format!(
                "`{name}` must return `${status_type}`, the status type of its module, but {what}; add `(result $status ${status_type})` or `(@no_status \"why\")`"
            ),
            found.map_or(f.name.span, |(_, s)| s),
        ));
    }

    fn statuses(
        &mut self,
        f: &ast::Function,
        name: &str,
        section: &str,
        status_type: Option<&str>,
        names: &Names,
    ) -> Vec<StatusCase> {
        let mut out = Vec::new();
        for a in all(&f.annotations, "status") {
            let Some(r) = self.read(a, &annotations::STATUS) else {
                continue;
            };
            let (Some(code), Some(condition)) = (r.id(0), r.str(1)) else {
                continue;
            };
            let Some(st) = status_type else {
                self.error(Diagnostic::new(
                    format!(
                        "`@status` on `{name}` needs a status type: give its module `(@status_type $type)`"
                    ),
                    a.name_span,
                ));
                continue;
            };
            let nested: Vec<ast::Annotation> = r.nested.iter().map(|n| (*n).clone()).collect();
            let gates = self.gates(&nested);
            let reference = self.reference(&nested);
            let spec = self.cite(&nested, section, reference.is_some());
            let members = names.enum_members(st).unwrap_or_default();
            let Some(member) = members.iter().find(|m| m.name == code.name) else {
                let hint = suggest(&code.name, members.iter().map(|m| m.name.as_str()), "$");
                self.error(Diagnostic::new(
                    format!(
                        "unknown status code `${}`: `${st}` has no such member{hint}",
                        code.name
                    ),
                    code.span,
                ));
                continue;
            };
            if !gates.keep {
                continue;
            }
            // A spec-level fact of a numbered version names the sentence of that version's text
            // that states it.
            if let (Some(version), None, None) = (self.version, &reference, &spec) {
                self.error(Diagnostic::new(
                    format!(
                        "`@status ${}` of `{name}` is spec-level, so it needs the line of the {version} spec text under `{section}` that states it: add `(@cite \"{version}\" LINE)`, or `(@reference \"host file function\")` if no sentence states it",
                        code.name
                    ),
                    a.name_span,
                ));
            }
            if condition.value.trim().is_empty() {
                self.error(Diagnostic::new(
                    "a `@status` condition says when the code is returned; it cannot be empty",
                    condition.span,
                ));
            }
            out.push(StatusCase {
                code: member.name.clone(),
                value: member.value,
                condition: condition.value.clone(),
                level: if reference.is_some() {
                    Level::Reference
                } else {
                    Level::Spec
                },
                reference,
                spec,
                since: gates.since,
            });
        }
        out
    }

    fn contexts(&mut self, annotations: &[ast::Annotation]) -> Vec<ContextKind> {
        let mut out = Vec::new();
        for a in all(annotations, "context") {
            let Some(r) = self.read(a, &annotations::CONTEXT) else {
                continue;
            };
            for i in 0..r.args.len() {
                let Some((word, span)) = r.word(i) else {
                    continue;
                };
                let kind = match word {
                    "start" => ContextKind::Start,
                    "root" => ContextKind::Root,
                    "stream" => ContextKind::Stream,
                    "any" => ContextKind::Any,
                    other => {
                        self.error(Diagnostic::new(
                            format!(
                                "unknown context `{other}`: a context is `start`, `root`, `stream` or `any`"
                            ),
                            span,
                        ));
                        continue;
                    }
                };
                if !out.contains(&kind) {
                    out.push(kind);
                }
            }
        }
        out
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum OutMode {
    Plain,
    Alloc,
}

fn out_kind(p: &ast::Param) -> Option<OutMode> {
    let a = find(&p.annotations, "out")?;
    Some(match a.args.first() {
        Some(ast::Arg::Word(w, _)) if w == "alloc" => OutMode::Alloc,
        _ => OutMode::Plain,
    })
}

fn describe_next(p: Option<&ast::Param>) -> String {
    match p {
        Some(p) => format!(
            "the next one is `${}` of type `{}`",
            p.name.name,
            describe_type(&p.ty)
        ),
        None => "it is the last parameter".to_string(),
    }
}

fn describe_type(t: &TypeExpr) -> String {
    match t {
        TypeExpr::Builtin(b, _) => super::types::builtin(*b).keyword().to_string(),
        TypeExpr::Named(id) => format!("${}", id.name),
        TypeExpr::Pointer(to, _) => format!("(@witx pointer {})", describe_type(to)),
        TypeExpr::ConstPointer(to, _) => format!("(@witx const_pointer {})", describe_type(to)),
        TypeExpr::List(of, _) => format!("(list {})", describe_type(of)),
        TypeExpr::Enum { .. } => "(enum ...)".to_string(),
        TypeExpr::Flags { .. } => "(flags ...)".to_string(),
        TypeExpr::Int { .. } => "(int ...)".to_string(),
        TypeExpr::Struct { .. } => "(struct ...)".to_string(),
        TypeExpr::Union { .. } => "(union ...)".to_string(),
        TypeExpr::Variant { .. } => "(variant ...)".to_string(),
        TypeExpr::Tuple(..) => "(tuple ...)".to_string(),
        TypeExpr::Expected { .. } => "(expected ...)".to_string(),
        TypeExpr::Handle { .. } => "(handle)".to_string(),
    }
}
