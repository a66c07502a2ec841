//! HTTP calls, gRPC calls and streams, shared queues, foreign functions and TCP connections,
//! driven by hand-written plugins (WAT) against scripted upstreams.
#![allow(clippy::panic)] // test helpers fail loudly

mod support;

use serde_json::{Value, json};
use support::transcript;

/// Memory, a bump allocator, and `$status`, which logs a status as two decimal digits.
const PRELUDE: &str = r#"
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 8192))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $p i32)
    global.get $heap local.set $p
    global.get $heap local.get $size i32.add global.set $heap
    local.get $p)
  (func $status (param $s i32)
    (i32.store8 (i32.const 1000) (i32.add (i32.const 48) (i32.div_u (local.get $s) (i32.const 10))))
    (i32.store8 (i32.const 1001) (i32.add (i32.const 48) (i32.rem_u (local.get $s) (i32.const 10))))
    (drop (call $log (i32.const 2) (i32.const 1000) (i32.const 2))))
  (func $say (param $ptr i32) (param $len i32)
    (drop (call $log (i32.const 2) (local.get $ptr) (local.get $len))))
"#;

fn module(imports: &str, body: &str) -> Vec<u8> {
    let text =
        format!("(module {imports} {PRELUDE} (func (export \"proxy_abi_version_0_2_1\")) {body})");
    wat::parse_str(&text).unwrap_or_else(|e| panic!("bad test module: {e}"))
}

