//! Real plugins on the reference host: written with the proxy-wasm Rust SDK from crates.io (0.2
//! for ABI 0.2.1, 0.1 for ABI 0.1.0), in C (ABI 0.2.0 bare, 0.2.1 with wasi-libc and with
//! emscripten) and with the AssemblyScript SDK (ABI 0.2.0), compiled by `test-plugins` (cached
//! under `target/test-plugins/`). Each test asserts the transcript. Without the toolchain the
//! tests fail with what to install (`cargo xtask test` installs it).
#![allow(clippy::panic)] // test helpers fail loudly

use reference_host::{Scenario, run};
use serde_json::{Value, json};
use test_plugins::Plugin;

/// Runs `plugin` (built through the cache) on `scenario`; the transcript as JSON.
fn transcript(plugin: Plugin, scenario: Value) -> Value {
    let wasm = test_plugins::wasm(plugin).unwrap_or_else(|e| panic!("{e}"));
    let scenario: Scenario =
        serde_json::from_value(scenario).unwrap_or_else(|e| panic!("bad scenario: {e}"));
    let t = run(&wasm, &scenario).unwrap_or_else(|e| panic!("{} did not load: {e}", plugin.name()));
    serde_json::to_value(t).unwrap_or_else(|e| panic!("{e}"))
}

/// Asserts every field of `expected` and that every other list or map of the transcript is
/// empty (no errors, calls or metrics nobody expected).
fn check(t: &Value, expected: Value) {
    let (Some(got), Some(want)) = (t.as_object(), expected.as_object()) else {
        panic!("not objects: {t} / {expected}");
    };
    for (key, value) in want {
        assert_eq!(&got[key], value, "transcript field `{key}`");
    }
    for (key, value) in got.iter().filter(|(key, _)| !want.contains_key(*key)) {
        let empty = match value {
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            _ => true,
        };
        assert!(empty, "transcript field `{key}` should be empty: {value}");
    }
}

fn log(context: u32, level: &str, message: &str) -> Value {
    json!({ "context": context, "level": level, "message": message })
}

fn info(context: u32, message: &str) -> Value {
    log(context, "info", message)
}

/// An HTTP outcome that went through to the upstream and back.
fn through(context: u32, upstream: Value, downstream: Value) -> Value {
    json!({
        "context": context,
        "upstream_request": upstream,
        "downstream_response": downstream,
        "local_response": false,
        "stalled_in": null,
        "reset": false
    })
}

/// An HTTP outcome answered by the plugin itself, with the headers Envoy adds to a body
/// (source/common/http/utility.cc Utility::prepareLocalReply).
fn answered(context: u32, headers: Value, body: &str) -> Value {
    let mut headers = headers;
    if let Some(list) = headers.as_array_mut().filter(|_| !body.is_empty()) {
        list.push(json!(["content-length", body.len().to_string()]));
        list.push(json!(["content-type", "text/plain"]));
    }
    json!({
        "context": context,
        "upstream_request": null,
        "downstream_response": { "headers": headers, "body": body, "trailers": [] },
        "local_response": true,
        "stalled_in": null,
        "reset": false
    })
}

/// `module.name` of every import of `plugin`'s module.
fn imports(plugin: Plugin) -> Vec<String> {
    let wasm = test_plugins::wasm(plugin).unwrap_or_else(|e| panic!("{e}"));
    let mut imports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
        if let Ok(wasmparser::Payload::ImportSection(section)) = payload {
            for import in section.into_imports().flatten() {
                imports.push(format!("{}.{}", import.module, import.name));
            }
        }
    }
    imports
}

fn message(headers: Value, body: &str) -> Value {
    json!({ "headers": headers, "body": body, "trailers": [] })
}

#[test]
fn every_plugin_declares_its_abi_version() {
    // Read from the marker export alone: compiling every module again would take seconds each.
    for plugin in Plugin::ALL {
        let wasm = test_plugins::wasm(plugin).unwrap_or_else(|e| panic!("{e}"));
        let version = reference_host::load::detect(&wasm)
            .unwrap_or_else(|e| panic!("{}: {e}", plugin.name()));
        assert_eq!(version.as_str(), plugin.abi(), "{}", plugin.name());
    }
}

