//! Proxy-Wasm host bindings for wasmtime, one module per ABI version:
//!
//! - `Host` (the proxy functions, module `env`) and `Wasi` (the WASI functions the ABI requires,
//!   module `wasi_snapshot_preview1`): one method per host function, with typed arguments (enums
//!   as Rust enums, input buffers as slices) and the out-pointer results as the return value.
//!   A method fails with a [`HostError`]: a status the plugin receives, or a [`Trap`] that ends
//!   the plugin's call (`proc_exit` ends it with [`Trap::Exit`]). Every method has a default body
//!   that refuses the call; a host overrides what it supports.
//! - `add_to_linker` and `add_wasi_to_linker`: register the version's proxy functions and its
//!   WASI functions in a `wasmtime::Linker` whose store data implements the trait. They are
//!   separate, so WASI can come from elsewhere (wasmtime-wasi). The glue rejects out-of-range
//!   enum values and out-of-bounds guest buffers with the status the ABI names before the method
//!   runs, allocates result buffers with the plugin's allocator, and writes out-pointers only
//!   when the call succeeds.
//! - `HostViaLatest` and `WasiViaLatest`, in every version but the newest: implement them (empty,
//!   or with what only that version has) to serve the version through the newest version's
//!   implementation.
//! - `Callbacks`: the plugin's exports, checked against the version's signatures, with a typed
//!   method per callback; a callback the plugin does not export returns `Ok(None)`.
//!
//! Across versions: [`AbiVersion`] (with [`AbiVersion::from_exports`], the marker rule),
//! [`add_to_linker`] and [`add_wasi_to_linker`] for a version, and [`Callbacks`], the callbacks
//! of a plugin of any version.
//!
//! ```
//! use proxy_wasm_host_abi::{AbiVersion, HostError};
//! use proxy_wasm_host_abi::{{ latest }}::{self, Host, LogLevel, Status};
//!
//! struct MyHost {
//!     logs: Vec<String>,
//! }
//!
//! impl Host for MyHost {
//!     fn proxy_log(&mut self, level: LogLevel, message: &[u8]) -> Result<(), HostError<Status>> {
//!         let text = String::from_utf8_lossy(message);
//!         self.logs.push(format!("{level:?}: {text}"));
//!         Ok(())
//!     }
//! }
//! impl {{ latest }}::Wasi for MyHost {}
//! // The older versions through the newest one.
{%- for m in older %}
//! impl proxy_wasm_host_abi::{{ m }}::HostViaLatest for MyHost {}
//! impl proxy_wasm_host_abi::{{ m }}::WasiViaLatest for MyHost {}
{%- endfor %}
//!
//! let engine = wasmtime::Engine::default();
//! // Every version, served by the one implementation.
//! for version in AbiVersion::ALL {
//!     let mut linker = wasmtime::Linker::<MyHost>::new(&engine);
//!     proxy_wasm_host_abi::add_to_linker(version, &mut linker)?;
//!     proxy_wasm_host_abi::add_wasi_to_linker(version, &mut linker)?;
//! }
//! # Ok::<(), wasmtime::Error>(())
//! ```

pub mod glue;
{%- for m in modules %}
pub mod {{ m }};
{%- endfor %}
mod versions;

pub use glue::{CallError, HostError, Trap};
pub use versions::*;
