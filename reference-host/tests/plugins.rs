//! Hand-written plugins (WAT) run against scenarios; each test asserts the whole transcript or
//! the load error.
#![allow(clippy::panic)] // test helpers fail loudly

use reference_host::{LoadError, Scenario, run};
use serde_json::{Value, json};

/// An allocator, memory, and string constants every plugin below shares.
const PRELUDE: &str = r#"
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $p i32)
    global.get $heap local.set $p
    global.get $heap local.get $size i32.add global.set $heap
    local.get $p)
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) i32.const 1)
"#;

fn module(marker: &str, imports: &str, body: &str) -> Vec<u8> {
    let text = format!(
        "(module {imports} {PRELUDE} (func (export \"proxy_abi_version_{marker}\")) {body})"
    );
    wat::parse_str(&text).unwrap_or_else(|e| panic!("bad test module: {e}"))
}

fn scenario(value: Value) -> Scenario {
    serde_json::from_value(value).unwrap_or_else(|e| panic!("bad scenario: {e}"))
}

fn transcript(wasm: &[u8], scenario: &Scenario) -> Value {
    let t = run(wasm, scenario).unwrap_or_else(|e| panic!("load failed: {e}"));
    serde_json::to_value(t).unwrap_or_else(|e| panic!("{e}"))
}

const HEADERS_PLUGIN: &str = r#"
  (data (i32.const 100) "x-hello")
  (data (i32.const 110) "world")
  (data (i32.const 120) "server")
  (data (i32.const 130) "request headers")
  (func (export "proxy_on_done") (param i32) (result i32) i32.const 1)
"#;

const HEADERS_IMPORTS: &str = r#"
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_remove_header_map_value" (func $remove_header (param i32 i32 i32) (result i32)))
"#;

fn http_scenario() -> Scenario {
    scenario(json!({
        "plugin_configuration": "hello config",
        "events": [{ "http": {
            "request": { "headers": [[":path", "/"], [":method", "GET"]], "body": ["ping"] },
            "response": { "headers": [[":status", "200"], ["Server", "up"]], "body": ["pong"] }
        }}]
    }))
}

#[test]
fn headers_are_modified_on_the_way_through() {
    // 0.2.x read the plugin configuration as buffer 7; 0.1.0 has proxy_get_configuration.
    let buffer = r#"(import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))"#;
    let read_buffer = "(call $get_buffer (i32.const 7) (i32.const 0) (local.get $size) (i32.const 200) (i32.const 204))";
    let config = r#"(import "env" "proxy_get_configuration" (func $get_config (param i32 i32) (result i32)))"#;
    let read_config = "(call $get_config (i32.const 200) (i32.const 204))";
    for (marker, headers_callback, import, read) in [
        ("0_2_1", "(param i32 i32 i32)", buffer, read_buffer),
        ("0_2_0", "(param i32 i32 i32)", buffer, read_buffer),
        // 0.1.0: the header callbacks have no end_of_stream parameter.
        ("0_1_0", "(param i32 i32)", config, read_config),
    ] {
        let body = format!(
            r#"{HEADERS_PLUGIN}
            (func (export "proxy_on_configure") (param $id i32) (param $size i32) (result i32)
              (drop {read})
              (drop (call $log (i32.const 2) (i32.load (i32.const 200)) (i32.load (i32.const 204))))
              i32.const 1)
            (func (export "proxy_on_request_headers") {headers_callback} (result i32)
              (drop (call $add_header (i32.const 0) (i32.const 100) (i32.const 7) (i32.const 110) (i32.const 5)))
              (drop (call $log (i32.const 1) (i32.const 130) (i32.const 15)))
              i32.const 0)
            (func (export "proxy_on_response_headers") {headers_callback} (result i32)
              (drop (call $remove_header (i32.const 2) (i32.const 120) (i32.const 6)))
              i32.const 0)"#
        );
        let wasm = module(marker, &format!("{HEADERS_IMPORTS} {import}"), &body);
        let t = transcript(&wasm, &http_scenario());
        assert_eq!(
            t,
            json!({
                "abi_version": marker.replace('_', "."),
                "logs": [
                    { "context": 1, "level": "info", "message": "hello config" },
                    { "context": 2, "level": "debug", "message": "request headers" }
                ],
                "http": [{
                    "context": 2,
                    "upstream_request": {
                        "headers": [[":path", "/"], [":method", "GET"], ["x-hello", "world"]],
                        "body": "ping",
                        "trailers": []
                    },
                    "downstream_response": {
                        "headers": [[":status", "200"]],
                        "body": "pong",
                        "trailers": []
                    },
                    "local_response": false,
                    "stalled_in": null,
                    "reset": false
                }],
                "tcp": [],
                "http_calls": [],
                "grpc_calls": [],
                "foreign_calls": [],
                "queues": {},
                "metrics": [],
                "shared_data": {},
                "refusals": [],
                "errors": []
            }),
            "ABI {marker}"
        );
    }
}

#[test]
fn a_local_response_ends_the_stream_before_the_upstream() {
    let imports = r#"
      (import "env" "proxy_send_local_response"
        (func $respond (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))"#;
    let body = r#"
      (data (i32.const 100) "denied")
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (drop (call $respond (i32.const 403) (i32.const 0) (i32.const 0)
          (i32.const 100) (i32.const 6) (i32.const 0) (i32.const 0) (i32.const -1)))
        i32.const 1)"#;
    let t = transcript(&module("0_2_1", imports, body), &http_scenario());
    assert_eq!(
        t["http"][0],
        json!({
            "context": 2,
            "upstream_request": null,
            // Envoy adds the body's length and, as none was given, its type
            // (source/common/http/utility.cc Utility::prepareLocalReply).
            "downstream_response": {
                "headers": [[":status", "403"], ["content-length", "6"], ["content-type", "text/plain"]],
                "body": "denied",
                "trailers": []
            },
            "local_response": true,
            "stalled_in": null,
            "reset": false
        })
    );
}

