//! The Proxy-Wasm ABI as data.
//!
//! The ABI versions are described in witx-style documents (`spec/abi/`, format in `spec/FORMAT.md`).
//! This crate parses them ([`syntax`]), follows their `use`s ([`loader`]), and validates them into
//! an [`ir::Abi`] ([`validate`]), reporting every error with its place ([`diagnostic`]). What
//! changed from one ABI to another is computed from the IRs ([`diff`]), and the order in which a
//! host drives a plugin is data too ([`lifecycle`]).
//!
//! ```
//! let abi = proxy_wasm_spec::builtin("0.2.1").expect("the built-in documents are valid");
//! assert!(abi.function("proxy_get_log_level").is_some());
//! ```

pub mod builtin;
pub mod diagnostic;
pub mod diff;
pub mod ir;
pub mod lifecycle;
pub mod loader;
pub mod published;
pub mod syntax;
pub mod text;
pub mod validate;

pub use builtin::{RELEASED, builtin};
pub use diagnostic::Errors;
pub use ir::Abi;

/// Loads and validates a document set of one document given as text; `name` stands for it in
/// errors. A `use` of another document is an error: there is nothing else to read.
pub fn load_text(name: &str, text: &str) -> Result<Abi, Errors> {
    struct One<'a>(&'a str, &'a str);
    impl loader::Files for One<'_> {
        fn read(&self, path: &str) -> Result<String, String> {
            if path == self.0 {
                Ok(self.1.to_string())
            } else {
                Err(format!(
                    "{} is given as text and cannot use other documents",
                    self.0
                ))
            }
        }
    }
    load(name, &One(name, text))
}

/// Loads and validates the document set whose entry document is `entry`.
pub fn load(entry: &str, files: &dyn loader::Files) -> Result<Abi, Errors> {
    let (set, mut errors) = loader::load(entry, files);
    // Validation needs every document; with some unreadable, its errors would only mislead.
    if errors.is_empty() {
        match validate::validate(&set) {
            Ok(abi) => return Ok(abi),
            Err(e) => errors = e,
        }
    }
    Err(Errors {
        diagnostics: errors,
        sources: set.sources,
    })
}

/// Loads and validates a document set from disk.
pub fn load_file(entry: &str) -> Result<Abi, Errors> {
    load(entry, &loader::FsFiles)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_document_given_as_text_loads_but_uses_nothing_else() {
        let abi = super::load_text("t.witx", "(typename $size u32)").expect("a plain document");
        assert_eq!(abi.types.len(), 1);
        let errors = super::load_text("t.witx", "(use \"other.witx\")\n(typename $size u32)")
            .expect_err("the used document cannot be read");
        assert!(errors.to_string().contains("given as text"), "{errors}");
    }
}
