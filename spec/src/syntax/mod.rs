//! Text → syntax tree. The grammar is `witx.pest`; this module turns pest's pairs into the spanned
//! [`ast`] and pest's errors into [`Diagnostic`]s that never show a grammar rule name.

pub mod ast;

use crate::diagnostic::{Diagnostic, FileId, Span};
use ast::*;
use pest::Parser as _;
use pest::iterators::Pair;

mod grammar {
    // pest generates `Rule` without docs.
    #![allow(missing_docs)]
    #[derive(pest_derive::Parser)]
    #[grammar = "syntax/witx.pest"]
    pub struct WitxParser;
}
use grammar::{Rule, WitxParser};

/// Parses one document. Syntax errors stop at the first one (pest does not recover); errors in
/// literals (bad escapes, integers out of range) are all collected.
pub fn parse(file: FileId, text: &str) -> Result<Document, Vec<Diagnostic>> {
    let mut pairs =
        WitxParser::parse(Rule::document, text).map_err(|e| vec![syntax_error(file, text, e)])?;
    let Some(doc) = pairs.next() else {
        return Ok(Document {
            items: Vec::new(),
            docs: Docs::default(),
        });
    };
    let mut b = Builder {
        file,
        errors: Vec::new(),
        trivia: Trivia::collect(&doc),
    };
    let items = children(doc)
        .filter(|p| p.as_rule() == Rule::top_item)
        .filter_map(|p| b.top_item(p))
        .collect();
    // What is left documents no item: doc comments at the end of the document.
    let docs = b.orphans(0, text.len());
    if b.errors.is_empty() {
        Ok(Document { items, docs })
    } else {
        Err(b.errors)
    }
}

/// The children of a pair without the comments skipped inside it.
fn children(p: Pair<Rule>) -> impl Iterator<Item = Pair<Rule>> {
    p.into_inner()
        .filter(|c| !matches!(c.as_rule(), Rule::COMMENT | Rule::doc_line))
}

/// The doc comments of a document and where its tokens end, to attach each doc comment by its
/// position the way witx does: to the item right after it (only comments between), else to the
/// innermost documented item it stands in.
struct Trivia {
    /// Doc lines in source order: (start, end, claimed).
    lines: Vec<(usize, usize, bool)>,
    /// The text of each doc line, `;;;` and one space removed.
    texts: Vec<String>,
    /// Where each token ends, sorted.
    token_ends: Vec<usize>,
}

impl Trivia {
    fn collect(doc: &Pair<Rule>) -> Trivia {
        let mut lines = Vec::new();
        let mut texts = Vec::new();
        let mut token_ends = Vec::new();
        for p in doc.clone().into_inner().flatten() {
            let span = p.as_span();
            if p.as_rule() == Rule::doc_line {
                // A comment skipped at one place is reported once; guard against pest reporting
                // it again from another branch.
                if lines.last().is_some_and(|(s, _, _)| *s == span.start()) {
                    continue;
                }
                let t = &p.as_str()[3..];
                texts.push(t.strip_prefix(' ').unwrap_or(t).trim_end().to_string());
                lines.push((span.start(), span.end(), false));
            } else if p.as_rule() != Rule::COMMENT && p.clone().into_inner().next().is_none() {
                token_ends.push(span.end());
            }
        }
        token_ends.sort_unstable();
        Trivia {
            lines,
            texts,
            token_ends,
        }
    }

    /// The end of the last token that ends at or before `offset`.
    fn token_end_before(&self, offset: usize) -> usize {
        let i = self.token_ends.partition_point(|&e| e <= offset);
        if i == 0 { 0 } else { self.token_ends[i - 1] }
    }

    /// The end of the last token inside `start..end`.
    fn last_token_end(&self, start: usize, end: usize) -> usize {
        self.token_end_before(end).max(start)
    }

    /// Claims the unclaimed doc lines inside `start..end`.
    fn take(&mut self, start: usize, end: usize) -> Vec<usize> {
        let first = self.lines.partition_point(|(s, _, _)| *s < start);
        let mut taken = Vec::new();
        for (i, line) in self.lines.iter_mut().enumerate().skip(first) {
            if line.1 > end {
                break;
            }
            if !line.2 {
                line.2 = true;
                taken.push(i);
            }
        }
        taken
    }
}