fn messages(t: &Value) -> Vec<String> {
    let logs = t["logs"].as_array().cloned().unwrap_or_default();
    logs.iter()
        .map(|l| l["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `(":method","GET") (":path","/check") (":authority","auth")` in the header-map format
/// (69 bytes).
const CHECK_HEADERS: &str = r#""\03\00\00\00" "\07\00\00\00\03\00\00\00" "\05\00\00\00\06\00\00\00" "\0a\00\00\00\04\00\00\00" ":method\00GET\00:path\00/check\00:authority\00auth\00""#;

#[test]
fn http_calls_decide_paused_requests() {
    let imports = r#"
      (import "env" "proxy_http_call" (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_set_effective_context" (func $effective (param i32) (result i32)))
      (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_get_header_map_value" (func $get_value (param i32 i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_get_status" (func $get_status (param i32 i32 i32) (result i32)))
      (import "env" "proxy_continue_stream" (func $continue (param i32) (result i32)))
      (import "env" "proxy_send_local_response" (func $respond (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))"#;
    let body = format!(
        r#"
      (data (i32.const 100) "auth")
      (data (i32.const 110) "nope")
      (data (i32.const 120) ":status")
      (data (i32.const 200) {CHECK_HEADERS})
      (global $stream (mut i32) (i32.const 0))
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        ;; an unknown upstream, and a header map cut short: both BadArgument
        (call $status (call $http_call (i32.const 110) (i32.const 4) (i32.const 200) (i32.const 69)
          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 100) (i32.const 900)))
        (call $status (call $http_call (i32.const 100) (i32.const 4) (i32.const 200) (i32.const 40)
          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 100) (i32.const 900)))
        i32.const 1)
      (func (export "proxy_on_request_headers") (param $id i32) (param i32 i32) (result i32)
        (global.set $stream (local.get $id))
        (call $status (call $http_call (i32.const 100) (i32.const 4) (i32.const 200) (i32.const 69)
          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 500) (i32.const 900)))
        ;; the call id, as cpp-host numbers HTTP calls: 4, 8, 12...
        (call $status (i32.load (i32.const 900)))
        i32.const 1)
      (func (export "proxy_on_http_call_response") (param $root i32) (param $token i32)
          (param $headers i32) (param $body i32) (param $trailers i32)
        (call $status (local.get $root))
        (drop (call $effective (global.get $stream)))
        (if (i32.eqz (local.get $headers))
          (then
            (drop (call $get_status (i32.const 904) (i32.const 908) (i32.const 912)))
            (call $status (i32.load (i32.const 904)))
            (call $say (i32.load (i32.const 908)) (i32.load (i32.const 912)))
            (drop (call $respond (i32.const 503) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
              (i32.const 0) (i32.const 0) (i32.const -1)))
            (return)))
        (drop (call $get_value (i32.const 6) (i32.const 120) (i32.const 7) (i32.const 916) (i32.const 920)))
        (call $say (i32.load (i32.const 916)) (i32.load (i32.const 920)))
        (drop (call $get_buffer (i32.const 4) (i32.const 0) (local.get $body) (i32.const 924) (i32.const 928)))
        (call $say (i32.load (i32.const 924)) (i32.load (i32.const 928)))
        (if (i32.eq (i32.load8_u (i32.load (i32.const 924))) (i32.const 121)) ;; 'y'
          (then (drop (call $continue (i32.const 0))))
          (else (drop (call $respond (i32.const 403) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
              (i32.const 0) (i32.const 0) (i32.const -1))))))
      (func (export "proxy_on_done") (param i32) (result i32) i32.const 1)"#
    );
    let stream = json!({ "http": {
        "request": { "headers": [[":path", "/"], [":method", "GET"]] },
        "response": { "headers": [[":status", "200"]] }
    }});
    let t = transcript(
        &module(imports, &body),
        json!({
            "upstreams": { "auth": [
                { "headers": [[":status", "200"]], "body": "yes" },
                { "headers": [[":status", "200"]], "body": "no" },
                { "fail": true }
            ]},
            "events": [stream, stream, stream, stream]
        }),
    );
    assert_eq!(
        messages(&t),
        [
            "02", "02", // on_configure: unknown upstream, malformed headers
            "00", "04", "01", "200", "yes", // allowed
            "00", "08", "01", "200", "no", // denied
            "00", "12", "01", "11", "reset", // failure: BrokenConnection
            "00", "16", "01", "11", "reset", // script exhausted: failure too
        ]
    );
    let http = &t["http"];
    assert_eq!(
        http[0]["upstream_request"]["headers"][0],
        json!([":path", "/"])
    );
    assert_eq!(
        http[0]["downstream_response"]["headers"],
        json!([[":status", "200"]])
    );
    assert_eq!(
        http[1]["downstream_response"]["headers"],
        json!([[":status", "403"]])
    );
    assert_eq!(http[1]["upstream_request"], Value::Null);
    assert_eq!(
        http[2]["downstream_response"]["headers"],
        json!([[":status", "503"]])
    );
    assert_eq!(
        t["http_calls"][0],
        json!({
            "context": 2, "id": 4, "upstream": "auth",
            "headers": [[":method", "GET"], [":path", "/check"], [":authority", "auth"]],
            "body": "", "trailers": [], "timeout_ms": 500
        })
    );
    assert_eq!(t["http_calls"].as_array().map(Vec::len), Some(4));
    assert_eq!(t["errors"], json!([]));
}

#[test]
fn grpc_calls_and_streams_follow_their_scripts() {
    let imports = r#"
      (import "env" "proxy_grpc_call" (func $call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_grpc_stream" (func $stream (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_grpc_send" (func $send (param i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_grpc_cancel" (func $cancel (param i32) (result i32)))
      (import "env" "proxy_grpc_close" (func $close (param i32) (result i32)))
      (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_get_header_map_value" (func $get_value (param i32 i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_get_status" (func $get_status (param i32 i32 i32) (result i32)))"#;
    let body = r#"
      (data (i32.const 100) "svc")
      (data (i32.const 104) "nope")
      (data (i32.const 110) "pkg.Svc")
      (data (i32.const 120) "Get")
      (data (i32.const 130) "req")
      (data (i32.const 140) "m1")
      (data (i32.const 150) "k")
      (global $sid (mut i32) (i32.const 0))
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32) i32.const 1)
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        ;; unknown upstream: ParseFailure
        (call $status (call $call (i32.const 104) (i32.const 4) (i32.const 110) (i32.const 7)
          (i32.const 120) (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 130) (i32.const 3)
          (i32.const 1000) (i32.const 900)))
        (call $status (call $call (i32.const 100) (i32.const 3) (i32.const 110) (i32.const 7)
          (i32.const 120) (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 130) (i32.const 3)
          (i32.const 1000) (i32.const 900)))
        (call $status (i32.load (i32.const 900)))
        ;; sending on a unary call's id: BadArgument; cancelling an id of no kind: BadArgument;
        ;; cancelling an unknown stream id: NotFound
        (call $status (call $send (i32.load (i32.const 900)) (i32.const 140) (i32.const 2) (i32.const 0)))
        (call $status (call $cancel (i32.const 3)))
        (call $status (call $cancel (i32.const 66)))
        (call $status (call $stream (i32.const 100) (i32.const 3) (i32.const 110) (i32.const 7)
          (i32.const 120) (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 904)))
        (global.set $sid (i32.load (i32.const 904)))
        (call $status (global.get $sid))
        (call $status (call $send (global.get $sid) (i32.const 140) (i32.const 2) (i32.const 0)))
        i32.const 1)
      (func (export "proxy_on_grpc_receive_initial_metadata") (param i32) (param $id i32) (param $n i32)
        (call $status (local.get $id))
        (drop (call $get_value (i32.const 4) (i32.const 150) (i32.const 1) (i32.const 908) (i32.const 912)))
        (call $say (i32.load (i32.const 908)) (i32.load (i32.const 912))))
      (func (export "proxy_on_grpc_receive") (param i32) (param $id i32) (param $size i32)
        (call $status (local.get $id))
        (drop (call $get_buffer (i32.const 5) (i32.const 0) (local.get $size) (i32.const 908) (i32.const 912)))
        (call $say (i32.load (i32.const 908)) (i32.load (i32.const 912)))
        ;; the stream's first answer: half-close it
        (if (i32.eq (local.get $id) (global.get $sid))
          (then (call $status (call $close (global.get $sid))))))
      (func (export "proxy_on_grpc_receive_trailing_metadata") (param i32) (param $id i32) (param $n i32)
        (call $status (local.get $id))
        (drop (call $get_value (i32.const 5) (i32.const 150) (i32.const 1) (i32.const 908) (i32.const 912)))
        (call $say (i32.load (i32.const 908)) (i32.load (i32.const 912))))
      (func (export "proxy_on_grpc_close") (param i32) (param $id i32) (param $code i32)
        (call $status (local.get $id))
        (call $status (local.get $code))
        (drop (call $get_status (i32.const 908) (i32.const 912) (i32.const 916)))
        (call $say (i32.load (i32.const 912)) (i32.load (i32.const 916))))"#;
    let t = transcript(
        &module(imports, body),
        json!({
            "grpc_upstreams": { "svc": [
                { "initial_metadata": [["k", "call-meta"]], "messages": ["resp"], "status": 0 },
                { "messages": ["r1", "r2"], "trailing_metadata": [["k", "bye"]],
                  "status": 5, "status_message": "gone" }
            ]}
        }),
    );
    assert_eq!(
        messages(&t),
        [
            "04",
            "00",
            "05", // ParseFailure, then the call (id 5)
            "02",
            "02",
            "01", // send on a call, cancel of no kind, cancel unknown
            "00",
            "06",
            "00", // the stream (id 6) and its first message
            "05",
            "call-meta",
            "05",
            "resp",
            "05",
            "00",
            "", // the call's answers and close
            "06",
            "r1",
            "00", // the stream's answer to m1; the plugin half-closes
            "06",
            "r2",
            "00", // the rest, through close; closing again is a no-op
            "06",
            "bye",
            "06",
            "05",
            "gone",
        ]
    );
    assert_eq!(
        t["grpc_calls"],
        json!([
            { "context": 1, "id": 5, "kind": "call", "upstream": "svc", "service": "pkg.Svc", "method": "Get",
              "initial_metadata": [], "messages": ["req"], "ended_by_plugin": null },
            { "context": 1, "id": 6, "kind": "stream", "upstream": "svc", "service": "pkg.Svc", "method": "Get",
              "initial_metadata": [], "messages": ["m1"], "ended_by_plugin": "half_closed" }
        ])
    );
    assert_eq!(t["errors"], json!([]));
}

#[test]
fn queues_notify_their_registrant() {
    let imports = r#"
      (import "env" "proxy_register_shared_queue" (func $register (param i32 i32 i32) (result i32)))
      (import "env" "proxy_resolve_shared_queue" (func $resolve (param i32 i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_enqueue_shared_queue" (func $enqueue (param i32 i32 i32) (result i32)))
      (import "env" "proxy_dequeue_shared_queue" (func $dequeue (param i32 i32 i32) (result i32)))"#;
    let body = r#"
      (data (i32.const 100) "jobs")
      (data (i32.const 110) "self")
      (data (i32.const 120) "other-vm")
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        (call $status (call $register (i32.const 100) (i32.const 4) (i32.const 900)))
        (call $status (i32.load (i32.const 900)))
        (call $status (call $resolve (i32.const 0) (i32.const 0) (i32.const 100) (i32.const 4) (i32.const 904)))
        (call $status (i32.load (i32.const 904)))
        (call $status (call $resolve (i32.const 120) (i32.const 8) (i32.const 100) (i32.const 4) (i32.const 904)))
        (call $status (call $resolve (i32.const 0) (i32.const 0) (i32.const 110) (i32.const 4) (i32.const 904)))
        (call $status (call $enqueue (i32.const 9) (i32.const 110) (i32.const 4)))
        (call $status (call $enqueue (i32.load (i32.const 900)) (i32.const 110) (i32.const 4)))
        i32.const 1)
      (func (export "proxy_on_queue_ready") (param $root i32) (param $queue i32)
        (call $status (local.get $queue))
        (call $status (call $dequeue (local.get $queue) (i32.const 908) (i32.const 912)))
        (call $say (i32.load (i32.const 908)) (i32.load (i32.const 912)))
        (call $status (call $dequeue (local.get $queue) (i32.const 908) (i32.const 912)))
        (call $status (call $dequeue (i32.const 9) (i32.const 908) (i32.const 912))))"#;
    let t = transcript(
        &module(imports, body),
        json!({ "events": [
            { "enqueue": { "queue": "jobs", "data": "external" } },
            { "enqueue": { "queue": "unknown", "data": "lost" } }
        ]}),
    );
    assert_eq!(
        messages(&t),
        [
            "00", "01", "00", "01", // register, resolve in the own VM
            "01", "01", // another VM's queue, an unknown name: NotFound
            "01", "00", // enqueue on an unknown id: NotFound; on the queue: Ok
            "01", "00", "self", "07",
            "01", // ready: the item, then Empty; unknown id NotFound
            "01", "00", "external", "07", "01", // the scenario's producer
        ]
    );
    assert_eq!(t["queues"], json!({ "jobs": [] }));
    assert_eq!(t["errors"][0]["callback"], json!("enqueue"));
    assert_eq!(t["errors"].as_array().map(Vec::len), Some(1));
}

#[test]
fn foreign_functions_are_called_by_name_both_ways() {
    let imports = r#"
      (import "env" "proxy_call_foreign_function" (func $foreign (param i32 i32 i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))"#;
    let body = r#"
      (data (i32.const 100) "answer")
      (data (i32.const 110) "question")
      (data (i32.const 120) "missing")
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        (call $status (call $foreign (i32.const 100) (i32.const 6) (i32.const 110) (i32.const 8)
          (i32.const 900) (i32.const 904)))
        (call $say (i32.load (i32.const 900)) (i32.load (i32.const 904)))
        (call $status (call $foreign (i32.const 120) (i32.const 7) (i32.const 0) (i32.const 0)
          (i32.const 900) (i32.const 904)))
        i32.const 1)
      (func (export "proxy_on_foreign_function") (param $root i32) (param $id i32) (param $size i32)
        (call $status (local.get $id))
        (call $status (call $get_buffer (i32.const 8) (i32.const 0) (local.get $size) (i32.const 908) (i32.const 912)))
        (call $say (i32.load (i32.const 908)) (i32.load (i32.const 912))))"#;
    let t = transcript(
        &module(imports, body),
        json!({
            "foreign_functions": { "answer": "42" },
            "events": [{ "foreign_function": { "id": 7, "data": "hello" } }]
        }),
    );
    assert_eq!(messages(&t), ["00", "42", "01", "07", "00", "hello"]);
    assert_eq!(
        t["foreign_calls"],
        json!([{ "context": 1, "name": "answer", "arguments": "question" }])
    );
}

#[test]
fn tcp_data_is_buffered_rewritten_and_closed() {
    let imports = r#"
      (import "env" "proxy_set_buffer_bytes" (func $set_buffer (param i32 i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_close_stream" (func $close (param i32) (result i32)))
      (import "env" "proxy_continue_stream" (func $continue (param i32) (result i32)))"#;
    let body = r#"
      (data (i32.const 100) "<")
      (global $connections (mut i32) (i32.const 0))
      (func (export "proxy_on_new_connection") (param $id i32) (result i32)
        (global.set $connections (i32.add (global.get $connections) (i32.const 1)))
        ;; the second connection is refused at once
        (if (i32.eq (global.get $connections) (i32.const 2))
          (then (call $status (call $close (i32.const 2)))))
        i32.const 0)
      (func (export "proxy_on_downstream_data") (param $id i32) (param $size i32) (param $eos i32) (result i32)
        (call $status (local.get $size))
        ;; hold the data until the client's last chunk
        (i32.eqz (local.get $eos)))
      (func (export "proxy_on_upstream_data") (param $id i32) (param $size i32) (param $eos i32) (result i32)
        (call $status (call $set_buffer (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 100) (i32.const 1)))
        ;; upstream data cannot be resumed (Envoy): Unimplemented
        (call $status (call $continue (i32.const 3)))
        i32.const 0)
      (func (export "proxy_on_downstream_connection_close") (param $id i32) (param $peer i32)
        (call $status (local.get $peer)))
      (func (export "proxy_on_upstream_connection_close") (param $id i32) (param $peer i32)
        (call $status (local.get $peer)))
      (func (export "proxy_on_done") (param i32) (result i32) i32.const 1)"#;
    let t = transcript(
        &module(imports, body),
        json!({ "events": [
            { "tcp": { "downstream": ["ab", "cd"], "upstream": ["xy"] } },
            { "tcp": { "downstream": ["never"] } }
        ]}),
    );
    assert_eq!(
        messages(&t),
        [
            "02", "04", // the first chunk paused, then offered again with the second
            "00", "12", // upstream data: prepend Ok; continue upstream Unimplemented
            "02", "00", // closes: remote client, then the upstream (unknown peer)
            "00", "01", "00", // second: closed by the plugin; local close, then upstream
        ]
    );
    assert_eq!(
        t["tcp"],
        json!([
            { "context": 2, "to_upstream": "abcd", "to_downstream": "<xy",
              "closed_by_plugin": null, "stalled_in": null },
            { "context": 3, "to_upstream": "", "to_downstream": "",
              "closed_by_plugin": "downstream", "stalled_in": null }
        ])
    );
    assert_eq!(t["errors"], json!([]));
}

#[test]
fn a_reset_stream_reaches_neither_side() {
    let imports = r#"(import "env" "proxy_close_stream" (func $close (param i32) (result i32)))"#;
    let body = r#"
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $status (call $close (i32.const 0)))
        i32.const 0)"#;
    let t = transcript(
        &module(imports, body),
        json!({ "events": [{ "http": { "request": { "headers": [[":path", "/"]] } } }] }),
    );
    assert_eq!(messages(&t), ["00"]);
    assert_eq!(t["http"][0]["reset"], json!(true));
    assert_eq!(t["http"][0]["upstream_request"], Value::Null);
    assert_eq!(t["http"][0]["downstream_response"], Value::Null);
}

#[test]
fn a_plugin_feeding_itself_is_cut_off() {
    let imports = r#"
      (import "env" "proxy_register_shared_queue" (func $register (param i32 i32 i32) (result i32)))
      (import "env" "proxy_enqueue_shared_queue" (func $enqueue (param i32 i32 i32) (result i32)))"#;
    let body = r#"
      (data (i32.const 100) "loop")
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        (drop (call $register (i32.const 100) (i32.const 4) (i32.const 900)))
        (drop (call $enqueue (i32.load (i32.const 900)) (i32.const 100) (i32.const 4)))
        i32.const 1)
      (func (export "proxy_on_queue_ready") (param i32) (param $queue i32)
        (drop (call $enqueue (local.get $queue) (i32.const 100) (i32.const 4))))"#;
    let t = transcript(&module(imports, body), json!({}));
    let errors = t["errors"].as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("more than 10000 answers")),
        "{errors:?}"
    );
}
