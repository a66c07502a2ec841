//! Semantics cases: values a host must give back after the plugin changed them, read through
//! a second host call — header maps in the pairs format, buffer slices, shared data with its
//! CAS, queues, metric arithmetic, properties, and a queue's ready callback.

use super::{
    Case, Expect, Fixed, Kind, cite, once_with_data, recipes, scenario, status_of, zeroed,
};
use crate::{Arg, Basis, Body, BuildError, Width};
use proxy_wasm_interchange::pairs;
use proxy_wasm_interchange::protocol::Capability;
use proxy_wasm_interchange::scenario::Event;
use proxy_wasm_spec::Abi;
use recipes::Site;

pub(super) fn cases(abi: &Abi, version: &str, cases: &mut Vec<Case>) -> Result<(), BuildError> {
    let semantics = |what, description, needs| Fixed {
        what,
        kind: Kind::Semantics,
        description,
        needs,
        expect: Expect::Pass,
        refusal: None,
    };
    // The status a function's spec text gives for `code`, and what the function does.
    let status = |function: &str, code: &str| cite::status_of(abi, function, code);
    let effect = |function: &str, requires: &str| cite::effect_of(abi, function, requires);
    let headers = scenario(Site::RequestHeaders);
    let configure = scenario(Site::Configure);
    let not_found = status_of(abi, "proxy_get_header_map_value", "not_found");

    let pairs = pairs::encode(&[("x-one", "1"), ("x-two", "two")]);
    let fixed = semantics(
        "semantics/header_map/pairs_round_trip",
        "pairs set with proxy_set_header_map_pairs replace the map and come back byte for byte",
        &[Capability::Http],
    );
    cases.push(fixed.case(abi, version, headers.clone(), |p, id| {
        p.callback("proxy_on_request_headers", |b| {
            let data = b.data(&pairs);
            let set = b.call(
                "proxy_set_header_map_pairs",
                &[Arg::I32(0), Arg::Bytes(data)],
            );
            b.because_found(status("proxy_set_header_map_pairs", "ok"))
                .expect_status(&format!("{id}/set/status"), set, 0);
            let (ptr, len) = (b.slot(Width::U32), b.slot(Width::U32));
            let get = b.call(
                "proxy_get_header_map_pairs",
                &[Arg::I32(0), Arg::Slot(ptr), Arg::Slot(len)],
            );
            b.because_found(status("proxy_get_header_map_pairs", "ok"))
                .expect_status(&format!("{id}/get/status"), get, 0)
                .because_found(effect(
                    "proxy_get_header_map_pairs",
                    "returns the map's pairs: those the plugin set",
                ))
                .expect_bytes(&format!("{id}/get/value"), ptr, len, &pairs)
                .end();
        });
    })?);

    // 0.1.0 has no NOT_FOUND: its hosts answer a missing header with an empty value.
    let removed = not_found.filter(|_| version != "0.1.0");
    let absent = abi
        .function("proxy_get_header_map_value")
        .and_then(|f| {
            f.statuses
                .iter()
                .find(|s| s.code == "ok" && s.condition.contains("absent"))
        })
        .map(|s| cite::status(s, "proxy_get_header_map_value"));
    let fixed = semantics(
        "semantics/header_map/value_edits",
        "a header added, replaced or removed reads back as such (removed: NOT_FOUND; ABI \
         0.1.0 as Envoy: an empty value)",
        &[Capability::Http],
    );
    cases.push(fixed.case(abi, version, headers.clone(), |p, id| {
        p.callback("proxy_on_request_headers", |b| {
            let check = |what: &str| format!("{id}/{what}");
            let added = b.data(b"x-added");
            let tracked = b.data(b"x-pwtck");
            let v1 = b.data(b"v1");
            let add = b.call(
                "proxy_add_header_map_value",
                &[Arg::I32(0), Arg::Bytes(added), Arg::Bytes(v1)],
            );
            b.because_found(status("proxy_add_header_map_value", "ok"))
                .expect_status(&check("add/status"), add, 0);
            read_header(b, abi, &check("add/read"), added, Some(b"v1"), 0);
            let two = b.data(b"two");
            let replace = b.call(
                "proxy_replace_header_map_value",
                &[Arg::I32(0), Arg::Bytes(tracked), Arg::Bytes(two)],
            );
            b.because_found(status("proxy_replace_header_map_value", "ok"))
                .expect_status(&check("replace/status"), replace, 0);
            read_header(b, abi, &check("replace/read"), tracked, Some(b"two"), 0);
            let remove = b.call(
                "proxy_remove_header_map_value",
                &[Arg::I32(0), Arg::Bytes(tracked)],
            );
            b.because_found(status("proxy_remove_header_map_value", "ok"))
                .expect_status(&check("remove/status"), remove, 0);
            let (ptr, len) = (b.slot(Width::U32), b.slot(Width::U32));
            let get = b.call(
                "proxy_get_header_map_value",
                &[
                    Arg::I32(0),
                    Arg::Bytes(tracked),
                    Arg::Slot(ptr),
                    Arg::Slot(len),
                ],
            );
            match (removed, &absent) {
                (Some(code), _) => {
                    b.because_found(status("proxy_get_header_map_value", "not_found"))
                        .expect_status(&check("remove/read/status"), get, code);
                }
                (None, Some(basis)) => {
                    b.because_found(basis.clone())
                        .expect_status(&check("remove/read/status"), get, 0)
                        .because_found(basis.clone())
                        .expect_bytes(&check("remove/read/value"), ptr, len, b"");
                }
                (None, None) => {}
            }
            b.end();
        });
    })?);

    // A stream pauses on an HTTP call; in the call's response (a root context callback) the
    // plugin makes the stream effective and reads its request headers, then resumes it.
    let fixed = semantics(
        "semantics/effective_context/stream_from_call_response",
        "in proxy_on_http_call_response, proxy_set_effective_context with the paused stream's id \
         makes the next call act on that stream: its request header reads back",
        &[Capability::Http, Capability::HttpCalls],
    );
    cases.push(fixed.case(abi, version, headers.clone(), |p, id| {
        let stream = zeroed(p);
        p.callback("proxy_on_context_create", |b| {
            let is_root = b.equal(Arg::Param(1), Arg::I32(0));
            b.branch(
                is_root,
                |_| {},
                |b| {
                    b.store(stream, Arg::Param(0));
                },
            );
        });
        p.callback("proxy_on_request_headers", |b| {
            let upstream = b.data(recipes::UPSTREAM.as_bytes());
            let call_headers = b.data(&pairs::encode(&[
                (":method", "GET"),
                (":path", "/call"),
                (":authority", recipes::UPSTREAM),
            ]));
            let token = b.slot(Width::U32);
            let call = b.call(
                "proxy_http_call",
                &[
                    Arg::Bytes(upstream),
                    Arg::Bytes(call_headers),
                    Arg::I32(0),
                    Arg::I32(0),
                    Arg::I32(0),
                    Arg::I32(0),
                    Arg::I32(1000),
                    Arg::Slot(token),
                ],
            );
            b.because_found(status("proxy_http_call", "ok"))
                .expect_status(&format!("{id}/http_call/status"), call, 0)
                // Pause, so the stream is still there when the response comes.
                .returns(1);
        });
        p.callback("proxy_on_http_call_response", |b| {
            let set = b.call("proxy_set_effective_context", &[Arg::Load(stream)]);
            b.because_found(status("proxy_set_effective_context", "ok"))
                .expect_status(&format!("{id}/set/status"), set, 0);
            let key = b.data(b":path");
            let (ptr, len) = (b.slot(Width::U32), b.slot(Width::U32));
            let get = b.call(
                "proxy_get_header_map_value",
                &[Arg::I32(0), Arg::Bytes(key), Arg::Slot(ptr), Arg::Slot(len)],
            );
            b.because_found(effect(
                "proxy_set_effective_context",
                "makes the given context the one later calls act on",
            ))
            .expect_status(&format!("{id}/stream_header/status"), get, 0)
            .because_found(effect(
                "proxy_set_effective_context",
                "makes the given context the one later calls act on",
            ))
            .expect_bytes(
                &format!("{id}/stream_header/value"),
                ptr,
                len,
                recipes::PATH.as_bytes(),
            );
            if abi.function("proxy_continue_stream").is_some() {
                b.call("proxy_continue_stream", &[Arg::I32(0)]);
            } else {
                b.call("proxy_continue_request", &[]);
            }
            b.end();
        });
    })?);

    let fixed = semantics(
        "semantics/buffer/slice",
        "proxy_get_buffer_bytes returns the bytes from start, at most max_size, clamped to \
         the buffer's end",
        &[Capability::Http],
    );
    let body = recipes::BODY.as_bytes();
    cases.push(fixed.case(abi, version, headers.clone(), |p, id| {
        let ran = zeroed(p);
        p.callback("proxy_on_request_body", |b| {
            once_with_data(b, ran, |b| slices(abi, b, id, body));
        });
    })?);

    let mismatch = status_of(abi, "proxy_set_shared_data", "cas_mismatch");
    if let Some(mismatch) = mismatch {
        let fixed = semantics(
            "semantics/shared_data/cas",
            "a set with the CAS a get returned succeeds once; the stale CAS then fails with \
             CAS_MISMATCH and the value and CAS read back are the new ones",
            &[Capability::SharedData],
        );
        cases.push(fixed.case(abi, version, configure.clone(), |p, id| {
            p.callback("proxy_on_configure", |b| {
                let check = |what: &str| format!("{id}/{what}");
                let key = b.data(b"pwtck-cas");
                let v1 = b.data(b"v1");
                let set = b.call(
                    "proxy_set_shared_data",
                    &[Arg::Bytes(key), Arg::Bytes(v1), Arg::I32(0)],
                );
                b.because_found(status("proxy_set_shared_data", "ok"))
                    .expect_status(&check("first_set/status"), set, 0);
                let first = read_shared(b, abi, &check("first_get"), key, b"v1");
                let v2 = b.data(b"v2");
                let set = b.call(
                    "proxy_set_shared_data",
                    &[Arg::Bytes(key), Arg::Bytes(v2), Arg::Load(first)],
                );
                b.because_found(status("proxy_set_shared_data", "ok"))
                    .expect_status(&check("cas_set/status"), set, 0);
                let v3 = b.data(b"v3");
                let stale = b.call(
                    "proxy_set_shared_data",
                    &[Arg::Bytes(key), Arg::Bytes(v3), Arg::Load(first)],
                );
                b.because_found(status("proxy_set_shared_data", "cas_mismatch"))
                    .expect_status(&check("stale_set/status"), stale, mismatch);
                let second = read_shared(b, abi, &check("second_get"), key, b"v2");
                let same = b.equal(Arg::Load(first), Arg::Load(second));
                b.because(Basis::reference(CPP_HOST_CAS))
                    .expect_status(&check("cas_changed"), same, 0)
                    .end();
            });
        })?);
    }

    if let Some(empty) = status_of(abi, "proxy_dequeue_shared_queue", "empty") {
        let fixed = semantics(
            "semantics/queue/fifo",
            "items enqueued on a registered queue dequeue in order, then the queue is EMPTY",
            &[Capability::SharedQueues],
        );
        cases.push(fixed.case(abi, version, configure.clone(), |p, id| {
            p.callback("proxy_on_configure", |b| {
                let check = |what: &str| format!("{id}/{what}");
                let queue = b.slot(Width::U32);
                let name = b.data(b"pwtck-fifo");
                let register = b.call(
                    "proxy_register_shared_queue",
                    &[Arg::Bytes(name), Arg::Slot(queue)],
                );
                b.because_found(status("proxy_register_shared_queue", "ok"))
                    .expect_status(&check("register/status"), register, 0);
                for item in ["first", "second"] {
                    let value = b.data(item.as_bytes());
                    let put = b.call(
                        "proxy_enqueue_shared_queue",
                        &[Arg::Load(queue), Arg::Bytes(value)],
                    );
                    b.because_found(status("proxy_enqueue_shared_queue", "ok"))
                        .expect_status(&check(&format!("enqueue_{item}/status")), put, 0);
                }
                for item in ["first", "second"] {
                    let (ptr, len) = (b.slot(Width::U32), b.slot(Width::U32));
                    let take = b.call(
                        "proxy_dequeue_shared_queue",
                        &[Arg::Load(queue), Arg::Slot(ptr), Arg::Slot(len)],
                    );
                    b.because_found(status("proxy_dequeue_shared_queue", "ok"))
                        .expect_status(&check(&format!("dequeue_{item}/status")), take, 0)
                        .because_found(effect(
                            "proxy_dequeue_shared_queue",
                            "returns the oldest item of the queue",
                        ))
                        .expect_bytes(
                            &check(&format!("dequeue_{item}/value")),
                            ptr,
                            len,
                            item.as_bytes(),
                        );
                }
                let (ptr, len) = (b.slot(Width::U32), b.slot(Width::U32));
                let take = b.call(
                    "proxy_dequeue_shared_queue",
                    &[Arg::Load(queue), Arg::Slot(ptr), Arg::Slot(len)],
                );
                b.because_found(status("proxy_dequeue_shared_queue", "empty"))
                    .expect_status(&check("dequeue_empty/status"), take, empty)
                    .end();
            });
        })?);
    }

    let mut ready = configure.clone();
    ready.events = vec![Event::Enqueue {
        queue: "pwtck-ready".into(),
        data: "item".into(),
    }];
    let fixed = semantics(
        "semantics/queue/ready",
        "an item another producer enqueues makes the host call proxy_on_queue_ready on the \
         registering root context with the queue's id, and the item dequeues",
        &[Capability::SharedQueues],
    );
    cases.push(fixed.case(abi, version, ready, |p, id| {
        let root = zeroed(p);
        let queue = p.slot(Width::U32);
        p.callback("proxy_on_configure", |b| {
            b.store(root, Arg::Param(0));
            let name = b.data(b"pwtck-ready");
            let register = b.call(
                "proxy_register_shared_queue",
                &[Arg::Bytes(name), Arg::Slot(queue)],
            );
            b.because_found(status("proxy_register_shared_queue", "ok"))
                .expect_status(&format!("{id}/register/status"), register, 0);
        });
        p.callback("proxy_on_queue_ready", |b| {
            let check = |what: &str| format!("{id}/{what}");
            let same = b.equal(Arg::Param(0), Arg::Load(root));
            b.because(Basis::reference(CPP_HOST_QUEUE_READY))
                .expect_status(&check("ready/root_context_id"), same, 1);
            let same = b.equal(Arg::Param(1), Arg::Load(queue));
            b.because(cite::QUEUE_READY.basis(version)).expect_status(
                &check("ready/queue_id"),
                same,
                1,
            );
            let (ptr, len) = (b.slot(Width::U32), b.slot(Width::U32));
            let take = b.call(
                "proxy_dequeue_shared_queue",
                &[Arg::Param(1), Arg::Slot(ptr), Arg::Slot(len)],
            );
            b.because_found(status("proxy_dequeue_shared_queue", "ok"))
                .expect_status(&check("dequeue/status"), take, 0)
                .because_found(effect(
                    "proxy_dequeue_shared_queue",
                    "returns the item enqueued",
                ))
                .expect_bytes(&check("dequeue/value"), ptr, len, b"item")
                .end();
        });
    })?);

    // Metric types: counter 0, gauge 1 in every version.
    for (what, metric_type, reference, description, steps, expected) in [
        (
            "semantics/metrics/counter",
            0,
            None,
            "a counter incremented by 5 and by 3 reads 8",
            &[("increment", 5)][..],
            8,
        ),
        (
            "semantics/metrics/gauge",
            1,
            Some(ENVOY_GAUGE),
            "a gauge recorded at 7 and incremented by -2 reads 5 (Envoy: record sets a gauge, \
             increment adds)",
            &[("record", 7), ("increment", -2)][..],
            5,
        ),
    ] {
        let steps: Vec<(&str, i64)> = if metric_type == 0 {
            vec![("increment", 5), ("increment", 3)]
        } else {
            steps.to_vec()
        };
        // In a stream, not in proxy_on_configure: a host may configure the plugin in several
        // VMs whose metrics are one (Envoy's canary and worker VMs), so only one VM counts.
        let fixed = semantics(what, description, &[Capability::Metrics, Capability::Http]);
        let basis = |found: Result<Basis, String>| match reference {
            Some(source) => Ok(Basis::reference(source)),
            None => found,
        };
        cases.push(fixed.case(abi, version, headers.clone(), |p, id| {
            p.callback("proxy_on_request_headers", |b| {
                let check = |what: &str| format!("{id}/{what}");
                let metric = b.slot(Width::U32);
                let name = b.data(format!("pwtck_{metric_type}").as_bytes());
                let define = b.call(
                    "proxy_define_metric",
                    &[Arg::I32(metric_type), Arg::Bytes(name), Arg::Slot(metric)],
                );
                b.because_found(status("proxy_define_metric", "ok"))
                    .expect_status(&check("define/status"), define, 0);
                for (n, (op, value)) in steps.iter().enumerate() {
                    let function = format!("proxy_{op}_metric");
                    let call = b.call(&function, &[Arg::Load(metric), Arg::I64(*value)]);
                    b.because_found(basis(status(&function, "ok")))
                        .expect_status(&check(&format!("{op}_{n}/status")), call, 0);
                }
                let value = b.slot(Width::U64);
                let get = b.call("proxy_get_metric", &[Arg::Load(metric), Arg::Slot(value)]);
                b.because_found(status("proxy_get_metric", "ok"))
                    .expect_status(&check("get/status"), get, 0)
                    .because_found(basis(effect(
                        "proxy_increment_metric",
                        "increments the metric's value by the offset",
                    )))
                    .expect_slot_u64(&check("get/value"), value, expected)
                    .end();
            });
        })?);
    }

    let fixed = semantics(
        "semantics/properties/request",
        "request.path and request.method read as the request's :path and :method (Envoy's \
         attributes, serialized by source/extensions/common/wasm/context.cc serializeValue)",
        &[Capability::Http, Capability::Properties],
    );
    cases.push(fixed.case(abi, version, headers.clone(), |p, id| {
        p.callback("proxy_on_request_headers", |b| {
            for (path, expected) in [
                ("request\0path", recipes::PATH.as_bytes()),
                ("request\0method", b"GET".as_slice()),
            ] {
                let what = path.replace('\0', ".");
                let (ptr, len) = (b.slot(Width::U32), b.slot(Width::U32));
                let name = b.data(path.as_bytes());
                let get = b.call(
                    "proxy_get_property",
                    &[Arg::Bytes(name), Arg::Slot(ptr), Arg::Slot(len)],
                );
                b.because(Basis::reference(ENVOY_REQUEST_ATTRIBUTES))
                    .expect_status(&format!("{id}/{what}/status"), get, 0)
                    .because(Basis::reference(ENVOY_REQUEST_ATTRIBUTES))
                    .expect_bytes(&format!("{id}/{what}/value"), ptr, len, expected);
            }
            b.end();
        });
    })?);

    let fixed = semantics(
        "semantics/properties/set_then_get",
        "a property the plugin sets in a stream reads back with the same bytes (Envoy \
         filter state)",
        &[Capability::Http, Capability::Properties],
    );
    // In a stream, under one path segment: Envoy keeps the value as the stream's filter state
    // under the whole path and looks it up by the first segment.
    cases.push(fixed.case(abi, version, headers.clone(), |p, id| {
        p.callback("proxy_on_request_headers", |b| {
            let path = b.data(b"pwtck_custom");
            let value = b.data(b"custom-value");
            let set = b.call("proxy_set_property", &[Arg::Bytes(path), Arg::Bytes(value)]);
            b.because(Basis::reference(ENVOY_FILTER_STATE))
                .expect_status(&format!("{id}/set/status"), set, 0);
            let (ptr, len) = (b.slot(Width::U32), b.slot(Width::U32));
            let get = b.call(
                "proxy_get_property",
                &[Arg::Bytes(path), Arg::Slot(ptr), Arg::Slot(len)],
            );
            b.because(Basis::reference(ENVOY_FILTER_STATE))
                .expect_status(&format!("{id}/get/status"), get, 0)
                .because(Basis::reference(ENVOY_FILTER_STATE))
                .expect_bytes(&format!("{id}/get/value"), ptr, len, b"custom-value")
                .end();
        });
    })?);

    // Three places where the spec text can be read two ways: each check accepts both readings
    // and says so, and still fails a host that answers anything else or traps.
    let ok = status_of(abi, "proxy_set_effective_context", "ok");
    let bad = status_of(abi, "proxy_set_effective_context", "bad_argument");
    if let (Some(ok), Some(bad)) = (ok, bad) {
        let fixed = semantics(
            "semantics/effective_context/zero",
            "proxy_set_effective_context(0) answers OK or BAD_ARGUMENT: the spec gives \
             BAD_ARGUMENT for an unknown context_id but does not say whether 0, the parent id \
             of every plugin context and never announced itself, is known; proxy-wasm-cpp-host \
             answers OK",
            &[],
        );
        cases.push(fixed.case(abi, version, configure.clone(), |p, id| {
            p.callback("proxy_on_configure", |b| {
                let set = b.call("proxy_set_effective_context", &[Arg::I32(0)]);
                b.because(Basis::advisory(ZERO_CONTEXT))
                    .expect_status_in(&format!("{id}/status"), set, &[ok, bad])
                    .end();
            });
        })?);
    }

    let ok = status_of(abi, "proxy_get_buffer_bytes", "ok");
    let bad = status_of(abi, "proxy_get_buffer_bytes", "bad_argument");
    if let (Some(ok), Some(bad)) = (ok, bad) {
        let fixed = semantics(
            "semantics/buffer/start_past_end",
            "proxy_get_buffer_bytes with start past the buffer's end answers OK with no bytes or \
             BAD_ARGUMENT: the spec gives BAD_ARGUMENT for \"buffer overflow due to invalid \
             start\" without saying whether a start past the end is one; proxy-wasm-cpp-host \
             answers OK with size 0",
            &[Capability::Http],
        );
        cases.push(fixed.case(abi, version, headers.clone(), |p, id| {
            let ran = zeroed(p);
            p.callback("proxy_on_request_body", |b| {
                once_with_data(b, ran, |b| {
                    let (ptr, len) = (b.slot(Width::U32), b.slot(Width::U32));
                    let past = i32::try_from(recipes::BODY.len() + 9).unwrap_or(i32::MAX);
                    let get = b.call(
                        "proxy_get_buffer_bytes",
                        &[
                            Arg::I32(0),
                            Arg::I32(past),
                            Arg::I32(5),
                            Arg::Slot(ptr),
                            Arg::Slot(len),
                        ],
                    );
                    b.because(Basis::advisory(START_PAST_END)).expect_status_in(
                        &format!("{id}/status"),
                        get,
                        &[ok, bad],
                    );
                    // Only an OK answer has a size to check; a refusal counts as no bytes.
                    let answered = b.equal(Arg::Status(get), Arg::I32(0));
                    b.branch(
                        answered,
                        |_| {},
                        |b| {
                            b.store(len, Arg::I32(0));
                        },
                    );
                    b.because(Basis::advisory(START_PAST_END))
                        .expect_slot_u32(&format!("{id}/size"), len, 0)
                        .end();
                });
            });
        })?);
    }

    if let Some(not_found) = status_of(abi, "proxy_done", "not_found") {
        let fixed = semantics(
            "semantics/done/from_stream",
            "proxy_done from a stream context that is not pending finalization (its \
             proxy_on_done has not been called) answers NOT_FOUND, and the stream goes on",
            &[Capability::Http],
        );
        cases.push(fixed.case(abi, version, headers.clone(), |p, id| {
            p.callback("proxy_on_request_headers", |b| {
                let done = b.call("proxy_done", &[]);
                b.because_found(status("proxy_done", "not_found"))
                    .expect_status(&format!("{id}/status"), done, not_found);
            });
            p.callback("proxy_on_response_headers", |b| {
                b.because(Basis::reference(CPP_HOST_DONE))
                    .expect_value(&format!("{id}/stream_goes_on"), Arg::I32(1), 1)
                    .end();
            });
        })?);
    }
    Ok(())
}

