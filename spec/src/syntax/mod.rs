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
    let mut b = Builder {
        file,
        errors: Vec::new(),
    };
    let items = match pairs.next() {
        Some(doc) => doc
            .into_inner()
            .filter(|p| p.as_rule() == Rule::top_item)
            .filter_map(|p| b.top_item(p))
            .collect(),
        None => Vec::new(),
    };
    if b.errors.is_empty() {
        Ok(Document { items })
    } else {
        Err(b.errors)
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
        Rule::docs | Rule::doc_line => "a doc comment",
        Rule::builtin => "a builtin type (`u32`, `string`, ...)",
        Rule::top_item => {
            "a top-level item (`(use ...)`, `(typename ...)`, `(module ...)`, `(@...)`)"
        }
        Rule::use_decl => "`(use ...)`",
        Rule::typename_decl => "`(typename ...)`",
        Rule::module_decl => "`(module ...)`",
        Rule::type_expr => "a type",
        Rule::enum_type => "`(enum ...)`",
        Rule::flags_type => "`(flags ...)`",
        Rule::struct_type => "`(struct ...)`",
        Rule::handle_type => "`(handle)`",
        Rule::pointer_type => "`(@witx pointer ...)`",
        Rule::const_pointer_type => "`(@witx const_pointer ...)`",
        Rule::member => "a member name like `$name`",
        Rule::field => "`(field ...)`",
        Rule::module_item => "a module item (`(import ...)`, `(@interface func ...)`, `(@...)`)",
        Rule::import_memory => "`(import \"memory\" (memory))`",
        Rule::function => "`(@interface func ...)`",
        Rule::export => "`(export \"name\")`",
        Rule::func_item => "`(param ...)`, `(result ...)` or an annotation",
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
    // The messages are built from pest's expected rules, named by `rule_name`; doc comments are
    // left out because they may stand before almost anything and would only add noise.
    let message = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<String> = Vec::new();
            for rule in positives {
                if matches!(rule, Rule::docs | Rule::doc_line) {
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
    let d = Diagnostic::new(message, span);
    if follows_doc_comment(&text[..offset]) {
        d.with_note(
            "a `;;;` doc comment must stand right before the item it documents",
            None,
        )
    } else {
        d
    }
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

fn follows_doc_comment(before: &str) -> bool {
    before
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.starts_with(";;;") && !l.starts_with(";;;;"))
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

    fn top_item(&mut self, p: Pair<Rule>) -> Option<TopItem> {
        let mut inner = p.into_inner();
        let docs = self.docs(inner.next()?);
        let item = inner.next()?;
        Some(match item.as_rule() {
            Rule::use_decl => {
                let s = item.into_inner().find(|p| p.as_rule() == Rule::string)?;
                TopItem::Use(self.string(s))
            }
            Rule::typename_decl => TopItem::Typename(self.typename(docs, item)?),
            Rule::module_decl => TopItem::Module(self.module(docs, item)?),
            Rule::annotation => TopItem::Annotation(self.annotation(docs, item)),
            _ => return None,
        })
    }

    fn docs(&self, p: Pair<Rule>) -> Docs {
        let span = (p.as_span().start() != p.as_span().end()).then(|| self.span(&p));
        let lines: Vec<&str> = p
            .into_inner()
            .map(|l| {
                let t = &l.as_str()[3..];
                t.strip_prefix(' ').unwrap_or(t).trim_end()
            })
            .collect();
        Docs {
            text: lines.join("\n"),
            span,
        }
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
        let mut value = String::with_capacity(body.len());
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                value.push(c);
                continue;
            }
            let esc_start = span.start + 1 + i;
            match chars.next().map(|(_, c)| c) {
                Some('\\') => value.push('\\'),
                Some('"') => value.push('"'),
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                Some('u') => match unicode_escape(&mut chars) {
                    Some(c) => value.push(c),
                    None => self.errors.push(Diagnostic::new(
                        "bad `\\u{...}` escape: expected 1 to 6 hex digits naming a Unicode scalar value",
                        Span {
                            file: self.file,
                            start: esc_start,
                            end: esc_start + 2,
                        },
                    )),
                },
                other => {
                    let len = 1 + other.map_or(0, char::len_utf8);
                    self.errors.push(Diagnostic::new(
                        format!(
                            "unknown escape `\\{}` in string; the escapes are `\\\\`, `\\\"`, `\\n`, `\\t` and `\\u{{...}}`",
                            other.map(String::from).unwrap_or_default().escape_debug()
                        ),
                        Span {
                            file: self.file,
                            start: esc_start,
                            end: esc_start + len,
                        },
                    ))
                }
            }
        }
        Str { value, span }
    }

    fn int(&mut self, p: Pair<Rule>) -> (i64, Span) {
        let span = self.span(&p);
        let s = p.as_str();
        let (neg, digits) = match s.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, s),
        };
        let magnitude = match digits.strip_prefix("0x") {
            Some(hex) => i128::from_str_radix(hex, 16),
            None => digits.parse::<i128>(),
        };
        let value = magnitude
            .ok()
            .map(|m| if neg { -m } else { m })
            .and_then(|v| i64::try_from(v).ok());
        match value {
            Some(v) => (v, span),
            None => {
                self.errors.push(Diagnostic::new(
                    format!("integer `{s}` does not fit in 64 bits"),
                    span,
                ));
                (0, span)
            }
        }
    }

    fn typename(&mut self, docs: Docs, p: Pair<Rule>) -> Option<Typename> {
        let mut name = None;
        let mut ty = None;
        let mut annotations = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::id => name = Some(self.ident(c)),
                Rule::type_expr => ty = Some(self.type_expr(c)?),
                Rule::annotation => annotations.push(self.annotation(Docs::default(), c)),
                _ => {}
            }
        }
        Some(Typename {
            docs,
            name: name?,
            ty: ty?,
            annotations,
        })
    }

    fn type_expr(&mut self, p: Pair<Rule>) -> Option<TypeExpr> {
        let inner = p.into_inner().next()?;
        let span = self.span(&inner);
        Some(match inner.as_rule() {
            Rule::builtin => TypeExpr::Builtin(builtin(inner.as_str())?, span),
            Rule::id => TypeExpr::Named(self.ident(inner)),
            Rule::enum_type | Rule::flags_type => {
                let is_enum = inner.as_rule() == Rule::enum_type;
                let mut repr = None;
                let mut members = Vec::new();
                for c in inner.into_inner() {
                    match c.as_rule() {
                        Rule::builtin => repr = Some((builtin(c.as_str())?, self.span(&c))),
                        Rule::member => members.push(self.member(c)?),
                        _ => {}
                    }
                }
                let repr = repr?;
                if is_enum {
                    TypeExpr::Enum {
                        repr,
                        members,
                        span,
                    }
                } else {
                    TypeExpr::Flags {
                        repr,
                        members,
                        span,
                    }
                }
            }
            Rule::struct_type => {
                let mut fields = Vec::new();
                for c in inner.into_inner().filter(|c| c.as_rule() == Rule::field) {
                    fields.push(self.field(c)?);
                }
                TypeExpr::Struct { fields, span }
            }
            Rule::handle_type => TypeExpr::Handle(span),
            Rule::pointer_type | Rule::const_pointer_type => {
                let is_const = inner.as_rule() == Rule::const_pointer_type;
                let target = inner
                    .into_inner()
                    .find(|c| c.as_rule() == Rule::type_expr)?;
                let target = Box::new(self.type_expr(target)?);
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
        let mut inner = p.into_inner();
        let docs = self.docs(inner.next()?);
        let name = self.ident(inner.next()?);
        let annotations = inner.map(|a| self.annotation(Docs::default(), a)).collect();
        Some(Member {
            docs,
            name,
            annotations,
        })
    }

    fn field(&mut self, p: Pair<Rule>) -> Option<Field> {
        let mut docs = Docs::default();
        let mut name = None;
        let mut ty = None;
        let mut annotations = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::docs => docs = self.docs(c),
                Rule::id => name = Some(self.ident(c)),
                Rule::type_expr => ty = Some(self.type_expr(c)?),
                Rule::annotation => annotations.push(self.annotation(Docs::default(), c)),
                _ => {}
            }
        }
        Some(Field {
            docs,
            name: name?,
            ty: ty?,
            annotations,
        })
    }

    fn module(&mut self, docs: Docs, p: Pair<Rule>) -> Option<Module> {
        let mut name = None;
        let mut memory_imports = Vec::new();
        let mut functions = Vec::new();
        let mut annotations = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::id => name = Some(self.ident(c)),
                Rule::module_item => {
                    let mut inner = c.into_inner();
                    let item_docs = self.docs(inner.next()?);
                    let item = inner.next()?;
                    match item.as_rule() {
                        Rule::import_memory => {
                            self.no_docs(&item_docs, "`(import \"memory\" (memory))`");
                            let span = self.span(&item);
                            let s = item.into_inner().find(|p| p.as_rule() == Rule::string)?;
                            let s = self.string(s);
                            if s.value != "memory" {
                                self.errors.push(Diagnostic::new(
                                    format!(
                                        "a module can import only `\"memory\"`, not `{:?}`",
                                        s.value
                                    ),
                                    s.span,
                                ));
                            }
                            memory_imports.push(span);
                        }
                        Rule::function => functions.push(self.function(item_docs, item)?),
                        Rule::annotation => annotations.push(self.annotation(item_docs, item)),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        Some(Module {
            docs,
            name: name?,
            memory_imports,
            functions,
            annotations,
        })
    }

    fn no_docs(&mut self, docs: &Docs, what: &str) {
        if let Some(span) = docs.span {
            self.errors.push(Diagnostic::new(
                format!("a doc comment cannot document {what}"),
                span,
            ));
        }
    }

    fn function(&mut self, docs: Docs, p: Pair<Rule>) -> Option<Function> {
        let span = self.span(&p);
        let mut name = None;
        let mut params = Vec::new();
        let mut results = Vec::new();
        let mut annotations = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::export => {
                    let s = c.into_inner().find(|p| p.as_rule() == Rule::string)?;
                    name = Some(self.string(s));
                }
                Rule::func_item => {
                    let mut inner = c.into_inner();
                    let item_docs = self.docs(inner.next()?);
                    let item = inner.next()?;
                    match item.as_rule() {
                        Rule::param => params.push(self.param(item_docs, item)?),
                        Rule::result => results.push(self.param(item_docs, item)?),
                        Rule::annotation => annotations.push(self.annotation(item_docs, item)),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        Some(Function {
            docs,
            name: name?,
            params,
            results,
            annotations,
            span,
        })
    }

    fn param(&mut self, docs: Docs, p: Pair<Rule>) -> Option<Param> {
        let mut name = None;
        let mut ty = None;
        let mut annotations = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::id => name = Some(self.ident(c)),
                Rule::type_expr => ty = Some(self.type_expr(c)?),
                Rule::annotation => annotations.push(self.annotation(Docs::default(), c)),
                _ => {}
            }
        }
        Some(Param {
            docs,
            name: name?,
            ty: ty?,
            annotations,
        })
    }

    fn annotation(&mut self, docs: Docs, p: Pair<Rule>) -> Annotation {
        let span = self.span(&p);
        let mut name = String::new();
        let mut name_span = span;
        let mut args = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::annotation_name => {
                    name = c.as_str()[1..].to_string();
                    name_span = self.span(&c);
                }
                Rule::lp | Rule::rp => {}
                _ => args.push(self.arg(c)),
            }
        }
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
                let (v, s) = self.int(p);
                Arg::Int(v, s)
            }
            Rule::id => Arg::Id(self.ident(p)),
            Rule::annotation => Arg::Annotation(self.annotation(Docs::default(), p)),
            Rule::list => Arg::List(
                p.into_inner()
                    .filter(|c| !matches!(c.as_rule(), Rule::lp | Rule::rp))
                    .map(|c| self.arg(c))
                    .collect(),
                span,
            ),
            _ => Arg::Word(p.as_str().to_string(), span),
        }
    }
}

fn unicode_escape(chars: &mut std::str::CharIndices) -> Option<char> {
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
        "bool" => Builtin::Bool,
        "string" => Builtin::String,
        "f32" => Builtin::F32,
        "f64" => Builtin::F64,
        _ => return None,
    })
}
