//! The IR against ABI-FACTS, written out here by hand so that the spec documents are checked by
//! an independent list: every import and export per version with its wasm signature (§1a, §1b),
//! and every enum value (§3a, §3b).

// Helpers outside `#[test]` functions fail the test the same way: by panicking.
#![allow(clippy::panic)]

use proxy_wasm_spec::ir::{Abi, Function, Level, TypeDefKind, WasmType};
use std::collections::BTreeMap;

/// A wasm signature: parameter types, result types.
type Sig = (Vec<WasmType>, Vec<WasmType>);

const I32: WasmType = WasmType::I32;
const I64: WasmType = WasmType::I64;

fn abi(name: &str) -> Abi {
    match proxy_wasm_spec::builtin(name) {
        Ok(abi) => abi,
        Err(e) => panic!("built-in ABI {name} does not validate:\n{e}"),
    }
}

/// (name, params, results) for host functions present in all three versions (§1a).
fn common_imports() -> Vec<(&'static str, Vec<WasmType>, Vec<WasmType>)> {
    let n = |k: usize| vec![I32; k];
    vec![
        ("proxy_log", n(3), n(1)),
        ("proxy_get_current_time_nanoseconds", n(1), n(1)),
        ("proxy_set_tick_period_milliseconds", n(1), n(1)),
        ("proxy_done", n(0), n(1)),
        ("proxy_set_effective_context", n(1), n(1)),
        ("proxy_get_buffer_bytes", n(5), n(1)),
        ("proxy_set_buffer_bytes", n(5), n(1)),
        ("proxy_get_buffer_status", n(3), n(1)),
        ("proxy_get_header_map_size", n(2), n(1)),
        ("proxy_get_header_map_pairs", n(3), n(1)),
        ("proxy_set_header_map_pairs", n(3), n(1)),
        ("proxy_get_header_map_value", n(5), n(1)),
        ("proxy_add_header_map_value", n(5), n(1)),
        ("proxy_replace_header_map_value", n(5), n(1)),
        ("proxy_remove_header_map_value", n(3), n(1)),
        ("proxy_get_status", n(3), n(1)),
        ("proxy_send_local_response", n(8), n(1)),
        ("proxy_http_call", n(10), n(1)),
        ("proxy_grpc_call", n(12), n(1)),
        ("proxy_grpc_stream", n(9), n(1)),
        ("proxy_grpc_send", n(4), n(1)),
        ("proxy_grpc_cancel", n(1), n(1)),
        ("proxy_grpc_close", n(1), n(1)),
        ("proxy_set_shared_data", n(5), n(1)),
        ("proxy_get_shared_data", n(5), n(1)),
        ("proxy_register_shared_queue", n(3), n(1)),
        ("proxy_resolve_shared_queue", n(5), n(1)),
        ("proxy_enqueue_shared_queue", n(3), n(1)),
        ("proxy_dequeue_shared_queue", n(3), n(1)),
        ("proxy_define_metric", n(4), n(1)),
        ("proxy_record_metric", vec![I32, I64], n(1)),
        ("proxy_increment_metric", vec![I32, I64], n(1)),
        ("proxy_get_metric", n(2), n(1)),
        ("proxy_get_property", n(4), n(1)),
        ("proxy_set_property", n(4), n(1)),
        ("proxy_call_foreign_function", n(6), n(1)),
    ]
}

fn imports(version: &str) -> Vec<(&'static str, Vec<WasmType>, Vec<WasmType>)> {
    let mut all = common_imports();
    match version {
        "0.1.0" => {
            all.push(("proxy_get_configuration", vec![I32; 2], vec![I32]));
            // The spec text gives these no result; every implementation returns a status (§1a).
            for name in [
                "proxy_continue_request",
                "proxy_continue_response",
                "proxy_clear_route_cache",
            ] {
                all.push((name, vec![], vec![I32]));
            }
        }
        _ => {
            all.push(("proxy_continue_stream", vec![I32], vec![I32]));
            all.push(("proxy_close_stream", vec![I32], vec![I32]));
            if version == "0.2.1" {
                all.push(("proxy_get_log_level", vec![I32], vec![I32]));
            }
        }
    }
    all
}