/// Reads three slices of the request body and checks them: middle, head, clamped to the end.
fn slices(abi: &Abi, b: &mut Body<'_, '_>, id: &str, body: &[u8]) {
    for (what, start, max, expected) in [
        ("middle", 6, 5, &body[6..]),
        ("head", 0, 5, &body[..5]),
        ("clamped", 2, 1000, &body[2..]),
    ] {
        let (ptr, len) = (b.slot(Width::U32), b.slot(Width::U32));
        let get = b.call(
            "proxy_get_buffer_bytes",
            &[
                Arg::I32(0),
                Arg::I32(start),
                Arg::I32(max),
                Arg::Slot(ptr),
                Arg::Slot(len),
            ],
        );
        b.because_found(cite::status_of(abi, "proxy_get_buffer_bytes", "ok"))
            .expect_status(&format!("{id}/{what}/status"), get, 0)
            .because_found(cite::effect_of(
                abi,
                "proxy_get_buffer_bytes",
                "returns up to max_size bytes of the buffer from start",
            ))
            .expect_bytes(&format!("{id}/{what}/value"), ptr, len, expected);
    }
    b.end();
}

/// Why `proxy_set_effective_context(0)` may answer either way.
const ZERO_CONTEXT: &str = "the spec does not say whether context id 0 is known; \
     proxy-wasm-cpp-host answers OK because its VM context is registered under id 0 (src/context.cc \
     ContextBase::ContextBase(WasmBase *), src/exports.cc set_effective_context), a host without \
     such a context answers BAD_ARGUMENT; any other answer, or a trap, is a bug";