/// What an error calls each rule.
fn rule_name(rule: &Rule) -> String {
    let s = match rule {
        Rule::EOI => "end of file",
        Rule::lp => "`(`",
        Rule::rp => "`)`",
        Rule::id => "an identifier like `$name`",
        Rule::string | Rule::string_body => "a string",
        Rule::int => "an integer",
        Rule::word => "a word",
        Rule::doc_line => "a doc comment",
        Rule::builtin => "a builtin type (`u32`, `string`, ...)",
        Rule::top_item => {
            "a top-level item (`(use ...)`, `(typename ...)`, `(module ...)`, `(@...)`)"
        }
        Rule::const_decl => "`(@witx const ...)`",
        Rule::use_decl => "`(use ...)`",
        Rule::typename_decl => "`(typename ...)`",
        Rule::module_decl => "`(module ...)`",
        Rule::type_expr => "a type",
        Rule::enum_type => "`(enum ...)`",
        Rule::flags_type => "`(flags ...)`",
        Rule::int_type => "`(int ...)`",
        Rule::int_const => "`(const $name VALUE)`",
        Rule::empty_case => "`(empty $name)`",
        Rule::struct_type => "`(struct ...)`",
        Rule::record_type => "`(record ...)`",
        Rule::union_type => "`(union ...)`",
        Rule::variant_type => "`(variant ...)`",
        Rule::case => "`(case ...)`",
        Rule::tuple_type => "`(tuple ...)`",
        Rule::expected_type => "`(expected ...)`",
        Rule::error_case => "`(error ...)`",
        Rule::list_type => "`(list ...)`",
        Rule::array_type => "`(array ...)`",
        Rule::tag => "`(@witx tag ...)`",
        Rule::repr => "`(@witx repr ...)`",
        Rule::witx_builtin => "`(@witx usize)` or `(@witx char8)`",
        Rule::noreturn => "`(@witx noreturn)`",
        Rule::handle_type => "`(handle)`",
        Rule::pointer_type => "`(@witx pointer ...)`",
        Rule::const_pointer_type => "`(@witx const_pointer ...)`",
        Rule::member => "a member name like `$name`",
        Rule::field => "`(field ...)`",
        Rule::module_item => "a module item (`(import ...)`, `(@interface func ...)`, `(@...)`)",
        Rule::import_memory => "`(import \"memory\" (memory))`",
        Rule::function => "`(@interface func ...)`",
        Rule::export => "`(export \"name\")`",
        Rule::func_item => "`(param ...)`, `(result ...)`, `(@witx noreturn)` or an annotation",
        Rule::param => "`(param ...)`",
        Rule::result => "`(result ...)`",
        Rule::annotation => "an annotation `(@...)`",
        Rule::annotation_name => "an annotation name like `@since`",
        Rule::list => "a list",
        Rule::at_witx => "`@witx`",
        Rule::at_interface => "`@interface`",
        Rule::kw_use => "`use`",
        Rule::kw_typename => "`typename`",
        Rule::kw_module => "`module`",
        Rule::kw_enum => "`enum`",
        Rule::kw_flags => "`flags`",
        Rule::kw_struct => "`struct`",
        Rule::kw_record => "`record`",
        Rule::kw_union => "`union`",
        Rule::kw_variant => "`variant`",
        Rule::kw_case => "`case`",
        Rule::kw_tuple => "`tuple`",
        Rule::kw_expected => "`expected`",
        Rule::kw_error => "`error`",
        Rule::kw_list => "`list`",
        Rule::kw_array => "`array`",
        Rule::kw_tag => "`tag`",
        Rule::kw_repr => "`repr`",
        Rule::kw_usize => "`usize`",
        Rule::kw_char8 => "`char8`",
        Rule::kw_noreturn => "`noreturn`",
        Rule::kw_const => "`const`",
        Rule::kw_int => "`int`",
        Rule::kw_empty => "`empty`",
        Rule::kw_field => "`field`",
        Rule::kw_handle => "`handle`",
        Rule::kw_import => "`import`",
        Rule::kw_memory => "`memory`",
        Rule::kw_func => "`func`",
        Rule::kw_export => "`export`",
        Rule::kw_param => "`param`",
        Rule::kw_result => "`result`",
        Rule::kw_pointer => "`pointer`",
        Rule::kw_const_pointer => "`const_pointer`",
        other => return format!("{other:?}"),
    };
    s.to_string()
}

