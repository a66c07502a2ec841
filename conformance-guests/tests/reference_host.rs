//! Probes built here, run on the reference host, their log read back with the verdict parser:
//! checks pass where the host is right, and fail, with what the guest found, where the
//! expectation is wrong.

use conformance_guests::verdict::{self, ProbeResult, Value, Verdict};
use conformance_guests::{AllocMode, AllocatorExport, Arg, ProbeBuilder, Width};
use proxy_wasm_spec::Abi;
use proxy_wasm_spec::ir::{Invalid, TypeDefKind};
use reference_host::Transcript;

const ONE_REQUEST: &str =
    r#"{"events": [{"http": {"request": {"headers": [[":path", "/"], [":method", "GET"]]}}}]}"#;

fn abi() -> Abi {
    proxy_wasm_spec::builtin("0.2.1").expect("built-in ABI")
}

/// A status code's number, by its IR name.
fn status(abi: &Abi, code: &str) -> i64 {
    let Some(TypeDefKind::Enum { values, .. }) = abi.type_def("status").map(|t| &t.def) else {
        unreachable!("the IR has a status enum");
    };
    values
        .iter()
        .find(|v| v.name == code)
        .map(|v| v.value)
        .expect("a status code")
}

fn run(wasm: &[u8]) -> (ProbeResult, Transcript) {
    run_with(wasm, ONE_REQUEST)
}

fn run_with(wasm: &[u8], scenario: &str) -> (ProbeResult, Transcript) {
    let scenario = serde_json::from_str(scenario).expect("scenario");
    let transcript = reference_host::run(wasm, &scenario).expect("the probe loads");
    let result = verdict::collect(transcript.logs.iter().map(|l| l.message.as_str()));
    (result, transcript)
}

/// Every check passed, in order, and the probe ran to its end.
fn assert_all_pass(result: &ProbeResult, probe: &str, checks: &[&str]) {
    let passed: Vec<Verdict> = checks
        .iter()
        .map(|c| Verdict::Pass {
            check: c.to_string(),
        })
        .collect();
    assert_eq!(result.checks, passed, "{result:#?}");
    assert_eq!(result.end.as_deref(), Some(probe));
    assert!(result.unexpected.is_empty(), "{result:#?}");
}

#[test]
fn get_header_map_value_statuses_and_out_slots() {
    let abi = abi();
    let f = abi
        .function("proxy_get_header_map_value")
        .expect("in the IR");
    let Some(Invalid::Status { value: bad_map, .. }) = &f.params[0].invalid else {
        unreachable!("map_id has an (@invalid) status");
    };
    let (ok, not_found, ima) = (
        status(&abi, "ok"),
        status(&abi, "not_found"),
        status(&abi, "invalid_memory_access"),
    );
    let mut probe = ProbeBuilder::new(&abi, "v0.2.1/proxy_get_header_map_value");
    let path = probe.data(b":path");
    let missing = probe.data(b"x-missing");
    let (ptr, len) = (probe.slot(Width::U32), probe.slot(Width::U32));
    // The arguments: map type, key (one `Bytes` or pointer and length), value pointer slot.
    let args = |map: i32, key: &[Arg], value_data: Arg| -> Vec<Arg> {
        let mut args = vec![Arg::I32(map)];
        args.extend_from_slice(key);
        args.extend([value_data, Arg::Slot(len)]);
        args
    };
    let (key, out) = ([Arg::Bytes(path)], Arg::Slot(ptr));
    let cases = [
        ("ok", args(0, &key, out), ok),
        ("not_found", args(0, &[Arg::Bytes(missing)], out), not_found),
        (
            "key_out_of_bounds",
            args(0, &[Arg::MemEnd(0), Arg::I32(4)], out),
            ima,
        ),
        (
            "key_straddles_end",
            args(0, &[Arg::MemEnd(-2), Arg::I32(4)], out),
            ima,
        ),
        (
            "key_wraps",
            args(0, &[Arg::u32(0xFFFF_FFF0), Arg::I32(0x20)], out),
            ima,
        ),
        (
            "last_bytes_in_bounds",
            args(0, &[Arg::MemEnd(-8), Arg::I32(8)], out),
            not_found,
        ),
        ("out_out_of_bounds", args(0, &key, Arg::MemEnd(0)), ima),
        ("out_straddles_end", args(0, &key, Arg::MemEnd(-2)), ima),
        ("bad_map_type", args(99, &key, out), *bad_map),
    ];
    probe.callback("proxy_on_request_headers", |b| {
        for (name, args, expected) in &cases {
            let st = b.call("proxy_get_header_map_value", args);
            b.expect_status(&format!("{name}/status"), st, *expected);
            if *name == "ok" {
                b.expect_bytes("ok/value", ptr, len, b"/");
            } else {
                // On error the host writes neither out-pointer.
                b.expect_slot_untouched(&format!("{name}/data_untouched"), ptr);
                b.expect_slot_untouched(&format!("{name}/size_untouched"), len);
            }
        }
        b.end();
    });
    let wasm = probe.finish().expect("valid probe");
    let (result, _) = run(&wasm);
    let mut checks = vec!["ok/status".to_string(), "ok/value".to_string()];
    for (name, ..) in &cases[1..] {
        for part in ["status", "data_untouched", "size_untouched"] {
            checks.push(format!("{name}/{part}"));
        }
    }
    let checks: Vec<&str> = checks.iter().map(String::as_str).collect();
    assert_all_pass(&result, "v0.2.1/proxy_get_header_map_value", &checks);
}

