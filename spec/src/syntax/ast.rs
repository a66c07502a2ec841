//! The syntax tree of one document: what was written, with spans, before any name is resolved.

use crate::diagnostic::Span;

/// A parsed document.
#[derive(Debug)]
pub struct Document {
    /// Top-level items in source order.
    pub items: Vec<TopItem>,
    /// Doc comments at the top level with no item after them: documentation of the document.
    pub docs: Docs,
}

/// The `;;;` lines that document an item: those right before it, then any inside it that
/// document nothing smaller (e.g. a doc comment before the closing `)` of an enum).
#[derive(Debug, Clone, Default)]
pub struct Docs {
    /// The text, one line per doc line, with the `;;;` and one following space removed.
    pub text: String,
    /// Where the first doc comment is, if there is one.
    pub span: Option<Span>,
}

impl Docs {
    /// Adds `more` after these docs, as a new paragraph.
    pub fn append(&mut self, more: Docs) {
        if more.span.is_none() {
            return;
        }
        if self.span.is_none() {
            *self = more;
        } else {
            self.text.push_str("\n\n");
            self.text.push_str(&more.text);
        }
    }
}

/// `$name` with its place.
#[derive(Debug, Clone)]
pub struct Ident {
    /// The name without `$`.
    pub name: String,
    /// Where it is written.
    pub span: Span,
}

/// A string literal with escapes resolved.
#[derive(Debug, Clone)]
pub struct Str {
    /// The value.
    pub value: String,
    /// Where it is written, quotes included.
    pub span: Span,
}

/// A top-level item.
#[derive(Debug)]
pub enum TopItem {
    /// `(use "file")`
    Use(Str),
    /// `(typename $x T)`
    Typename(Typename),
    /// `(module $x ...)`
    Module(Module),
    /// `(@witx const $type $name VALUE)` (witx 0.9)
    Const(Const),
    /// `(@abi ...)`, `(@host ...)`, `(@format ...)`
    Annotation(Annotation),
}

/// `(@witx const $type $name VALUE)`: a named value of a type (witx 0.9).
#[derive(Debug)]
pub struct Const {
    /// Doc comment.
    pub docs: Docs,
    /// The type it is a value of.
    pub ty: Ident,
    /// Its name.
    pub name: Ident,
    /// The value as written; a constant is an unsigned 64-bit number.
    pub value: (i128, Span),
}

/// `(typename $name annotations* type annotations*)`
#[derive(Debug)]
pub struct Typename {
    /// Doc comment.
    pub docs: Docs,
    /// The name.
    pub name: Ident,
    /// The type.
    pub ty: TypeExpr,
    /// Annotations before and after the type.
    pub annotations: Vec<Annotation>,
}

/// Builtin type keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    Char,
    String,
    F32,
    F64,
}

/// A type as written.
#[derive(Debug)]
pub enum TypeExpr {
    /// `u32`, `string`, `(@witx usize)`, ...
    Builtin(Builtin, Span),
    /// `$name`
    Named(Ident),
    /// `(enum REPR member*)`, `(enum (@witx tag REPR) member*)` or `(enum member*)`
    Enum {
        /// The representation, if written.
        repr: Option<Box<TypeExpr>>,
        /// Members.
        members: Vec<Member>,
        /// The whole form.
        span: Span,
    },
    /// `(int REPR (const $name VALUE)*)` (witx 0.7 and 0.8)
    Int {
        /// Representation keyword.
        repr: (Builtin, Span),
        /// The named values.
        consts: Vec<IntConst>,
        /// The whole form.
        span: Span,
    },
    /// `(flags REPR member*)`, `(flags (@witx repr REPR) member*)` or `(flags member*)`
    Flags {
        /// The representation, if written.
        repr: Option<(Builtin, Span)>,
        /// Members.
        members: Vec<Member>,
        /// The whole form.
        span: Span,
    },
    /// `(struct (field ...)*)` (witx 0.6) or `(record (field ...)*)` (witx 0.9)
    Struct {
        /// Fields.
        fields: Vec<Field>,
        /// The whole form.
        span: Span,
    },
    /// `(union (field ...)*)` (witx 0.6, untagged), `(union $tag (field ...)|(empty $x) ...)`
    /// (witx 0.7 and 0.8, the tag in `tag`) or `(union (@witx tag T)? T*)` (witx 0.9)
    Union {
        /// The tag type, if written.
        tag: Option<Box<TypeExpr>>,
        /// The alternatives.
        cases: Vec<UnionCase>,
        /// The whole form.
        span: Span,
    },
    /// `(variant (@witx tag T)? (case $name T?)*)` (witx 0.9)
    Variant {
        /// The tag type, if written.
        tag: Option<Box<TypeExpr>>,
        /// The cases.
        cases: Vec<Case>,
        /// The whole form.
        span: Span,
    },
    /// `(tuple T*)` (witx 0.9)
    Tuple(Vec<TypeExpr>, Span),
    /// `(expected T? (error E?))` (witx 0.9)
    Expected {
        /// The value on success.
        ok: Option<Box<TypeExpr>>,
        /// The value on failure.
        err: Option<Box<TypeExpr>>,
        /// The whole form.
        span: Span,
    },
    /// `(list T)` (witx 0.9) or `(array T)` (witx 0.6)
    List(Box<TypeExpr>, Span),
    /// `(handle)`, or `(handle $super*)` in witx 0.6
    Handle {
        /// Supertypes named in witx 0.6 style.
        supertypes: Vec<Ident>,
        /// The whole form.
        span: Span,
    },
    /// `(@witx pointer T)`
    Pointer(Box<TypeExpr>, Span),
    /// `(@witx const_pointer T)`
    ConstPointer(Box<TypeExpr>, Span),
}

