//! Hand-built hostile plugins: broken allocators, traps, endless loops and memory hunger end as
//! statuses or transcript errors, never as a panic or a hang of the host.
#![allow(clippy::panic)] // test helpers fail loudly

use reference_host::{Scenario, run};
use serde_json::{Value, json};

/// A plugin whose `proxy_on_memory_allocate` is `allocator`; on each request it reads `:path`
/// into the out-slots at 900/904 (pre-filled with 0x5A5A5A5A) and logs the status as a digit
/// pair, then whether the slots are untouched (`kept`), only the length slot is (`len kept`), or
/// the length was written (`written`).
fn plugin(allocator: &str) -> Vec<u8> {
    let text = format!(
        r#"(module
      (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
      (import "env" "proxy_get_header_map_value" (func $get (param i32 i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 100) ":path")
      (data (i32.const 110) "kept")
      (data (i32.const 120) "written")
      (data (i32.const 130) "len kept")
      (func (export "proxy_abi_version_0_2_1"))
      (func (export "proxy_on_memory_allocate") (param $size i32) (result i32) {allocator})
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (local $st i32)
        (i32.store (i32.const 900) (i32.const 0x5A5A5A5A))
        (i32.store (i32.const 904) (i32.const 0x5A5A5A5A))
        (local.set $st (call $get (i32.const 0) (i32.const 100) (i32.const 5) (i32.const 900) (i32.const 904)))
        (i32.store8 (i32.const 1000) (i32.add (i32.const 48) (i32.div_u (local.get $st) (i32.const 10))))
        (i32.store8 (i32.const 1001) (i32.add (i32.const 48) (i32.rem_u (local.get $st) (i32.const 10))))
        (drop (call $log (i32.const 2) (i32.const 1000) (i32.const 2)))
        (if (i32.ne (i32.load (i32.const 904)) (i32.const 0x5A5A5A5A))
          (then (drop (call $log (i32.const 2) (i32.const 120) (i32.const 7))))
          (else (if (i32.eq (i32.load (i32.const 900)) (i32.const 0x5A5A5A5A))
            (then (drop (call $log (i32.const 2) (i32.const 110) (i32.const 4))))
            (else (drop (call $log (i32.const 2) (i32.const 130) (i32.const 8)))))))
        i32.const 0))"#
    );
    wat::parse_str(&text).unwrap_or_else(|e| panic!("bad test module: {e}"))
}

fn transcript(wasm: &[u8], scenario: Value) -> Value {
    let scenario: Scenario =
        serde_json::from_value(scenario).unwrap_or_else(|e| panic!("bad scenario: {e}"));
    let t = run(wasm, &scenario).unwrap_or_else(|e| panic!("load failed: {e}"));
    serde_json::to_value(t).unwrap_or_else(|e| panic!("{e}"))
}

fn one_request() -> Value {
    json!({ "events": [{ "http": { "request": { "headers": [[":path", "/abc"]] } } }] })
}

fn messages(t: &Value) -> Vec<String> {
    let logs = t["logs"].as_array().cloned().unwrap_or_default();
    logs.iter()
        .map(|l| l["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_working_allocator_receives_the_value() {
    let t = transcript(&plugin("(i32.const 2048)"), one_request());
    assert_eq!(messages(&t), ["00", "written"]);
}

#[test]
fn broken_allocators_give_invalid_memory_access_and_no_writes() {
    for (what, allocator) in [
        ("returns 0", "(i32.const 0)"),
        ("returns an address past memory", "(i32.const 65534)"),
        ("returns -1", "(i32.const -1)"),
    ] {
        let t = transcript(&plugin(allocator), one_request());
        assert_eq!(messages(&t), ["06", "kept"], "allocator {what}");
        assert_eq!(t["errors"], json!([]), "allocator {what}");
    }
    // A buffer over the pointer slot: the value ("/abc") lands in the memory the allocator gave,
    // but the host refuses to write the pointer and length over it.
    let t = transcript(&plugin("(i32.const 898)"), one_request());
    assert_eq!(messages(&t), ["06", "len kept"]);
}

#[test]
fn a_trapping_allocator_fails_the_vm_and_later_streams_fail_closed() {
    let stream = json!({ "http": { "request": { "headers": [[":path", "/"]] } } });
    let t = transcript(
        &plugin("unreachable"),
        json!({ "events": [stream, stream] }),
    );
    let errors = t["errors"].as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert_eq!(errors[0]["callback"], json!("proxy_on_request_headers"));
    assert_eq!(errors[2]["context"], json!(3));
    assert_eq!(t["http"][1]["vm_failed"], json!("closed"));
    assert!(messages(&t).is_empty());
}

#[test]
fn an_endless_allocator_runs_out_of_fuel() {
    let mut scenario = one_request();
    scenario["limits"] = json!({ "fuel_per_call": 100000, "memory_bytes": 1048576 });
    let t = transcript(&plugin("(loop $l (br $l)) (i32.const 0)"), scenario);
    let message = t["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("fuel of 100000 ran out"), "{t}");
}

#[test]
fn memory_growth_stops_at_the_cap() {
    // Grows by one page at a time until refused, then logs how many pages it has.
    let wasm = wat::parse_str(
        r#"(module
      (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "proxy_abi_version_0_2_1"))
      (func (export "malloc") (param i32) (result i32) (i32.const 0))
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
        (loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
        (i32.store8 (i32.const 0) (i32.add (i32.const 48) (memory.size)))
        (drop (call $log (i32.const 2) (i32.const 0) (i32.const 1)))
        i32.const 1))"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let t = transcript(
        &wasm,
        json!({ "limits": { "fuel_per_call": 1000000, "memory_bytes": 262144 } }),
    );
    // 256 KiB is 4 pages.
    assert_eq!(messages(&t), ["4"]);
}

#[test]
fn a_trap_in_a_start_function_stops_the_plugin_cleanly() {
    let wasm = wat::parse_str(
        r#"(module
      (memory (export "memory") 1)
      (func (export "proxy_abi_version_0_2_1"))
      (func (export "malloc") (param i32) (result i32) (i32.const 0))
      (func (export "_initialize") unreachable)
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) unreachable))"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let t = transcript(&wasm, one_request());
    let errors = t["errors"].as_array().cloned().unwrap_or_default();
    // The trap, the stream not run, the root's proxy_on_done not called.
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(errors[0]["callback"], json!("_initialize"));
    assert_eq!(t["http"][0]["vm_failed"], json!("closed"));
    assert_eq!(t["http"][0]["upstream_request"], json!(null));
}
