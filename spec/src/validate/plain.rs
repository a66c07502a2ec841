//! Plain witx: a document set without `(@abi ...)`. It is named after its entry document, reads
//! none of this project's annotations, and its functions follow witx's own rules.

use super::Validator;
use super::functions::{Names, Passing};
use crate::diagnostic::Diagnostic;
use crate::ir::{self, Builtin, Direction, Role, TypeRef, WasmType};
use crate::loader::DocumentSet;
use crate::syntax::ast::{self, Annotation, TopItem, TypeExpr, UnionCase};

/// The name of a plain witx ABI: its entry document's file name without the extension.
pub(super) fn name(entry: &str) -> String {
    std::path::Path::new(entry)
        .file_stem()
        .map_or_else(|| entry.to_string(), |s| s.to_string_lossy().into_owned())
}

impl Validator {
    /// Reports the first annotation of a plain witx document set: they all belong to this
    /// project's dialect, which only a set with `(@abi ...)` is in. One error says it for all.
    pub(super) fn no_annotations(&mut self, set: &DocumentSet) {
        let mut found: Vec<&Annotation> = Vec::new();
        for item in &set.items {
            match &item.item {
                TopItem::Annotation(a) => found.push(a),
                TopItem::Typename(t) => {
                    found.extend(&t.annotations);
                    in_type(&t.ty, &mut found);
                }
                TopItem::Module(m) => {
                    found.extend(&m.annotations);
                    for f in &m.functions {
                        found.extend(&f.annotations);
                        for p in f.params.iter().chain(&f.results) {
                            found.extend(&p.annotations);
                            in_type(&p.ty, &mut found);
                        }
                    }
                }
                TopItem::Use(_) | TopItem::Const(_) => {}
            }
        }
        let Some(first) = found.iter().min_by_key(|a| (a.span.file.0, a.span.start)) else {
            return;
        };
        let mut d = Diagnostic::new(
            format!(
                "`@{}` belongs to the Proxy-Wasm dialect, but this document set has no `(@abi \"NAME\")`, so it is read as plain witx; add `(@abi \"NAME\")` to the entry document to use the dialect",
                first.name
            ),
            first.name_span,
        );
        if found.len() > 1 {
            let more = found.len() - 1;
            d = d.with_note(
                format!(
                    "{more} more annotation{} of the dialect in this document set",
                    if more == 1 { "" } else { "s" }
                ),
                None,
            );
        }
        self.error(d);
    }
}

impl Validator {
    /// Parameters as witx passes them. Nothing says whether the callee writes through a
    /// `(@witx pointer T)`, so its direction is unknown; a `const_pointer`, string or list is read.
    pub(super) fn plain_params(&mut self, params: &[ast::Param], names: &Names) -> Vec<ir::Param> {
        let mut out = Vec::new();
        for p in params {
            let Some(ty) = self.type_ref(&p.ty, &names.scope) else {
                continue;
            };
            let (wasm_types, direction, role) = match names.passing(&ty) {
                Passing::Address => (vec![WasmType::I32], Direction::In, Role::InputData),
                Passing::Value(w) => match names.resolve(&ty) {
                    TypeRef::Pointer { .. } => (w, Direction::Unknown, Role::Value),
                    TypeRef::ConstPointer { .. }
                    | TypeRef::List { .. }
                    | TypeRef::Builtin {
                        name: Builtin::String,
                    } => (w, Direction::In, Role::InputData),
                    _ => (w, Direction::In, Role::Value),
                },
            };
            out.push(plain_param(p, ty, wasm_types, Vec::new(), direction, role));
        }
        out
    }