/// Imports and data for the Envoy HTTP behaviour tests below: `$respond` sends a local response
/// (status, the body at 100, headers at 200 when the size at 300 is set, gRPC status), `$add`
/// adds `x-seen: yes` to a map, `$continue` continues a direction.
const ENVOY_IMPORTS: &str = r#"
  (import "env" "proxy_send_local_response"
    (func $send (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_continue_stream" (func $continue (param i32) (result i32)))
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))"#;

const ENVOY_DATA: &str = r#"
  (data (i32.const 100) "denied")
  (data (i32.const 120) "x-seen")
  (data (i32.const 130) "yes")
  (data (i32.const 140) "response headers")
  (data (i32.const 160) "response body")
  (func $respond (param $status i32) (param $grpc i32)
    (drop (call $send (local.get $status) (i32.const 0) (i32.const 0)
      (i32.const 100) (i32.const 6) (i32.const 0) (i32.const 0) (local.get $grpc))))
  (func $seen (param $map i32)
    (drop (call $add (local.get $map) (i32.const 120) (i32.const 6) (i32.const 130) (i32.const 3))))"#;

fn envoy_plugin(callbacks: &str) -> Vec<u8> {
    module(
        "0_2_1",
        ENVOY_IMPORTS,
        &format!("{ENVOY_DATA}\n{callbacks}"),
    )
}

fn stream_of(request_headers: Value) -> Scenario {
    scenario(json!({
        "events": [{ "http": {
            "request": { "headers": request_headers, "body": ["ping"] },
            "response": { "headers": [[":status", "200"]], "body": ["po", "ng"] }
        }}]
    }))
}

#[test]
fn a_local_response_goes_through_the_plugins_own_response_callbacks() {
    // Envoy sends a reply made before any response through the encoder filters, the plugin's
    // among them (source/common/http/filter_manager.cc sendLocalReplyViaFilterChain).
    let plugin = envoy_plugin(
        r#"
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $respond (i32.const 403) (i32.const -1)) i32.const 1)
      (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
        (call $seen (i32.const 2))
        (drop (call $log (i32.const 2) (i32.const 140) (i32.const 16))) i32.const 0)
      (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32)
        (drop (call $log (i32.const 2) (i32.const 160) (i32.const 13))) i32.const 0)"#,
    );
    let t = transcript(&plugin, &stream_of(json!([[":path", "/"]])));
    assert_eq!(
        t["http"][0]["downstream_response"],
        json!({
            "headers": [[":status", "403"], ["content-length", "6"], ["content-type", "text/plain"],
                        ["x-seen", "yes"]],
            "body": "denied",
            "trailers": []
        })
    );
    assert_eq!(t["http"][0]["upstream_request"], json!(null));
    assert_eq!(t["http"][0]["local_response"], json!(true));
    let logs: Vec<&str> = t["logs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["message"].as_str())
        .collect();
    assert_eq!(logs, ["response headers", "response body"]);
}

#[test]
fn a_grpc_request_gets_a_trailers_only_local_reply() {
    // Envoy answers a gRPC request with :status 200 and the status in grpc-status: the one the
    // plugin passed, else its mapping of the HTTP status (source/common/http/utility.cc
    // prepareLocalReply; source/common/grpc/status.cc Utility::httpToGrpcStatus).
    for (grpc_status, expected) in [(-1, "7"), (5, "5"), (99, "7")] {
        let plugin = envoy_plugin(&format!(
            r#"
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $respond (i32.const 403) (i32.const {grpc_status})) i32.const 1)"#
        ));
        let t = transcript(
            &plugin,
            &stream_of(json!([
                [":path", "/pkg.Svc/Call"],
                ["content-type", "application/grpc"]
            ])),
        );
        assert_eq!(
            t["http"][0]["downstream_response"],
            json!({
                "headers": [[":status", "200"], ["content-type", "application/grpc"],
                            ["grpc-status", expected], ["grpc-message", "denied"]],
                "body": "",
                "trailers": []
            }),
            "grpc_status {grpc_status}"
        );
    }
}

#[test]
fn the_first_local_response_wins() {
    // Envoy sends each reply after the callback returns, in order
    // (source/extensions/common/wasm/context.cc Context::sendLocalResponse): the first ends
    // the stream.
    let plugin = envoy_plugin(
        r#"
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $respond (i32.const 403) (i32.const -1))
        (call $respond (i32.const 500) (i32.const -1)) i32.const 1)"#,
    );
    let t = transcript(&plugin, &stream_of(json!([[":path", "/"]])));
    assert_eq!(
        t["http"][0]["downstream_response"]["headers"][0],
        json!([":status", "403"])
    );
    assert_eq!(
        t["errors"],
        json!([{
            "context": 2,
            "callback": "proxy_send_local_response",
            "message": "a second local response (500) in one callback is dropped: the stream already answers 403"
        }])
    );
}

#[test]
fn a_local_response_before_the_response_headers_leave_replaces_the_response() {
    // Response headers not yet sent: Envoy sends the reply straight to the client, past the
    // filters (filter_manager.cc sendLocalReply, sendDirectLocalReply); the plugin's response
    // body callback never runs.
    let plugin = envoy_plugin(
        r#"
      (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
        (call $respond (i32.const 502) (i32.const -1)) i32.const 1)
      (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32)
        (drop (call $log (i32.const 2) (i32.const 160) (i32.const 13))) i32.const 0)"#,
    );
    let t = transcript(&plugin, &stream_of(json!([[":path", "/"]])));
    assert_eq!(
        t["http"][0]["downstream_response"],
        json!({
            "headers": [[":status", "502"], ["content-length", "6"], ["content-type", "text/plain"]],
            "body": "denied",
            "trailers": []
        })
    );
    assert_eq!(t["http"][0]["upstream_request"]["body"], json!("ping"));
    assert_eq!(t["logs"], json!([]));
}

#[test]
fn a_local_response_after_the_response_headers_left_resets_the_stream() {
    // The client has the headers: Envoy can only reset (filter_manager.cc sendLocalReply, "Prior
    // headers have already been sent"). What had reached the client stays in the transcript.
    let plugin = envoy_plugin(
        r#"
      (func (export "proxy_on_response_body") (param i32) (param i32) (param $eos i32) (result i32)
        (if (local.get $eos) (then (call $respond (i32.const 500) (i32.const -1))))
        i32.const 0)"#,
    );
    let t = transcript(&plugin, &stream_of(json!([[":path", "/"]])));
    assert_eq!(
        t["http"][0],
        json!({
            "context": 2,
            "upstream_request": { "headers": [[":path", "/"]], "body": "ping", "trailers": [] },
            "downstream_response": { "headers": [[":status", "200"]], "body": "po", "trailers": [] },
            "local_response": false,
            "stalled_in": null,
            "reset": true
        })
    );
}

#[test]
fn continue_stream_resumes_only_the_direction_it_names() {
    // Envoy continues decoding for HTTP_REQUEST and encoding for HTTP_RESPONSE
    // (source/extensions/common/wasm/context.cc Context::continueStream).
    for (stream_type, stalled) in [(0, json!("response_headers")), (1, json!(null))] {
        let plugin = envoy_plugin(&format!(
            r#"
      (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
        (drop (call $continue (i32.const {stream_type}))) i32.const 1)
      (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32)
        (drop (call $continue (i32.const {stream_type}))) i32.const 1)"#
        ));
        let t = transcript(&plugin, &stream_of(json!([[":path", "/"]])));
        assert_eq!(
            t["http"][0]["stalled_in"], stalled,
            "stream type {stream_type}"
        );
    }
}

#[test]
fn what_was_forwarded_before_a_stall_stays_in_the_transcript() {
    let plugin = envoy_plugin(
        r#"
      (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32) i32.const 1)"#,
    );
    let t = transcript(&plugin, &stream_of(json!([[":path", "/"]])));
    assert_eq!(
        t["http"][0],
        json!({
            "context": 2,
            "upstream_request": { "headers": [[":path", "/"]], "body": "", "trailers": [] },
            "downstream_response": null,
            "local_response": false,
            "stalled_in": "request_body",
            "reset": false
        })
    );
}