#[test]
fn the_cache_returns_the_same_module() {
    let first = test_plugins::build(Plugin::Properties).expect("build");
    let started = std::time::Instant::now();
    let second = test_plugins::build(Plugin::Properties).expect("build");
    assert_eq!(first, second);
    // A hit hashes the sources and asks the toolchain its version; it compiles nothing.
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
}

const REWRITE_RULES: &str = "request add x-added yes
request replace user-agent proxy-wasm
request remove cookie
response add x-served-by sdk-0.2
response remove server
response replace cache-control no-store
";

#[test]
fn sdk_0_2_header_rewrite_follows_its_configuration() {
    let t = transcript(
        Plugin::HeaderRewrite,
        json!({
            "plugin_configuration": REWRITE_RULES,
            "events": [{ "http": {
                "request": { "headers": [[":method", "GET"], [":path", "/a"], ["User-Agent", "curl"],
                                         ["cookie", "a=1"], ["cookie", "b=2"]] },
                "response": { "headers": [[":status", "200"], ["server", "up"],
                                          ["Cache-Control", "max-age=60"]], "body": ["hi"] }
            }}]
        }),
    );
    check(
        &t,
        json!({
            "abi_version": "0.2.1",
            "logs": [
                info(1, "6 rules"),
                info(2, "request: add x-added"),
                info(2, "request: replace user-agent"),
                info(2, "request: remove cookie"),
                info(2, "response: add x-served-by"),
                info(2, "response: remove server"),
                info(2, "response: replace cache-control"),
            ],
            "http": [through(
                2,
                message(json!([[":method", "GET"], [":path", "/a"], ["user-agent", "proxy-wasm"],
                               ["x-added", "yes"]]), ""),
                message(json!([[":status", "200"], ["cache-control", "no-store"],
                               ["x-served-by", "sdk-0.2"]]), "hi"),
            )]
        }),
    );
}

#[test]
fn sdk_0_2_header_rewrite_refuses_a_bad_configuration() {
    let t = transcript(
        Plugin::HeaderRewrite,
        json!({ "plugin_configuration": "request rename a b", "events": [{ "tick": 10 }] }),
    );
    check(
        &t,
        json!({
            "abi_version": "0.2.1",
            "logs": [log(1, "warn", "bad rule: request rename a b")],
            "errors": [{
                "context": 1,
                "callback": "proxy_on_configure",
                "message": "returned false: the plugin refused to start"
            }, {
                "context": 1,
                "callback": "proxy_on_done",
                "message": "not called: the VM failed earlier (proxy_on_configure returned false)"
            }]
        }),
    );
}

#[test]
fn sdk_0_2_body_transform_buffers_then_uppercases() {
    let t = transcript(
        Plugin::BodyTransform,
        json!({ "events": [{ "http": {
            "request": { "headers": [[":path", "/"]], "body": ["keep me"] },
            "response": { "headers": [[":status", "200"], ["content-length", "16"]],
                          "body": ["hello ", "wasm ", "world"] }
        }}]}),
    );
    check(
        &t,
        json!({
            "abi_version": "0.2.1",
            "logs": [
                info(2, "buffering 6 bytes"),
                info(2, "buffering 11 bytes"),
                info(2, "uppercased 16 bytes"),
            ],
            "http": [through(
                2,
                message(json!([[":path", "/"]]), "keep me"),
                message(json!([[":status", "200"]]), "HELLO WASM WORLD"),
            )]
        }),
    );
}

/// A request to the auth plugin, with credentials if given.
fn auth_request(credentials: Option<&str>) -> Value {
    let mut headers = vec![json!([":method", "GET"]), json!([":path", "/secret"])];
    if let Some(c) = credentials {
        headers.push(json!(["authorization", c]));
    }
    json!({ "http": {
        "request": { "headers": headers },
        "response": { "headers": [[":status", "200"]], "body": ["secret"] }
    }})
}

#[test]
fn sdk_0_2_auth_denies_without_credentials() {
    let t = transcript(Plugin::Auth, json!({ "events": [auth_request(None)] }));
    check(
        &t,
        json!({
            "abi_version": "0.2.1",
            "logs": [info(2, "deny 403: missing authorization")],
            "http": [answered(2, json!([[":status", "403"], ["x-denied-by", "auth"]]),
                              "missing authorization")]
        }),
    );
}