    /// Results as witx returns them: the first by value, or (witx 0.9) an `expected` whose error
    /// is returned and whose value is written through pointers after the parameters; further
    /// results (witx 0.6) are written through pointers too.
    pub(super) fn plain_results(
        &mut self,
        results: &[ast::Param],
        names: &Names,
    ) -> Vec<ir::Param> {
        let mut out = Vec::new();
        let mut expected = false;
        for (i, r) in results.iter().enumerate() {
            let Some(ty) = self.type_ref(&r.ty, &names.scope) else {
                continue;
            };
            if i > 0 {
                if expected {
                    self.error(Diagnostic::new(
                        "a function whose result is an `expected` has no other result",
                        r.name.span,
                    ));
                    continue;
                }
                let out_pointers = match names.passing(&ty) {
                    // A string or list comes back as an address and a length, each written
                    // through its own pointer.
                    Passing::Value(w) if w.len() == 2 => vec![WasmType::I32, WasmType::I32],
                    _ => vec![WasmType::I32],
                };
                out.push(plain_param(
                    r,
                    ty,
                    Vec::new(),
                    out_pointers,
                    Direction::Return,
                    Role::Value,
                ));
                continue;
            }
            let (wasm_types, out_pointers) = if let Some((tag, cases)) = names.variant(&ty) {
                let tag = if matches!(tag, Builtin::U64 | Builtin::S64) {
                    WasmType::I64
                } else {
                    WasmType::I32
                };
                match cases {
                    [ok, err] if ok.name == "ok" && err.name == "err" => {
                        expected = true;
                        (vec![tag], self.expected_pointers(r, ok, err, names))
                    }
                    _ if cases.iter().all(|c| c.ty.is_none()) => (vec![tag], Vec::new()),
                    _ => {
                        self.bad_result(r);
                        continue;
                    }
                }
            } else {
                match names.passing(&ty) {
                    Passing::Value(w) if w.len() == 1 => (w, Vec::new()),
                    _ => {
                        self.bad_result(r);
                        continue;
                    }
                }
            };
            out.push(plain_param(
                r,
                ty,
                wasm_types,
                out_pointers,
                Direction::Return,
                Role::Value,
            ));
        }
        out
    }

    /// The pointers an `expected` result's value is written through (one per member of a tuple),
    /// checking witx 0.9's rule that both sides are named types.
    fn expected_pointers(
        &mut self,
        r: &ast::Param,
        ok: &ir::Case,
        err: &ir::Case,
        names: &Names,
    ) -> Vec<WasmType> {
        let named = |t: &TypeRef| matches!(t, TypeRef::Named { .. });
        let mut pointers = Vec::new();
        let mut all_named = err.ty.as_ref().is_none_or(named);
        if let Some(ty) = &ok.ty {
            match names.resolve(ty) {
                TypeRef::Tuple { members } => {
                    all_named &= members.iter().all(named);
                    pointers = vec![WasmType::I32; members.len()];
                }
                _ => {
                    all_named &= named(ty);
                    pointers = vec![WasmType::I32];
                }
            }
        }
        if !all_named {
            self.error(Diagnostic::new(
                format!(
                    "the value and the error of the `expected` result `${}` must be named types (or a tuple of them), as witx requires of results",
                    r.name.name
                ),
                r.ty.span(),
            ));
        }
        pointers
    }

    fn bad_result(&mut self, r: &ast::Param) {
        self.error(Diagnostic::new(
            format!(
                "`${}` cannot be returned: witx returns one value (an integer, float, enum, flags, handle or pointer) or an `(expected ...)`, and writes further results through pointers",
                r.name.name
            ),
            r.ty.span(),
        ));
    }
}

fn plain_param(
    p: &ast::Param,
    ty: TypeRef,
    wasm_types: Vec<WasmType>,
    out_pointers: Vec<WasmType>,
    direction: Direction,
    role: Role,
) -> ir::Param {
    ir::Param {
        name: p.name.name.clone(),
        ty,
        wasm_types,
        out_pointers,
        direction,
        role,
        pair: None,
        format: None,
        since: None,
        invalid: None,
        docs: p.docs.text.clone(),
    }
}

/// The annotations written inside a type.
fn in_type<'a>(t: &'a TypeExpr, found: &mut Vec<&'a Annotation>) {
    match t {
        TypeExpr::Enum { members, .. } | TypeExpr::Flags { members, .. } => {
            for m in members {
                found.extend(&m.annotations);
            }
        }
        TypeExpr::Struct { fields, .. } => {
            for f in fields {
                found.extend(&f.annotations);
                in_type(&f.ty, found);
            }
        }
        TypeExpr::Union { cases, .. } => {
            for c in cases {
                match c {
                    UnionCase::Field(f) => {
                        found.extend(&f.annotations);
                        in_type(&f.ty, found);
                    }
                    UnionCase::Type(_, t) => in_type(t, found),
                    UnionCase::Empty(..) => {}
                }
            }
        }
        TypeExpr::Variant { cases, .. } => {
            for t in cases.iter().filter_map(|c| c.ty.as_ref()) {
                in_type(t, found);
            }
        }
        TypeExpr::Tuple(members, _) => {
            for m in members {
                in_type(m, found);
            }
        }
        TypeExpr::Expected { ok, err, .. } => {
            for t in [ok, err].into_iter().flatten() {
                in_type(t, found);
            }
        }
        TypeExpr::List(t, _) | TypeExpr::Pointer(t, _) | TypeExpr::ConstPointer(t, _) => {
            in_type(t, found)
        }
        TypeExpr::Builtin(..)
        | TypeExpr::Named(_)
        | TypeExpr::Int { .. }
        | TypeExpr::Handle { .. } => {}
    }
}
