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