fn wasi_imports() -> Vec<(&'static str, Vec<WasmType>, Vec<WasmType>)> {
    vec![
        ("fd_write", vec![I32; 4], vec![I32]),
        ("clock_time_get", vec![I32, I64, I32], vec![I32]),
        ("random_get", vec![I32; 2], vec![I32]),
        ("environ_sizes_get", vec![I32; 2], vec![I32]),
        ("environ_get", vec![I32; 2], vec![I32]),
        ("args_sizes_get", vec![I32; 2], vec![I32]),
        ("args_get", vec![I32; 2], vec![I32]),
        ("proc_exit", vec![I32], vec![]),
    ]
}

fn exports(version: &str) -> Vec<(String, Vec<WasmType>, Vec<WasmType>)> {
    let n = |k: usize| vec![I32; k];
    let headers = if version == "0.1.0" { 2 } else { 3 };
    let mut all: Vec<(String, Vec<WasmType>, Vec<WasmType>)> = vec![
        (
            format!("proxy_abi_version_{}", version.replace('.', "_")),
            n(0),
            n(0),
        ),
        ("_initialize".into(), n(0), n(0)),
        ("main".into(), n(2), n(1)),
        ("_start".into(), n(0), n(0)),
        ("proxy_on_memory_allocate".into(), n(1), n(1)),
        ("malloc".into(), n(1), n(1)),
        ("proxy_on_context_create".into(), n(2), n(0)),
        ("proxy_on_done".into(), n(1), n(1)),
        ("proxy_on_log".into(), n(1), n(0)),
        ("proxy_on_delete".into(), n(1), n(0)),
        ("proxy_on_vm_start".into(), n(2), n(1)),
        ("proxy_on_configure".into(), n(2), n(1)),
        ("proxy_on_tick".into(), n(1), n(0)),
        ("proxy_on_new_connection".into(), n(1), n(1)),
        ("proxy_on_downstream_data".into(), n(3), n(1)),
        ("proxy_on_downstream_connection_close".into(), n(2), n(0)),
        ("proxy_on_upstream_data".into(), n(3), n(1)),
        ("proxy_on_upstream_connection_close".into(), n(2), n(0)),
        ("proxy_on_request_headers".into(), n(headers), n(1)),
        ("proxy_on_request_body".into(), n(3), n(1)),
        ("proxy_on_request_trailers".into(), n(2), n(1)),
        ("proxy_on_response_headers".into(), n(headers), n(1)),
        ("proxy_on_response_body".into(), n(3), n(1)),
        ("proxy_on_response_trailers".into(), n(2), n(1)),
        ("proxy_on_http_call_response".into(), n(5), n(0)),
        ("proxy_on_grpc_receive_initial_metadata".into(), n(3), n(0)),
        ("proxy_on_grpc_receive".into(), n(3), n(0)),
        ("proxy_on_grpc_receive_trailing_metadata".into(), n(3), n(0)),
        ("proxy_on_grpc_close".into(), n(3), n(0)),
        ("proxy_on_queue_ready".into(), n(2), n(0)),
    ];
    if version != "0.1.0" {
        all.push(("proxy_on_foreign_function".into(), n(3), n(0)));
    }
    all
}

fn signatures(fs: &[Function], level: Option<Level>) -> BTreeMap<String, Sig> {
    fs.iter()
        .filter(|f| level.is_none_or(|l| f.level == l))
        .map(|f| (f.name.clone(), (f.wasm_params(), f.wasm_results())))
        .collect()
}

fn expected<S: ToString>(list: Vec<(S, Vec<WasmType>, Vec<WasmType>)>) -> BTreeMap<String, Sig> {
    list.into_iter()
        .map(|(n, p, r)| (n.to_string(), (p, r)))
        .collect()
}

