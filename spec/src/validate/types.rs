//! Typenames: enums and flags with their numbers, structs, unions and variants, aliases, and
//! type references.

use super::annotations::{self, all, find};
use super::{Validator, suggest};
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::ir::{
    self, Access, Availability, Builtin, Case, EnumValue, Level, TypeDefKind, TypeRef,
};
use crate::loader::DocumentSet;
use crate::syntax::ast::{self, TopItem, TypeExpr, UnionCase};

/// The names a type may refer to, and what a variant's `(@witx tag $name)` needs of them.
pub(crate) struct Scope<'a> {
    /// Every type name.
    pub names: Vec<&'a str>,
    /// Each name's body as far as a tag needs it.
    tags: Vec<(&'a str, TagBody<'a>)>,
}

#[derive(Clone)]
enum TagBody<'a> {
    Int(Builtin),
    Enum(Builtin, Vec<String>),
    Alias(&'a str),
    Other,
}

/// What a `(@witx tag T)` gives a variant: the tag's integer type and, for an enum, the case
/// names in order.
pub(crate) type Tag = (Builtin, Option<Vec<String>>);

impl<'a> Scope<'a> {
    /// The scope of typenames as written.
    pub fn of_syntax(typenames: &[&'a ast::Typename]) -> Self {
        let tags = typenames
            .iter()
            .map(|t| {
                let body = match &t.ty {
                    TypeExpr::Builtin(b, _) | TypeExpr::Int { repr: (b, _), .. } => {
                        TagBody::Int(builtin(*b))
                    }
                    TypeExpr::Named(id) => TagBody::Alias(id.name.as_str()),
                    TypeExpr::Enum { repr, members, .. } => {
                        let repr = match repr.as_deref() {
                            Some(TypeExpr::Builtin(b, _)) => builtin(*b),
                            _ => Builtin::U32,
                        };
                        TagBody::Enum(repr, members.iter().map(|m| m.name.name.clone()).collect())
                    }
                    _ => TagBody::Other,
                };
                (t.name.name.as_str(), body)
            })
            .collect();
        Scope {
            names: typenames.iter().map(|t| t.name.name.as_str()).collect(),
            tags,
        }
    }

    /// The scope of validated types.
    pub fn of_ir(types: &'a [Checked]) -> Self {
        let tags = types
            .iter()
            .map(|t| {
                let body = match &t.def.def {
                    TypeDefKind::Alias {
                        target: TypeRef::Builtin { name },
                    } => TagBody::Int(*name),
                    TypeDefKind::Alias {
                        target: TypeRef::Named { name },
                    } => TagBody::Alias(name.as_str()),
                    TypeDefKind::Enum { repr, values } => {
                        TagBody::Enum(*repr, values.iter().map(|v| v.name.clone()).collect())
                    }
                    _ => TagBody::Other,
                };
                (t.def.name.as_str(), body)
            })
            .collect();
        Scope {
            names: types.iter().map(|t| t.def.name.as_str()).collect(),
            tags,
        }
    }

    fn tag_body(&self, name: &str) -> Option<TagBody<'a>> {
        let mut cur = name;
        for _ in 0..=self.tags.len() {
            match self
                .tags
                .iter()
                .find(|(n, _)| *n == cur)
                .map(|(_, b)| b.clone())?
            {
                TagBody::Alias(next) => cur = next,
                other => return Some(other),
            }
        }
        None
    }
}

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
        let scope = Scope::of_syntax(&kept);
        let mut out = Vec::new();
        for (t, since) in kept.iter().zip(gates) {
            let docs = self.docs(&t.docs, &format!("type `${}`", t.name.name), t.name.span);
            let reference = self.reference(&t.annotations);
            let mut refs = Vec::new();
            let def = match &t.ty {
                TypeExpr::Enum { repr, members, .. } => {
                    let repr = match repr.as_deref() {
                        Some(TypeExpr::Builtin(b, span)) => self.repr((*b, *span), "an enum"),
                        Some(other) => {
                            self.error(Diagnostic::new(
                                "an enum is carried in an integer type (`u8`...`u64`, `s8`...`s64`) written as `(@witx tag u32)` or, in witx 0.6, `(enum u32 ...)`",
                                other.span(),
                            ));
                            Builtin::U32
                        }
                        // witx 0.9 carries an enum without a tag in a u32.
                        None => Builtin::U32,
                    };
                    TypeDefKind::Enum {
                        repr,
                        values: self.members(repr, members, false, &t.name.name, &mut refs),
                    }
                }
                TypeExpr::Flags { repr, members, .. } => {
                    let repr = match repr {
                        Some(r) => self.repr(*r, "a flags type"),
                        None => Builtin::U32,
                    };
                    TypeDefKind::Flags {
                        repr,
                        values: self.members(repr, members, true, &t.name.name, &mut refs),
                    }
                }
                // Its constants are read with the `(@witx const ...)` ones.
                TypeExpr::Int { repr, .. } => TypeDefKind::Alias {
                    target: TypeRef::Builtin {
                        name: self.repr(*repr, "an `int` type"),
                    },
                },
                TypeExpr::Struct { fields, .. } => TypeDefKind::Struct {
                    fields: self.fields(fields, &scope, false),
                },
                TypeExpr::Union { tag, cases, span } => {
                    match self.union(tag.as_deref(), cases, *span, &scope) {
                        Some(def) => def,
                        None => continue,
                    }
                }
                TypeExpr::Variant { .. } | TypeExpr::Expected { .. } => {
                    match self.type_ref(&t.ty, &scope) {
                        Some(TypeRef::Variant { tag, cases }) => {
                            TypeDefKind::Variant { tag, cases }
                        }
                        _ => continue,
                    }
                }
                TypeExpr::Handle { supertypes, .. } => {
                    if let Some(first) = supertypes.first() {
                        self.error(Diagnostic::new(
                            "a handle that names supertypes (witx 0.6 `(handle $super ...)`) cannot be held by the IR yet; write `(handle)`",
                            first.span,
                        ));
                    }
                    TypeDefKind::Handle
                }
                other => match self.type_ref(other, &scope) {
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

    /// Reads the `(@witx const $type $name VALUE)` items.
    pub(crate) fn constants(&mut self, set: &DocumentSet, types: &[Checked]) -> Vec<ir::Constant> {
        let mut out: Vec<(ir::Constant, Span)> = Vec::new();
        // `(int u64 (const $name VALUE))` (witx 0.7 and 0.8) says what `(@witx const $type $name
        // VALUE)` (witx 0.9) says; both become constants of their type.
        let mut written: Vec<(&ast::Ident, &ast::Ident, (i128, Span), &ast::Docs)> = Vec::new();
        for item in &set.items {
            match &item.item {
                TopItem::Const(c) => written.push((&c.ty, &c.name, c.value, &c.docs)),
                TopItem::Typename(t) if types.iter().any(|k| k.span == t.name.span) => {
                    if let TypeExpr::Int { consts, .. } = &t.ty {
                        for c in consts {
                            written.push((&t.name, &c.name, c.value, &c.docs));
                        }
                    }
                }
                _ => {}
            }
        }
        for (ty, name, value, docs) in written {
            let c = ast::Const {
                docs: docs.clone(),
                ty: ty.clone(),
                name: name.clone(),
                value,
            };
            if !types.iter().any(|t| t.def.name == c.ty.name) {
                let hint = suggest(&c.ty.name, types.iter().map(|t| t.def.name.as_str()), "$");
                self.error(Diagnostic::new(
                    format!("unknown type `${}`{hint}", c.ty.name),
                    c.ty.span,
                ));
                continue;
            }
            let (value, span) = c.value;
            let Ok(value) = u64::try_from(value) else {
                self.error(Diagnostic::new(
                    format!("a constant is an unsigned 64-bit number, not {value}"),
                    span,
                ));
                continue;
            };
            if let Some((_, first)) = out
                .iter()
                .find(|(o, _)| o.ty == c.ty.name && o.name == c.name.name)
            {
                let first = *first;
                self.error(
                    Diagnostic::new(
                        format!(
                            "constant `${}` of `${}` is defined twice",
                            c.name.name, c.ty.name
                        ),
                        c.name.span,
                    )
                    .with_note("first defined here", Some(first)),
                );
                continue;
            }
            let docs = self.docs(
                &c.docs,
                &format!("constant `${}` of `${}`", c.name.name, c.ty.name),
                c.name.span,
            );
            out.push((
                ir::Constant {
                    ty: c.ty.name.clone(),
                    name: c.name.name.clone(),
                    value,
                    docs,
                },
                c.name.span,
            ));
        }
        out.into_iter().map(|(c, _)| c).collect()
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

    /// Struct fields, or the alternatives of a witx 0.6 union.
    fn fields<'f>(
        &mut self,
        fields: impl IntoIterator<Item = &'f ast::Field>,
        scope: &Scope,
        union: bool,
    ) -> Vec<ir::Field> {
        let (place, what) = if union {
            ("a union field", "union field")
        } else {
            ("a struct field", "field")
        };
        let mut out: Vec<(ir::Field, Span)> = Vec::new();
        for f in fields {
            self.only(&f.annotations, &[], place);
            let docs = self.docs(&f.docs, &format!("{what} `${}`", f.name.name), f.name.span);
            let Some(ty) = self.type_ref(&f.ty, scope) else {
                continue;
            };
            if let Some((_, first)) = out.iter().find(|(o, _)| o.name == f.name.name) {
                let first = *first;
                self.duplicate(what, &f.name.name, f.name.span, first);
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
    pub(crate) fn type_ref(&mut self, t: &TypeExpr, scope: &Scope) -> Option<TypeRef> {
        Some(match t {
            TypeExpr::Builtin(b, _) => TypeRef::Builtin { name: builtin(*b) },
            TypeExpr::Named(id) => {
                if !scope.names.contains(&id.name.as_str()) {
                    let hint = suggest(&id.name, scope.names.iter().copied(), "$");
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
                to: Box::new(self.type_ref(to, scope)?),
            },
            TypeExpr::ConstPointer(to, _) => TypeRef::ConstPointer {
                to: Box::new(self.type_ref(to, scope)?),
            },
            TypeExpr::List(of, _) => TypeRef::List {
                of: Box::new(self.type_ref(of, scope)?),
            },
            TypeExpr::Tuple(members, _) => {
                let members: Vec<Option<TypeRef>> =
                    members.iter().map(|m| self.type_ref(m, scope)).collect();
                TypeRef::Tuple {
                    members: members.into_iter().collect::<Option<_>>()?,
                }
            }
            TypeExpr::Expected { ok, err, .. } => {
                let mut payload = |t: &Option<Box<TypeExpr>>| match t {
                    Some(t) => self.type_ref(t, scope).map(Some),
                    None => Some(None),
                };
                let (ok, err) = (payload(ok), payload(err));
                TypeRef::Variant {
                    tag: Builtin::U32,
                    cases: vec![
                        Case {
                            name: "ok".to_string(),
                            ty: ok?,
                            docs: String::new(),
                        },
                        Case {
                            name: "err".to_string(),
                            ty: err?,
                            docs: String::new(),
                        },
                    ],
                }
            }
            TypeExpr::Variant { tag, cases, span } => {
                let (tag, names) = self.tag(tag.as_deref(), scope)?;
                let mut out: Vec<(Case, Span)> = Vec::new();
                for c in cases {
                    let docs = self.docs(&c.docs, &format!("case `${}`", c.name.name), c.name.span);
                    let ty = match &c.ty {
                        Some(t) => Some(self.type_ref(t, scope)?),
                        None => None,
                    };
                    if let Some((_, first)) = out.iter().find(|(o, _)| o.name == c.name.name) {
                        let first = *first;
                        self.duplicate("case", &c.name.name, c.name.span, first);
                        continue;
                    }
                    out.push((
                        Case {
                            name: c.name.name.clone(),
                            ty,
                            docs,
                        },
                        c.name.span,
                    ));
                }
                let cases = match names {
                    Some(names) => self.order_by_tag(out, &names, *span)?,
                    None => out.into_iter().map(|(c, _)| c).collect(),
                };
                TypeRef::Variant { tag, cases }
            }
            TypeExpr::Enum { span, .. }
            | TypeExpr::Int { span, .. }
            | TypeExpr::Flags { span, .. }
            | TypeExpr::Struct { span, .. }
            | TypeExpr::Union { span, .. }
            | TypeExpr::Handle { span, .. } => {
                self.error(Diagnostic::new(
                    "an enum, int, flags, struct, record, union or handle type must be named with `(typename $name ...)` and used by its name",
                    *span,
                ));
                return None;
            }
        })
    }

    /// A witx union: of fields (witx 0.6, untagged) or of types (witx 0.9, a variant whose
    /// cases are named after its tag's members, or numbered).
    fn union(
        &mut self,
        tag: Option<&TypeExpr>,
        cases: &[UnionCase],
        span: Span,
        scope: &Scope,
    ) -> Option<TypeDefKind> {
        let types = cases
            .iter()
            .filter(|c| matches!(c, UnionCase::Type(..)))
            .count();
        if types > 0 && types < cases.len() {
            self.error(Diagnostic::new(
                "a `union` lists either fields, `(field $name T)` and `(empty $name)` (witx 0.6 to 0.8), or types (witx 0.9), not both",
                span,
            ));
            return None;
        }
        if types == 0 && !cases.is_empty() {
            return self.union_of_fields(tag, cases, span, scope);
        }
        let (tag, names) = self.tag(tag, scope)?;
        if let Some(names) = &names
            && names.len() != cases.len()
        {
            self.error(Diagnostic::new(
                format!(
                    "this union's tag has {} members, so the union needs as many types, but it has {}",
                    names.len(),
                    cases.len()
                ),
                span,
            ));
            return None;
        }
        let mut out = Vec::new();
        for (i, c) in cases.iter().enumerate() {
            let UnionCase::Type(docs, ty) = c else {
                continue;
            };
            let name = match &names {
                Some(names) => names[i].clone(),
                None => i.to_string(),
            };
            let docs = self.docs(docs, &format!("case `{name}` of a union"), ty.span());
            out.push(Case {
                name,
                ty: Some(self.type_ref(ty, scope)?),
                docs,
            });
        }
        Some(TypeDefKind::Variant { tag, cases: out })
    }

    /// A union of fields: untagged, the fields overlapping (witx 0.6), or tagged by an enum whose
    /// members name the fields and empty cases (witx 0.7 and 0.8), which is a variant.
    fn union_of_fields(
        &mut self,
        tag: Option<&TypeExpr>,
        cases: &[UnionCase],
        span: Span,
        scope: &Scope,
    ) -> Option<TypeDefKind> {
        let Some(tag_type) = tag else {
            if let Some(UnionCase::Empty(_, name)) =
                cases.iter().find(|c| matches!(c, UnionCase::Empty(..)))
            {
                self.error(Diagnostic::new(
                    "an `(empty $name)` case belongs to a union tagged by an enum, `(union $tag ...)`",
                    name.span,
                ));
                return None;
            }
            let fields = cases.iter().filter_map(|c| match c {
                UnionCase::Field(f) => Some(f),
                _ => None,
            });
            return Some(TypeDefKind::Union {
                fields: self.fields(fields, scope, true),
            });
        };
        let (tag, names) = self.tag(Some(tag_type), scope)?;
        let Some(names) = names else {
            self.error(Diagnostic::new(
                "a union of fields is tagged by an enum whose members name its fields",
                tag_type.span(),
            ));
            return None;
        };
        let mut out: Vec<(Case, Span)> = Vec::new();
        for c in cases {
            let (docs, name, ty) = match c {
                UnionCase::Field(f) => {
                    self.only(&f.annotations, &[], "a union field");
                    (&f.docs, &f.name, Some(self.type_ref(&f.ty, scope)?))
                }
                UnionCase::Empty(docs, name) => (docs, name, None),
                UnionCase::Type(..) => continue,
            };
            let docs = self.docs(docs, &format!("case `${}`", name.name), name.span);
            if let Some((_, first)) = out.iter().find(|(o, _)| o.name == name.name) {
                let first = *first;
                self.duplicate("case", &name.name, name.span, first);
                continue;
            }
            out.push((
                Case {
                    name: name.name.clone(),
                    ty,
                    docs,
                },
                name.span,
            ));
        }
        let cases = self.order_by_tag(out, &names, span)?;
        Some(TypeDefKind::Variant { tag, cases })
    }

    /// Reads a variant's or union's `(@witx tag T)`: an unsigned integer type, or an enum whose
    /// members name the cases. Without one the tag is a u32.
    fn tag(&mut self, tag: Option<&TypeExpr>, scope: &Scope) -> Option<Tag> {
        let Some(t) = tag else {
            return Some((Builtin::U32, None));
        };
        let body = match t {
            TypeExpr::Builtin(b, _) => Some(TagBody::Int(builtin(*b))),
            TypeExpr::Named(id) => {
                self.type_ref(t, scope)?;
                scope.tag_body(&id.name)
            }
            _ => None,
        };
        match body {
            Some(TagBody::Int(b @ (Builtin::U8 | Builtin::U16 | Builtin::U32 | Builtin::U64))) => {
                Some((b, None))
            }
            Some(TagBody::Enum(repr, names)) => Some((repr, Some(names))),
            _ => {
                self.error(Diagnostic::new(
                    "a tag is an unsigned integer type (`u8`...`u64`) or the name of an enum",
                    t.span(),
                ));
                None
            }
        }
    }

    /// Puts the cases of a variant tagged by an enum in the enum's order, each named after a
    /// member, as witx does.
    fn order_by_tag(
        &mut self,
        cases: Vec<(Case, Span)>,
        names: &[String],
        span: Span,
    ) -> Option<Vec<Case>> {
        let mut ok = true;
        for (c, at) in &cases {
            if !names.contains(&c.name) {
                let hint = suggest(&c.name, names.iter().map(String::as_str), "$");
                self.error(Diagnostic::new(
                    format!("case `${}` is not a member of the tag enum{hint}", c.name),
                    *at,
                ));
                ok = false;
            }
        }
        let missing: Vec<&String> = names
            .iter()
            .filter(|n| !cases.iter().any(|(c, _)| &c.name == *n))
            .collect();
        if ok && !missing.is_empty() {
            self.error(Diagnostic::new(
                format!(
                    "the tag enum has members without a case: {}",
                    missing
                        .iter()
                        .map(|n| format!("`${n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                span,
            ));
            ok = false;
        }
        if !ok {
            return None;
        }
        let mut cases: Vec<Case> = cases.into_iter().map(|(c, _)| c).collect();
        cases.sort_by_key(|c| names.iter().position(|n| *n == c.name));
        Some(cases)
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
        ast::Builtin::Char => Builtin::Char,
        ast::Builtin::String => Builtin::String,
        ast::Builtin::F32 => Builtin::F32,
        ast::Builtin::F64 => Builtin::F64,
    }
}
