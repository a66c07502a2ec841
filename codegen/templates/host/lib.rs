{{ preamble }}
//! Proxy-Wasm host bindings for wasmtime, one module per ABI version:
//!
//! - `Host`: one method per host function, with typed arguments (enums as Rust enums, input
//!   buffers as slices) and the out-pointer results as the return value. Every method has a
//!   default body that returns the "unimplemented" status; a host overrides what it supports.
//! - `add_to_linker`: registers the version's host functions in a `wasmtime::Linker` whose store
//!   data implements `Host`. The glue rejects out-of-range enum values and out-of-bounds guest
//!   buffers with the status the ABI names before the method runs, allocates result buffers with
//!   the plugin's allocator, and writes out-pointers only when the call succeeds.
//! - `Callbacks`: the plugin's exports, checked against the version's signatures, with a typed
//!   method per callback; a callback the plugin does not export returns `Ok(None)`.
//!
//! ```
//! use proxy_wasm_host_abi::v0_2_1::{self, Host, LogLevel, Status};
//!
//! struct MyHost {
//!     logs: Vec<String>,
//! }
//!
//! impl Host for MyHost {
//!     fn proxy_log(&mut self, level: LogLevel, message: &[u8]) -> Result<(), Status> {
//!         let text = String::from_utf8_lossy(message);
//!         self.logs.push(format!("{level:?}: {text}"));
//!         Ok(())
//!     }
//! }
//!
//! let engine = wasmtime::Engine::default();
//! let mut linker = wasmtime::Linker::<MyHost>::new(&engine);
//! v0_2_1::add_to_linker(&mut linker)?;
//! # Ok::<(), wasmtime::Error>(())
//! ```

pub mod glue;
{%- for m in modules %}
pub mod {{ m }};
{%- endfor %}

pub use glue::CallError;