#[test]
fn binary_bytes_go_through_exactly_and_come_out_as_base64() {
    // The plugin copies the request's last body chunk into the response body, with two bytes of
    // its own after it.
    let imports = r#"
      (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_set_buffer_bytes" (func $set_buffer (param i32 i32 i32 i32 i32) (result i32)))"#;
    let body = r#"
      (data (i32.const 100) "\80\fe")
      (func (export "proxy_on_request_body") (param $id i32) (param $size i32) (param $eos i32) (result i32)
        (drop (call $get_buffer (i32.const 0) (i32.const 0) (local.get $size) (i32.const 200) (i32.const 204)))
        (memory.copy (i32.const 300) (i32.load (i32.const 200)) (i32.load (i32.const 204)))
        (i32.store (i32.const 208) (i32.load (i32.const 204)))
        i32.const 0)
      (func (export "proxy_on_response_body") (param $id i32) (param $size i32) (param $eos i32) (result i32)
        (drop (call $set_buffer (i32.const 1) (i32.const 0) (local.get $size) (i32.const 300) (i32.load (i32.const 208))))
        (drop (call $set_buffer (i32.const 1) (i32.load (i32.const 208)) (i32.const 0) (i32.const 100) (i32.const 2)))
        i32.const 0)"#;
    let s = scenario(json!({ "events": [{ "http": {
        "request": { "headers": [[":path", "/"]], "body": [{ "hex": "00ff" }, { "base64": "AAE=" }] },
        "response": { "headers": [[":status", "200"]], "body": ["text"] }
    }}]}));
    let t = transcript(&module("0_2_1", imports, body), &s);
    assert_eq!(
        t["http"][0]["upstream_request"]["body"],
        json!({ "base64": "AP8AAQ==" })
    );
    assert_eq!(
        t["http"][0]["downstream_response"]["body"],
        json!({ "base64": "AAGA/g==" })
    );
    assert_eq!(t["errors"], json!([]));
}

#[test]
fn every_refused_call_has_its_reason_in_the_transcript() {
    let imports = r#"
      (import "env" "proxy_http_call" (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_set_tick_period_milliseconds" (func $tick (param i32) (result i32)))
      (import "env" "proxy_get_property" (func $get_property (param i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_define_metric" (func $define (param i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_increment_metric" (func $increment (param i32 i64) (result i32)))
      (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
      (import "env" "proxy_get_header_map_size" (func $map_size (param i32 i32) (result i32)))"#;
    // Each call's status is logged, so the plugin is seen to get what the refusal says. The
    // last two are refused by the generated glue before the host's method runs.
    let body = r#"
      (data (i32.const 100) "nowhere")
      (data (i32.const 120) "\00\00\00\00")
      (data (i32.const 140) "no.such.path")
      (data (i32.const 160) "hits")
      (func $status (param $s i32)
        (i32.store8 (i32.const 900) (i32.add (i32.const 48) (local.get $s)))
        (drop (call $log (i32.const 2) (i32.const 900) (i32.const 1))))
      (func (export "proxy_on_request_headers") (param $id i32) (param i32 i32) (result i32)
        (call $status (call $http_call (i32.const 100) (i32.const 7) (i32.const 120) (i32.const 4)
          (i32.const 0) (i32.const 0) (i32.const 120) (i32.const 4) (i32.const 500) (i32.const 800)))
        (call $status (call $tick (i32.const 10)))
        (call $status (call $get_property (i32.const 140) (i32.const 12) (i32.const 800) (i32.const 804)))
        (drop (call $define (i32.const 0) (i32.const 160) (i32.const 4) (i32.const 808)))
        (call $status (call $increment (i32.load (i32.const 808)) (i64.const -1)))
        (call $status (call $map_size (i32.const 99) (i32.const 800)))
        (call $status (call $log (i32.const 2) (i32.const 65530) (i32.const 10)))
        i32.const 0)"#;
    let s = scenario(json!({ "events": [{ "http": {
        "request": { "headers": [[":path", "/"]] },
        "response": { "headers": [[":status", "200"]] }
    }}]}));
    let t = transcript(&module("0_2_1", imports, body), &s);
    let logged: Vec<&str> = (t["logs"].as_array().into_iter().flatten())
        .filter_map(|l| l["message"].as_str())
        .collect();
    // BAD_ARGUMENT (2) for the call without :method/:path/:authority, the tick from a stream and
    // the falling counter and the unknown map; NOT_FOUND (1) for the property;
    // INVALID_MEMORY_ACCESS (6) for the message beyond memory's end.
    assert_eq!(logged, ["2", "2", "1", "2", "2", "6"]);
    let refusal = |function: &str, status: &str, reason: &str| json!({ "context": 2, "function": function, "status": status, "reason": reason });
    assert_eq!(
        t["refusals"],
        json!([
            refusal(
                "proxy_http_call",
                "BAD_ARGUMENT",
                "Envoy requires the header(s) :method, :path, :authority"
            ),
            refusal(
                "proxy_set_tick_period_milliseconds",
                "BAD_ARGUMENT",
                "context 2 is not the root context, which owns the timer"
            ),
            refusal(
                "proxy_get_property",
                "NOT_FOUND",
                "no property `no.such.path` here: the scenario's `properties` do not set it, \
                 this context does not derive it and the plugin did not set it in this stream \
                 or connection"
            ),
            refusal(
                "proxy_increment_metric",
                "BAD_ARGUMENT",
                "a counter only goes up"
            ),
            refusal(
                "proxy_get_header_map_size",
                "BAD_ARGUMENT",
                "`map_id` = 99 is not a value of its type"
            ),
            refusal(
                "proxy_log",
                "INVALID_MEMORY_ACCESS",
                "the bytes `message_data` points to lie outside the plugin's memory"
            ),
        ])
    );
}

#[test]
fn a_client_abort_ends_the_stream_with_done_log_and_delete() {
    // Each callback logs a letter; the request headers get a header on the way through.
    let plugin = envoy_plugin(
        r#"
      (data (i32.const 200) "hbHBdlx")
      (func $say (param $at i32) (drop (call $log (i32.const 2) (local.get $at) (i32.const 1))))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $say (i32.const 200)) (call $seen (i32.const 0)) i32.const 0)
      (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
        (call $say (i32.const 201)) i32.const 0)
      (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
        (call $say (i32.const 202)) i32.const 0)
      (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32)
        (call $say (i32.const 203)) i32.const 0)
      (func (export "proxy_on_done") (param i32) (result i32) (call $say (i32.const 204)) i32.const 1)
      (func (export "proxy_on_log") (param i32) (call $say (i32.const 205)))
      (func (export "proxy_on_delete") (param i32) (call $say (i32.const 206)))"#,
    );
    let stream = |body: Value, abort: &str| {
        json!({ "http": {
            "request": { "headers": [[":path", "/"]], "body": body },
            "response": { "headers": [[":status", "200"]], "body": ["po"] },
            "client_abort": abort
        }})
    };
    let t = transcript(
        &plugin,
        &scenario(json!({ "events": [
            stream(json!(["a", "b"]), "request_body"),
            stream(json!(["a"]), "response_headers"),
            // No body: the abort comes where the body would have been.
            stream(json!([]), "request_body"),
        ]})),
    );
    let said = |context: u32| -> String {
        (t["logs"].as_array().into_iter().flatten())
            .filter(|l| l["context"] == json!(context))
            .filter_map(|l| l["message"].as_str())
            .collect()
    };
    assert_eq!([said(2), said(3), said(4)], ["hbbdlx", "hbHdlx", "hdlx"]);
    let request = |body: &str| json!({ "headers": [[":path", "/"], ["x-seen", "yes"]], "body": body, "trailers": [] });
    let outcome = |context: u32, upstream: Value, downstream: Value| {
        json!({ "context": context, "upstream_request": upstream,
                "downstream_response": downstream, "local_response": false,
                "stalled_in": null, "reset": false, "client_aborted": true })
    };
    assert_eq!(
        t["http"],
        json!([
            outcome(2, request("ab"), Value::Null),
            outcome(
                3,
                request("a"),
                json!({ "headers": [[":status", "200"]], "body": "",
                                            "trailers": [] })
            ),
            outcome(4, request(""), Value::Null),
        ])
    );
    assert_eq!(t["errors"], json!([]));
}

#[test]
fn refusals_past_the_first_ten_thousand_are_counted_not_listed() {
    let imports = r#"
      (import "env" "proxy_set_tick_period_milliseconds" (func $tick (param i32) (result i32)))"#;
    // 25,000 refused calls from a stream context.
    let body = r#"
      (func (export "proxy_on_request_headers") (param $id i32) (param i32 i32) (result i32)
        (local $n i32)
        (loop $again
          (drop (call $tick (i32.const 1)))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br_if $again (i32.lt_u (local.get $n) (i32.const 25000))))
        i32.const 0)"#;
    let s = scenario(json!({ "events": [{ "http": {
        "request": { "headers": [[":path", "/"]] },
        "response": { "headers": [[":status", "200"]] }
    }}]}));
    let t = transcript(&module("0_2_1", imports, body), &s);
    assert_eq!(t["refusals"].as_array().map(Vec::len), Some(10_000));
    assert_eq!(t["refusals_not_listed"], json!(15_000));
}

#[test]
fn log_lines_past_the_first_16_mib_are_counted_not_listed() {
    let imports = r#"
      (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))"#;
    // 300 lines of 60,000 bytes: 18 MB.
    let body = r#"
      (func (export "proxy_on_request_headers") (param $id i32) (param i32 i32) (result i32)
        (local $n i32)
        (loop $again
          (drop (call $log (i32.const 2) (i32.const 0) (i32.const 60000)))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br_if $again (i32.lt_u (local.get $n) (i32.const 300))))
        i32.const 0)"#;
    let s = scenario(json!({ "events": [{ "http": {
        "request": { "headers": [[":path", "/"]] },
        "response": { "headers": [[":status", "200"]] }
    }}]}));
    let wasm = module("0_2_1", imports, body);
    let t = transcript(&wasm, &s);
    let listed = (16 << 20) / 60_000;
    assert_eq!(t["logs"].as_array().map(Vec::len), Some(listed));
    assert_eq!(t["logs_not_listed"], json!(300 - listed));
    // Adapter mode says so.
    let run = run(&wasm, &s).unwrap_or_else(|e| panic!("load failed: {e}"));
    let said = reference_host::adapter::events(&run);
    let expected = format!(
        "{} log lines past the first 16 MiB of messages were not kept",
        300 - listed
    );
    let found = said.iter().any(|line| line.contains(&expected));
    assert!(
        found,
        "{}",
        said.join("\n").chars().take(2000).collect::<String>()
    );
}