impl TypeExpr {
    /// Where the type is written.
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Builtin(_, s) | TypeExpr::Tuple(_, s) | TypeExpr::List(_, s) => *s,
            TypeExpr::Named(id) => id.span,
            TypeExpr::Enum { span, .. }
            | TypeExpr::Flags { span, .. }
            | TypeExpr::Int { span, .. }
            | TypeExpr::Struct { span, .. }
            | TypeExpr::Union { span, .. }
            | TypeExpr::Variant { span, .. }
            | TypeExpr::Expected { span, .. }
            | TypeExpr::Handle { span, .. }
            | TypeExpr::Pointer(_, span)
            | TypeExpr::ConstPointer(_, span) => *span,
        }
    }
}

/// `(const $name VALUE)` of an `int` type.
#[derive(Debug)]
pub struct IntConst {
    /// Doc comment.
    pub docs: Docs,
    /// The name.
    pub name: Ident,
    /// The value as written.
    pub value: (i128, Span),
}

/// An alternative of a `union`.
#[derive(Debug)]
pub enum UnionCase {
    /// witx 0.6, 0.7 and 0.8: `(field $name T)`.
    Field(Field),
    /// witx 0.7 and 0.8: `(empty $name)`, a case without payload.
    Empty(Docs, Ident),
    /// witx 0.9: a type, with its doc comment.
    Type(Docs, TypeExpr),
}

/// `(case $name T?)` of a `variant`.
#[derive(Debug)]
pub struct Case {
    /// Doc comment.
    pub docs: Docs,
    /// The name.
    pub name: Ident,
    /// The payload, if any.
    pub ty: Option<TypeExpr>,
}

/// An enum or flags member.
#[derive(Debug)]
pub struct Member {
    /// Doc comment.
    pub docs: Docs,
    /// The name.
    pub name: Ident,
    /// Annotations after the name.
    pub annotations: Vec<Annotation>,
}

/// `(field $name T annotations*)`
#[derive(Debug)]
pub struct Field {
    /// Doc comment.
    pub docs: Docs,
    /// The name.
    pub name: Ident,
    /// The type.
    pub ty: TypeExpr,
    /// Annotations after the type.
    pub annotations: Vec<Annotation>,
}

/// `(module $name item*)`
#[derive(Debug)]
pub struct Module {
    /// Doc comment.
    pub docs: Docs,
    /// The name.
    pub name: Ident,
    /// `(import "NAME" (memory))` forms.
    pub memory_imports: Vec<MemoryImport>,
    /// Functions in source order.
    pub functions: Vec<Function>,
    /// Module annotations.
    pub annotations: Vec<Annotation>,
}

/// `(import "NAME" (memory))`
#[derive(Debug)]
pub struct MemoryImport {
    /// Doc comment.
    pub docs: Docs,
    /// The import name.
    pub name: Str,
    /// The whole form.
    pub span: Span,
}

/// `(@interface func (export "name") item*)`
#[derive(Debug)]
pub struct Function {
    /// Doc comment.
    pub docs: Docs,
    /// The export name.
    pub name: Str,
    /// Parameters in order.
    pub params: Vec<Param>,
    /// Results in order.
    pub results: Vec<Param>,
    /// `(@witx noreturn)` (witx 0.9), where written.
    pub noreturn: Option<Span>,
    /// Function annotations.
    pub annotations: Vec<Annotation>,
    /// The whole form.
    pub span: Span,
}

/// `(param $name T annotations*)` or `(result ...)`
#[derive(Debug)]
pub struct Param {
    /// Doc comment.
    pub docs: Docs,
    /// The name.
    pub name: Ident,
    /// The type.
    pub ty: TypeExpr,
    /// Annotations after the type.
    pub annotations: Vec<Annotation>,
}

/// `(@name arg*)`
#[derive(Debug, Clone)]
pub struct Annotation {
    /// Doc comment (only `@host`, `@format` and `@abi` take one).
    pub docs: Docs,
    /// The name without `@`.
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// Arguments in order.
    pub args: Vec<Arg>,
    /// The whole form.
    pub span: Span,
}

/// An annotation argument.
#[derive(Debug, Clone)]
pub enum Arg {
    /// `"text"`
    Str(Str),
    /// `42`
    Int(i64, Span),
    /// `$name`
    Id(Ident),
    /// a bare word
    Word(String, Span),
    /// a nested annotation
    Annotation(Annotation),
    /// a parenthesised list that is not an annotation
    List(Vec<Arg>, Span),
}

impl Arg {
    /// Where the argument is written.
    pub fn span(&self) -> Span {
        match self {
            Arg::Str(s) => s.span,
            Arg::Int(_, s) | Arg::Word(_, s) | Arg::List(_, s) => *s,
            Arg::Id(id) => id.span,
            Arg::Annotation(a) => a.span,
        }
    }
}