#[test]
fn imports_per_version_match_abi_facts() {
    for (version, proxy_count) in [("0.1.0", 40), ("0.2.0", 38), ("0.2.1", 39)] {
        let abi = abi(version);
        let (proxy, toolchain): (Vec<&Function>, Vec<&Function>) = abi
            .functions
            .iter()
            .filter(|f| f.module == "env")
            .partition(|f| f.name.starts_with("proxy_"));
        assert_eq!(proxy.len(), proxy_count, "{version}: number of env imports");
        assert!(
            proxy.iter().all(|f| f.level == Level::Spec),
            "{version}: every proxy_* import is spec-level"
        );
        // proxy-wasm-cpp-host serves emscripten's one import in env (src/wasm.cc registerCallbacks).
        let toolchain: Vec<Function> = toolchain.into_iter().cloned().collect();
        assert_eq!(
            signatures(&toolchain, Some(Level::Reference)),
            expected(vec![("emscripten_notify_memory_growth", vec![I32], vec![])]),
            "{version}: env imports beside proxy_*"
        );
        let env: Vec<Function> = proxy.into_iter().cloned().collect();
        assert_eq!(
            signatures(&env, None),
            expected(imports(version)),
            "{version}: env imports"
        );
        let wasi: Vec<Function> = abi
            .functions
            .iter()
            .filter(|f| f.module == "wasi_snapshot_preview1")
            .cloned()
            .collect();
        assert_eq!(
            signatures(&wasi, Some(Level::Spec)),
            expected(wasi_imports()),
            "{version}: WASI imports"
        );
        // The rest of proxy-wasm-cpp-host's FOR_ALL_WASI_FUNCTIONS (include/proxy-wasm/exports.h),
        // with WASI's signatures; cpp-host's path_link and path_symlink take one i32 fewer.
        assert_eq!(
            signatures(&wasi, Some(Level::Reference)),
            expected(reference_wasi_imports()),
            "{version}: reference-level WASI imports"
        );
        assert_eq!(
            abi.functions.len(),
            proxy_count + 1 + 45,
            "{version}: no import outside env and WASI"
        );
        let wasi_module = abi
            .modules
            .iter()
            .find(|m| m.name == "wasi_snapshot_preview1");
        assert_eq!(
            wasi_module.map(|m| m
                .aliases
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()),
            Some(vec!["wasi_unstable"]),
            "{version}: WASI is served under wasi_unstable too"
        );
    }
}

fn reference_wasi_imports() -> Vec<(&'static str, Vec<WasmType>, Vec<WasmType>)> {
    let i = |n: usize| vec![I32; n];
    vec![
        ("poll_oneoff", i(4), i(1)),
        ("sched_yield", i(0), i(1)),
        ("fd_read", i(4), i(1)),
        ("fd_seek", vec![I32, I64, I32, I32], i(1)),
        ("fd_close", i(1), i(1)),
        ("fd_fdstat_get", i(2), i(1)),
        ("fd_fdstat_set_flags", i(2), i(1)),
        ("fd_fdstat_set_rights", vec![I32, I64, I64], i(1)),
        ("clock_res_get", i(2), i(1)),
        ("fd_advise", vec![I32, I64, I64, I32], i(1)),
        ("fd_allocate", vec![I32, I64, I64], i(1)),
        ("fd_datasync", i(1), i(1)),
        ("fd_filestat_set_size", vec![I32, I64], i(1)),
        ("fd_filestat_set_times", vec![I32, I64, I64, I32], i(1)),
        ("fd_pread", vec![I32, I32, I32, I64, I32], i(1)),
        ("fd_pwrite", vec![I32, I32, I32, I64, I32], i(1)),
        ("fd_readdir", vec![I32, I32, I32, I64, I32], i(1)),
        ("fd_renumber", i(2), i(1)),
        ("fd_sync", i(1), i(1)),
        ("fd_tell", i(2), i(1)),
        ("path_create_directory", i(3), i(1)),
        (
            "path_filestat_set_times",
            vec![I32, I32, I32, I32, I64, I64, I32],
            i(1),
        ),
        ("path_link", i(7), i(1)),
        ("path_readlink", i(6), i(1)),
        ("path_remove_directory", i(3), i(1)),
        ("path_rename", i(6), i(1)),
        ("path_symlink", i(5), i(1)),
        ("path_unlink_file", i(3), i(1)),
        ("sock_accept", i(3), i(1)),
        ("sock_recv", i(6), i(1)),
        ("sock_send", i(5), i(1)),
        ("sock_shutdown", i(2), i(1)),
        (
            "path_open",
            vec![I32, I32, I32, I32, I32, I64, I64, I32, I32],
            i(1),
        ),
        ("fd_prestat_get", i(2), i(1)),
        ("fd_prestat_dir_name", i(3), i(1)),
        ("path_filestat_get", i(5), i(1)),
        ("fd_filestat_get", i(2), i(1)),
    ]
}