#[test]
fn paused_bodies_are_buffered_and_rewritten() {
    let imports = r#"
      (import "env" "proxy_set_buffer_bytes" (func $set_buffer (param i32 i32 i32 i32 i32) (result i32)))"#;
    // Pauses until the last chunk, then replaces the whole buffered body.
    let body = r#"
      (data (i32.const 100) "REWRITTEN")
      (func (export "proxy_on_request_body") (param $id i32) (param $size i32) (param $eos i32) (result i32)
        local.get $eos
        if (result i32)
          (drop (call $set_buffer (i32.const 0) (i32.const 0) (local.get $size) (i32.const 100) (i32.const 9)))
          i32.const 0
        else
          i32.const 1
        end)"#;
    let s = scenario(json!({ "events": [{ "http": {
        "request": { "headers": [[":path", "/"]], "body": ["a", "b", "c"] },
        "response": { "headers": [[":status", "200"]] }
    }}]}));
    let t = transcript(&module("0_2_1", imports, body), &s);
    assert_eq!(t["http"][0]["upstream_request"]["body"], json!("REWRITTEN"));
    assert_eq!(t["errors"], json!([]));
}

#[test]
fn ticks_run_on_virtual_time_with_metrics_and_shared_data() {
    let imports = r#"
      (import "env" "proxy_set_tick_period_milliseconds" (func $period (param i32) (result i32)))
      (import "env" "proxy_define_metric" (func $define (param i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_increment_metric" (func $inc (param i32 i64) (result i32)))
      (import "env" "proxy_set_shared_data" (func $set (param i32 i32 i32 i32 i32) (result i32)))"#;
    let body = r#"
      (data (i32.const 100) "ticks")
      (data (i32.const 110) "last")
      (data (i32.const 120) "tick")
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        (drop (call $period (i32.const 100)))
        (drop (call $define (i32.const 0) (i32.const 100) (i32.const 5) (i32.const 200)))
        i32.const 1)
      (func (export "proxy_on_tick") (param i32)
        (drop (call $inc (i32.load (i32.const 200)) (i64.const 1)))
        (drop (call $set (i32.const 110) (i32.const 4) (i32.const 120) (i32.const 4) (i32.const 0))))"#;
    let s = scenario(json!({ "events": [{ "tick": 350 }] }));
    let t = transcript(&module("0_2_1", imports, body), &s);
    assert_eq!(
        t["metrics"],
        json!([{ "name": "ticks", "kind": "counter", "value": 3 }])
    );
    assert_eq!(t["shared_data"], json!({ "last": "tick" }));
}

#[test]
fn properties_come_from_the_stream_and_the_scenario() {
    let imports = r#"
      (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
      (import "env" "proxy_get_property" (func $get (param i32 i32 i32 i32) (result i32)))"#;
    let body = r#"
      (data (i32.const 100) "request\00path")
      (data (i32.const 120) "plugin_name")
      (func $show (param $path i32) (param $len i32)
        (if (i32.eqz (call $get (local.get $path) (local.get $len) (i32.const 200) (i32.const 204)))
          (then (drop (call $log (i32.const 2) (i32.load (i32.const 200)) (i32.load (i32.const 204)))))))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $show (i32.const 100) (i32.const 12))
        (call $show (i32.const 120) (i32.const 11))
        i32.const 0)"#;
    let mut s = http_scenario();
    s.properties.insert("plugin_name".into(), "probe".into());
    let t = transcript(&module("0_2_1", imports, body), &s);
    assert_eq!(
        t["logs"],
        json!([
            { "context": 2, "level": "info", "message": "/" },
            { "context": 2, "level": "info", "message": "probe" }
        ])
    );
}

#[test]
fn the_abi_version_comes_from_the_first_marker() {
    let empty = wat::parse_str("(module)").unwrap_or_else(|e| panic!("{e}"));
    let err = run(&empty, &Scenario::default())
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some(
            "missing ABI version marker: none of the 0 exports is proxy_abi_version_0_1_0, \
             proxy_abi_version_0_2_0 or proxy_abi_version_0_2_1"
        )
    );
    let future = wat::parse_str(r#"(module (func (export "proxy_abi_version_0_3_0")))"#)
        .unwrap_or_else(|e| panic!("{e}"));
    match run(&future, &Scenario::default()) {
        Err(LoadError::NoMarker(e)) => {
            assert_eq!(e.unknown, vec!["`proxy_abi_version_0_3_0`".to_string()]);
        }
        other => panic!("expected an unknown marker, got {other:?}"),
    }
    // Two markers: the first in export order wins (cpp-host `getAbiVersion`).
    let two = wat::parse_str(
        r#"(module (func (export "proxy_abi_version_0_1_0")) (func (export "proxy_abi_version_0_2_1"))
             (func (export "malloc") (param i32) (result i32) (i32.const 0)))"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let t = run(&two, &Scenario::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.abi_version, "0.1.0");
}

#[test]
fn proc_exit_ends_the_instance() {
    let imports = r#"
      (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))"#;
    for (marker, params) in [
        ("0_2_1", "(param i32 i32 i32)"),
        ("0_1_0", "(param i32 i32)"),
    ] {
        let body = format!(
            r#"(data (i32.const 100) "before")
            (data (i32.const 110) "after")
            (func (export "proxy_on_request_headers") {params} (result i32)
              (drop (call $log (i32.const 2) (i32.const 100) (i32.const 6)))
              (call $exit (i32.const 3))
              (drop (call $log (i32.const 2) (i32.const 110) (i32.const 5)))
              i32.const 0)
            (func (export "proxy_on_done") (param i32) (result i32)
              (drop (call $log (i32.const 2) (i32.const 110) (i32.const 5)))
              i32.const 1)"#
        );
        let mut two = http_scenario();
        two.events.extend(two.events.clone());
        let t = transcript(&module(marker, imports, &body), &two);
        // The callback stops at proc_exit and nothing is called after it, the second stream's
        // callbacks included.
        assert_eq!(
            t["logs"],
            json!([{ "context": 2, "level": "info", "message": "before" }]),
            "ABI {marker}"
        );
        assert_eq!(
            t["errors"][0],
            json!({
                "context": 2,
                "callback": "proxy_on_request_headers",
                "message": "`proxy_on_request_headers` ended in a host function: the plugin exited with code 3"
            }),
            "ABI {marker}"
        );
        assert_eq!(t["http"][1]["vm_failed"], json!("closed"), "ABI {marker}");
    }
}