/// A probe whose only call needs the allocator, built with `exports` and `mode`.
fn allocating_probe(
    abi: &Abi,
    exports: &[AllocatorExport],
    mode: AllocMode,
    expected: i64,
) -> Vec<u8> {
    let mut probe = ProbeBuilder::new(abi, "alloc");
    probe.allocator(exports, mode);
    let key = probe.data(b":method");
    let (ptr, len) = (probe.slot(Width::U32), probe.slot(Width::U32));
    let calls: Vec<_> = AllocatorExport::ALL
        .iter()
        .map(|a| (a.name(), probe.allocator_calls(*a)))
        .collect();
    probe.callback("proxy_on_request_headers", |b| {
        let st = b.call(
            "proxy_get_header_map_value",
            &[Arg::I32(0), Arg::Bytes(key), Arg::Slot(ptr), Arg::Slot(len)],
        );
        b.expect_status("status", st, expected);
        for (name, counter) in calls {
            b.expect_value(&format!("calls/{name}"), Arg::Load(counter), 0);
        }
        b.end();
    });
    probe.finish().expect("valid probe")
}

fn number(result: &ProbeResult, check: &str) -> Option<u64> {
    match result.verdict(check)? {
        Verdict::Pass { .. } => Some(0),
        Verdict::Fail {
            got: Value::Number { value },
            ..
        } => Some(*value),
        Verdict::Fail { .. } | Verdict::End { .. } => None,
    }
}

#[test]
fn allocator_conventions() {
    let abi = abi();
    let (ok, ima) = (status(&abi, "ok"), status(&abi, "invalid_memory_access"));
    let both = [
        AllocatorExport::Malloc,
        AllocatorExport::ProxyOnMemoryAllocate,
    ];
    for (exports, mode, expected, calls) in [
        // The reference host prefers proxy_on_memory_allocate, as the spec does.
        (&both[..], AllocMode::Bump, ok, [1, 0]),
        (&both[1..], AllocMode::Bump, ok, [1, 0]),
        (&both[..1], AllocMode::Bump, ok, [0, 1]),
        (&both[1..], AllocMode::ReturnZero, ima, [1, 0]),
        (&both[1..], AllocMode::ReturnOutOfBounds, ima, [1, 0]),
    ] {
        let (result, _) = run(&allocating_probe(&abi, exports, mode, expected));
        let case = format!("{exports:?} {mode:?}: {result:#?}");
        assert!(
            matches!(result.verdict("status"), Some(Verdict::Pass { .. })),
            "{case}"
        );
        // The counters are checked against 0, so a FAIL's got value is the count.
        let counted = [
            number(&result, "calls/proxy_on_memory_allocate"),
            number(&result, "calls/malloc"),
        ];
        assert_eq!(counted, calls.map(Some), "{case}");
        assert_eq!(result.end.as_deref(), Some("alloc"), "{case}");
    }
    // Without an allocator the module is refused at load, as proxy-wasm-cpp-host refuses it.
    let scenario = serde_json::from_str(ONE_REQUEST).expect("scenario");
    let refused = reference_host::run(
        &allocating_probe(&abi, &[], AllocMode::Bump, ima),
        &scenario,
    );
    assert!(
        matches!(refused, Err(reference_host::LoadError::Callback(_))),
        "{refused:?}"
    );
}

