//! Syntax tree → IR: version gating, name resolution and every consistency check, with all errors
//! collected in one run.
//!
//! A document set with an `(@abi ...)` is in this project's dialect, and every rule applies; one
//! without is plain witx, checked only as witx checks it (see [`ir::Dialect`]).

mod annotations;
mod functions;
mod plain;
mod types;

use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::ir::{self, Abi, Dialect, Version};
use crate::loader::DocumentSet;
use crate::syntax::ast::{self, Annotation, Docs, TopItem};
use annotations::{Read, all, find};

/// Validates a loaded document set into an [`Abi`], or returns every error found.
pub fn validate(set: &DocumentSet) -> Result<Abi, Vec<Diagnostic>> {
    let dialect = if top_annotations(set, "abi").next().is_some() {
        Dialect::ProxyWasm
    } else {
        Dialect::Witx
    };
    let mut v = Validator {
        errors: Vec::new(),
        version: None,
        abi_name: String::new(),
        dialect,
    };
    let header = match dialect {
        Dialect::ProxyWasm => v.abi_header(set),
        Dialect::Witx => {
            v.abi_name = plain::name(set.sources.name(set.entry));
            v.no_annotations(set);
            None
        }
    };
    let hosts = v.hosts(set);
    let formats = v.formats(set);
    let typenames: Vec<(FileId, &ast::Typename)> = set
        .items
        .iter()
        .filter_map(|i| match &i.item {
            TopItem::Typename(t) => Some((i.file, t)),
            _ => None,
        })
        .collect();
    let types = v.types(&typenames);
    let constants = v.constants(set, &types);
    let modules: Vec<&ast::Module> = set
        .items
        .iter()
        .filter_map(|i| match &i.item {
            TopItem::Module(m) => Some(m),
            _ => None,
        })
        .collect();
    let ctx = functions::Names {
        types: &types,
        hosts: &hosts,
        formats: &formats,
        scope: types::Scope::of_ir(&types),
    };
    let (modules, functions, callbacks) = v.modules(&modules, &ctx);
    v.check_availability(&types, &callbacks);
    if !v.errors.is_empty() {
        // Reading order: by file (in the order they were read), then by position.
        v.errors
            .sort_by_key(|d| d.span.map(|s| (s.file.0, s.start)));
        return Err(v.errors);
    }
    let (mut docs, marker, released) = header.unwrap_or_default();
    for d in &set.docs {
        if !docs.is_empty() {
            docs.push_str("\n\n");
        }
        docs.push_str(&d.text);
    }
    Ok(Abi {
        name: v.abi_name,
        dialect,
        version: v.version,
        marker,
        released,
        docs,
        hosts: hosts.into_iter().map(|(h, _)| h).collect(),
        formats: formats.into_iter().map(|(f, _)| f).collect(),
        types: types.into_iter().map(|t| t.def).collect(),
        constants,
        modules,
        functions,
        callbacks,
    })
}

pub(crate) struct Validator {
    errors: Vec<Diagnostic>,
    version: Option<Version>,
    abi_name: String,
    dialect: Dialect,
}

/// Whether an item survives version gating, and the gates it carried.
pub(crate) struct Gates {
    pub keep: bool,
    pub since: Option<String>,
    pub until: Option<String>,
}

impl Validator {
    pub(crate) fn error(&mut self, d: Diagnostic) {
        self.errors.push(d);
    }

    /// Reads the `(@abi ...)` of the entry document: (docs, marker, released).
    fn abi_header(
        &mut self,
        set: &DocumentSet,
    ) -> Option<(String, Option<String>, Option<String>)> {
        let mut found: Option<&Annotation> = None;
        for item in &set.items {
            let TopItem::Annotation(a) = &item.item else {
                continue;
            };
            if a.name != "abi" {
                continue;
            }
            if item.file != set.entry {
                self.error(Diagnostic::new(
                    "`@abi` belongs in the entry document only; this document is read through `use`",
                    a.span,
                ));
            } else if let Some(first) = found {
                self.error(
                    Diagnostic::new("a document set has exactly one `@abi`", a.span)
                        .with_note("the first `@abi` is here", Some(first.span)),
                );
            } else {
                found = Some(a);
            }
        }
        let Some(a) = found else {
            self.error(Diagnostic::new(
                "the entry document has no `(@abi \"NAME\")`, which names the ABI it describes",
                Span {
                    file: set.entry,
                    start: 0,
                    end: 0,
                },
            ));
            return None;
        };
        let r = self.read(a, &annotations::ABI)?;
        let name = r.str(0)?;
        self.abi_name = name.value.clone();
        self.version = name.value.parse().ok();
        let marker = self.nested_str(&r, "marker", &annotations::MARKER_NAME);
        let released = self.nested_str(&r, "released", &annotations::RELEASED);
        let docs = self.docs(&a.docs, &format!("`@abi \"{}\"`", name.value), a.span);
        Some((docs, marker, released))
    }