#[test]
fn exports_per_version_match_abi_facts() {
    for (version, count) in [("0.1.0", 30), ("0.2.0", 31), ("0.2.1", 31)] {
        let abi = abi(version);
        let spec = signatures(&abi.callbacks, Some(Level::Spec));
        assert_eq!(spec.len(), count, "{version}: spec-level exports");
        assert_eq!(spec, expected(exports(version)), "{version}: exports");
        let markers: Vec<&str> = abi
            .callbacks
            .iter()
            .filter(|f| f.marker)
            .map(|f| f.name.as_str())
            .collect();
        let marker = format!("proxy_abi_version_{}", version.replace('.', "_"));
        assert_eq!(markers, [marker.as_str()], "{version}: exactly one marker");
        assert_eq!(
            abi.marker.as_deref(),
            Some(marker.as_str()),
            "{version}: @abi marker"
        );
        // Exports the reference host also looks up (§1b), kept as reference-level entries.
        let reference = signatures(&abi.callbacks, Some(Level::Reference));
        for name in [
            "proxy_validate_configuration",
            "proxy_on_request_metadata",
            "proxy_on_response_metadata",
            "__main_void",
        ] {
            assert!(
                reference.contains_key(name),
                "{version}: reference export {name}"
            );
        }
    }
}