#[test]
fn the_bump_allocator_grows_memory() {
    let abi = abi();
    let big = "x".repeat(300_000);
    let scenario =
        serde_json::json!({"events": [{"http": {"request": {"headers": [["big", big]]}}}]});
    let mut probe = ProbeBuilder::new(&abi, "grow");
    let key = probe.data(b"big");
    let (ptr, len) = (probe.slot(Width::U32), probe.slot(Width::U32));
    probe.callback("proxy_on_request_headers", |b| {
        let st = b.call(
            "proxy_get_header_map_value",
            &[Arg::I32(0), Arg::Bytes(key), Arg::Slot(ptr), Arg::Slot(len)],
        );
        b.expect_status("status", st, 0);
        b.expect_slot_u32("len", len, 300_000);
        b.end();
    });
    let (result, _) = run_with(&probe.finish().expect("valid probe"), &scenario.to_string());
    assert_all_pass(&result, "grow", &["status", "len"]);
}

#[test]
fn a_trapping_allocator_leaves_no_end_line() {
    let abi = abi();
    let wasm = allocating_probe(&abi, &[AllocatorExport::Malloc], AllocMode::Trap, 0);
    let (result, transcript) = run(&wasm);
    assert!(
        result.checks.is_empty() && result.end.is_none(),
        "{result:#?}"
    );
    // The trap, then what the failed VM was not asked to do.
    let (trap, skipped) = transcript
        .errors
        .split_first()
        .expect("the trap is recorded");
    assert!(trap.message.contains("trapped"), "{transcript:#?}");
    assert!(
        skipped.iter().all(|e| e.message.starts_with("not called")),
        "{transcript:#?}"
    );
}

#[test]
fn wrong_expectations_fail_with_what_the_guest_found() {
    let abi = abi();
    let mut probe = ProbeBuilder::new(&abi, "fails");
    let key = probe.data(b":path");
    let (ptr, len) = (probe.slot(Width::U32), probe.slot(Width::U32));
    let never = (probe.slot(Width::U32), probe.slot(Width::U32));
    let time = probe.slot(Width::U64);
    let unwritten = probe.slot(Width::U64);
    let long = probe.data(&[0x5a; 100]);
    probe.callback("proxy_on_request_headers", |b| {
        let st = b.call(
            "proxy_get_header_map_value",
            &[Arg::I32(0), Arg::Bytes(key), Arg::Slot(ptr), Arg::Slot(len)],
        );
        b.expect_status("status", st, 1);
        b.expect_bytes("value", ptr, len, b"/x");
        b.expect_slot_untouched("size_untouched", len);
        b.expect_bytes("never_written", never.0, never.1, b"");
        b.expect_data("input", key, b":PATH");
        b.expect_data("long", long, &[0; 100]);
        b.expect_slot_u64("u64_sentinel", unwritten, 0);
        let st = b.call("proxy_get_current_time_nanoseconds", &[Arg::Slot(time)]);
        b.expect_status("time/status", st, 0);
        b.expect_slot_u64("time/value", time, 0);
        b.end();
    });
    let (result, _) = run(&probe.finish().expect("valid probe"));
    let fail = |check: &str, expected: Value, got: Value| Verdict::Fail {
        check: check.into(),
        expected,
        got,
    };
    let sentinel = u32::from_le_bytes([conformance_guests::SENTINEL; 4]);
    assert_eq!(
        result.checks,
        [
            fail("status", Value::number(1), Value::number(0)),
            fail("value", Value::bytes(b"/x"), Value::bytes(b"/")),
            fail(
                "size_untouched",
                Value::number(sentinel.into()),
                Value::number(1)
            ),
            fail(
                "never_written",
                Value::bytes(b""),
                Value::OutOfBounds {
                    ptr: sentinel,
                    len: sentinel
                }
            ),
            fail("input", Value::bytes(b":PATH"), Value::bytes(b":path")),
            fail("long", Value::bytes(&[0; 100]), Value::bytes(&[0x5a; 100])),
            fail(
                "u64_sentinel",
                Value::number(0),
                Value::number(Width::U64.sentinel())
            ),
            Verdict::Pass {
                check: "time/status".into()
            },
            fail(
                "time/value",
                Value::number(0),
                Value::number(reference_host::state::EPOCH_NS)
            ),
        ]
    );
    assert_eq!(result.end.as_deref(), Some("fails"));
}

