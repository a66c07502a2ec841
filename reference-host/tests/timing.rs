//! Virtual time: calls answered after a delay, stream parts spaced in time, several streams open
//! at once, and what a held stream does with the parts that arrive meanwhile.
#![allow(clippy::panic)] // test helpers fail loudly

mod support;

use serde_json::{Value, json};
use support::transcript;

/// Memory, a bump allocator, `$say` (logs `len` bytes at `ptr`) and the imports the plugins use.
const PRELUDE: &str = r#"
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_http_call" (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $effective (param i32) (result i32)))
  (import "env" "proxy_continue_stream" (func $continue (param i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $period (param i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_send_local_response" (func $respond (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_call" (func $grpc_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func $replace (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 8192))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $p i32)
    global.get $heap local.set $p
    global.get $heap local.get $size i32.add global.set $heap
    local.get $p)
  (func $say (param $ptr i32) (param $len i32)
    (drop (call $log (i32.const 2) (local.get $ptr) (local.get $len))))
  (data (i32.const 100) "HBRhT")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_done") (param i32) (result i32) i32.const 1)
"#;

fn module(body: &str) -> Vec<u8> {
    wat::parse_str(format!("(module {PRELUDE} {body})"))
        .unwrap_or_else(|e| panic!("bad test module: {e}"))
}

/// Each log line as `<context><message>`.
fn said(t: &Value) -> Vec<String> {
    (t["logs"].as_array().into_iter().flatten())
        .map(|l| {
            format!(
                "{}{}",
                l["context"],
                l["message"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// `(":method","GET") (":path","/check") (":authority","auth")` in the header-map format
/// (69 bytes).
const CHECK_HEADERS: &str = r#""\03\00\00\00" "\07\00\00\00\03\00\00\00" "\05\00\00\00\06\00\00\00" "\0a\00\00\00\04\00\00\00" ":method\00GET\00:path\00/check\00:authority\00auth\00""#;

#[test]
fn a_delayed_answer_lets_body_chunks_and_ticks_arrive_meanwhile() {
    // Request headers: ask `auth` (timeout 100 ms) and hold the stream; the body arriving
    // meanwhile waits. The answer logs its body and continues the stream: the body that arrived
    // comes to the plugin in one callback.
    let wasm = module(&format!(
        r#"
      (data (i32.const 200) {CHECK_HEADERS})
      (data (i32.const 300) "auth")
      (global $stream (mut i32) (i32.const 0))
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        (drop (call $period (i32.const 20))) i32.const 1)
      (func (export "proxy_on_tick") (param i32) (call $say (i32.const 104) (i32.const 1)))
      (func (export "proxy_on_request_headers") (param $id i32) (param i32 i32) (result i32)
        (global.set $stream (local.get $id))
        (call $say (i32.const 100) (i32.const 1))
        (drop (call $http_call (i32.const 300) (i32.const 4) (i32.const 200) (i32.const 69)
          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 100) (i32.const 900)))
        i32.const 1)
      (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
        (call $say (i32.const 101) (i32.const 1)) i32.const 0)
      (func (export "proxy_on_http_call_response") (param i32 i32 i32) (param $body i32) (param i32)
        (call $say (i32.const 102) (i32.const 1))
        (drop (call $get_buffer (i32.const 4) (i32.const 0) (local.get $body) (i32.const 904) (i32.const 908)))
        (call $say (i32.load (i32.const 904)) (i32.load (i32.const 908)))
        (drop (call $effective (global.get $stream)))
        (drop (call $continue (i32.const 0))))
      (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
        (call $say (i32.const 103) (i32.const 1)) i32.const 0)"#
    ));
    let stream = json!({ "http": {
        "request": { "headers": [[":path", "/"]], "body": ["a", "b", "c"] },
        "response": { "headers": [[":status", "200"]] },
        "gap_ms": 10,
        "upstream_ms": 5
    }});
    let t = transcript(
        &wasm,
        json!({
            "upstreams": { "auth": [
                { "headers": [[":status", "200"]], "body": "ok", "delay_ms": 50 },
                // Later than the call's timeout: Envoy's router answers at 100 ms instead.
                { "headers": [[":status", "200"]], "body": "late", "delay_ms": 200 }
            ]},
            "events": [stream, stream]
        }),
    );
    // Stream 2 from 0 ms: chunks at 10, 20, 30 ms, ticks at 20 and 40, the answer at 50, then
    // the body that arrived, the response 5 ms after the request left. Stream 3 from 55 ms:
    // ticks every 20 ms, the timeout at 155, and a tick at 160 before the response headers due
    // then (a tick comes first among what falls due together).
    let expected = [
        "2H",
        "1T",
        "1T",
        "1R",
        "1ok",
        "2B",
        "2h", // stream 2
        "3H",
        "1T",
        "1T",
        "1T",
        "1T",
        "1T",
        "1R",
        "1upstream request timeout",
        "3B",
        "1T",
        "3h",
    ];
    assert_eq!(said(&t), expected);
    let calls = t["http_calls"].as_array().cloned().unwrap_or_default();
    let timed_out: Vec<&Value> = calls.iter().map(|c| &c["timed_out"]).collect();
    assert_eq!(timed_out, [&Value::Null, &json!(true)]);
    for http in t["http"].as_array().into_iter().flatten() {
        assert_eq!(http["upstream_request"]["body"], "abc", "{http}");
        assert_eq!(http["stalled_in"], Value::Null, "{http}");
    }
}

#[test]
fn concurrent_streams_interleave_their_parts_in_time() {
    let wasm = module(
        r#"
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $say (i32.const 100) (i32.const 1)) i32.const 0)
      (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
        (call $say (i32.const 101) (i32.const 1)) i32.const 0)
      (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
        (call $say (i32.const 103) (i32.const 1)) i32.const 0)"#,
    );
    let stream = |gap: u64| {
        json!({ "http": {
            "request": { "headers": [[":path", "/"]], "body": ["a", "b"] },
            "response": { "headers": [[":status", "200"]] },
            "concurrent": true,
            "gap_ms": gap
        }})
    };
    let t = transcript(
        &wasm,
        json!({ "events": [stream(10), stream(15), { "tick": 12 }, stream(0)] }),
    );
    // 2 and 3 start at 0 ms; the tick moves time to 12 (2's first chunk at 10); 4 starts then
    // and runs through at once; the rest follow in time: 3 at 15, 2 at 20 (its request ends,
    // the response comes straight back), 3 at 30.
    assert_eq!(
        said(&t),
        [
            "2H", "3H", "2B", "4H", "4B", "4B", "4h", "3B", "2B", "2h", "3B", "3h"
        ]
    );
    let contexts: Vec<&Value> = (t["http"].as_array().into_iter().flatten())
        .map(|h| &h["context"])
        .collect();
    assert_eq!(
        contexts,
        [&json!(2), &json!(3), &json!(4)],
        "listed as they started"
    );
}

#[test]
fn a_paused_body_callback_gets_each_new_chunk_with_the_held_ones() {
    // Envoy's StopIterationAndBuffer: the plugin holds the body until its end, then lets all of
    // it through (source/common/http/filter_manager.cc
    // ActiveStreamFilterBase::commonHandleAfterDataCallback).
    let wasm = module(
        r#"
      (func (export "proxy_on_request_body") (param i32) (param $size i32) (param $eos i32) (result i32)
        (i32.store8 (i32.const 0) (i32.add (i32.const 48) (local.get $size)))
        (call $say (i32.const 0) (i32.const 1))
        (i32.eqz (local.get $eos)))"#,
    );
    let t = transcript(
        &wasm,
        json!({ "events": [{ "http": {
            "request": { "headers": [[":path", "/"]], "body": ["a", "b"] },
            "response": { "headers": [[":status", "200"]], "body": ["ok"] }
        }}]}),
    );
    assert_eq!(said(&t), ["21", "22"], "the sizes offered");
    assert_eq!(
        t["http"][0],
        json!({
            "context": 2,
            "upstream_request": { "headers": [[":path", "/"]], "body": "ab", "trailers": [] },
            "downstream_response": { "headers": [[":status", "200"]], "body": "ok", "trailers": [] },
            "local_response": false,
            "stalled_in": null,
            "reset": false
        })
    );
}

#[test]
fn a_paused_headers_callback_holds_the_body_back_and_nothing_resumes_it() {
    // proxy-wasm-cpp-host turns the pause into Envoy's StopAllIterationAndWatermark
    // (src/context.cc ContextBase::convertVmCallResultToFilterHeadersStatus): the body callback,
    // which would let everything through, never runs, and the stream ends stalled.
    let wasm = module(
        r#"
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) i32.const 1)
      (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
        (call $say (i32.const 101) (i32.const 1)) i32.const 0)"#,
    );
    let stream = |concurrent: bool| {
        json!({ "http": {
            "request": { "headers": [[":path", "/"]], "body": ["a"] },
            "response": { "headers": [[":status", "200"]] },
            "concurrent": concurrent
        }})
    };
    let t = transcript(&wasm, json!({ "events": [stream(false), stream(true)] }));
    assert_eq!(said(&t), Vec::<String>::new());
    for http in t["http"].as_array().into_iter().flatten() {
        assert_eq!(http["stalled_in"], "request_headers", "{http}");
        assert_eq!(http["upstream_request"], Value::Null, "{http}");
    }
}

#[test]
fn a_delayed_answer_can_answer_a_held_stream_whose_body_is_still_arriving() {
    // The answer sends a local response for the stream: the reply goes through the plugin's
    // response callback, and no later request chunk reaches the plugin or the upstream.
    let wasm = module(&format!(
        r#"
      (data (i32.const 200) {CHECK_HEADERS})
      (data (i32.const 300) "auth")
      (global $stream (mut i32) (i32.const 0))
      (func (export "proxy_on_request_headers") (param $id i32) (param i32 i32) (result i32)
        (global.set $stream (local.get $id))
        (call $say (i32.const 100) (i32.const 1))
        (drop (call $http_call (i32.const 300) (i32.const 4) (i32.const 200) (i32.const 69)
          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 900)))
        i32.const 1)
      (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
        (call $say (i32.const 101) (i32.const 1)) i32.const 1)
      (func (export "proxy_on_http_call_response") (param i32 i32 i32 i32 i32)
        (call $say (i32.const 102) (i32.const 1))
        (drop (call $effective (global.get $stream)))
        (drop (call $respond (i32.const 403) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
          (i32.const 0) (i32.const 0) (i32.const -1))))
      (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
        (call $say (i32.const 103) (i32.const 1)) i32.const 0)"#
    ));
    let t = transcript(
        &wasm,
        json!({
            "upstreams": { "auth": [{ "headers": [[":status", "200"]], "delay_ms": 15 }] },
            "events": [{ "http": {
                "request": { "headers": [[":path", "/"]], "body": ["a", "b", "c"] },
                "response": { "headers": [[":status", "200"]] },
                "gap_ms": 10
            }}]
        }),
    );
    assert_eq!(said(&t), ["2H", "1R", "2h"]);
    assert_eq!(
        t["http"][0],
        json!({
            "context": 2,
            "upstream_request": null,
            "downstream_response": { "headers": [[":status", "403"]], "body": "", "trailers": [] },
            "local_response": true,
            "stalled_in": null,
            "reset": false
        })
    );
}

