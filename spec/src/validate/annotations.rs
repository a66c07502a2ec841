//! Reading annotation arguments against the shape each annotation takes.

use super::Validator;
use crate::diagnostic::{Diagnostic, Span};
use crate::ir::Dialect;
use crate::syntax::ast::{Annotation, Arg, Ident, Str};

/// One positional argument kind.
#[derive(Clone, Copy)]
pub(super) enum Want {
    Str,
    Id,
    Int,
    Word,
}

/// The shape of one annotation: its positional arguments and which nested annotations it takes.
pub(super) struct Shape {
    pub name: &'static str,
    /// How it is written, for error messages.
    pub usage: &'static str,
    pub positional: &'static [Want],
    /// A kind that may repeat after the positional arguments (at least once if `Some`).
    pub rest: Option<Want>,
    pub nested: &'static [&'static str],
}

/// The arguments of an annotation that matched its shape.
pub(super) struct Read<'a> {
    pub args: Vec<&'a Arg>,
    pub nested: Vec<&'a Annotation>,
}

impl Read<'_> {
    pub fn str(&self, i: usize) -> Option<&Str> {
        match self.args.get(i) {
            Some(Arg::Str(s)) => Some(s),
            _ => None,
        }
    }

    pub fn id(&self, i: usize) -> Option<&Ident> {
        match self.args.get(i) {
            Some(Arg::Id(id)) => Some(id),
            _ => None,
        }
    }

    pub fn int(&self, i: usize) -> Option<(i64, Span)> {
        match self.args.get(i) {
            Some(Arg::Int(v, s)) => Some((*v, *s)),
            _ => None,
        }
    }

    pub fn word(&self, i: usize) -> Option<(&str, Span)> {
        match self.args.get(i) {
            Some(Arg::Word(w, s)) => Some((w.as_str(), *s)),
            _ => None,
        }
    }
}

fn matches(want: Want, arg: &Arg) -> bool {
    matches!(
        (want, arg),
        (Want::Str, Arg::Str(_))
            | (Want::Id, Arg::Id(_))
            | (Want::Int, Arg::Int(..))
            | (Want::Word, Arg::Word(..))
    )
}

impl Validator {
    /// Checks `a` against `shape`, reporting a usage error if it does not fit. Plain witx reads
    /// no annotation (the one error saying so comes from `no_annotations`).
    pub(super) fn read<'a>(&mut self, a: &'a Annotation, shape: &Shape) -> Option<Read<'a>> {
        if self.dialect == Dialect::Witx {
            return None;
        }
        let mut args = Vec::new();
        let mut nested = Vec::new();
        let mut ok = true;
        for arg in &a.args {
            match arg {
                Arg::Annotation(n) if shape.nested.contains(&n.name.as_str()) => nested.push(n),
                Arg::Annotation(n) => {
                    let allowed = if shape.nested.is_empty() {
                        "it takes none".to_string()
                    } else {
                        format!("it takes {}", list(shape.nested))
                    };
                    self.error(Diagnostic::new(
                        format!(
                            "`@{}` cannot hold `(@{} ...)`: {allowed}",
                            shape.name, n.name
                        ),
                        n.name_span,
                    ));
                    ok = false;
                }
                _ if !nested.is_empty() => {
                    self.error(Diagnostic::new(
                        format!(
                            "`@{}` takes its nested annotations last; write it as {}",
                            shape.name, shape.usage
                        ),
                        arg.span(),
                    ));
                    ok = false;
                }
                _ => args.push(arg),
            }
        }
        let positional_ok = args.len() >= shape.positional.len()
            && shape
                .positional
                .iter()
                .zip(&args)
                .all(|(w, a)| matches(*w, a))
            && match shape.rest {
                Some(w) => {
                    args.len() > shape.positional.len()
                        && args[shape.positional.len()..].iter().all(|a| matches(w, a))
                }
                None => args.len() == shape.positional.len(),
            };
        if !positional_ok {
            self.error(Diagnostic::new(
                format!("malformed `@{}`: write it as {}", shape.name, shape.usage),
                a.span,
            ));
            ok = false;
        }
        // Only declarations take docs; `(@format $id)` on a parameter is a use, not one.
        if let Some(span) = a.docs.span
            && !matches!(shape.name, "abi" | "host")
            && shape.usage != FORMAT_DECL.usage
        {
            self.error(Diagnostic::new(
                format!("a doc comment cannot document `@{}`", shape.name),
                span,
            ));
        }
        ok.then_some(Read { args, nested })
    }

    /// Reports annotations not in `allowed` for a place described by `place`.
    pub(super) fn only(&mut self, annotations: &[Annotation], allowed: &[&str], place: &str) {
        if self.dialect == Dialect::Witx {
            return;
        }
        for a in annotations {
            if !allowed.contains(&a.name.as_str()) {
                let expected = if allowed.is_empty() {
                    format!("{place} takes no annotations")
                } else {
                    format!("{place} takes {}", list(allowed))
                };
                self.error(Diagnostic::new(
                    format!("unknown annotation `@{}` here: {expected}", a.name),
                    a.name_span,
                ));
            }
        }
    }
}

