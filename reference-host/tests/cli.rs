//! The `reference-host` binary: usage errors, unreadable inputs, and a run that prints JSON.
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
    assert!(err.contains("unknown command `walk`"), "{err}");
}

#[test]
fn runs_print_the_transcript_and_errors_name_the_file() {
    let dir = std::env::temp_dir().join(format!("reference-host-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let plugin = dir.join("plugin.wasm");
    let wasm = wat::parse_str(r#"(module (func (export "proxy_abi_version_0_2_1")))"#)
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&plugin, wasm).unwrap_or_else(|e| panic!("{e}"));
    let good = dir.join("good.json");
    std::fs::write(&good, r#"{"events": [{"tick": 5}]}"#).unwrap_or_else(|e| panic!("{e}"));
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\n  \"events\": 7\n}").unwrap_or_else(|e| panic!("{e}"));
    let path = |p: &std::path::Path| p.to_string_lossy().into_owned();

    let (code, out, err) = reference_host(&["run", &path(&plugin), &path(&good)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"abi_version\": \"0.2.1\""), "{out}");

    let (code, _, err) = reference_host(&["run", &path(&plugin), &path(&bad)]);
    assert_eq!(code, 1);
    assert!(err.contains("bad.json:2:"), "{err}");

    let (code, _, err) = reference_host(&["run", &path(&good), &path(&good)]);
    assert_eq!(code, 1);
    assert!(err.contains("good.json: not a valid wasm module"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