    fn nested_str(&mut self, r: &Read, name: &str, shape: &annotations::Shape) -> Option<String> {
        let a = r.nested.iter().find(|n| n.name == name)?;
        let r = self.read(a, shape)?;
        r.str(0).map(|s| s.value.clone())
    }

    fn hosts(&mut self, set: &DocumentSet) -> Vec<(ir::Host, Span)> {
        let mut out: Vec<(ir::Host, Span)> = Vec::new();
        for a in top_annotations(set, "host") {
            let Some(r) = self.read(a, &annotations::HOST) else {
                continue;
            };
            let (Some(id), Some(title), Some(source)) = (r.id(0), r.str(1), r.str(2)) else {
                continue;
            };
            if let Some((_, first)) = out.iter().find(|(h, _)| h.name == id.name) {
                let first = *first;
                self.duplicate("host", &id.name, id.span, first);
                continue;
            }
            let docs = self.docs(&a.docs, &format!("host `${}`", id.name), id.span);
            out.push((
                ir::Host {
                    name: id.name.clone(),
                    title: title.value.clone(),
                    source: source.value.clone(),
                    docs,
                },
                id.span,
            ));
        }
        out
    }

    fn formats(&mut self, set: &DocumentSet) -> Vec<(ir::Format, Span)> {
        let mut out: Vec<(ir::Format, Span)> = Vec::new();
        for a in top_annotations(set, "format") {
            let Some(r) = self.read(a, &annotations::FORMAT_DECL) else {
                continue;
            };
            let (Some(id), Some(title)) = (r.id(0), r.str(1)) else {
                continue;
            };
            if let Some((_, first)) = out.iter().find(|(f, _)| f.name == id.name) {
                let first = *first;
                self.duplicate("format", &id.name, id.span, first);
                continue;
            }
            let docs = self.docs(&a.docs, &format!("format `${}`", id.name), id.span);
            out.push((
                ir::Format {
                    name: id.name.clone(),
                    title: title.value.clone(),
                    docs,
                },
                id.span,
            ));
        }
        for item in &set.items {
            if let TopItem::Annotation(a) = &item.item
                && self.dialect == Dialect::ProxyWasm
                && !matches!(a.name.as_str(), "abi" | "host" | "format")
            {
                self.error(Diagnostic::new(
                    format!(
                        "unknown annotation `@{}` here: a top-level annotation is `@abi`, `@host` or `@format`",
                        a.name
                    ),
                    a.name_span,
                ));
            }
        }
        out
    }

    pub(crate) fn duplicate(&mut self, what: &str, name: &str, span: Span, first: Span) {
        self.error(
            Diagnostic::new(format!("{what} `${name}` is defined twice"), span)
                .with_note("first defined here", Some(first)),
        );
    }

    /// Checks that an item has docs without a TODO (in this project's dialect), and returns them.
    pub(crate) fn docs(&mut self, docs: &Docs, what: &str, at: Span) -> String {
        if self.dialect == Dialect::Witx {
            return docs.text.clone();
        }
        if docs.text.trim().is_empty() {
            self.error(Diagnostic::new(
                format!("{what} has no doc comment; write one with `;;;` on the lines before it"),
                at,
            ));
        } else if let Some(i) = docs.text.find("TODO") {
            let span = docs.span.map_or(at, |s| Span {
                file: s.file,
                start: s.start,
                end: s.start + 3,
            });
            let line = docs.text[..i].matches('\n').count();
            self.error(Diagnostic::new(
                format!(
                    "the doc comment of {what} still says TODO (doc line {})",
                    line + 1
                ),
                span,
            ));
        }
        docs.text.clone()
    }