pub(super) fn find<'a>(annotations: &'a [Annotation], name: &str) -> Option<&'a Annotation> {
    annotations.iter().find(|a| a.name == name)
}

pub(super) fn all<'a>(
    annotations: &'a [Annotation],
    name: &'a str,
) -> impl Iterator<Item = &'a Annotation> + 'a {
    annotations.iter().filter(move |a| a.name == name)
}

fn list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`@{n}`")).collect();
    quoted.join(", ")
}

macro_rules! shape {
    ($ident:ident, $name:literal, $usage:literal, [$($p:ident),*], $rest:expr, [$($n:literal),*]) => {
        pub(super) const $ident: Shape = Shape {
            name: $name,
            usage: $usage,
            positional: &[$(Want::$p),*],
            rest: $rest,
            nested: &[$($n),*],
        };
    };
}

shape!(
    ABI,
    "abi",
    "`(@abi \"NAME\" (@marker \"export\") (@released \"YYYY-MM-DD\"))`",
    [Str],
    None,
    ["marker", "released"]
);
shape!(
    MARKER_NAME,
    "marker",
    "`(@marker \"proxy_abi_version_X_Y_Z\")`",
    [Str],
    None,
    []
);
shape!(
    RELEASED,
    "released",
    "`(@released \"YYYY-MM-DD\")`",
    [Str],
    None,
    []
);
shape!(
    HOST,
    "host",
    "`(@host $id \"title\" \"source revision\")`",
    [Id, Str, Str],
    None,
    []
);
shape!(
    FORMAT_DECL,
    "format",
    "`(@format $id \"title\")`",
    [Id, Str],
    None,
    []
);
shape!(FORMAT_USE, "format", "`(@format $id)`", [Id], None, []);
shape!(SINCE, "since", "`(@since \"X.Y.Z\")`", [Str], None, []);
shape!(UNTIL, "until", "`(@until \"X.Y.Z\")`", [Str], None, []);
shape!(
    REFERENCE,
    "reference",
    "`(@reference \"which implementation, where\")`",
    [Str],
    None,
    []
);
shape!(VALUE, "value", "`(@value N)`", [Int], None, []);
shape!(
    AVAILABLE_IN,
    "available_in",
    "`(@available_in read|read_write \"callback\" ...)`",
    [Word],
    Some(Want::Str),
    []
);
shape!(
    IMPORT_MODULE,
    "import_module",
    "`(@import_module \"name\")`",
    [Str],
    None,
    []
);
shape!(
    ALSO_IMPORT_MODULE,
    "also_import_module",
    "`(@also_import_module \"name\" (@reference \"...\"))`",
    [Str],
    None,
    ["reference"]
);
shape!(
    STATUS_TYPE,
    "status_type",
    "`(@status_type $type)`",
    [Id],
    None,
    []
);
shape!(GUEST, "guest", "`(@guest)`", [], None, []);
shape!(
    STATUS,
    "status",
    "`(@status $code \"condition\" (@reference \"...\")? (@cite \"X.Y.Z\" LINE)* (@since \"X.Y.Z\")? (@until \"X.Y.Z\")?)`",
    [Id, Str],
    None,
    ["reference", "cite", "since", "until"]
);
shape!(
    CITE,
    "cite",
    "`(@cite \"X.Y.Z\" LINE)`: the line of that version's published spec text",
    [Str, Int],
    None,
    []
);
shape!(
    CONTEXT,
    "context",
    "`(@context start|root|stream|any ...)`",
    [],
    Some(Want::Word),
    []
);
shape!(
    REPLACED_BY,
    "replaced_by",
    "`(@replaced_by \"function\" \"how\")`",
    [Str, Str],
    None,
    []
);
shape!(
    DEPRECATED,
    "deprecated",
    "`(@deprecated \"why\")`",
    [Str],
    None,
    []
);
shape!(
    ALIAS,
    "alias",
    "`(@alias \"name\" $host \"note\")`",
    [Str, Id, Str],
    None,
    []
);
shape!(
    DEVIATION,
    "deviation",
    "`(@deviation $host \"what differs\")`",
    [Id, Str],
    None,
    []
);
shape!(
    ERRATUM,
    "erratum",
    "`(@erratum \"what the spec text gets wrong\")`",
    [Str],
    None,
    []
);
shape!(MARKER, "marker", "`(@marker)`", [], None, []);
shape!(
    NO_STATUS,
    "no_status",
    "`(@no_status \"why\")`",
    [Str],
    None,
    []
);
shape!(
    INVALID,
    "invalid",
    "`(@invalid $status_code)`",
    [Id],
    None,
    []
);
shape!(
    UNCHECKED,
    "unchecked",
    "`(@unchecked \"why, and what hosts do with other values\")`",
    [Str],
    None,
    []
);
shape!(OUT, "out", "`(@out)` or `(@out alloc)`", [], None, []);
shape!(
    OUT_ALLOC,
    "out",
    "`(@out)` or `(@out alloc)`",
    [Word],
    None,
    []
);