#[test]
fn sdk_0_2_auth_asks_the_auth_upstream() {
    let t = transcript(
        Plugin::Auth,
        json!({
            "upstreams": { "auth": [
                { "headers": [[":status", "200"]], "body": "alice" },
                { "headers": [[":status", "401"], ["www-authenticate", "Bearer"]], "body": "" },
                { "fail": true }
            ]},
            "events": [
                auth_request(Some("Bearer good")),
                auth_request(Some("Bearer bad")),
                auth_request(Some("Bearer any")),
                // The script is exhausted: this call fails too.
                auth_request(Some("Bearer late")),
            ]
        }),
    );
    let calls = t["http_calls"].as_array().cloned().unwrap_or_default();
    assert_eq!(calls.len(), 4, "{}", t["http_calls"]);
    let ids: Vec<u64> = calls.iter().filter_map(|c| c["id"].as_u64()).collect();
    assert_eq!(ids.len(), 4, "call ids: {}", t["http_calls"]);
    // Each stream asks from its own context (2 to 5).
    let call = |context: u32, id: u64, credentials: &str| {
        json!({
            "context": context,
            "id": id,
            "upstream": "auth",
            "headers": [[":method", "POST"], [":path", "/check"], [":authority", "auth"]],
            "body": credentials,
            "trailers": [],
            "timeout_ms": 500
        })
    };
    let failed = "auth call failed: proxy_get_status returned 0, code 11, message \"reset\"";
    check(
        &t,
        json!({
            "abi_version": "0.2.1",
            "http_calls": [
                call(2, ids[0], "Bearer good"),
                call(3, ids[1], "Bearer bad"),
                call(4, ids[2], "Bearer any"),
                call(5, ids[3], "Bearer late"),
            ],
            "logs": [
                info(2, &format!("asked auth, call {}", ids[0])),
                info(2, &format!("call {} answered: 1 headers, 5 body bytes, 0 trailers", ids[0])),
                info(2, "allow alice"),
                info(3, &format!("asked auth, call {}", ids[1])),
                info(3, &format!("call {} answered: 2 headers, 0 body bytes, 0 trailers", ids[1])),
                info(3, "deny 403: rejected by auth"),
                info(4, &format!("asked auth, call {}", ids[2])),
                info(4, &format!("call {} answered: 0 headers, 0 body bytes, 0 trailers", ids[2])),
                log(4, "warn", failed),
                info(4, "deny 503: auth failed"),
                info(5, &format!("asked auth, call {}", ids[3])),
                info(5, &format!("call {} answered: 0 headers, 0 body bytes, 0 trailers", ids[3])),
                log(5, "warn", failed),
                info(5, "deny 503: auth failed"),
            ],
            "http": [
                through(
                    2,
                    message(json!([[":method", "GET"], [":path", "/secret"],
                                   ["authorization", "Bearer good"], ["x-auth-user", "alice"]]), ""),
                    message(json!([[":status", "200"]]), "secret"),
                ),
                answered(3, json!([[":status", "403"], ["x-denied-by", "auth"]]), "rejected by auth"),
                answered(4, json!([[":status", "503"], ["x-denied-by", "auth"]]), "auth failed"),
                answered(5, json!([[":status", "503"], ["x-denied-by", "auth"]]), "auth failed"),
            ]
        }),
    );
}