/// Why a start past a buffer's end may answer either way.
const START_PAST_END: &str = "the spec does not say whether a start past the end is an \
     \"invalid start\"; proxy-wasm-cpp-host answers OK with 0 bytes (src/exports.cc \
     get_buffer_bytes), proxy-wasm-host BAD_ARGUMENT; bytes from past the end would be a bug";
/// Where proxy-wasm-cpp-host finishes only a context pending finalization.
const CPP_HOST_DONE: &str = "proxy-wasm-cpp-host src/wasm.cc WasmBase::done (only a plugin \
     context pending finalization is finished; a stream is left alone)";

/// Where Envoy keeps a gauge: record sets it, increment adds.
const ENVOY_GAUGE: &str = "Envoy source/extensions/common/wasm/context.cc Context::recordMetric \
     and Context::incrementMetric (Gauge::set, Gauge::add)";
/// Where Envoy answers `request.*` attributes.
const ENVOY_REQUEST_ATTRIBUTES: &str = "Envoy source/extensions/filters/common/expr/context.cc RequestWrapper::operator[] \
     (request.path, request.method)";
/// Where Envoy keeps properties the plugin sets.
const ENVOY_FILTER_STATE: &str = "Envoy source/extensions/common/wasm/context.cc \
     Context::setProperty (stored as filter state, read back by Context::getProperty)";