#[test]
fn imports_outside_the_declared_version_fail_to_load() {
    let imports = r#"(import "env" "proxy_get_log_level" (func (param i32) (result i32)))"#;
    let err = run(&module("0_2_0", imports, ""), &Scenario::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("proxy_get_log_level"), "{err}");
    assert!(run(&module("0_2_1", imports, ""), &Scenario::default()).is_ok());
}

#[test]
fn hostile_plugins_end_in_errors_not_hangs() {
    // Loops forever: the fuel runs out, which fails the VM like a trap.
    let body = r#"
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (loop $forever (br $forever))
        i32.const 0)"#;
    let stream = json!({ "http": { "request": { "headers": [[":path", "/"]] } } });
    let mut s = scenario(json!({ "events": [stream] }));
    s.limits.fuel_per_call = 1_000_000;
    let t = transcript(&module("0_2_1", "", body), &s);
    let fuel = t["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(fuel.contains("fuel of 1000000 ran out"), "{fuel}");
    assert_eq!(t["http"][0]["vm_failed"], json!("closed"));
}

/// Traps on the first stream's request headers; logs from `proxy_on_done`, so a call into the
/// failed VM would show.
const TRAPS_ONCE: &str = r#"
  (data (i32.const 100) "done")
  (global $n (mut i32) (i32.const 0))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (if (i32.eq (global.get $n) (i32.const 1)) (then unreachable))
    i32.const 0)
  (func (export "proxy_on_done") (param i32) (result i32)
    (drop (call $log (i32.const 2) (i32.const 100) (i32.const 4)))
    i32.const 1)"#;

const LOG_IMPORT: &str =
    r#"(import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))"#;

