//! What crosses a boundary between the toolkit's programs, defined once: the scenario a host
//! runs a plugin through, the adapter protocol between the conformance runner and a host, the
//! conformance report, the expectations file, and the header-map wire format hosts and plugins
//! exchange. Each type is serialized as documented in `runner/ADAPTERS.md` and described by a
//! JSON Schema generated from it ([`schemas`], written to `generated/schemas/`).
//!
//! The list of ABI versions lives with their documents, in [`proxy_wasm_spec::RELEASED`].

pub mod basis;
pub mod bytes;
pub mod expectations;
pub mod pairs;
pub mod protocol;
pub mod report;
pub mod scenario;
mod schemas;

pub use basis::{Basis, Check, Level};
pub use bytes::Bytes;
pub use report::Kind;
pub use scenario::Scenario;
pub use schemas::schemas;