#[test]
fn sdk_0_2_auth_waits_for_answers_that_come_later_and_in_another_order() {
    // Two requests open at once and a third after them; the auth upstream answers the first
    // call after 40 ms, the second after 10 ms, and the third too late for the plugin's 500 ms
    // timeout (Envoy's router then answers it: 504).
    let mut first = auth_request(Some("Bearer a"));
    first["http"]["request"]["body"] = json!(["data"]);
    first["http"]["gap_ms"] = json!(10);
    first["http"]["concurrent"] = json!(true);
    let mut second = auth_request(Some("Bearer b"));
    second["http"]["concurrent"] = json!(true);
    let t = transcript(
        Plugin::Auth,
        json!({
            "upstreams": { "auth": [
                { "headers": [[":status", "200"]], "body": "alice", "delay_ms": 40 },
                { "headers": [[":status", "200"]], "body": "bob", "delay_ms": 10 },
                { "headers": [[":status", "200"]], "body": "carol", "delay_ms": 600 }
            ]},
            "events": [first, second, auth_request(Some("Bearer c"))]
        }),
    );
    let calls = t["http_calls"].as_array().cloned().unwrap_or_default();
    let ids: Vec<u64> = calls.iter().filter_map(|c| c["id"].as_u64()).collect();
    assert_eq!(ids.len(), 3, "call ids: {}", t["http_calls"]);
    let timed_out: Vec<&Value> = calls.iter().map(|c| &c["timed_out"]).collect();
    assert_eq!(timed_out, [&Value::Null, &Value::Null, &json!(true)]);
    let answered_with = |context: u32, id: u64, headers: u32, body: u32| {
        let message =
            format!("call {id} answered: {headers} headers, {body} body bytes, 0 trailers");
        info(context, &message)
    };
    assert_eq!(
        t["logs"],
        json!([
            info(2, &format!("asked auth, call {}", ids[0])),
            info(3, &format!("asked auth, call {}", ids[1])),
            info(4, &format!("asked auth, call {}", ids[2])),
            answered_with(3, ids[1], 1, 3),
            info(3, "allow bob"),
            answered_with(2, ids[0], 1, 5),
            info(2, "allow alice"),
            answered_with(4, ids[2], 3, 24),
            info(4, "deny 403: rejected by auth"),
        ])
    );
    let request = |credentials: &str, user: &str| {
        json!([
            [":method", "GET"],
            [":path", "/secret"],
            ["authorization", credentials],
            ["x-auth-user", user]
        ])
    };
    let ok = || message(json!([[":status", "200"]]), "secret");
    assert_eq!(
        t["http"],
        json!([
            // The body that arrived while the plugin waited went up after the answer.
            through(2, message(request("Bearer a", "alice"), "data"), ok()),
            through(3, message(request("Bearer b", "bob"), ""), ok()),
            answered(
                4,
                json!([[":status", "403"], ["x-denied-by", "auth"]]),
                "rejected by auth"
            ),
        ])
    );
}

