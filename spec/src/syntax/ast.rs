//! The syntax tree of one document: what was written, with spans, before any name is resolved.

use crate::diagnostic::Span;

/// A parsed document.
#[derive(Debug)]
pub struct Document {
    /// Top-level items in source order.
    pub items: Vec<TopItem>,
}

/// Joined `;;;` lines before an item.
#[derive(Debug, Clone, Default)]
pub struct Docs {
    /// The text, one line per doc line, with the `;;;` and one following space removed.
    pub text: String,
    /// Where the doc comment is, if there is one.
    pub span: Option<Span>,
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
    /// `(@abi ...)`, `(@host ...)`, `(@format ...)`
    Annotation(Annotation),
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
    String,
    F32,
    F64,
}

/// A type as written.
#[derive(Debug)]
pub enum TypeExpr {
    /// `u32`, `string`, ...
    Builtin(Builtin, Span),
    /// `$name`
    Named(Ident),
    /// `(enum REPR member*)`
    Enum {
        /// Representation keyword.
        repr: (Builtin, Span),
        /// Members.
        members: Vec<Member>,
        /// The whole form.
        span: Span,
    },
    /// `(flags REPR member*)`
    Flags {
        /// Representation keyword.
        repr: (Builtin, Span),
        /// Members.
        members: Vec<Member>,
        /// The whole form.
        span: Span,
    },
    /// `(struct (field ...)*)`
    Struct {
        /// Fields.
        fields: Vec<Field>,
        /// The whole form.
        span: Span,
    },
    /// `(handle)`
    Handle(Span),
    /// `(@witx pointer T)`
    Pointer(Box<TypeExpr>, Span),
    /// `(@witx const_pointer T)`
    ConstPointer(Box<TypeExpr>, Span),
}

impl TypeExpr {
    /// Where the type is written.
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Builtin(_, s) | TypeExpr::Handle(s) => *s,
            TypeExpr::Named(id) => id.span,
            TypeExpr::Enum { span, .. }
            | TypeExpr::Flags { span, .. }
            | TypeExpr::Struct { span, .. }
            | TypeExpr::Pointer(_, span)
            | TypeExpr::ConstPointer(_, span) => *span,
        }
    }
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
    /// `(import "memory" (memory))` forms.
    pub memory_imports: Vec<Span>,
    /// Functions in source order.
    pub functions: Vec<Function>,
    /// Module annotations.
    pub annotations: Vec<Annotation>,
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
