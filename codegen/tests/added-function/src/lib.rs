//! The `proxy-wasm-host-abi` crate as `cargo xtask codegen` would generate it after a host
//! function (in every version, in 0.1.0 only, in 0.2.1 only) and a callback were added to a copy
//! of the spec documents; `build.rs` generates it.

include!(concat!(env!("OUT_DIR"), "/lib.rs"));