fn syntax_error(file: FileId, text: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    let offset = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    }
    .min(text.len());
    let rest = &text[offset..];
    let end = offset + rest.chars().next().map_or(0, char::len_utf8);
    let span = Span {
        file,
        start: offset,
        end,
    };
    if rest.starts_with('"') && !closes_on_line(&rest[1..]) {
        return Diagnostic::new(
            "unterminated string: close it with `\"` on the same line",
            span,
        );
    }
    // The messages are built from pest's expected rules, named by `rule_name`; comments are left
    // out because they may stand anywhere and would only add noise.
    let message = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<String> = Vec::new();
            for rule in positives {
                if matches!(rule, Rule::COMMENT | Rule::doc_line) {
                    continue;
                }
                let name = rule_name(rule);
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            format!(
                "expected {}, found {}",
                one_of(&names),
                describe_found(rest)
            )
        }
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    Diagnostic::new(message, span)
}

fn one_of(names: &[String]) -> String {
    match names {
        [] => "something else".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// True if the rest of the line after an opening quote holds an unescaped closing quote.
fn closes_on_line(after_quote: &str) -> bool {
    let mut escaped = false;
    for c in after_quote.chars() {
        match c {
            '\n' => return false,
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return true,
            _ => escaped = false,
        }
    }
    false
}

/// Names what stands at an error position, so the message says what was there.
fn describe_found(rest: &str) -> String {
    let Some(c) = rest.chars().next() else {
        return "end of file".to_string();
    };
    if rest.starts_with(";;;") {
        return "a doc comment".to_string();
    }
    let token: String = if c.is_alphanumeric() || c == '$' || c == '@' || c == '_' {
        rest.chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '$' | '@' | '_' | '-' | '.'))
            .take(40)
            .collect()
    } else {
        c.to_string()
    };
    format!("`{}`", token.escape_debug())
}

struct Builder {
    file: FileId,
    errors: Vec<Diagnostic>,
    trivia: Trivia,
}

impl Builder {
    fn span(&self, p: &Pair<Rule>) -> Span {
        let s = p.as_span();
        Span {
            file: self.file,
            start: s.start(),
            end: s.end(),
        }
    }

    /// Joins the doc lines `taken` into one [`Docs`].
    fn join(&self, taken: &[usize]) -> Docs {
        let (Some(&first), Some(&last)) = (taken.first(), taken.last()) else {
            return Docs::default();
        };
        let mut text = String::new();
        for (n, &i) in taken.iter().enumerate() {
            if n > 0 {
                // Doc comments with a token between them are separate paragraphs.
                let previous_end = self.trivia.lines[taken[n - 1]].1;
                let apart = self.trivia.token_end_before(self.trivia.lines[i].0) > previous_end;
                text.push_str(if apart { "\n\n" } else { "\n" });
            }
            text.push_str(&self.trivia.texts[i]);
        }
        Docs {
            text,
            span: Some(Span {
                file: self.file,
                start: self.trivia.lines[first].0,
                end: self.trivia.lines[last].1,
            }),
        }
    }

    /// The doc comment right before the item `p`: the doc lines after the previous token.
    fn docs_before(&mut self, p: &Pair<Rule>) -> Docs {
        let start = p.as_span().start();
        let from = self.trivia.token_end_before(start);
        let taken = self.trivia.take(from, start);
        self.join(&taken)
    }

    /// Doc lines inside `start..end` that no smaller item took.
    fn orphans(&mut self, start: usize, end: usize) -> Docs {
        let taken = self.trivia.take(start, end);
        self.join(&taken)
    }

