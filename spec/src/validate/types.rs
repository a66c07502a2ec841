//! Typenames: enums and flags with their numbers, structs, aliases, and type references.

use super::annotations::{self, all, find};
use super::{Validator, suggest};
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::ir::{self, Access, Availability, Builtin, EnumValue, Level, TypeDefKind, TypeRef};
use crate::syntax::ast::{self, TypeExpr};

/// A validated typename, with what later checks still need.
pub(crate) struct Checked {
    pub def: ir::TypeDef,
    pub span: Span,
    /// Callback names given by `@available_in`, checked once callbacks are known.
    pub availability_refs: Vec<(String, Span)>,
}

impl Validator {
    pub(crate) fn types(&mut self, typenames: &[(FileId, &ast::Typename)]) -> Vec<Checked> {
        let mut kept: Vec<&ast::Typename> = Vec::new();
        let mut gates = Vec::new();
        for (_, t) in typenames {
            self.only(
                &t.annotations,
                &["since", "until", "reference"],
                "a typename",
            );
            let g = self.gates(&t.annotations);
            if !g.keep {
                continue;
            }
            if let Some(first) = kept.iter().find(|k| k.name.name == t.name.name) {
                let first = first.name.span;
                self.duplicate("type", &t.name.name, t.name.span, first);
                continue;
            }
            kept.push(t);
            gates.push(g.since);
        }
        let names: Vec<&str> = kept.iter().map(|t| t.name.name.as_str()).collect();
        let mut out = Vec::new();
        for (t, since) in kept.iter().zip(gates) {
            let docs = self.docs(&t.docs, &format!("type `${}`", t.name.name), t.name.span);
            let reference = self.reference(&t.annotations);
            let mut refs = Vec::new();
            let def = match &t.ty {
                TypeExpr::Enum { repr, members, .. } => {
                    let repr = self.repr(*repr, "an enum");
                    TypeDefKind::Enum {
                        repr,
                        values: self.members(repr, members, false, &t.name.name, &mut refs),
                    }
                }
                TypeExpr::Flags { repr, members, .. } => {
                    let repr = self.repr(*repr, "a flags type");
                    TypeDefKind::Flags {
                        repr,
                        values: self.members(repr, members, true, &t.name.name, &mut refs),
                    }
                }
                TypeExpr::Struct { fields, .. } => TypeDefKind::Struct {
                    fields: self.fields(fields, &names),
                },
                TypeExpr::Handle(_) => TypeDefKind::Handle,
                other => match self.type_ref(other, &names) {
                    Some(target) => TypeDefKind::Alias { target },
                    None => continue,
                },
            };
            out.push(Checked {
                def: ir::TypeDef {
                    name: t.name.name.clone(),
                    docs,
                    level: if reference.is_some() {
                        Level::Reference
                    } else {
                        Level::Spec
                    },
                    reference,
                    since,
                    def,
                },
                span: t.name.span,
                availability_refs: refs,
            });
        }
        self.alias_cycles(&out);
        out
    }

    fn repr(&mut self, (repr, span): (ast::Builtin, Span), what: &str) -> Builtin {
        let repr = builtin(repr);
        if !repr.is_integer() {
            self.error(Diagnostic::new(
                format!(
                    "{what} is carried in an integer type (`u8`...`u64`, `s8`...`s64`), not `{}`",
                    repr.keyword()
                ),
                span,
            ));
        }
        repr
    }