    /// Applies `@since`/`@until` among `annotations`.
    pub(crate) fn gates(&mut self, annotations: &[Annotation]) -> Gates {
        let mut gates = Gates {
            keep: true,
            since: None,
            until: None,
        };
        if self.dialect == Dialect::Witx {
            return gates;
        }
        let mut bounds: [Option<(Version, Span)>; 2] = [None, None];
        for (slot, (name, shape)) in [
            ("since", &annotations::SINCE),
            ("until", &annotations::UNTIL),
        ]
        .into_iter()
        .enumerate()
        {
            let mut seen = all(annotations, name);
            let Some(a) = seen.next() else {
                continue;
            };
            if let Some(extra) = seen.next() {
                self.error(Diagnostic::new(
                    format!("`@{name}` is given twice"),
                    extra.span,
                ));
            }
            let Some(r) = self.read(a, shape) else {
                continue;
            };
            let Some(s) = r.str(0) else {
                continue;
            };
            let parsed: Result<Version, String> = s.value.parse();
            let Ok(version) = parsed else {
                self.error(Diagnostic::new(
                    format!(
                        "`@{name}` takes a version like \"0.2.0\", not {:?}",
                        s.value
                    ),
                    s.span,
                ));
                continue;
            };
            if self.version.is_none() {
                self.error(Diagnostic::new(
                    format!(
                        "`@{name}` gates an item by version, but this ABI (`{}`) has no version number",
                        self.abi_name
                    ),
                    a.span,
                ));
                continue;
            }
            bounds[slot] = Some((version, s.span));
            if slot == 0 {
                gates.since = Some(s.value.clone());
            } else {
                gates.until = Some(s.value.clone());
            }
        }
        if let [Some((since, _)), Some((until, span))] = bounds
            && since >= until
        {
            self.error(Diagnostic::new(
                format!("`@until \"{until}\"` must be later than `@since \"{since}\"`"),
                span,
            ));
        }
        if let Some(current) = self.version {
            if let Some((since, _)) = bounds[0] {
                gates.keep &= current >= since;
            }
            if let Some((until, _)) = bounds[1] {
                gates.keep &= current < until;
            }
        }
        gates
    }

    /// Reads an optional `(@reference "...")`.
    pub(crate) fn reference(&mut self, annotations: &[Annotation]) -> Option<String> {
        let a = find(annotations, "reference")?;
        let r = self.read(a, &annotations::REFERENCE)?;
        r.str(0).map(|s| s.value.clone())
    }

    /// Reads the `(@cite "X.Y.Z" LINE)` of this ABI's version among `annotations`, if any;
    /// citations of other versions are dropped, and a reference-level fact cites none.
    pub(crate) fn cite(
        &mut self,
        annotations: &[Annotation],
        section: &str,
        reference: bool,
    ) -> Option<ir::Citation> {
        let mut found: Option<(ir::Citation, Span)> = None;
        for a in annotations.iter().filter(|a| a.name == "cite") {
            let Some(r) = self.read(a, &annotations::CITE) else {
                continue;
            };
            let (Some(v), Some((line, line_span))) = (r.str(0), r.int(1)) else {
                continue;
            };
            if reference {
                self.error(Diagnostic::new(
                    "`@cite` names the spec sentence of a spec-level fact; a fact with `@reference` has none",
                    a.name_span,
                ));
                continue;
            }
            let Ok(version) = v.value.parse::<Version>() else {
                self.error(Diagnostic::new(
                    format!("`@cite` takes a version like \"0.2.0\", not {:?}", v.value),
                    v.span,
                ));
                continue;
            };
            let Some(line) = u32::try_from(line).ok().filter(|l| *l > 0) else {
                self.error(Diagnostic::new(
                    "`@cite` takes a line number, counted from 1",
                    line_span,
                ));
                continue;
            };
            if self.version != Some(version) {
                continue;
            }
            if let Some((_, first)) = &found {
                self.error(
                    Diagnostic::new(
                        format!("a second `@cite` for version {version}"),
                        a.name_span,
                    )
                    .with_note("first cited here", Some(*first)),
                );
                continue;
            }
            found = Some((
                ir::Citation {
                    version: version.to_string(),
                    section: section.to_string(),
                    line,
                },
                a.name_span,
            ));
        }
        found.map(|(c, _)| c)
    }

    fn check_availability(&mut self, types: &[types::Checked], callbacks: &[ir::Function]) {
        for t in types {
            for (callback, span) in &t.availability_refs {
                if !callbacks.iter().any(|c| c.name == *callback) {
                    let hint = suggest(callback, callbacks.iter().map(|c| c.name.as_str()), "");
                    self.error(Diagnostic::new(
                        format!(
                            "`@available_in` names `{callback}`, which is not a callback of ABI `{}`{hint}",
                            self.abi_name
                        ),
                        *span,
                    ));
                }
            }
        }
    }
}

fn top_annotations<'a>(
    set: &'a DocumentSet,
    name: &'a str,
) -> impl Iterator<Item = &'a Annotation> {
    set.items.iter().filter_map(move |i| match &i.item {
        TopItem::Annotation(a) if a.name == name => Some(a),
        _ => None,
    })
}

/// "; did you mean `x`?" when a known name is close to `wrong`, else "". `sigil` prefixes the name.
pub(crate) fn suggest<'a>(
    wrong: &str,
    known: impl Iterator<Item = &'a str>,
    sigil: &str,
) -> String {
    let best = known
        .map(|k| (edit_distance(wrong, k), k))
        .filter(|(d, k)| *d <= (k.len().max(wrong.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((_, k)) => format!("; did you mean `{sigil}{k}`?"),
        None => String::new(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
