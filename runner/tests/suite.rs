//! The catalog against the embedded reference host: every case passes on it, a host with one
//! behaviour broken fails exactly the cases about it, and the catalog itself is well formed.
#![allow(clippy::panic)] // test helpers fail loudly

use conformance_guests::catalog::{self, Case};
use conformance_runner::{embedded, judge};
use proxy_wasm_interchange::Kind;
use proxy_wasm_interchange::Level;
use reference_host::state::HostState;
use reference_host::wasmtime::{self, Linker};
use std::collections::BTreeSet;

fn runtime() -> reference_host::Runtime {
    reference_host::engine()
        .and_then(reference_host::Runtime::new)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn all_cases() -> Vec<Case> {
    proxy_wasm_spec::RELEASED
        .iter()
        .flat_map(|v| catalog::catalog(v).unwrap_or_else(|e| panic!("{v}: {e}")))
        .collect()
}

#[test]
fn the_reference_host_passes_every_case() {
    let host = runtime();
    let cases = all_cases();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let chunks: Vec<&[Case]> = cases.chunks(cases.len().div_ceil(4)).collect();
        let workers: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let host = &host;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .filter_map(|case| {
                            judge::judge(case, embedded::run(host, case), Level::Advisory)
                                .failure
                                .map(|e| format!("{}: {e}", case.id))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|_| vec!["a worker panicked".into()])
            })
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(cases.len() > 1000, "only {} cases", cases.len());
}

#[test]
fn a_host_that_checks_nothing_fails_exactly_those_cases() {
    // clock_time_get that answers success without looking at the clock id or the pointer: the
    // mistakes the enum and pointer probes exist to catch.
    let host = runtime();
    let mut failed = BTreeSet::new();
    let mut ran = 0;
    for case in all_cases()
        .iter()
        .filter(|c| c.function.as_deref() == Some("clock_time_get"))
    {
        ran += 1;
        let outcome = embedded::run_changed(&host, case, |linker| {
            linker
                .func_wrap(
                    "wasi_snapshot_preview1",
                    "clock_time_get",
                    |_: i32, _: i64, _: i32| -> i32 { 0 },
                )
                .map(|_| ())
        });
        if judge::judge(case, outcome, Level::Reference)
            .failure
            .is_some()
        {
            failed.insert(case.id.clone());
        }
    }
    let expected: BTreeSet<String> = proxy_wasm_spec::RELEASED
        .iter()
        .flat_map(|v| {
            [
                format!("v{v}/clock_time_get/clock_id/invalid"),
                format!("v{v}/clock_time_get/return_time/out_of_bounds"),
                format!("v{v}/clock_time_get/return_time/straddling_end"),
            ]
        })
        .collect();
    assert_eq!(failed, expected);
    // The success and the valid clock ids still pass: 3 per version.
    assert_eq!(ran, expected.len() + 3 * 3);
}

/// The ids of the hand-written cases (lifecycle, semantics, allocation) that fail on a host
/// whose linker `change` alters.
fn fixed_failures(
    change: impl Fn(&mut Linker<HostState>) -> wasmtime::Result<()>,
) -> BTreeSet<String> {
    let host = runtime();
    all_cases()
        .iter()
        .filter(|c| c.function.is_none() && c.kind != Kind::Detection)
        .filter(|c| {
            judge::judge(
                c,
                embedded::run_changed(&host, c, &change),
                Level::Reference,
            )
            .failure
            .is_some()
        })
        .map(|c| c.id.clone())
        .collect()
}

fn per_version(whats: &[&str]) -> BTreeSet<String> {
    proxy_wasm_spec::RELEASED
        .iter()
        .flat_map(|v| whats.iter().map(move |w| format!("v{v}/{w}")))
        .collect()
}

#[test]
fn a_host_with_broken_semantics_fails_exactly_those_cases() {
    // Enqueue that succeeds but drops the item.
    let failed = fixed_failures(|linker| {
        linker
            .func_wrap(
                "env",
                "proxy_enqueue_shared_queue",
                |_: i32, _: i32, _: i32| -> i32 { 0 },
            )
            .map(|_| ())
    });
    assert_eq!(failed, per_version(&["semantics/queue/fifo"]));
    // Metrics that accept increments and ignore them.
    let failed = fixed_failures(|linker| {
        linker
            .func_wrap("env", "proxy_increment_metric", |_: i32, _: i64| -> i32 {
                0
            })
            .map(|_| ())
    });
    assert_eq!(
        failed,
        per_version(&["semantics/metrics/counter", "semantics/metrics/gauge"])
    );
    // A tick period that is accepted and never fires.
    let failed = fixed_failures(|linker| {
        linker
            .func_wrap(
                "env",
                "proxy_set_tick_period_milliseconds",
                |_: i32| -> i32 { 0 },
            )
            .map(|_| ())
    });
    assert_eq!(failed, per_version(&["lifecycle/tick"]));
    // Header pairs that are accepted and not stored.
    let failed = fixed_failures(|linker| {
        linker
            .func_wrap(
                "env",
                "proxy_set_header_map_pairs",
                |_: i32, _: i32, _: i32| -> i32 { 0 },
            )
            .map(|_| ())
    });
    assert_eq!(
        failed,
        per_version(&["semantics/header_map/pairs_round_trip"])
    );
}