#[test]
fn a_trap_fails_the_vm_and_every_later_stream_fails_closed() {
    let mut two = http_scenario();
    two.events.extend(two.events.clone());
    let t = transcript(&module("0_2_1", LOG_IMPORT, TRAPS_ONCE), &two);
    // Nothing enters the failed VM: no proxy_on_done, and the second stream's
    // proxy_on_request_headers (which would answer) is not called.
    assert_eq!(t["logs"], json!([]));
    let closed = json!({ "headers": [[":status", "503"]], "body": "", "trailers": [] });
    for (i, context) in [(0, 2), (1, 3)] {
        let stream = &t["http"][i];
        assert_eq!(stream["context"], json!(context));
        assert_eq!(stream["vm_failed"], json!("closed"), "{stream}");
        assert_eq!(stream["downstream_response"], closed, "{stream}");
        assert_eq!(stream["upstream_request"], json!(null), "{stream}");
        assert_eq!(stream["local_response"], json!(false), "{stream}");
    }
    let errors: Vec<(Value, String)> = (t["errors"].as_array().cloned().unwrap_or_default())
        .iter()
        .map(|e| {
            (
                e["context"].clone(),
                e["callback"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (json!(2), "proxy_on_request_headers".to_string()),
            (json!(2), "proxy_on_done".to_string()),
            (json!(3), "proxy_on_context_create".to_string()),
            (json!(1), "proxy_on_done".to_string()),
        ]
    );
    let skipped = t["errors"][2]["message"].as_str().unwrap_or_default();
    assert!(
        skipped.contains("(proxy_on_request_headers of context 2 trapped)")
            && skipped.contains("503"),
        "{skipped}"
    );
}

#[test]
fn with_fail_open_streams_pass_a_failed_vm_unchanged() {
    let mut two = http_scenario();
    two.events.extend(two.events.clone());
    two.fail_open = true;
    let t = transcript(&module("0_2_1", LOG_IMPORT, TRAPS_ONCE), &two);
    assert_eq!(t["logs"], json!([]));
    for i in [0, 1] {
        let stream = &t["http"][i];
        assert_eq!(stream["vm_failed"], json!("open"), "{stream}");
        assert_eq!(
            stream["upstream_request"],
            json!({ "headers": [[":path", "/"], [":method", "GET"]], "body": "ping", "trailers": [] }),
            "{stream}"
        );
        assert_eq!(
            stream["downstream_response"],
            json!({ "headers": [[":status", "200"], ["server", "up"]], "body": "pong", "trailers": [] }),
            "{stream}"
        );
    }
}

#[test]
fn a_plugin_that_refuses_to_start_fails_its_streams_closed() {
    let body = r#"(func (export "proxy_on_configure") (param i32 i32) (result i32) i32.const 0)"#;
    let t = transcript(&module("0_2_1", "", body), &http_scenario());
    assert_eq!(t["http"][0]["vm_failed"], json!("closed"));
    let skipped = t["errors"][1]["message"].as_str().unwrap_or_default();
    assert!(
        skipped.contains("proxy_on_configure returned false"),
        "{skipped}"
    );
}

#[test]
fn runs_are_deterministic() {
    let imports = r#"
      (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
      (import "env" "proxy_get_current_time_nanoseconds" (func $now (param i32) (result i32)))
      (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))"#;
    let body = r#"
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (drop (call $random (i32.const 300) (i32.const 8)))
        (drop (call $now (i32.const 308)))
        (drop (call $log (i32.const 2) (i32.const 300) (i32.const 16)))
        i32.const 0)"#;
    let wasm = module("0_2_1", imports, body);
    let first = transcript(&wasm, &http_scenario());
    assert_eq!(first, transcript(&wasm, &http_scenario()));
    assert_eq!(first["errors"], json!([]));
}

#[test]
fn a_module_from_the_cache_runs_as_a_compiled_one() {
    let body = format!(
        r#"{HEADERS_PLUGIN}
        (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
          (drop (call $add_header (i32.const 0) (i32.const 100) (i32.const 7) (i32.const 110) (i32.const 5)))
          (drop (call $log (i32.const 2) (i32.const 130) (i32.const 15)))
          i32.const 0)"#
    );
    let wasm = module("0_2_1", HEADERS_IMPORTS, &body);
    let dir = std::env::temp_dir().join(format!("reference-host-cache-{}", std::process::id()));
    let cached = || {
        reference_host::cached_engine(Some(&dir))
            .and_then(reference_host::Runtime::new)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let filled = cached().run(&wasm, &http_scenario());
    let entries = walk(&dir);
    let loaded = cached().run(&wasm, &http_scenario());
    let _ = std::fs::remove_dir_all(&dir);
    let value = |t: Result<reference_host::Transcript, LoadError>| {
        serde_json::to_value(t.unwrap_or_else(|e| panic!("{e}"))).unwrap_or_else(|e| panic!("{e}"))
    };
    assert!(entries > 0, "nothing was written to the cache");
    let compiled = transcript(&wasm, &http_scenario());
    assert_eq!(value(filled), compiled);
    assert_eq!(value(loaded), compiled);
}

/// How many files are under `dir`.
fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| {
                if e.path().is_dir() {
                    walk(&e.path())
                } else {
                    1
                }
            })
            .sum()
    })
}

#[test]
fn wasi_polling_and_yielding_return_at_once() {
    let imports = r#"
      (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))"#;
    // Logs (through stdout) the errno of each call and the event count poll_oneoff wrote.
    let body = r#"
      (func $digit (param $d i32)
        (i32.store8 (i32.const 500) (i32.add (i32.const 48) (local.get $d)))
        (i32.store (i32.const 504) (i32.const 500))
        (i32.store (i32.const 508) (i32.const 1))
        (drop (call $write (i32.const 1) (i32.const 504) (i32.const 1) (i32.const 512))))
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        (i32.store (i32.const 600) (i32.const 7))
        (call $digit (call $poll (i32.const 700) (i32.const 800) (i32.const 1) (i32.const 600)))
        (call $digit (i32.load (i32.const 600)))
        (call $digit (call $yield))
        ;; an out-of-bounds event count: EFAULT (21), shown as 21 - 10
        (call $digit (i32.sub (call $poll (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 65534)) (i32.const 10)))
        i32.const 1)"#;
    let t = transcript(&module("0_2_1", imports, body), &Scenario::default());
    let logs: Vec<&str> = (t["logs"].as_array().into_iter().flatten())
        .filter_map(|l| l["message"].as_str())
        .collect();
    assert_eq!(logs, ["0", "0", "0", ";"]);
}

#[test]
fn a_head_request_gets_the_local_reply_headers_alone() {
    // Envoy keeps the body's length but sends no body to HEAD (utility.cc encodeLocalReply).
    let plugin = envoy_plugin(
        r#"
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $respond (i32.const 403) (i32.const -1)) i32.const 1)"#,
    );
    let t = transcript(
        &plugin,
        &stream_of(json!([[":path", "/"], [":method", "HEAD"]])),
    );
    assert_eq!(
        t["http"][0]["downstream_response"],
        json!({
            "headers": [[":status", "403"], ["content-length", "6"], ["content-type", "text/plain"]],
            "body": "",
            "trailers": []
        })
    );
}

/// `$show`: logs the value of the property at `path`, or `(none)` (data at 900); needs the
/// imports `$get` (proxy_get_property) and `$log`.
const SHOW: &str = r#"
  (func $show (param $path i32) (param $len i32)
    (if (i32.eqz (call $get (local.get $path) (local.get $len) (i32.const 600) (i32.const 604)))
      (then (drop (call $log (i32.const 2) (i32.load (i32.const 600)) (i32.load (i32.const 604)))))
      (else (drop (call $log (i32.const 2) (i32.const 900) (i32.const 6))))))"#;

/// `$status`: logs a status (0 to 9) as its digit; needs the import `$log`.
const STATUS: &str = r#"
  (func $status (param $s i32)
    (i32.store8 (i32.const 800) (i32.add (i32.const 48) (local.get $s)))
    (drop (call $log (i32.const 2) (i32.const 800) (i32.const 1))))"#;

/// A plugin that logs the value of each property path in `request` from
/// `proxy_on_request_headers`, and of each in `response` from `proxy_on_response_headers`
/// (`(none)` when the host has none). Paths are dotted here and sent NUL-separated.
fn property_logger(request: &[&str], response: &[&str]) -> Vec<u8> {
    property_logger_in([request, response, &[]])
}