#[test]
fn grpc_answers_wait_their_delay() {
    // A unary call from the root context at start; its answer comes 30 ms later, after the
    // ticks at 10 and 20 ms.
    let wasm = module(
        r#"
      (data (i32.const 300) "svcSm")
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        (drop (call $period (i32.const 10)))
        (drop (call $grpc_call (i32.const 300) (i32.const 3) (i32.const 303) (i32.const 1)
          (i32.const 304) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 300) (i32.const 1)
          (i32.const 0) (i32.const 900)))
        i32.const 1)
      (func (export "proxy_on_tick") (param i32) (call $say (i32.const 104) (i32.const 1)))
      (func (export "proxy_on_grpc_close") (param i32 i32 i32)
        (call $say (i32.const 102) (i32.const 1)))"#,
    );
    let t = transcript(
        &wasm,
        json!({
            "grpc_upstreams": { "svc": [{ "status": 0, "delay_ms": 30 }] },
            "events": [{ "tick": 35 }]
        }),
    );
    assert_eq!(said(&t), ["1T", "1T", "1T", "1R"]);
}

#[test]
fn headers_changed_after_they_went_upstream_show_as_they_went() {
    // The request headers pause at 0 ms; a tick at 5 ms resumes them, and the tick at 10 ms,
    // before the body's chunk at 20 ms, changes them: Envoy keeps the map of a stream resumed
    // by `proxy_continue_stream` (Context::continueStream), so the change is accepted, but the
    // headers went at 5 ms.
    let wasm = module(
        r#"
      (data (i32.const 400) "xlate")
      (global $stream (mut i32) (i32.const 0))
      (global $ticks (mut i32) (i32.const 0))
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        (drop (call $period (i32.const 5))) i32.const 1)
      (func (export "proxy_on_request_headers") (param $id i32) (param i32 i32) (result i32)
        (global.set $stream (local.get $id)) i32.const 1)
      (func (export "proxy_on_tick") (param i32)
        (if (i32.eqz (global.get $stream)) (then (return)))
        (drop (call $effective (global.get $stream)))
        (global.set $ticks (i32.add (global.get $ticks) (i32.const 1)))
        (if (i32.eq (global.get $ticks) (i32.const 1))
          (then (drop (call $continue (i32.const 0))) (return)))
        (if (i32.eqz (call $replace (i32.const 0) (i32.const 400) (i32.const 1) (i32.const 401) (i32.const 4)))
          (then (call $say (i32.const 104) (i32.const 1))))
        (global.set $stream (i32.const 0)))"#,
    );
    let t = transcript(
        &wasm,
        json!({ "events": [{ "http": {
            "request": { "headers": [[":path", "/"], ["x", "early"]], "body": ["a"] },
            "response": { "headers": [[":status", "200"]] },
            "gap_ms": 20
        }}]}),
    );
    assert_eq!(said(&t), ["2T"], "the change was accepted");
    assert_eq!(
        t["http"][0]["upstream_request"]["headers"],
        json!([[":path", "/"], ["x", "early"]])
    );
}
