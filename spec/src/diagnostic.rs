//! Source files, spans, and errors rendered as `file:line:col`, the source line and a caret.

use std::fmt::{self, Write as _};

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileId(pub(crate) usize);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

struct SourceFile {
    name: String,
    text: String,
    line_starts: Vec<usize>,
}

/// Every file read while loading a document set, so that spans can be shown.
#[derive(Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Adds a file; `name` is what errors show (a path as the user gave it).
    pub fn add(&mut self, name: String, text: String) -> FileId {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        self.files.push(SourceFile {
            name,
            text,
            line_starts,
        });
        FileId(self.files.len() - 1)
    }

    /// The name a file was added under.
    pub fn name(&self, file: FileId) -> &str {
        &self.files[file.0].name
    }

    /// The text of a file.
    pub fn text(&self, file: FileId) -> &str {
        &self.files[file.0].text
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: usize) -> (usize, usize) {
        let f = &self.files[file.0];
        let offset = floor_char_boundary(&f.text, offset.min(f.text.len()));
        let line = f.line_starts.partition_point(|&s| s <= offset) - 1;
        let col = f.text[f.line_starts[line]..offset].chars().count() + 1;
        (line + 1, col)
    }

    fn line_text(&self, file: FileId, line: usize) -> &str {
        let f = &self.files[file.0];
        let start = f.line_starts[line - 1];
        let end = f.line_starts.get(line).map_or(f.text.len(), |&e| e);
        f.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One error: a message at a place, with optional notes pointing elsewhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong.
    pub message: String,
    /// Where; `None` for errors about no particular place (e.g. an unreadable entry file).
    pub span: Option<Span>,
    /// Further places worth showing, e.g. where a duplicate was first defined.
    pub notes: Vec<(String, Option<Span>)>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn new(message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            message: message.into(),
            span: Some(span),
            notes: Vec::new(),
        }
    }

    /// An error with no location.
    pub fn unlocated(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            span: None,
            notes: Vec::new(),
        }
    }

    /// Adds a note pointing at `span`.
    pub fn with_note(mut self, note: impl Into<String>, span: Option<Span>) -> Self {
        self.notes.push((note.into(), span));
        self
    }

    /// Renders the error against the files it points into.
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = format!("error: {}\n", self.message);
        if let Some(span) = self.span {
            snippet(&mut out, sources, span);
        }
        for (note, span) in &self.notes {
            match span {
                Some(span) => {
                    let _ = writeln!(out, "note: {note}");
                    snippet(&mut out, sources, *span);
                }
                None => {
                    let _ = writeln!(out, "note: {note}");
                }
            }
        }
        out
    }
}

fn snippet(out: &mut String, sources: &SourceMap, span: Span) {
    let (line, col) = sources.line_col(span.file, span.start);
    let text = sources.line_text(span.file, line);
    let gutter = " ".repeat(line.to_string().len());
    // The caret covers the span up to the end of its first line, at least one column.
    let (end_line, end_col) = sources.line_col(span.file, span.end);
    let width = if end_line == line && end_col > col {
        end_col - col
    } else if end_line == line {
        1
    } else {
        (text.chars().count() + 1).saturating_sub(col).max(1)
    };
    let _ = writeln!(out, "{gutter}--> {}:{line}:{col}", sources.name(span.file));
    let _ = writeln!(out, "{gutter} |");
    let _ = writeln!(out, "{line} | {}", text.replace('\t', " "));
    let _ = writeln!(
        out,
        "{gutter} | {}{}",
        " ".repeat(col - 1),
        "^".repeat(width)
    );
}

/// All errors of one load, renderable together.
pub struct Errors {
    /// The errors, in the order they were found.
    pub diagnostics: Vec<Diagnostic>,
    /// The files they point into.
    pub sources: SourceMap,
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            f.write_str(&d.render(&self.sources))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Errors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_under_the_span_with_unicode_before_it() {
        let mut sources = SourceMap::default();
        let text = ";; é\n(typename $x $sise)\n".to_string();
        let start = text.find("$sise").unwrap_or_default();
        let file = sources.add("t.witx".into(), text);
        assert_eq!(sources.line_col(file, start), (2, 14));
        let d = Diagnostic::new(
            "unknown type",
            Span {
                file,
                start,
                end: start + 5,
            },
        );
        assert_eq!(
            d.render(&sources),
            "error: unknown type\n --> t.witx:2:14\n  |\n2 | (typename $x $sise)\n  |              ^^^^^\n"
        );
    }

    #[test]
    fn offsets_past_the_end_are_clamped() {
        let mut sources = SourceMap::default();
        let file = sources.add("t.witx".into(), "ab".into());
        assert_eq!(sources.line_col(file, 99), (1, 3));
    }
}
