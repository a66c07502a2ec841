//! The `reference-host` binary: usage errors, unreadable inputs, runs, and adapter protocol v1.
#![allow(clippy::panic)] // test helpers fail loudly

use std::process::Command;

fn reference_host(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_reference-host"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot start the binary: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_command_lines_print_usage() {
    let (code, _, err) = reference_host(&[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("usage: reference-host run PLUGIN.wasm SCENARIO.json"),
        "{err}"
    );
    let (code, _, err) = reference_host(&["walk", "a", "b"]);
    assert_eq!(code, 2);
    assert!(err.contains("bad command line"), "{err}");
}

#[test]
fn runs_print_the_transcript_and_errors_name_the_file() {
    let dir = std::env::temp_dir().join(format!("reference-host-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let plugin = dir.join("plugin.wasm");
    let wasm = wat::parse_str(
        r#"(module (func (export "proxy_abi_version_0_2_1"))
             (func (export "malloc") (param i32) (result i32) (i32.const 0)))"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&plugin, wasm).unwrap_or_else(|e| panic!("{e}"));
    let good = dir.join("good.json");
    std::fs::write(&good, r#"{"events": [{"tick": 5}]}"#).unwrap_or_else(|e| panic!("{e}"));
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\n  \"events\": 7\n}").unwrap_or_else(|e| panic!("{e}"));
    let path = |p: &std::path::Path| p.to_string_lossy().into_owned();

    let (code, out, err) = reference_host(&["run", &path(&plugin), &path(&good), "--transcript"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"abi_version\": \"0.2.1\""), "{out}");

    let (code, _, err) = reference_host(&["run", &path(&plugin), &path(&bad)]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.json:2:"), "{err}");

    // Not wasm: refused, as protocol v1 says (exit 3 and a `refused` event).
    let (code, out, _) = reference_host(&["run", &path(&good), &path(&good)]);
    assert_eq!(code, 3);
    assert!(out.contains(r#""event":"refused""#), "{out}");
    assert!(out.contains("not a valid wasm module"), "{out}");

    // A bad value names the scenario file and the field; both modes exit alike.
    let level = dir.join("level.json");
    std::fs::write(&level, r#"{"log_level": "verbose"}"#).unwrap_or_else(|e| panic!("{e}"));
    let headers = dir.join("headers.json");
    std::fs::write(
        &headers,
        r#"{"events": [{"http": {"request": {"headers": [[":path", 5]]}}}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let binary = dir.join("binary.json");
    std::fs::write(&binary, r#"{"plugin_configuration": {"hex": "0g"}}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    for (scenario, field) in [
        (
            &binary,
            "field `plugin_configuration`: hex: Invalid character 'g'",
        ),
        (&level, "field `log_level`: unknown variant `verbose`"),
        (
            &headers,
            "field `events[0].http.request.headers[0][1]`: invalid type",
        ),
    ] {
        for transcript in [false, true] {
            let mut args = vec!["run".to_string(), path(&plugin), path(scenario)];
            if transcript {
                args.push("--transcript".into());
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let (code, _, err) = reference_host(&args);
            assert_eq!(code, 2, "{args:?}: {err}");
            assert!(err.contains(&path(scenario)), "{err}");
            assert!(err.contains(field), "{err}");
        }
    }
    let (code, _, err) = reference_host(&["run", &path(&good), &path(&good), "--transcript"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("refused: not a valid wasm module"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn it_speaks_adapter_protocol_v1() {
    let (code, out, err) = reference_host(&["info"]);
    assert_eq!(code, 0, "{err}");
    let info: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(info["protocol"], 1);
    assert_eq!(info["serve"], true);

    let dir = std::env::temp_dir().join(format!("reference-host-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let plugin = dir.join("log.wasm");
    let wasm = wat::parse_str(
        r#"(module
             (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
             (memory (export "memory") 1)
             (data (i32.const 16) "hello")
             (func (export "proxy_abi_version_0_2_1"))
             (func (export "proxy_on_memory_allocate") (param i32) (result i32) i32.const 1024)
             (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
               (drop (call $log (i32.const 2) (i32.const 16) (i32.const 5)))
               i32.const 1))"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&plugin, wasm).unwrap_or_else(|e| panic!("{e}"));
    let scenario = dir.join("s.json");
    std::fs::write(&scenario, "{}").unwrap_or_else(|e| panic!("{e}"));
    let job = |id: u32| {
        serde_json::json!({
            "id": id,
            "module": plugin.to_string_lossy(),
            "scenario": scenario.to_string_lossy(),
        })
        .to_string()
    };
    let input = format!("{}\nnot json\n{}\n", job(1), job(2));
    let mut child = Command::new(env!("CARGO_BIN_EXE_reference-host"))
        .arg("serve")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin
            .write_all(input.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let results: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(results.len(), 3, "{results:?}");
    for (result, id) in [(&results[0], 1), (&results[2], 2)] {
        assert_eq!(result["id"], id);
        assert_eq!(result["exit"], 0);
        assert!(
            result["lines"][0]
                .as_str()
                .unwrap_or_default()
                .contains(r#""message":"hello""#),
            "{result}"
        );
    }
    assert_eq!(results[1]["exit"], 2);
    let _ = std::fs::remove_dir_all(&dir);
}