#[test]
fn sdk_0_2_ticks_bump_shared_data_and_feed_the_queue() {
    let t = transcript(
        Plugin::TickQueue,
        json!({ "events": [
            { "tick": 1000 },
            { "tick": 1000 },
            { "tick": 500 },
            { "enqueue": { "queue": "events", "data": "from outside" } },
            { "tick": 500 }
        ]}),
    );
    let registered = t["logs"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let queue = registered
        .strip_prefix("registered queue events as ")
        .unwrap_or_else(|| panic!("first log: {registered}"));
    let tick = |n: u32| {
        vec![
            info(1, "stale cas refused: CasMismatch"),
            info(1, &format!("tick {n}")),
            info(1, &format!("queue {queue}: tick {n}")),
        ]
    };
    let mut logs = vec![info(1, &registered)];
    logs.extend(tick(1));
    logs.extend(tick(2));
    logs.push(info(1, &format!("queue {queue}: from outside")));
    logs.extend(tick(3));
    let stale = |cas: u32| {
        let reason = format!("cas {cas} is not the value's current cas {}", cas + 1);
        json!({ "context": 1, "function": "proxy_set_shared_data", "status": "CAS_MISMATCH",
                "reason": reason })
    };
    check(
        &t,
        json!({
            "abi_version": "0.2.1",
            "logs": logs,
            "refusals": [stale(1), stale(2), stale(3)],
            "shared_data": { "ticks": "3" },
            "queues": { "events": [] }
        }),
    );
}

#[test]
fn sdk_0_2_metrics_count_gauge_and_record() {
    let stream = |body: Value| {
        json!({ "http": {
            "request": { "headers": [[":path", "/"]] },
            "response": { "headers": [[":status", "200"]], "body": body }
        }})
    };
    let t = transcript(
        Plugin::Metrics,
        json!({ "events": [stream(json!([])), stream(json!(["abc", "de"]))] }),
    );
    check(
        &t,
        json!({
            "abi_version": "0.2.1",
            "logs": [
                info(1, "metrics 1 2 3"),
                // Histograms cannot be read back (Envoy): BadArgument.
                info(2, "request: requests=1 active=1 body_bytes=BadArgument"),
                info(2, "done: requests=1 active=0 body_bytes=BadArgument"),
                info(3, "request: requests=2 active=1 body_bytes=BadArgument"),
                info(3, "done: requests=2 active=0 body_bytes=BadArgument"),
            ],
            "http": [
                through(2, message(json!([[":path", "/"]]), ""),
                        message(json!([[":status", "200"]]), "")),
                through(3, message(json!([[":path", "/"]]), ""),
                        message(json!([[":status", "200"]]), "abcde")),
            ],
            "refusals": ([2, 2, 3, 3].map(|context| json!({
                "context": context, "function": "proxy_get_metric", "status": "BAD_ARGUMENT",
                "reason": "a histogram has no single value to read (Envoy)"
            }))),
            "metrics": [
                { "name": "sdk.requests", "kind": "counter", "value": 2 },
                { "name": "sdk.active", "kind": "gauge", "value": 0 },
                { "name": "sdk.body_bytes", "kind": "histogram", "value": 5 }
            ]
        }),
    );
}

/// A stream for the properties plugins.
fn properties_scenario() -> Value {
    json!({
        "properties": { "plugin_name": "props-test" },
        "events": [{ "http": {
            "request": { "headers": [[":path", "/p?q=1"], [":method", "POST"], ["x-a", "1"]] },
            "response": { "headers": [[":status", "201"]] }
        }}]
    })
}

/// What the reason for a property not found adds when the plugin set it under a longer path.
const SEVERAL_SEGMENTS: &str = "; the plugin set it under this path of several segments, and \
                                Envoy looks a value the plugin set up by the first segment \
                                alone, so never finds it";

fn not_found(context: u32, path: &str, more: &str) -> Value {
    json!({
        "context": context, "function": "proxy_get_property", "status": "NOT_FOUND",
        "reason": format!(
            "no property `{path}` here: the scenario's `properties` do not set it, this context \
             does not derive it and the plugin did not set it in this stream or connection{more}"
        )
    })
}

fn properties_http() -> Value {
    json!([through(
        2,
        message(
            json!([[":path", "/p?q=1"], [":method", "POST"], ["x-a", "1"]]),
            ""
        ),
        message(json!([[":status", "201"]]), ""),
    )])
}

#[test]
fn sdk_0_2_properties_are_read_and_set() {
    let t = transcript(Plugin::Properties, properties_scenario());
    check(
        &t,
        json!({
            "abi_version": "0.2.1",
            "logs": [
                info(2, "plugin_name = props-test"),
                info(2, "request.path = /p?q=1"),
                info(2, "request.method = POST"),
                info(2, "source.address = 127.0.0.1:40000"),
                info(2, "no.such = (none)"),
                // 4 (count) + 3 * 8 (sizes) + 32 (six strings, NUL-ended).
                info(2, "request.headers: 60 bytes, Some(3) headers"),
                info(2, "sdk_note = set by the plugin"),
                info(2, "sdk.note = (none)"),
                info(2, "response.code = 201"),
            ],
            "refusals": [not_found(2, "no.such", ""), not_found(2, "sdk.note", SEVERAL_SEGMENTS)],
            "http": properties_http()
        }),
    );
}

#[test]
fn sdk_0_1_header_rewrite_follows_its_configuration() {
    let t = transcript(
        Plugin::HeaderRewrite01,
        json!({
            "plugin_configuration": "add x-added yes\nremove cookie\nreplace user-agent sdk-0.1\n",
            "events": [{ "http": {
                "request": { "headers": [[":path", "/"], ["cookie", "a=1"], ["user-agent", "curl"]] },
                "response": { "headers": [[":status", "204"]] }
            }}]
        }),
    );
    check(
        &t,
        json!({
            "abi_version": "0.1.0",
            "logs": [
                info(1, "3 rules"),
                info(2, "request: add x-added"),
                info(2, "request: remove cookie"),
                info(2, "request: replace user-agent"),
            ],
            "http": [through(
                2,
                message(json!([[":path", "/"], ["user-agent", "sdk-0.1"], ["x-added", "yes"]]), ""),
                message(json!([[":status", "204"], ["x-sdk", "0.1"]]), ""),
            )]
        }),
    );
}

#[test]
fn sdk_0_1_local_response_denies_without_a_key() {
    let stream = |headers: Value| {
        json!({ "http": {
            "request": { "headers": headers },
            "response": { "headers": [[":status", "200"]], "body": ["ok"] }
        }})
    };
    let t = transcript(
        Plugin::LocalResponse01,
        json!({ "events": [
            stream(json!([[":path", "/"]])),
            stream(json!([[":path", "/"], ["x-api-key", "k1"]])),
        ]}),
    );
    check(
        &t,
        json!({
            "abi_version": "0.1.0",
            "logs": [info(2, "no key: denied"), info(3, "key k1: allowed")],
            "http": [
                answered(2, json!([[":status", "403"], ["x-denied-by", "sdk-0.1"]]),
                         "missing x-api-key"),
                through(3, message(json!([[":path", "/"], ["x-api-key", "k1"]]), ""),
                        message(json!([[":status", "200"]]), "ok")),
            ]
        }),
    );
}

#[test]
fn sdk_0_1_properties_are_read_and_set() {
    let t = transcript(Plugin::Properties01, properties_scenario());
    check(
        &t,
        json!({
            "abi_version": "0.1.0",
            "logs": [
                info(2, "plugin_name = props-test"),
                info(2, "request.path = /p?q=1"),
                info(2, "request.method = POST"),
                info(2, "source.address = 127.0.0.1:40000"),
                info(2, "sdk_note = set by the plugin"),
                info(2, "sdk.note = (none)"),
                info(2, "response.code = 201"),
            ],
            "refusals": [not_found(2, "sdk.note", SEVERAL_SEGMENTS)],
            "http": properties_http()
        }),
    );
}

#[test]
fn c_plugin_on_abi_0_2_0_stamps_and_guards() {
    let stream = |path: &str| {
        json!({ "http": {
            "request": { "headers": [[":path", path], [":method", "GET"]] },
            "response": { "headers": [[":status", "200"], ["server", "up"]], "body": ["body"] }
        }})
    };
    let t = transcript(
        Plugin::CStamp,
        json!({
            "plugin_configuration": "c-0.2.0",
            "events": [stream("/public"), stream("/private/x")]
        }),
    );
    check(
        &t,
        json!({
            "abi_version": "0.2.0",
            "logs": [
                info(1, "stamp: c-0.2.0"),
                info(2, "path /public"),
                info(2, "requests so far: 1"),
                info(3, "path /private/x"),
                info(3, "requests so far: 2"),
            ],
            "http": [
                through(
                    2,
                    message(json!([[":path", "/public"], [":method", "GET"],
                                   ["x-stamp", "c-0.2.0"]]), ""),
                    message(json!([[":status", "200"], ["server", "c-plugin"]]),
                            "body\n-- stamped by C"),
                ),
                // The reply passes the plugin's own response callbacks, as in Envoy: they
                // stamp it too, and the content-length Envoy set stays 8 (a plugin that grows a
                // body must drop it itself).
                json!({
                    "context": 3,
                    "upstream_request": null,
                    "downstream_response": message(
                        json!([[":status", "401"], ["www-authenticate", "Basic"],
                               ["content-length", "8"], ["content-type", "text/plain"],
                               ["server", "c-plugin"]]),
                        "private\n\n-- stamped by C"),
                    "local_response": true,
                    "stalled_in": null,
                    "reset": false
                }),
            ],
            "metrics": [{ "name": "c.requests", "kind": "counter", "value": 2 }]
        }),
    );
}

/// The same C source built with wasi-libc and with emscripten, as the C++ SDK builds plugins:
/// libc's stdio imports WASI functions beyond the spec's ten (fd_seek, fd_close, fd_fdstat_get)
/// and emscripten `env.emscripten_notify_memory_growth`, which the host serves as
/// proxy-wasm-cpp-host does; the clock is virtual, so the second request is stamped after the
/// tick's 1500 ms.
fn greet(plugin: Plugin, stdout_line_buffered: bool, imports_beyond_the_spec: &[&str]) {
    let imports = imports(plugin);
    for name in imports_beyond_the_spec {
        assert!(
            imports.iter().any(|i| i == name),
            "{} imports {imports:?}",
            plugin.name()
        );
    }
    let stream = |path: &str| {
        json!({ "http": {
            "request": { "headers": [[":path", path]] },
            "response": { "headers": [[":status", "200"]] }
        }})
    };
    let t = transcript(
        plugin,
        json!({ "events": [stream("/a"), { "tick": 1500 }, stream("/b")] }),
    );
    let stdout = |context, message: &str| log(context, "stdout", message);
    let stderr = |context, message: &str| log(context, "stderr", message);
    let request = |context: u32, n: u32, stamp: &str| {
        let printed = stdout(context, &format!("greet: request {n} on context {context}"));
        let errored = stderr(context, &format!("greet: {stamp}"));
        // wasi-libc buffers stdout fully when it is not a terminal (fd_fdstat_get says file
        // type 0), so stderr's line comes first; emscripten flushes stdout at each newline.
        if stdout_line_buffered {
            [printed, errored]
        } else {
            [errored, printed]
        }
    };
    let mut logs = vec![stdout(1, "greet: started")];
    logs.extend(request(2, 1, "1 after 0 ms"));
    logs.extend(request(3, 2, "2 after 1500 ms"));
    let reply = message(json!([[":status", "200"]]), "");
    check(
        &t,
        json!({
            "abi_version": "0.2.1",
            "logs": logs,
            "http": [
                through(2, message(json!([[":path", "/a"], ["x-greet", "1 after 0 ms"]]), ""),
                        reply.clone()),
                through(3, message(json!([[":path", "/b"], ["x-greet", "2 after 1500 ms"]]), ""),
                        reply),
            ]
        }),
    );
}

#[test]
fn c_with_wasi_libc_loads_and_prints_through_wasi() {
    greet(
        Plugin::GreetWasiLibc,
        false,
        &[
            "wasi_snapshot_preview1.fd_seek",
            "wasi_snapshot_preview1.fd_close",
            "wasi_snapshot_preview1.fd_fdstat_get",
        ],
    );
}

#[test]
fn c_with_emscripten_loads_and_prints_through_wasi() {
    greet(
        Plugin::GreetEmscripten,
        true,
        &[
            "wasi_snapshot_preview1.fd_seek",
            "wasi_snapshot_preview1.fd_close",
            "env.emscripten_notify_memory_growth",
        ],
    );
}

#[test]
fn assemblyscript_sdk_tags_requests_and_sees_its_own_local_reply() {
    // The SDK imports wasi_unstable.proc_exit (its abort handler) and dispatches on the root id,
    // which Envoy gives as the plugin_root_id property (the scenario's `root_id`).
    let imports = imports(Plugin::TagAssemblyScript);
    assert!(
        imports.iter().any(|i| i == "wasi_unstable.proc_exit"),
        "{imports:?}"
    );
    let stream = |path: &str| {
        json!({ "http": {
            "request": { "headers": [[":path", path]] },
            "response": { "headers": [[":status", "200"]] }
        }})
    };
    let t = transcript(
        Plugin::TagAssemblyScript,
        json!({
            "plugin_configuration": "blue",
            "root_id": "tag",
            "events": [stream("/a"), stream("/deny")]
        }),
    );
    assert_eq!(t["abi_version"], json!("0.2.0"));
    assert_eq!(t["errors"], json!([]));
    // The SDK logs its dispatching at debug level; the plugin's own lines are info.
    let own: Vec<&Value> = t["logs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| l["level"] != "debug")
        .collect();
    assert_eq!(own, [&info(2, "response 200"), &info(3, "response 403")]);
    assert_eq!(
        t["http"],
        json!([
            through(
                2,
                message(json!([[":path", "/a"], ["x-tag", "blue"]]), ""),
                message(json!([[":status", "200"]]), "")
            ),
            answered(3, json!([[":status", "403"]]), "no\n"),
        ])
    );
}
