//! A complete, deterministic Proxy-Wasm host on wasmtime for ABI 0.1.0, 0.2.0 and 0.2.1, built on
//! the generated host traits (`proxy-wasm-host-abi`): the conformance runner's embedded default,
//! and a way to run a plugin against a scripted scenario and read what it did.
//!
//! ```no_run
//! let wasm = std::fs::read("plugin.wasm")?;
//! let scenario: reference_host::Scenario = serde_json::from_str(r#"{"events": []}"#)?;
//! let transcript = reference_host::run(&wasm, &scenario)?;
//! println!("{}", serde_json::to_string_pretty(&transcript)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Everything is deterministic: time is virtual, `random_get` is a fixed generator, and every
//! entry into the plugin runs on a fuel budget and a memory cap, so a plugin that loops or grows
//! without bound ends with an error in the transcript instead of hanging the host.

pub mod adapter;
mod attributes;
pub mod callouts;
mod deliver;
mod http;
pub mod load;
mod older_only;
pub mod run;
pub mod state;
mod tcp;
pub mod transcript;

pub use load::LoadError;
pub use proxy_wasm_host_abi::AbiVersion;
/// The scenario and the header-map codec live with the other documents that cross a boundary.
pub use proxy_wasm_interchange::{pairs, scenario};
pub use run::{Compile, Runtime, cached_engine, cached_engine_for, engine, engine_for, run};
pub use scenario::Scenario;
pub use transcript::Transcript;
/// The wasmtime this host runs on, for sharing an [`engine`] across runs.
pub use wasmtime;