    fn members(
        &mut self,
        repr: Builtin,
        members: &[ast::Member],
        flags: bool,
        type_name: &str,
        refs: &mut Vec<(String, Span)>,
    ) -> Vec<EnumValue> {
        let mut out: Vec<(EnumValue, Span)> = Vec::new();
        // Implicit numbers count every member, gated out or not, so a gate never renumbers others.
        let mut next: i128 = if flags { 1 } else { 0 };
        let mut used_bits: i128 = 0;
        for m in members {
            self.only(
                &m.annotations,
                &["value", "reference", "since", "until", "available_in"],
                "an enum or flags member",
            );
            let value = match find(&m.annotations, "value") {
                Some(a) => match self.read(a, &annotations::VALUE).and_then(|r| r.int(0)) {
                    Some((v, span)) => {
                        self.check_value(repr, flags, i128::from(v), &m.name.name, span);
                        i128::from(v)
                    }
                    None => next,
                },
                None => {
                    self.check_value(repr, flags, next, &m.name.name, m.name.span);
                    next
                }
            };
            if flags {
                used_bits |= value;
                next = 1;
                while next & used_bits != 0 {
                    next <<= 1;
                }
            } else {
                next = value + 1;
            }
            let gates = self.gates(&m.annotations);
            if !gates.keep {
                continue;
            }
            let docs = self.docs(
                &m.docs,
                &format!("member `${}` of `${type_name}`", m.name.name),
                m.name.span,
            );
            let reference = self.reference(&m.annotations);
            let available_in = self.available_in(&m.annotations, refs);
            let value = i64::try_from(value).unwrap_or_default();
            if let Some((_, first)) = out.iter().find(|(o, _)| o.name == m.name.name) {
                let first = *first;
                self.duplicate("member", &m.name.name, m.name.span, first);
                continue;
            }
            if let Some((first, span)) = out.iter().find(|(o, _)| o.value == value) {
                let d = Diagnostic::new(
                    format!(
                        "`${}` has the value {value}, which `${}` already has in `${type_name}`",
                        m.name.name, first.name
                    ),
                    m.name.span,
                )
                .with_note(format!("`${}` is here", first.name), Some(*span));
                self.error(d);
                continue;
            }
            out.push((
                EnumValue {
                    name: m.name.name.clone(),
                    value,
                    docs,
                    level: if reference.is_some() {
                        Level::Reference
                    } else {
                        Level::Spec
                    },
                    reference,
                    since: gates.since,
                    available_in,
                },
                m.name.span,
            ));
        }
        out.into_iter().map(|(v, _)| v).collect()
    }

    fn check_value(&mut self, repr: Builtin, flags: bool, value: i128, name: &str, span: Span) {
        if let Some((lo, hi)) = repr.range()
            && (value < lo || value > hi)
        {
            self.error(Diagnostic::new(
                format!(
                    "`${name}` = {value} does not fit in `{}` ({lo}..={hi})",
                    repr.keyword()
                ),
                span,
            ));
            return;
        }
        if flags && (value <= 0 || value & (value - 1) != 0) {
            self.error(Diagnostic::new(
                format!("flag `${name}` = {value} must be a single bit (a power of two)"),
                span,
            ));
        }
    }

    fn available_in(
        &mut self,
        annotations: &[ast::Annotation],
        refs: &mut Vec<(String, Span)>,
    ) -> Vec<Availability> {
        let mut out = Vec::new();
        for a in all(annotations, "available_in") {
            let Some(r) = self.read(a, &annotations::AVAILABLE_IN) else {
                continue;
            };
            let Some((word, span)) = r.word(0) else {
                continue;
            };
            let access = match word {
                "read" => Access::Read,
                "read_write" => Access::ReadWrite,
                other => {
                    self.error(Diagnostic::new(
                        format!("access is `read` or `read_write`, not `{other}`"),
                        span,
                    ));
                    continue;
                }
            };
            for i in 1..r.args.len() {
                if let Some(s) = r.str(i) {
                    refs.push((s.value.clone(), s.span));
                    out.push(Availability {
                        access,
                        callback: s.value.clone(),
                    });
                }
            }
        }
        out
    }

