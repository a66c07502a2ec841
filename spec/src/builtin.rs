//! The spec documents of this repository, built into the crate so tools need no source tree.

use crate::loader::{Files, normalize};
use crate::{Abi, Errors};

/// Every document, by its path from the repository root.
const DOCUMENTS: &[(&str, &str)] = &[
    ("spec/abi/v0.1.0.witx", include_str!("../abi/v0.1.0.witx")),
    ("spec/abi/v0.2.0.witx", include_str!("../abi/v0.2.0.witx")),
    ("spec/abi/v0.2.1.witx", include_str!("../abi/v0.2.1.witx")),
    (
        "spec/abi/proxy-wasm/types.witx",
        include_str!("../abi/proxy-wasm/types.witx"),
    ),
    (
        "spec/abi/proxy-wasm/host.witx",
        include_str!("../abi/proxy-wasm/host.witx"),
    ),
    (
        "spec/abi/proxy-wasm/callbacks.witx",
        include_str!("../abi/proxy-wasm/callbacks.witx"),
    ),
    (
        "spec/abi/proxy-wasm/wasi.witx",
        include_str!("../abi/proxy-wasm/wasi.witx"),
    ),
    (
        "spec/abi/envoy-2020/envoy_abi.witx",
        include_str!("../abi/envoy-2020/envoy_abi.witx"),
    ),
    (
        "spec/abi/envoy-2020/typenames.witx",
        include_str!("../abi/envoy-2020/typenames.witx"),
    ),
    (
        "spec/abi/envoy-2020/envoy_host.witx",
        include_str!("../abi/envoy-2020/envoy_host.witx"),
    ),
    (
        "spec/abi/envoy-2020/envoy_extension.witx",
        include_str!("../abi/envoy-2020/envoy_extension.witx"),
    ),
];

/// The released ABI versions, oldest first: every program's list of versions. Each has its
/// entry document at `spec/abi/v{version}.witx`.
pub const RELEASED: [&str; 3] = ["0.1.0", "0.2.0", "0.2.1"];

/// The other ABIs described here, with their entry documents.
const OTHERS: &[(&str, &str)] = &[("envoy-2020", "spec/abi/envoy-2020/envoy_abi.witx")];

/// The names [`builtin`] accepts, oldest first.
pub fn names() -> impl Iterator<Item = &'static str> {
    RELEASED
        .into_iter()
        .chain(OTHERS.iter().map(|(name, _)| *name))
}

struct Embedded;

impl Files for Embedded {
    fn read(&self, path: &str) -> Result<String, String> {
        let path = normalize(path);
        DOCUMENTS
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, text)| (*text).to_string())
            .ok_or_else(|| "no such built-in document".to_string())
    }
}

/// The entry document of a built-in ABI.
pub fn entry(name: &str) -> Option<String> {
    if RELEASED.contains(&name) {
        return Some(format!("spec/abi/v{name}.witx"));
    }
    OTHERS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, e)| (*e).to_string())
}

/// Loads a built-in ABI by name (one of [`names`]).
pub fn builtin(name: &str) -> Result<Abi, Errors> {
    match entry(name) {
        Some(entry) => crate::load(&entry, &Embedded),
        None => Err(Errors {
            diagnostics: vec![crate::diagnostic::Diagnostic::unlocated(format!(
                "unknown ABI `{name}`; the known ones are {}",
                names().collect::<Vec<_>>().join(", ")
            ))],
            sources: Default::default(),
        }),
    }
}