/// The failed checks of the effect cases on a host whose linker `change` alters, as
/// `<case>: <check suffix>`.
fn effect_failures(
    change: impl Fn(&mut Linker<HostState>) -> wasmtime::Result<()>,
) -> BTreeSet<String> {
    let host = runtime();
    let mut failed = BTreeSet::new();
    for c in all_cases().iter().filter(|c| c.kind == Kind::Effect) {
        let judged = judge::judge(c, embedded::run_changed(&host, c, &change), Level::Advisory);
        for f in judged.failed {
            let check = f.id.strip_prefix(&format!("{}/", c.id)).unwrap_or(&f.id);
            failed.insert(format!("{}: {check}", c.id));
        }
    }
    failed
}

#[test]
fn a_host_whose_changes_do_not_leave_the_guest_fails_exactly_those_checks() {
    // Removal that answers OK and leaves the header in place.
    let failed = effect_failures(|linker| {
        linker
            .func_wrap(
                "env",
                "proxy_remove_header_map_value",
                |_: i32, _: i32, _: i32| -> i32 { 0 },
            )
            .map(|_| ())
    });
    let removed = [
        "effect/request_headers/forwarded: upstream/removed",
        "effect/response_headers/forwarded: client/removed",
    ];
    assert_eq!(failed, per_version(&removed));
    // A local response that is accepted and never sent (the paused request stays unforwarded).
    let failed = effect_failures(|linker| {
        linker
            .func_wrap(
                "env",
                "proxy_send_local_response",
                |_: i32, _: i32, _: i32, _: i32, _: i32, _: i32, _: i32, _: i32| -> i32 { 0 },
            )
            .map(|_| ())
    });
    let local = ["client/status", "client/body", "client/header"]
        .map(|c| format!("effect/local_response/request_headers: {c}"));
    assert_eq!(failed, per_version(&local.each_ref().map(String::as_str)));
    // Body changes that are accepted and dropped.
    let failed = effect_failures(|linker| {
        linker
            .func_wrap(
                "env",
                "proxy_set_buffer_bytes",
                |_: i32, _: i32, _: i32, _: i32, _: i32| -> i32 { 0 },
            )
            .map(|_| ())
    });
    let bodies = [
        "effect/request_body/forwarded: body",
        "effect/response_body/forwarded: body",
    ];
    assert_eq!(failed, per_version(&bodies));
}

/// The wasm type of host function `f`, for a stub of it.
fn stub_type(engine: &wasmtime::Engine, f: &proxy_wasm_spec::ir::Function) -> wasmtime::FuncType {
    let ty = |t: &proxy_wasm_spec::ir::WasmType| match t {
        proxy_wasm_spec::ir::WasmType::I64 => wasmtime::ValType::I64,
        _ => wasmtime::ValType::I32,
    };
    let params: Vec<wasmtime::ValType> = f.wasm_params().iter().map(ty).collect();
    let results: Vec<wasmtime::ValType> = f.wasm_results().iter().map(ty).collect();
    wasmtime::FuncType::new(engine, params, results)
}

#[test]
fn cases_that_accept_two_readings_of_the_spec_still_fail_a_stub() {
    // Each accepts two answers; a host answering INTERNAL_FAILURE gives neither.
    let host = runtime();
    let stubbed = [
        (
            "semantics/effective_context/zero",
            "proxy_set_effective_context",
        ),
        ("semantics/buffer/start_past_end", "proxy_get_buffer_bytes"),
        ("semantics/done/from_stream", "proxy_done"),
    ];
    let cases = all_cases();
    for (what, function) in stubbed {
        let mut seen = 0;
        for case in cases.iter().filter(|c| c.id.ends_with(what)) {
            seen += 1;
            let abi = proxy_wasm_spec::builtin(&case.version).unwrap_or_else(|e| panic!("{e}"));
            let f = abi
                .function(function)
                .unwrap_or_else(|| panic!("no {function} in {}", case.version));
            let outcome = embedded::run_changed(&host, case, |linker| {
                let f = stub_type(linker.engine(), f);
                linker
                    .func_new("env", function, f, |_, _, out| {
                        if let Some(first) = out.first_mut() {
                            *first = wasmtime::Val::I32(10);
                        }
                        Ok(())
                    })
                    .map(|_| ())
            });
            let judged = judge::judge(case, outcome, Level::Advisory);
            assert!(judged.failure.is_some(), "{} passed on a stub", case.id);
        }
        assert_eq!(seen, 3, "{what}");
    }
}