    fn fields(&mut self, fields: &[ast::Field], names: &[&str]) -> Vec<ir::Field> {
        let mut out: Vec<(ir::Field, Span)> = Vec::new();
        for f in fields {
            self.only(&f.annotations, &[], "a struct field");
            let docs = self.docs(&f.docs, &format!("field `${}`", f.name.name), f.name.span);
            let Some(ty) = self.type_ref(&f.ty, names) else {
                continue;
            };
            if let Some((_, first)) = out.iter().find(|(o, _)| o.name == f.name.name) {
                let first = *first;
                self.duplicate("field", &f.name.name, f.name.span, first);
                continue;
            }
            out.push((
                ir::Field {
                    name: f.name.name.clone(),
                    ty,
                    docs,
                },
                f.name.span,
            ));
        }
        out.into_iter().map(|(f, _)| f).collect()
    }

    /// Resolves a type written in a parameter, field or alias position.
    pub(crate) fn type_ref(&mut self, t: &TypeExpr, names: &[&str]) -> Option<TypeRef> {
        Some(match t {
            TypeExpr::Builtin(b, _) => TypeRef::Builtin { name: builtin(*b) },
            TypeExpr::Named(id) => {
                if !names.contains(&id.name.as_str()) {
                    let hint = suggest(&id.name, names.iter().copied(), "$");
                    self.error(Diagnostic::new(
                        format!("unknown type `${}`{hint}", id.name),
                        id.span,
                    ));
                    return None;
                }
                TypeRef::Named {
                    name: id.name.clone(),
                }
            }
            TypeExpr::Pointer(to, _) => TypeRef::Pointer {
                to: Box::new(self.type_ref(to, names)?),
            },
            TypeExpr::ConstPointer(to, _) => TypeRef::ConstPointer {
                to: Box::new(self.type_ref(to, names)?),
            },
            TypeExpr::Enum { span, .. }
            | TypeExpr::Flags { span, .. }
            | TypeExpr::Struct { span, .. }
            | TypeExpr::Handle(span) => {
                self.error(Diagnostic::new(
                    "an enum, flags, struct or handle type must be named with `(typename $name ...)` and used by its name",
                    *span,
                ));
                return None;
            }
        })
    }

    fn alias_cycles(&mut self, types: &[Checked]) {
        let mut reported: Vec<&str> = Vec::new();
        for start in types {
            if reported.contains(&start.def.name.as_str()) {
                continue;
            }
            let mut seen = vec![start.def.name.as_str()];
            let mut cur = &start.def;
            while let TypeDefKind::Alias {
                target: TypeRef::Named { name },
            } = &cur.def
            {
                if name == &start.def.name {
                    self.error(Diagnostic::new(
                        format!(
                            "type `${}` is defined in terms of itself ({})",
                            start.def.name,
                            seen.iter()
                                .chain(std::iter::once(&name.as_str()))
                                .map(|n| format!("`${n}`"))
                                .collect::<Vec<_>>()
                                .join(" → ")
                        ),
                        start.span,
                    ));
                    reported.extend(seen.iter().copied());
                    break;
                }
                if seen.contains(&name.as_str()) {
                    break;
                }
                seen.push(name);
                match types.iter().find(|t| &t.def.name == name) {
                    Some(t) => cur = &t.def,
                    None => break,
                }
            }
        }
    }
}

pub(crate) fn builtin(b: ast::Builtin) -> Builtin {
    match b {
        ast::Builtin::U8 => Builtin::U8,
        ast::Builtin::U16 => Builtin::U16,
        ast::Builtin::U32 => Builtin::U32,
        ast::Builtin::U64 => Builtin::U64,
        ast::Builtin::S8 => Builtin::S8,
        ast::Builtin::S16 => Builtin::S16,
        ast::Builtin::S32 => Builtin::S32,
        ast::Builtin::S64 => Builtin::S64,
        ast::Builtin::Usize => Builtin::Usize,
        ast::Builtin::Char8 => Builtin::Char8,
        ast::Builtin::Bool => Builtin::Bool,
        ast::Builtin::String => Builtin::String,
        ast::Builtin::F32 => Builtin::F32,
        ast::Builtin::F64 => Builtin::F64,
    }
}