/// Where proxy-wasm-cpp-host moves a key's CAS on every set.
const CPP_HOST_CAS: &str = "proxy-wasm-cpp-host src/shared_data.cc SharedData::set";
/// Where proxy-wasm-cpp-host delivers a queue's items to the registering root context.
const CPP_HOST_QUEUE_READY: &str = "proxy-wasm-cpp-host src/shared_queue.cc SharedQueue::enqueue (the registering VM's \
     root context id)";

/// Reads request header `key`: `expected` bytes with status 0, or no value with `status`.
fn read_header(
    b: &mut Body,
    abi: &proxy_wasm_spec::Abi,
    check: &str,
    key: crate::Data,
    expected: Option<&[u8]>,
    status: i64,
) {
    let (ptr, len) = (b.slot(Width::U32), b.slot(Width::U32));
    let get = b.call(
        "proxy_get_header_map_value",
        &[Arg::I32(0), Arg::Bytes(key), Arg::Slot(ptr), Arg::Slot(len)],
    );
    b.because_found(cite::status_of(abi, "proxy_get_header_map_value", "ok"))
        .expect_status(&format!("{check}/status"), get, status);
    if let Some(expected) = expected {
        b.because_found(cite::effect_of(
            abi,
            "proxy_get_header_map_value",
            "returns the value of the key in the map",
        ))
        .expect_bytes(&format!("{check}/value"), ptr, len, expected);
    }
}

/// Reads shared data under `key`, checks it holds `expected`; the slot with its CAS.
fn read_shared(
    b: &mut Body,
    abi: &proxy_wasm_spec::Abi,
    check: &str,
    key: crate::Data,
    expected: &[u8],
) -> crate::Slot {
    let (ptr, len, cas) = (b.slot(Width::U32), b.slot(Width::U32), b.slot(Width::U32));
    let get = b.call(
        "proxy_get_shared_data",
        &[
            Arg::Bytes(key),
            Arg::Slot(ptr),
            Arg::Slot(len),
            Arg::Slot(cas),
        ],
    );
    b.because_found(cite::status_of(abi, "proxy_get_shared_data", "ok"))
        .expect_status(&format!("{check}/status"), get, 0)
        .because_found(cite::effect_of(
            abi,
            "proxy_get_shared_data",
            "returns the value stored under the key and its CAS",
        ))
        .expect_bytes(&format!("{check}/value"), ptr, len, expected);
    cas
}