#[test]
fn a_failure_names_the_check_and_shows_the_log() {
    // proxy_get_current_time_nanoseconds that answers success without checking the pointer.
    let host = runtime();
    let case = all_cases()
        .into_iter()
        .find(|c| c.id == "v0.2.1/proxy_get_current_time_nanoseconds/return_time/straddling_end")
        .unwrap_or_else(|| panic!("case missing"));
    let outcome = embedded::run_changed(&host, &case, |linker| {
        linker
            .func_wrap(
                "env",
                "proxy_get_current_time_nanoseconds",
                |_: i32| -> i32 { 0 },
            )
            .map(|_| ())
    });
    let message = judge::judge(&case, outcome, Level::Reference)
        .failure
        .unwrap_or_default();
    assert!(message.contains("expected 6, got 0"), "{message}");
    assert!(message.contains("FAIL [required]"), "{message}");
    assert!(message.contains("required by spec v0.2.1"), "{message}");
    assert!(message.contains("probe log:"), "{message}");
}

#[test]
fn ids_are_unique_and_every_probe_validates() {
    let cases = all_cases();
    let mut seen = BTreeSet::new();
    for case in &cases {
        assert!(seen.insert(case.id.clone()), "duplicate id {}", case.id);
        assert!(
            case.id.starts_with(&format!("v{}/", case.version)),
            "{} does not start with its version",
            case.id
        );
        if let Err(e) = conformance_guests::validate(&case.wasm) {
            panic!("{} does not validate: {e}", case.id);
        }
        if case.function.is_none() {
            assert!(
                matches!(
                    case.kind,
                    Kind::Detection
                        | Kind::Allocation
                        | Kind::Lifecycle
                        | Kind::Semantics
                        | Kind::Structure
                        | Kind::Effect
                ),
                "{} names no host function",
                case.id
            );
        }
    }
}

#[test]
fn every_obligation_is_probed_or_excepted() {
    for version in proxy_wasm_spec::RELEASED {
        let cases = catalog::catalog(version).unwrap_or_else(|e| panic!("{e}"));
        let covered: BTreeSet<String> = cases
            .iter()
            .flat_map(|c| {
                let f = c.function.clone().unwrap_or_default();
                c.covers.iter().map(move |k| format!("{f}/{k}"))
            })
            .collect();
        let missing: Vec<String> = catalog::obligations(version)
            .into_iter()
            .filter(|o| o.exception.is_none() && !covered.contains(&o.key))
            .map(|o| o.key)
            .collect();
        assert!(missing.is_empty(), "ABI {version}: {missing:?}");
    }
}

#[test]
fn a_host_whose_functions_all_answer_a_failure_passes_no_case_of_them() {
    // A stub that answers INTERNAL_FAILURE (10), or UNIMPLEMENTED (12), to every call of the
    // case's function, as unimplemented hosts do: no status, value, pointer or allocator case
    // of it may pass, but for those where the spec allows UNIMPLEMENTED itself
    // (proxy_continue_stream).
    let host = runtime();
    let mut passed = Vec::new();
    let mut ran = 0;
    for (answer, allowed) in [
        (10, &[][..]),
        (
            12,
            &[
                "/status/unimplemented",
                "proxy_continue_stream/stream_type/value/",
            ][..],
        ),
    ] {
        for version in proxy_wasm_spec::RELEASED {
            let abi = proxy_wasm_spec::builtin(version).unwrap_or_else(|e| panic!("{e}"));
            let cases = catalog::catalog(version).unwrap_or_else(|e| panic!("{e}"));
            for case in &cases {
                let Some(f) = case.function.as_deref().and_then(|f| abi.function(f)) else {
                    continue;
                };
                // The verdict channel itself cannot be stubbed.
                if f.name == "proxy_log" || allowed.iter().any(|a| case.id.contains(a)) {
                    continue;
                }
                ran += 1;
                let outcome = embedded::run_changed(&host, case, |linker| {
                    let func_type = stub_type(linker.engine(), f);
                    linker
                        .func_new(&f.module, &f.name, func_type, move |_, _, out| {
                            if let Some(first) = out.first_mut() {
                                *first = wasmtime::Val::I32(answer);
                            }
                            Ok(())
                        })
                        .map(|_| ())
                });
                let judgement = judge::judge(case, outcome, Level::Reference);
                if judgement.failure.is_none() {
                    passed.push(format!("{} (stub answering {answer})", case.id));
                }
            }
        }
    }
    assert!(ran > 1800, "only {ran} cases of host functions");
    assert!(passed.is_empty(), "passed on a stub: {passed:#?}");
}