/// Logs each property of the three lists in `proxy_on_request_headers`,
/// `proxy_on_response_headers` and `proxy_on_log`.
fn property_logger_in(lists: [&[&str]; 3]) -> Vec<u8> {
    let imports = r#"
      (import "env" "proxy_get_property" (func $get (param i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))"#;
    let mut data = String::from(r#"(data (i32.const 900) "(none)")"#);
    let mut calls = [String::new(), String::new(), String::new()];
    let each = lists
        .iter()
        .enumerate()
        .flat_map(|(list, paths)| paths.iter().map(move |p| (list, p)));
    for (i, (list, path)) in each.enumerate() {
        let at = 1000 + 64 * i;
        let bytes = path.replace('.', "\\00");
        data.push_str(&format!("(data (i32.const {at}) \"{bytes}\")"));
        let call = format!("(call $show (i32.const {at}) (i32.const {}))", path.len());
        calls[list].push_str(&call);
    }
    let body = format!(
        r#"{data} {SHOW}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) {} i32.const 0)
      (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) {} i32.const 0)
      (func (export "proxy_on_log") (param i32) {})"#,
        calls[0], calls[1], calls[2]
    );
    module("0_2_1", imports, &body)
}

fn logged(t: &Value) -> Vec<String> {
    t["logs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["message"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn envoy_attributes_come_from_the_stream_and_the_scenario() {
    // Envoy derives them in source/extensions/filters/common/expr/context.cc and encodes them in
    // source/extensions/common/wasm/context.cc serializeValue: integers and times as 8 bytes
    // little-endian, booleans as 1 byte.
    let request = [
        "plugin_name",
        "plugin_root_id",
        "plugin_vm_id",
        "request.url_path",
        "request.query",
        "request.host",
        "request.scheme",
        "request.id",
        "request.useragent",
        "request.referer",
        "request.headers.x-request-id",
        "request.headers.x-missing",
        "source.address",
        "source.port",
        "destination.port",
        "connection.mtls",
        "request.time",
    ];
    let response = ["response.code", "response.headers.server"];
    let plugin = property_logger(&request, &response);
    let t = transcript(
        &plugin,
        &scenario(json!({
            "plugin_name": "p1",
            "root_id": "r1",
            "vm_id": "vm1",
            "events": [{ "tick": 1500 }, { "http": {
                "request": { "headers": [[":path", "/a/b?x=1&y=2"], [":authority", "example.com"],
                                         [":scheme", "https"], ["x-request-id", "rid-7"],
                                         ["user-agent", "ua/1"], ["Referer", "https://ref"]] },
                "response": { "headers": [[":status", "201"], ["server", "up"]] },
                "properties": { "source.address": "10.0.0.9:5555" }
            }}]
        })),
    );
    let bytes = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
    let time = 1_767_225_600_000_000_000_i64 + 1_500_000_000;
    assert_eq!(
        logged(&t),
        [
            "p1".to_string(),
            "r1".into(),
            "vm1".into(),
            "/a/b".into(),
            "x=1&y=2".into(),
            "example.com".into(),
            "https".into(),
            "rid-7".into(),
            "ua/1".into(),
            "https://ref".into(),
            "rid-7".into(),
            "(none)".into(),
            "10.0.0.9:5555".into(),
            bytes(&40000_i64.to_le_bytes()),
            bytes(&10000_i64.to_le_bytes()),
            bytes(&[0]),
            bytes(&time.to_le_bytes()),
            bytes(&201_i64.to_le_bytes()),
            "up".into(),
        ]
    );
}

#[test]
fn tls_attributes_come_from_the_scenarios_tls() {
    // Envoy's SslExtractorsValues and ConnectionLookupValues
    // (source/extensions/filters/common/expr/context.cc): absent on plaintext but for `mtls`
    // (false) and `requested_server_name` (empty); with TLS, a subject is empty without its
    // certificate and a SAN or digest absent.
    let paths = [
        "connection.mtls",
        "connection.requested_server_name",
        "connection.tls_version",
        "connection.subject_local_certificate",
        "connection.subject_peer_certificate",
        "connection.uri_san_peer_certificate",
        "connection.dns_san_local_certificate",
        "connection.sha256_peer_certificate_digest",
    ];
    let plugin = property_logger(&paths, &[]);
    let stream = |tls: Value| {
        json!({ "http": {
            "request": { "headers": [[":path", "/"]] },
            "response": { "headers": [[":status", "200"]] },
            "tls": tls
        }})
    };
    let t = transcript(
        &plugin,
        &scenario(json!({
            "tls": {
                "requested_server_name": "api.example.com",
                "local_certificate": { "subject": "CN=proxy", "dns_san": ["proxy.local", "b"] },
                "peer_certificate": { "subject": "CN=client", "uri_san": ["spiffe://c/1"],
                                      "sha256_digest": "ab01" }
            },
            "events": [
                stream(Value::Null),
                stream(json!({ "version": "TLSv1.2" })),
                { "http": {
                    "request": { "headers": [[":path", "/"]] },
                    "response": { "headers": [[":status", "200"]] },
                    "properties": { "connection.tls_version": "TLSv1.1" }
                }}
            ]
        })),
    );
    let (yes, no) = ("\u{1}", "\u{0}");
    let run_wide = [
        yes,
        "api.example.com",
        "TLSv1.3",
        "CN=proxy",
        "CN=client",
        "spiffe://c/1",
        "proxy.local",
        "ab01",
    ];
    let own = [no, "", "TLSv1.2", "", "", "(none)", "(none)", "(none)"];
    // The third stream comes over the scenario's TLS, its version overridden by a property.
    let mut overridden = run_wide;
    overridden[2] = "TLSv1.1";
    let want: Vec<&str> = run_wide
        .iter()
        .chain(&own)
        .chain(&overridden)
        .copied()
        .collect();
    assert_eq!(logged(&t), want);
    let plaintext = transcript(&plugin, &http_scenario());
    assert_eq!(
        logged(&plaintext)[..8],
        [
            no, "", "(none)", "(none)", "(none)", "(none)", "(none)", "(none)"
        ]
    );
}

#[test]
fn sizes_codes_upstream_and_configuration_attributes_follow_envoy() {
    let plugin = property_logger_in([
        &[
            "request.query",
            "request.size",
            "request.headers_bytes",
            "upstream.address",
            "upstream.request_attempt_count",
            "response.code",
            "response.grpc_status",
            "request.duration",
            "xds.cluster_name",
            "route_name",
            "node.id",
            "xds.node",
            "metadata",
        ],
        &[
            "upstream.address",
            "upstream.port",
            "upstream.request_attempt_count",
            "upstream.num_endpoints",
            "upstream.locality",
            "response.code_details",
            "response.flags",
            "response.grpc_status",
            "request.size",
            "request.total_size",
            "response.backend_latency",
        ],
        &[
            "response.size",
            "response.total_size",
            "response.grpc_status",
            "request.duration",
            "response.backend_latency",
        ],
    ]);
    let t = transcript(
        &plugin,
        &scenario(json!({
            "properties": { "cluster_name": "backend" },
            "events": [{ "http": {
                "request": { "headers": [[":path", "/p?q=1#frag"], [":method", "POST"]],
                             "body": ["abc", "de"] },
                "response": { "headers": [[":status", "503"]], "body": ["xyz"],
                              "trailers": [["grpc-status", "4"]] },
                "gap_ms": 10,
                "upstream_ms": 30
            }}]
        })),
    );
    let int = |v: i64| String::from_utf8_lossy(&v.to_le_bytes()).into_owned();
    let none = "(none)".to_string();
    let node = "\n\u{e}reference-host\u{12}\u{e}reference-host".to_string();
    assert_eq!(
        logged(&t),
        [
            // Request headers: nothing received or forwarded yet.
            "q=1".to_string(),
            int(0),
            int(16 + 11),
            none.clone(),
            int(0),
            none.clone(),
            none.clone(),
            none.clone(),
            "backend".into(),
            "route".into(),
            "reference-host".into(),
            node,
            String::new(),
            // Response headers: the request went upstream and the upstream answered 503.
            "127.0.0.1:20000".into(),
            int(20000),
            int(1),
            int(1),
            String::new(),
            "via_upstream".into(),
            int(0),
            int(14),
            int(5),
            // The body alone: the plugin let go of the request headers, and Envoy counts the
            // headers it no longer holds as none.
            int(5),
            // Not all of the response has arrived.
            none.clone(),
            // The access-log phase: the body went out; the trailers' grpc-status wins. The
            // request left at 0 ms and ended at 20, the response came at 50, 60 and 70 ms.
            int(3),
            int(3 + 10 + 12),
            int(4),
            int(70_000_000),
            int(70_000_000),
        ]
    );
}

#[test]
fn binary_header_values_are_written_byte_for_byte() {
    let body = r#"
      (data (i32.const 100) "x-bin")
      (data (i32.const 110) "\ff\00a")
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (drop (call $add_header (i32.const 0) (i32.const 100) (i32.const 5) (i32.const 110) (i32.const 3)))
        i32.const 0)"#;
    let t = transcript(&module("0_2_1", HEADERS_IMPORTS, body), &http_scenario());
    assert_eq!(
        t["http"][0]["upstream_request"]["headers"],
        json!([[":path", "/"], [":method", "GET"], ["x-bin", { "base64": "/wBh" }]])
    );
}

#[test]
fn a_map_continued_past_is_gone_until_the_access_log() {
    // Spec v0.2.1 `HTTP fields`: request headers are read in their callback (or while paused
    // from it) and in proxy_on_log. Envoy drops the map once the callback returns Continue
    // (source/extensions/common/wasm/context.cc Context::decodeHeaders): later reads are
    // BAD_ARGUMENT (2) and attributes derived from it absent (NOT_FOUND, 1) until the access log.
    let imports = r#"
      (import "env" "proxy_get_header_map_value" (func $get (param i32 i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_get_property" (func $prop (param i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))"#;
    let body = r#"
      (data (i32.const 100) ":path")
      (data (i32.const 110) ":status")
      (data (i32.const 120) "request\00path")
      (func $all
        (call $status (call $get (i32.const 0) (i32.const 100) (i32.const 5) (i32.const 600) (i32.const 604)))
        (call $status (call $prop (i32.const 120) (i32.const 12) (i32.const 600) (i32.const 604)))
        (call $status (call $get (i32.const 2) (i32.const 110) (i32.const 7) (i32.const 600) (i32.const 604)))
        (call $status (call $get (i32.const 1) (i32.const 100) (i32.const 5) (i32.const 600) (i32.const 604))))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (call $all) i32.const 0)
      (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (call $all) i32.const 0)
      (func (export "proxy_on_log") (param i32) (call $all))"#;
    let plugin = module("0_2_1", imports, &format!("{body}{STATUS}"));
    let t = transcript(&plugin, &http_scenario());
    // Request headers: no response map yet; response headers: the request's map is gone. The
    // request had no trailers, so there is never a request trailers map.
    assert_eq!(
        logged(&t),
        ["0", "0", "2", "2", "2", "1", "0", "2", "0", "0", "0", "2"]
    );
}

#[test]
fn what_the_plugin_sets_is_its_streams_filter_state() {
    // Envoy keeps a value the plugin sets as filter state of the stream (none in the root
    // context) and finds it by the path's first segment, or as `filter_state.wasm.<path>`
    // (source/extensions/common/wasm/context.cc Context::setProperty, Context::findValue).
    let imports = r#"
      (import "env" "proxy_get_property" (func $get (param i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_set_property" (func $set (param i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))"#;
    let body = r#"
      (data (i32.const 100) "k")
      (data (i32.const 110) "v")
      (data (i32.const 120) "filter_state\00wasm.k")
      (data (i32.const 150) "a\00b")
      (data (i32.const 900) "(none)")
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        (call $status (call $set (i32.const 100) (i32.const 1) (i32.const 110) (i32.const 1)))
        i32.const 1)
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $show (i32.const 100) (i32.const 1))
        (call $status (call $set (i32.const 100) (i32.const 1) (i32.const 110) (i32.const 1)))
        (call $status (call $set (i32.const 150) (i32.const 3) (i32.const 110) (i32.const 1)))
        i32.const 0)
      (func (export "proxy_on_log") (param i32)
        (call $show (i32.const 100) (i32.const 1))
        (call $show (i32.const 120) (i32.const 19))
        (call $show (i32.const 150) (i32.const 3)))"#;
    let stream = json!({ "http": {
        "request": { "headers": [[":path", "/"]] },
        "response": { "headers": [[":status", "200"]] }
    }});
    let t = transcript(
        &module("0_2_1", imports, &format!("{body}{SHOW}{STATUS}")),
        &scenario(json!({ "events": [stream.clone(), stream] })),
    );
    // The root's set is NOT_FOUND (1); each stream starts without the other's value.
    let each = ["(none)", "0", "0", "v", "v", "(none)"];
    let want: Vec<&str> = ["1"].iter().chain(&each).chain(&each).copied().collect();
    assert_eq!(logged(&t), want);
    let reasons: Vec<&str> = (t["refusals"].as_array().into_iter().flatten())
        .filter_map(|r| r["reason"].as_str())
        .collect();
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert!(reasons[0].starts_with("the root context has no stream or connection"));
    assert!(reasons[2].contains("set it under this path of several segments"));
}

#[test]
fn the_scenarios_properties_override_the_plugin_attributes() {
    let plugin = property_logger(&["plugin_name", "plugin_root_id"], &[]);
    let t = transcript(
        &plugin,
        &scenario(json!({
            "root_id": "r1",
            "properties": { "plugin_root_id": "from-properties" },
            "events": [{ "http": { "request": { "headers": [[":path", "/"]] } } }]
        })),
    );
    assert_eq!(logged(&t), ["reference-plugin", "from-properties"]);
}