#[test]
fn callbacks_share_slots_and_see_their_parameters() {
    let abi = abi();
    let mut probe = ProbeBuilder::new(&abi, "lifecycle");
    let root = probe.slot(Width::U32);
    probe
        .callback("proxy_on_configure", |b| {
            b.store(root, Arg::Param(0));
        })
        .callback("proxy_on_context_create", |b| {
            // Only the stream's creation names the root as its parent.
            b.store(root, Arg::Param(1));
        })
        .callback("proxy_on_request_headers", |b| {
            let st = b.call("proxy_set_effective_context", &[Arg::Load(root)]);
            b.expect_status("effective_root", st, 0);
            let st = b.call("proxy_set_effective_context", &[Arg::Param(0)]);
            b.expect_status("effective_self", st, 0);
            b.expect_value("end_of_stream", Arg::Param(2), 1);
            b.end();
        });
    let (result, transcript) = run(&probe.finish().expect("valid probe"));
    assert_all_pass(
        &result,
        "lifecycle",
        &["effective_root", "effective_self", "end_of_stream"],
    );
    assert!(transcript.errors.is_empty(), "{transcript:#?}");
}

#[test]
fn callbacks_return_what_they_are_told() {
    let abi = abi();
    for (returns, stalled) in [(None, false), (Some(1), true)] {
        let mut probe = ProbeBuilder::new(&abi, "returns");
        probe.callback("proxy_on_request_headers", |b| {
            if let Some(action) = returns {
                b.returns(action);
            }
            b.end();
        });
        let (result, transcript) = run(&probe.finish().expect("valid probe"));
        assert_eq!(result.end.as_deref(), Some("returns"));
        assert_eq!(
            transcript.http[0].stalled_in.is_some(),
            stalled,
            "{transcript:#?}"
        );
    }
}

#[test]
fn probes_of_every_version_load_and_run() {
    for version in ["0.1.0", "0.2.0", "0.2.1"] {
        let abi = proxy_wasm_spec::builtin(version).expect("built-in ABI");
        let mut probe = ProbeBuilder::new(&abi, version);
        let key = probe.data(b":method");
        let (ptr, len) = (probe.slot(Width::U32), probe.slot(Width::U32));
        probe.callback("proxy_on_request_headers", |b| {
            let st = b.call(
                "proxy_get_header_map_value",
                &[Arg::I32(0), Arg::Bytes(key), Arg::Slot(ptr), Arg::Slot(len)],
            );
            b.expect_status("status", st, 0);
            b.expect_bytes("value", ptr, len, b"GET");
            b.end();
        });
        let (result, transcript) = run(&probe.finish().expect("valid probe"));
        assert_eq!(transcript.abi_version, version);
        assert_all_pass(&result, version, &["status", "value"]);
    }
}