/// (type, [(member, value, spec_level)]) for a version, from §3a (and §3b where marked false).
/// Members of one type: (name, value, stated by the spec text).
type Members = Vec<(&'static str, i64, bool)>;

fn enums(version: &str) -> Vec<(&'static str, Members)> {
    let mut buffer_type = vec![
        ("http_request_body", 0, true),
        ("http_response_body", 1, true),
        ("downstream_data", 2, true),
        ("upstream_data", 3, true),
        ("http_call_response_body", 4, true),
        ("grpc_call_message", 5, true),
    ];
    if version != "0.1.0" {
        buffer_type.extend([
            ("vm_configuration", 6, true),
            ("plugin_configuration", 7, true),
            ("foreign_function_arguments", 8, true),
        ]);
    }
    let mut grpc: Vec<(&str, i64, bool)> = [
        "ok",
        "canceled",
        "unknown",
        "invalid_argument",
        "deadline_exceeded",
        "not_found",
        "already_exists",
        "permission_denied",
        "resource_exhausted",
        "failed_precondition",
        "aborted",
        "out_of_range",
        "unimplemented",
        "internal",
        "unavailable",
        "data_loss",
        "unauthenticated",
    ]
    .into_iter()
    .zip(0..)
    .map(|(n, v)| (n, v, true))
    .collect();
    grpc.push(("invalid_code", -1, false));
    let mut all = vec![
        (
            "log_level",
            vec![
                ("trace", 0, true),
                ("debug", 1, true),
                ("info", 2, true),
                ("warn", 3, true),
                ("error", 4, true),
                ("critical", 5, true),
            ],
        ),
        (
            "status",
            vec![
                ("ok", 0, true),
                ("not_found", 1, true),
                ("bad_argument", 2, true),
                ("serialization_failure", 3, true),
                ("parse_failure", 4, true),
                ("bad_expression", 5, false),
                ("invalid_memory_access", 6, true),
                ("empty", 7, true),
                ("cas_mismatch", 8, true),
                ("result_mismatch", 9, false),
                ("internal_failure", 10, true),
                ("broken_connection", 11, false),
                ("unimplemented", 12, true),
            ],
        ),
        ("action", vec![("continue", 0, true), ("pause", 1, true)]),
        ("buffer_type", buffer_type),
        (
            "map_type",
            vec![
                ("http_request_headers", 0, true),
                ("http_request_trailers", 1, true),
                ("http_response_headers", 2, true),
                ("http_response_trailers", 3, true),
                ("grpc_call_initial_metadata", 4, true),
                ("grpc_call_trailing_metadata", 5, true),
                ("http_call_response_headers", 6, true),
                ("http_call_response_trailers", 7, true),
            ],
        ),
        (
            "peer_type",
            vec![
                ("unknown", 0, true),
                ("local", 1, true),
                ("remote", 2, true),
            ],
        ),
        (
            "metric_type",
            vec![
                ("counter", 0, true),
                ("gauge", 1, true),
                ("histogram", 2, true),
            ],
        ),
        ("grpc_status", grpc),
        ("fd", vec![("stdout", 1, true), ("stderr", 2, true)]),
        (
            "clock_id",
            vec![("realtime", 0, true), ("monotonic", 1, true)],
        ),
        ("buffer_flags", vec![("end_of_stream", 1, true)]),
    ];
    if version != "0.1.0" {
        all.push((
            "stream_type",
            vec![
                ("http_request", 0, true),
                ("http_response", 1, true),
                ("downstream", 2, true),
                ("upstream", 3, true),
            ],
        ));
    }
    all
}

#[test]
fn enum_values_match_abi_facts() {
    for version in ["0.1.0", "0.2.0", "0.2.1"] {
        let abi = abi(version);
        for (type_name, members) in enums(version) {
            let def = abi
                .type_def(type_name)
                .unwrap_or_else(|| panic!("{version}: type {type_name} missing"));
            let values = match &def.def {
                TypeDefKind::Enum { values, .. } | TypeDefKind::Flags { values, .. } => values,
                other => panic!("{version}: {type_name} is {other:?}, not an enum"),
            };
            let got: Vec<(&str, i64, bool)> = values
                .iter()
                .map(|v| (v.name.as_str(), v.value, v.level == Level::Spec))
                .collect();
            assert_eq!(got, members, "{version}: members of {type_name}");
        }
        assert_eq!(
            abi.type_def("stream_type").is_some(),
            version != "0.1.0",
            "{version}: stream_type exists from 0.2.0"
        );
    }
    // The spec's WASI errno subset, with the numbers §3a gives.
    let abi = abi("0.2.1");
    let Some(TypeDefKind::Enum { values, .. }) = abi.type_def("errno").map(|t| &t.def) else {
        panic!("errno is not an enum");
    };
    for (name, value) in [
        ("success", 0),
        ("badf", 8),
        ("fault", 21),
        ("inval", 28),
        ("notsup", 58),
    ] {
        assert!(
            values
                .iter()
                .any(|v| v.name == name && v.value == value && v.level == Level::Spec),
            "errno {name} = {value}"
        );
    }
}

#[test]
fn every_host_function_has_its_statuses() {
    for version in ["0.1.0", "0.2.0", "0.2.1"] {
        for f in &abi(version).functions {
            if f.results.is_empty() {
                assert!(
                    f.statuses.is_empty()
                        && ["proc_exit", "emscripten_notify_memory_growth"]
                            .contains(&f.name.as_str()),
                    "{version}: {} returns nothing",
                    f.name
                );
                continue;
            }
            // A function of a host without files may answer only failures (fd_read: nosys).
            assert!(
                f.level == Level::Reference || f.statuses.iter().any(|s| s.value == 0),
                "{version}: {} lists no success status",
                f.name
            );
            assert!(
                !f.contexts.is_empty(),
                "{version}: {} says nowhere it may be called",
                f.name
            );
        }
    }
    let v010 = abi("0.1.0");
    let v020 = abi("0.2.0");
    let not_found = |abi: &Abi| {
        abi.function("proxy_get_header_map_value").is_some_and(|f| {
            f.statuses
                .iter()
                .any(|s| s.code == "not_found" && s.level == Level::Spec)
        })
    };
    assert!(!not_found(&v010), "0.1.0 answers a missing header with OK");
    assert!(
        not_found(&v020),
        "0.2.0 answers a missing header with NOT_FOUND"
    );
}

#[test]
fn envoy_era_document_matches_the_seed() {
    let abi = abi("envoy-2020");
    let host: Vec<&str> = abi.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        host,
        [
            "proxy_get_configuration",
            "proxy_get_status",
            "proxy_log",
            "proxy_set_tick_period_milliseconds",
            "proxy_get_current_time_nanoseconds",
            "proxy_get_property",
            "proxy_set_property",
            "proxy_set_effective_context",
            "proxy_done",
            "proxy_define_metric",
            "proxy_increment_metric",
            "proxy_record_metric",
            "proxy_get_metric",
            "proxy_continue_request",
            "proxy_continue_response",
            "proxy_send_local_response",
            "proxy_clear_route_cache",
            "proxy_get_shared_data",
            "proxy_set_shared_data",
            "proxy_register_shared_queue",
            "proxy_resolve_shared_queue",
            "proxy_dequeue_shared_queue",
            "proxy_enqueue_shared_queue",
            "proxy_add_header_map_value",
            "proxy_get_header_map_value",
            "proxy_get_header_map_pairs",
            "proxy_set_header_map_pairs",
            "proxy_replace_header_map_value",
            "proxy_remove_header_map_value",
            "proxy_get_header_map_size",
            "proxy_get_buffer_bytes",
            "proxy_get_buffer_status",
            "proxy_http_call",
            "proxy_grpc_call",
            "proxy_grpc_stream",
            "proxy_grpc_cancel",
            "proxy_grpc_close",
            "proxy_grpc_send",
        ]
    );
    assert!(
        abi.functions.iter().all(|f| f.module == "env"),
        "the real import module is env"
    );
    let callbacks: Vec<&str> = abi.callbacks.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        callbacks,
        [
            "proxy_on_start",
            "proxy_validate_configuration",
            "proxy_on_configure",
            "proxy_on_tick",
            "proxy_on_queue_ready",
            "proxy_on_create",
            "proxy_on_request_headers",
            "proxy_on_request_body",
            "proxy_on_request_trailers",
            "proxy_on_request_metadata",
            "proxy_on_response_headers",
            "proxy_on_response_body",
            "proxy_on_response_trailers",
            "proxy_on_response_metadata",
            "proxy_on_done",
            "proxy_on_log",
            "proxy_on_delete",
            "proxy_on_http_call_response",
            "proxy_on_grpc_create_initial_metadata",
            "proxy_on_grpc_receive_initial_metadata",
            "proxy_on_grpc_trailing_metadata",
            "proxy_on_grpc_receive",
            "proxy_on_grpc_close",
        ]
    );
    // §3 "WITX": nine header map kinds with grpccreateinitialmetadata = 4, buffer kinds 0-5.
    let values = |name: &str| match abi.type_def(name).map(|t| &t.def) {
        Some(TypeDefKind::Enum { values, .. }) => {
            values.iter().map(|v| (v.name.clone(), v.value)).collect()
        }
        _ => Vec::new(),
    };
    let headers = values("headermaptype");
    assert_eq!(headers.len(), 9);
    assert!(headers.contains(&("grpccreateinitialmetadata".to_string(), 4)));
    assert_eq!(values("buffertype").len(), 6);
    assert!(values("grpcstatus").contains(&("invalidcode".to_string(), -1)));
}
