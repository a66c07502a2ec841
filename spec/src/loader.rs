//! Reads an entry document and every document it `use`s, transitively, in order.

use crate::diagnostic::{Diagnostic, FileId, SourceMap, Span};
use crate::syntax::{self, ast};

/// Where documents come from: the file system, or the copies built into this crate.
pub trait Files {
    /// The text of the document at `path` (a `/`-separated path), or why it cannot be read.
    fn read(&self, path: &str) -> Result<String, String>;
}

/// Reads documents from disk, paths relative to the current directory.
pub struct FsFiles;

impl Files for FsFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
        String::from_utf8(bytes).map_err(|e| {
            format!(
                "it is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            )
        })
    }
}

/// A top-level item and the file it came from.
pub struct Item {
    /// The file the item is written in.
    pub file: FileId,
    /// The item.
    pub item: ast::TopItem,
}

/// An entry document with everything it uses, flattened in reading order: the items of a used
/// document stand where its `use` stood; a document used twice is read once.
pub struct DocumentSet {
    /// Every file read.
    pub sources: SourceMap,
    /// The entry document.
    pub entry: FileId,
    /// Top-level items other than `use`, in order.
    pub items: Vec<Item>,
    /// Doc comments that document a whole document (at its end, with no item after them), in
    /// reading order.
    pub docs: Vec<ast::Docs>,
}

/// Loads `entry` and what it uses. Returns the set together with every error found on the way
/// (unreadable files, syntax errors, `use` cycles); the set holds whatever could be read.
pub fn load(entry: &str, files: &dyn Files) -> (DocumentSet, Vec<Diagnostic>) {
    let mut l = Loader {
        files,
        sources: SourceMap::default(),
        loaded: Vec::new(),
        stack: Vec::new(),
        items: Vec::new(),
        docs: Vec::new(),
        errors: Vec::new(),
    };
    let entry_path = normalize(entry);
    let entry_id = match files.read(&entry_path) {
        Ok(text) => {
            let id = l.sources.add(entry.to_string(), text);
            l.stack.push((entry_path.clone(), None));
            l.visit(entry_path, id);
            id
        }
        Err(e) => {
            l.errors
                .push(Diagnostic::unlocated(format!("cannot read `{entry}`: {e}")));
            l.sources.add(entry.to_string(), String::new())
        }
    };
    let set = DocumentSet {
        sources: l.sources,
        entry: entry_id,
        items: l.items,
        docs: l.docs,
    };
    (set, l.errors)
}

struct Loader<'a> {
    files: &'a dyn Files,
    sources: SourceMap,
    /// Normalized paths already read, and their ids.
    loaded: Vec<(String, FileId)>,
    /// The documents being read, outermost first, each with the `use` that led to it.
    stack: Vec<(String, Option<Span>)>,
    items: Vec<Item>,
    docs: Vec<ast::Docs>,
    errors: Vec<Diagnostic>,
}

impl Loader<'_> {
    fn visit(&mut self, path: String, id: FileId) {
        self.loaded.push((path.clone(), id));
        let doc = match syntax::parse(id, self.sources.text(id)) {
            Ok(doc) => doc,
            Err(errs) => {
                self.errors.extend(errs);
                return;
            }
        };
        for item in doc.items {
            match item {
                ast::TopItem::Use(target) => self.follow(&path, id, &target),
                item => self.items.push(Item { file: id, item }),
            }
        }
        if doc.docs.span.is_some() {
            self.docs.push(doc.docs);
        }
    }

    fn follow(&mut self, from: &str, from_id: FileId, target: &ast::Str) {
        let path = normalize(&join(from, &target.value));
        let display = normalize(&join(self.sources.name(from_id), &target.value));
        if let Some(pos) = self.stack.iter().position(|(p, _)| *p == path) {
            let mut d = Diagnostic::new(
                format!("`use` cycle: `{}` is already being read", target.value),
                target.span,
            );
            for (_, span) in &self.stack[pos + 1..] {
                d = d.with_note("the cycle passes through this `use`", *span);
            }
            self.errors.push(d);
            return;
        }
        if self.loaded.iter().any(|(p, _)| *p == path) {
            return;
        }
        match self.files.read(&path) {
            Ok(text) => {
                let id = self.sources.add(display, text);
                self.stack.push((path.clone(), Some(target.span)));
                self.visit(path, id);
                self.stack.pop();
            }
            Err(e) => self.errors.push(Diagnostic::new(
                format!(
                    "cannot read `{}` (resolved to `{display}`): {e}",
                    target.value
                ),
                target.span,
            )),
        }
    }
}

/// `rel` relative to the directory of `from`.
fn join(from: &str, rel: &str) -> String {
    if rel.starts_with('/') {
        return rel.to_string();
    }
    match from.rfind('/') {
        Some(i) => format!("{}/{}", &from[..i], rel),
        None => rel.to_string(),
    }
}

/// Removes `.` segments and resolves `..` lexically, so one file has one name.
pub fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if matches!(parts.last(), Some(p) if *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_resolves_dots() {
        assert_eq!(
            normalize("spec/abi/./proxy-wasm/../v0.2.1.witx"),
            "spec/abi/v0.2.1.witx"
        );
        assert_eq!(normalize("../a/b/../c"), "../a/c");
        assert_eq!(normalize("/x/../../y"), "/y");
        assert_eq!(
            join("spec/abi/v0.2.1.witx", "proxy-wasm/host.witx"),
            "spec/abi/proxy-wasm/host.witx"
        );
        assert_eq!(join("entry.witx", "other.witx"), "other.witx");
    }
}
