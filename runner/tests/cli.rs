//! The binary's command line: listing, coverage, emitting guests and usage errors.
#![allow(clippy::panic)] // test helpers fail loudly

use std::process::Command;

fn runner(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_conformance-runner"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the runner: {e}"))
}

#[test]
fn list_shows_the_catalog_per_version() {
    let out = runner(&["--list", "--abi", "0.2.1"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let cases = text.lines().filter(|l| l.ends_with(": test")).count();
    assert!(cases > 300, "{cases} cases listed");
    assert!(text.contains("v0.2.1/proxy_get_header_map_value/status/not_found: test"));
    assert!(!text.contains("v0.2.0/"));
}

#[test]
fn coverage_reports_every_version() {
    let out = runner(&["--coverage"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for v in ["0.1.0", "0.2.0", "0.2.1"] {
        assert!(text.contains(&format!("ABI {v}: ")), "{text}");
    }
}

#[test]
fn emitted_guests_are_modules_with_scenarios() {
    let dir = std::env::temp_dir().join(format!("pwtck-emit-{}", std::process::id()));
    let out = runner(&["--emit-guests", &dir.to_string_lossy(), "--abi", "0.1.0"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wasm = dir.join("v0.1.0__proxy_log__status__ok.wasm");
    let bytes = std::fs::read(&wasm).unwrap_or_default();
    assert!(bytes.starts_with(b"\0asm"), "{}", wasm.display());
    assert!(
        dir.join("v0.1.0__proxy_log__status__ok.scenario.json")
            .is_file()
    );
    assert!(
        dir.join("v0.1.0__proxy_log__status__ok.case.json")
            .is_file()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_command_lines_exit_2() {
    for args in [
        &["--abi", "9.9.9"][..],
        &["--abi"],
        &["--emit-guests"],
        &["--bogus"],
    ] {
        let out = runner(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("error:") && err.contains("--help"), "{err}");
    }
}