    /// Adds to `docs` the doc lines inside the item `p` that document nothing smaller.
    fn enclosed(&mut self, docs: &mut Docs, p: &Pair<Rule>) {
        let span = p.as_span();
        // A rule that ends in a repetition also spans the comments skipped after its last token;
        // those stand before the next item, not inside this one.
        let end = self.trivia.last_token_end(span.start(), span.end());
        docs.append(self.orphans(span.start(), end));
    }

    fn top_item(&mut self, p: Pair<Rule>) -> Option<TopItem> {
        let item = children(p).next()?;
        Some(match item.as_rule() {
            Rule::use_decl => {
                // witx reads a doc comment before `use` and keeps it nowhere; so does this.
                let mut docs = self.docs_before(&item);
                self.enclosed(&mut docs, &item);
                let s = children(item).find(|p| p.as_rule() == Rule::string)?;
                TopItem::Use(self.string(s))
            }
            Rule::typename_decl => TopItem::Typename(self.typename(item)?),
            Rule::module_decl => TopItem::Module(self.module(item)?),
            Rule::const_decl => TopItem::Const(self.constant(item)?),
            Rule::annotation => TopItem::Annotation(self.annotation(item)),
            _ => return None,
        })
    }

    fn ident(&self, p: Pair<Rule>) -> Ident {
        Ident {
            name: p.as_str()[1..].to_string(),
            span: self.span(&p),
        }
    }

    fn string(&mut self, p: Pair<Rule>) -> Str {
        let span = self.span(&p);
        let raw = p.as_str();
        let body = &raw[1..raw.len() - 1];
        let mut bytes: Vec<u8> = Vec::with_capacity(body.len());
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                let mut buf = [0; 4];
                bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                continue;
            }
            let esc_start = span.start + 1 + i;
            let esc = |len: usize| Span {
                file: self.file,
                start: esc_start,
                end: esc_start + len,
            };
            match chars.next().map(|(_, c)| c) {
                Some('\\') => bytes.push(b'\\'),
                Some('"') => bytes.push(b'"'),
                Some('\'') => bytes.push(b'\''),
                Some('n') => bytes.push(b'\n'),
                Some('t') => bytes.push(b'\t'),
                Some('r') => bytes.push(b'\r'),
                Some('u') => match unicode_escape(&mut chars) {
                    Some(c) => {
                        let mut buf = [0; 4];
                        bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    None => self.errors.push(Diagnostic::new(
                        "bad `\\u{...}` escape: expected 1 to 6 hex digits naming a Unicode scalar value",
                        esc(2),
                    )),
                },
                Some(h) if h.is_ascii_hexdigit() => {
                    let low = chars.next_if(|(_, c)| c.is_ascii_hexdigit()).map(|(_, c)| c);
                    match low.and_then(|l| u8::from_str_radix(&format!("{h}{l}"), 16).ok()) {
                        Some(byte) => bytes.push(byte),
                        None => self.errors.push(Diagnostic::new(
                            "bad byte escape: `\\` and a hex digit must be followed by a second hex digit",
                            esc(2),
                        )),
                    }
                }
                other => {
                    let len = 1 + other.map_or(0, char::len_utf8);
                    self.errors.push(Diagnostic::new(
                        format!(
                            "unknown escape `\\{}` in string; the escapes are `\\\\`, `\\\"`, `\\'`, `\\n`, `\\t`, `\\r`, `\\u{{...}}` and `\\` with two hex digits",
                            other.map(String::from).unwrap_or_default().escape_debug()
                        ),
                        esc(len),
                    ))
                }
            }
        }
        let value = match String::from_utf8(bytes) {
            Ok(v) => v,
            Err(e) => {
                self.errors.push(Diagnostic::new(
                    "the bytes this string's escapes give are not UTF-8 text",
                    span,
                ));
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
        };
        Str { value, span }
    }

