//! Probe modules for the Proxy-Wasm conformance test kit: small WebAssembly plugins that call
//! host functions, check what comes back inside the guest, and report one verdict line per
//! check through `proxy_log` — so a probe works on any host that shows its plugin's log.
//!
//! - A [`ProbeBuilder`] makes one module for one ABI of the IR ([`proxy_wasm_spec::builtin()`]):
//!   the version's marker export (or others, for detection probes), an exported memory, a bump
//!   allocator (exported as `proxy_on_memory_allocate`, `malloc`, both or neither, able to fail
//!   on purpose, counting its calls), [`Data`] placed at start, and out-pointer [`Slot`]s.
//! - [`ProbeBuilder::callback`] exports an IR callback with its exact signature; its [`Body`]
//!   calls host functions by IR name with [`Arg`]s whose wasm types must spell the IR
//!   signature. A function is imported on first use, so a probe imports only what it calls and
//!   a host lacking an unrelated function still links it. Slots passed as out-pointers are
//!   refilled with [`SENTINEL`] bytes before each call, so a write on error shows.
//! - Each `expect_*` check logs one `PASS` or `FAIL` line, with the value found formatted in
//!   the guest; [`Body::end`] logs the `END` line that says the probe ran to its end.
//!   [`verdict`] defines the lines (also `VERDICTS.md`) and reads them back from a host's log.
//!   A check in a callback the host calls twice reports twice, which the reader flags.
//!
//! ```
//! use conformance_guests::{Arg, ProbeBuilder, Width, verdict};
//!
//! let abi = proxy_wasm_spec::builtin("0.2.1").expect("built-in ABI");
//! let mut probe = ProbeBuilder::new(&abi, "get-path");
//! let key = probe.data(b":path");
//! let (ptr, len) = (probe.slot(Width::U32), probe.slot(Width::U32));
//! probe.callback("proxy_on_request_headers", |b| {
//!     let status = b.call(
//!         "proxy_get_header_map_value",
//!         &[Arg::I32(0), Arg::Bytes(key), Arg::Slot(ptr), Arg::Slot(len)],
//!     );
//!     b.expect_status("path/status", status, 0);
//!     b.expect_bytes("path/value", ptr, len, b"/");
//!     b.end();
//! });
//! let wasm = probe.finish().expect("a valid probe");
//! assert!(wasm.starts_with(b"\0asm"));
//!
//! // On a host, the plugin's log then holds lines like these, which `collect` reads back:
//! let result = verdict::collect([
//!     "[info] pwtck:1 PASS path/status",
//!     "[info] pwtck:1 FAIL path/value expected=bytes:1:2f got=bytes:2:2f61",
//!     "[info] pwtck:1 END get-path",
//! ]);
//! assert_eq!(result.end.as_deref(), Some("get-path"));
//! ```
//!
//! Probes use WebAssembly 1.0 only, the feature set of every engine hosts embed, and
//! [`ProbeBuilder::finish`] validates each one; mistakes in a probe's construction (unknown
//! names, wrong argument types, duplicate check ids, no `END`) are all reported there.

mod allocator;
mod body;
mod builder;
pub mod catalog;
mod code;
pub mod effects;
mod runtime;
pub mod verdict;

pub use allocator::{AllocMode, AllocatorExport};
pub use body::{Arg, Body, Status};
pub use builder::{BuildError, Data, ProbeBuilder, SENTINEL, Slot, Width, validate};
pub use proxy_wasm_interchange::{Basis, Check, Level};