    fn int(&mut self, p: Pair<Rule>) -> (i128, Span) {
        let span = self.span(&p);
        let s = p.as_str().replace('_', "");
        let (neg, digits) = match s.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, s.strip_prefix('+').unwrap_or(&s)),
        };
        let magnitude = match digits.strip_prefix("0x") {
            Some(hex) => i128::from_str_radix(hex, 16),
            None => digits.parse::<i128>(),
        };
        let value = magnitude
            .ok()
            .map(|m| if neg { -m } else { m })
            .filter(|v| (i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(v));
        match value {
            Some(v) => (v, span),
            None => {
                self.errors.push(Diagnostic::new(
                    format!("integer `{}` does not fit in 64 bits", p.as_str()),
                    span,
                ));
                (0, span)
            }
        }
    }

    fn typename(&mut self, p: Pair<Rule>) -> Option<Typename> {
        let mut docs = self.docs_before(&p);
        let mut name = None;
        let mut ty = None;
        let mut annotations = Vec::new();
        for c in children(p.clone()) {
            match c.as_rule() {
                Rule::id => name = Some(self.ident(c)),
                Rule::type_expr => ty = Some(self.type_expr(c)?),
                Rule::annotation => annotations.push(self.annotation(c)),
                _ => {}
            }
        }
        self.enclosed(&mut docs, &p);
        Some(Typename {
            docs,
            name: name?,
            ty: ty?,
            annotations,
        })
    }

    fn constant(&mut self, p: Pair<Rule>) -> Option<Const> {
        let mut docs = self.docs_before(&p);
        let mut ids = Vec::new();
        let mut value = None;
        for c in children(p.clone()) {
            match c.as_rule() {
                Rule::id => ids.push(self.ident(c)),
                Rule::int => value = Some(self.int(c)),
                _ => {}
            }
        }
        self.enclosed(&mut docs, &p);
        let mut ids = ids.into_iter();
        Some(Const {
            docs,
            ty: ids.next()?,
            name: ids.next()?,
            value: value?,
        })
    }

    /// The type inside a `(@witx tag T)`, `(error T)` or similar wrapper.
    fn inner_type(&mut self, p: Pair<Rule>) -> Option<Option<TypeExpr>> {
        match children(p).find(|c| c.as_rule() == Rule::type_expr) {
            Some(t) => Some(Some(self.type_expr(t)?)),
            None => Some(None),
        }
    }

    fn type_expr(&mut self, p: Pair<Rule>) -> Option<TypeExpr> {
        let inner = children(p).next()?;
        let span = self.span(&inner);
        Some(match inner.as_rule() {
            Rule::builtin => TypeExpr::Builtin(builtin(inner.as_str())?, span),
            Rule::witx_builtin => {
                let kw = children(inner)
                    .find(|c| matches!(c.as_rule(), Rule::kw_usize | Rule::kw_char8))?;
                TypeExpr::Builtin(builtin(kw.as_str())?, span)
            }
            Rule::id => TypeExpr::Named(self.ident(inner)),
            Rule::enum_type => {
                let mut repr = None;
                let mut members = Vec::new();
                for c in children(inner) {
                    match c.as_rule() {
                        Rule::builtin => {
                            repr = Some(Box::new(TypeExpr::Builtin(
                                builtin(c.as_str())?,
                                self.span(&c),
                            )))
                        }
                        Rule::tag => repr = self.inner_type(c)?.map(Box::new),
                        Rule::member => members.push(self.member(c)?),
                        _ => {}
                    }
                }
                TypeExpr::Enum {
                    repr,
                    members,
                    span,
                }
            }
            Rule::int_type => {
                let mut repr = None;
                let mut consts = Vec::new();
                for c in children(inner) {
                    match c.as_rule() {
                        Rule::builtin => repr = Some((builtin(c.as_str())?, self.span(&c))),
                        Rule::int_const => {
                            let mut docs = self.docs_before(&c);
                            let mut name = None;
                            let mut value = None;
                            for part in children(c.clone()) {
                                match part.as_rule() {
                                    Rule::id => name = Some(self.ident(part)),
                                    Rule::int => value = Some(self.int(part)),
                                    _ => {}
                                }
                            }
                            self.enclosed(&mut docs, &c);
                            consts.push(IntConst {
                                docs,
                                name: name?,
                                value: value?,
                            });
                        }
                        _ => {}
                    }
                }
                TypeExpr::Int {
                    repr: repr?,
                    consts,
                    span,
                }
            }
            Rule::flags_type => {
                let mut repr = None;
                let mut members = Vec::new();
                for c in children(inner) {
                    match c.as_rule() {
                        Rule::builtin => repr = Some((builtin(c.as_str())?, self.span(&c))),
                        Rule::repr => {
                            let b = children(c).find(|c| c.as_rule() == Rule::builtin)?;
                            repr = Some((builtin(b.as_str())?, self.span(&b)));
                        }
                        Rule::member => members.push(self.member(c)?),
                        _ => {}
                    }
                }
                TypeExpr::Flags {
                    repr,
                    members,
                    span,
                }
            }
            Rule::struct_type | Rule::record_type => {
                let mut fields = Vec::new();
                for c in children(inner).filter(|c| c.as_rule() == Rule::field) {
                    fields.push(self.field(c)?);
                }
                TypeExpr::Struct { fields, span }
            }
            Rule::union_type => {
                let items: Vec<Pair<Rule>> = children(inner).collect();
                // witx 0.7 and 0.8 name the tag enum first, then fields and empty cases; in witx 0.9
                // a leading name is the first alternative.
                let old_style = items
                    .iter()
                    .any(|c| matches!(c.as_rule(), Rule::field | Rule::empty_case));
                let mut tag = None;
                let mut cases = Vec::new();
                for c in items {
                    match c.as_rule() {
                        Rule::tag => tag = self.inner_type(c)?.map(Box::new),
                        Rule::field => cases.push(UnionCase::Field(self.field(c)?)),
                        Rule::empty_case => {
                            let mut docs = self.docs_before(&c);
                            let id = children(c.clone()).find(|p| p.as_rule() == Rule::id)?;
                            let name = self.ident(id);
                            self.enclosed(&mut docs, &c);
                            cases.push(UnionCase::Empty(docs, name));
                        }
                        Rule::type_expr
                            if old_style
                                && tag.is_none()
                                && cases.is_empty()
                                && children(c.clone()).next().map(|t| t.as_rule())
                                    == Some(Rule::id) =>
                        {
                            tag = Some(Box::new(self.type_expr(c)?));
                        }
                        Rule::type_expr => {
                            let mut docs = self.docs_before(&c);
                            let ty = self.type_expr(c.clone())?;
                            self.enclosed(&mut docs, &c);
                            cases.push(UnionCase::Type(docs, ty));
                        }
                        _ => {}
                    }
                }
                TypeExpr::Union { tag, cases, span }
            }
            Rule::variant_type => {
                let mut tag = None;
                let mut cases = Vec::new();
                for c in children(inner) {
                    match c.as_rule() {
                        Rule::tag => tag = self.inner_type(c)?.map(Box::new),
                        Rule::case => cases.push(self.case(c)?),
                        _ => {}
                    }
                }
                TypeExpr::Variant { tag, cases, span }
            }
            Rule::tuple_type => {
                let mut members = Vec::new();
                for c in children(inner).filter(|c| c.as_rule() == Rule::type_expr) {
                    members.push(self.type_expr(c)?);
                }
                TypeExpr::Tuple(members, span)
            }
            Rule::expected_type => {
                let mut ok = None;
                let mut err = None;
                for c in children(inner) {
                    match c.as_rule() {
                        Rule::type_expr => ok = Some(Box::new(self.type_expr(c)?)),
                        Rule::error_case => err = self.inner_type(c)?.map(Box::new),
                        _ => {}
                    }
                }
                TypeExpr::Expected { ok, err, span }
            }
            Rule::list_type | Rule::array_type => {
                TypeExpr::List(Box::new(self.inner_type(inner)??), span)
            }
            Rule::handle_type => TypeExpr::Handle {
                supertypes: children(inner)
                    .filter(|c| c.as_rule() == Rule::id)
                    .map(|c| self.ident(c))
                    .collect(),
                span,
            },
            Rule::pointer_type | Rule::const_pointer_type => {
                let is_const = inner.as_rule() == Rule::const_pointer_type;
                let target = Box::new(self.inner_type(inner)??);
                if is_const {
                    TypeExpr::ConstPointer(target, span)
                } else {
                    TypeExpr::Pointer(target, span)
                }
            }
            _ => return None,
        })
    }

    fn member(&mut self, p: Pair<Rule>) -> Option<Member> {
        let mut docs = self.docs_before(&p);
        let mut inner = children(p.clone());
        let name = self.ident(inner.next()?);
        let annotations = inner.map(|a| self.annotation(a)).collect();
        self.enclosed(&mut docs, &p);
        Some(Member {
            docs,
            name,
            annotations,
        })
    }

    fn field(&mut self, p: Pair<Rule>) -> Option<Field> {
        let mut docs = self.docs_before(&p);
        let mut name = None;
        let mut ty = None;
        let mut annotations = Vec::new();
        for c in children(p.clone()) {
            match c.as_rule() {
                Rule::id => name = Some(self.ident(c)),
                Rule::type_expr => ty = Some(self.type_expr(c)?),
                Rule::annotation => annotations.push(self.annotation(c)),
                _ => {}
            }
        }
        self.enclosed(&mut docs, &p);
        Some(Field {
            docs,
            name: name?,
            ty: ty?,
            annotations,
        })
    }

    fn case(&mut self, p: Pair<Rule>) -> Option<Case> {
        let mut docs = self.docs_before(&p);
        let mut name = None;
        let mut ty = None;
        for c in children(p.clone()) {
            match c.as_rule() {
                Rule::id => name = Some(self.ident(c)),
                Rule::type_expr => ty = Some(self.type_expr(c)?),
                _ => {}
            }
        }
        self.enclosed(&mut docs, &p);
        Some(Case {
            docs,
            name: name?,
            ty,
        })
    }

    fn module(&mut self, p: Pair<Rule>) -> Option<Module> {
        let mut docs = self.docs_before(&p);
        let mut name = None;
        let mut memory_imports = Vec::new();
        let mut functions = Vec::new();
        let mut annotations = Vec::new();
        for c in children(p.clone()) {
            match c.as_rule() {
                Rule::id => name = Some(self.ident(c)),
                Rule::module_item => {
                    let item = children(c).next()?;
                    match item.as_rule() {
                        Rule::import_memory => {
                            let mut docs = self.docs_before(&item);
                            let span = self.span(&item);
                            let s = children(item.clone()).find(|p| p.as_rule() == Rule::string)?;
                            let name = self.string(s);
                            self.enclosed(&mut docs, &item);
                            memory_imports.push(MemoryImport { docs, name, span });
                        }
                        Rule::function => functions.push(self.function(item)?),
                        Rule::annotation => annotations.push(self.annotation(item)),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        self.enclosed(&mut docs, &p);
        Some(Module {
            docs,
            name: name?,
            memory_imports,
            functions,
            annotations,
        })
    }

    fn function(&mut self, p: Pair<Rule>) -> Option<Function> {
        let mut docs = self.docs_before(&p);
        let span = self.span(&p);
        let mut name = None;
        let mut params = Vec::new();
        let mut results = Vec::new();
        let mut noreturn = None;
        let mut annotations = Vec::new();
        for c in children(p.clone()) {
            match c.as_rule() {
                Rule::export => {
                    let s = children(c).find(|p| p.as_rule() == Rule::string)?;
                    name = Some(self.string(s));
                }
                Rule::func_item => {
                    let item = children(c).next()?;
                    match item.as_rule() {
                        Rule::param => params.push(self.param(item)?),
                        Rule::result => results.push(self.param(item)?),
                        // witx keeps no docs for `(@witx noreturn)`; they document the function.
                        Rule::noreturn => noreturn = Some(self.span(&item)),
                        Rule::annotation => annotations.push(self.annotation(item)),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        self.enclosed(&mut docs, &p);
        Some(Function {
            docs,
            name: name?,
            params,
            results,
            noreturn,
            annotations,
            span,
        })
    }

    fn param(&mut self, p: Pair<Rule>) -> Option<Param> {
        let mut docs = self.docs_before(&p);
        let mut name = None;
        let mut ty = None;
        let mut annotations = Vec::new();
        for c in children(p.clone()) {
            match c.as_rule() {
                Rule::id => name = Some(self.ident(c)),
                Rule::type_expr => ty = Some(self.type_expr(c)?),
                Rule::annotation => annotations.push(self.annotation(c)),
                _ => {}
            }
        }
        self.enclosed(&mut docs, &p);
        Some(Param {
            docs,
            name: name?,
            ty: ty?,
            annotations,
        })
    }

    fn annotation(&mut self, p: Pair<Rule>) -> Annotation {
        let mut docs = self.docs_before(&p);
        let span = self.span(&p);
        let mut name = String::new();
        let mut name_span = span;
        let mut args = Vec::new();
        for c in children(p.clone()) {
            match c.as_rule() {
                Rule::annotation_name => {
                    name = c.as_str()[1..].to_string();
                    name_span = self.span(&c);
                }
                Rule::lp | Rule::rp => {}
                _ => args.push(self.arg(c)),
            }
        }
        self.enclosed(&mut docs, &p);
        Annotation {
            docs,
            name,
            name_span,
            args,
            span,
        }
    }

    fn arg(&mut self, p: Pair<Rule>) -> Arg {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::string => Arg::Str(self.string(p)),
            Rule::int => {
                let text = p.as_str().to_string();
                let (v, s) = self.int(p);
                match i64::try_from(v) {
                    Ok(v) => Arg::Int(v, s),
                    Err(_) => {
                        self.errors.push(Diagnostic::new(
                            format!("integer `{text}` does not fit in a signed 64-bit number"),
                            s,
                        ));
                        Arg::Int(0, s)
                    }
                }
            }
            Rule::id => Arg::Id(self.ident(p)),
            Rule::annotation => Arg::Annotation(self.annotation(p)),
            Rule::list => Arg::List(
                children(p)
                    .filter(|c| !matches!(c.as_rule(), Rule::lp | Rule::rp))
                    .map(|c| self.arg(c))
                    .collect(),
                span,
            ),
            _ => Arg::Word(p.as_str().to_string(), span),
        }
    }
}

fn unicode_escape(chars: &mut std::iter::Peekable<std::str::CharIndices>) -> Option<char> {
    if chars.next()?.1 != '{' {
        return None;
    }
    let mut hex = String::new();
    for (_, c) in chars.by_ref() {
        if c == '}' {
            break;
        }
        hex.push(c);
    }
    if hex.is_empty() || hex.len() > 6 {
        return None;
    }
    u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
}

fn builtin(s: &str) -> Option<Builtin> {
    Some(match s {
        "u8" => Builtin::U8,
        "u16" => Builtin::U16,
        "u32" => Builtin::U32,
        "u64" => Builtin::U64,
        "s8" => Builtin::S8,
        "s16" => Builtin::S16,
        "s32" => Builtin::S32,
        "s64" => Builtin::S64,
        "usize" => Builtin::Usize,
        "char8" => Builtin::Char8,
        "char" => Builtin::Char,
        "bool" => Builtin::Bool,
        "string" => Builtin::String,
        "f32" => Builtin::F32,
        "f64" => Builtin::F64,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typename(doc: &Document, i: usize) -> &Typename {
        match &doc.items[i] {
            TopItem::Typename(t) => t,
            other => panic!("item {i} is not a typename: {other:?}"),
        }
    }

    #[test]
    fn doc_comments_attach_to_the_next_item_else_to_the_enclosing_one() {
        let text = "\
;;; Kinds.
(typename $kind
  ;;; Between the name and the type.
  (enum u8
    ;;; A.
    $a (@value 1)
    ;; a plain comment between doc and item
    ;;; B.
    $b
    ;;; Before the closing parenthesis.
  ))
;;; A size.
(typename $size u32)
;;; The end of the document.
";
        let doc = parse(FileId(0), text).expect("the document parses");
        let kind = typename(&doc, 0);
        assert_eq!(
            kind.docs.text,
            "Kinds.\n\nBetween the name and the type.\n\nBefore the closing parenthesis."
        );
        let TypeExpr::Enum { members, .. } = &kind.ty else {
            panic!("not an enum: {:?}", kind.ty);
        };
        let docs: Vec<&str> = members.iter().map(|m| m.docs.text.as_str()).collect();
        assert_eq!(docs, ["A.", "B."]);
        assert_eq!(typename(&doc, 1).docs.text, "A size.");
        assert_eq!(doc.docs.text, "The end of the document.");
    }
}
