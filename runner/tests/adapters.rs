//! `--host`: the reference host through the adapter protocol passes like the embedded run, and
//! misbehaving adapters (hang, crash, garbage, huge output, missing binary, broken info) get
//! the right outcome and exit code without hanging the run. Each adapter is a tiny script.
#![allow(clippy::panic)] // test helpers fail loudly

use conformance_guests::catalog;
use proxy_wasm_interchange::Level;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A probe that runs in proxy_on_configure, so any adapter can run it.
const CASE: &str = "v0.2.1/proxy_log/status/ok";

fn runner(args: &[&str]) -> (i32, String, String, Duration) {
    let started = Instant::now();
    let out: Output = Command::new(env!("CARGO_BIN_EXE_conformance-runner"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the runner: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

/// The reference-host binary, built next to the runner by `cargo test --workspace`, or built
/// here when only this package is tested.
fn reference_host() -> String {
    let exe = Path::new(env!("CARGO_BIN_EXE_conformance-runner")).with_file_name("reference-host");
    if !exe.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", "reference-host", "--bin", "reference-host"])
            .status()
            .unwrap_or_else(|e| panic!("cannot build reference-host: {e}"));
        assert!(status.success(), "building reference-host failed");
    }
    exe.to_string_lossy().into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pwtck-adapters-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    dir
}

/// Writes an executable adapter script whose `run` (and `serve`) part is `body`.
fn script(dir: &Path, info: &str, body: &str) -> String {
    let path = dir.join("adapter.sh");
    let text =
        format!("#!/bin/sh\nif [ \"$1\" = info ]; then\n  echo '{info}'\n  exit 0\nfi\n{body}\n");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    path.to_string_lossy().into_owned()
}

const INFO: &str = r#"{"protocol":1,"name":"tiny","version":"0","abi_versions":["0.1.0","0.2.0","0.2.1"],"capabilities":[]}"#;
const SERVE_INFO: &str = r#"{"protocol":1,"name":"tiny","version":"0","abi_versions":["0.2.1"],"capabilities":[],"serve":true}"#;

fn one_case(host: &str, extra: &[&str]) -> (i32, String, String, Duration) {
    let mut args = vec!["--host", host, "--abi", "0.2.1", "--exact", CASE];
    args.extend_from_slice(extra);
    runner(&args)
}

#[test]
fn the_reference_host_passes_the_full_suite_through_the_protocol() {
    let host = reference_host();
    let profile = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/expectations/reference-host.toml"
    );
    let total: usize = proxy_wasm_spec::RELEASED
        .iter()
        .map(|v| {
            catalog::catalog(v).map_or(0, |cases| {
                // The default level runs every case with a reference or required check.
                let judged = |c: &&catalog::Case| c.checks_at(Level::Reference).next().is_some();
                cases.iter().filter(judged).count()
            })
        })
        .sum();
    for mode in ["--serve", "--no-serve"] {
        let (code, out, err, _) = runner(&["--host", &host, mode, "-q", "--expectations", profile]);
        assert_eq!(code, 0, "{mode}\n{out}\n{err}");
        assert!(
            out.contains(&format!("{total} passed; 0 failed; 0 ignored")),
            "{mode}: {out}"
        );
    }
}

#[test]
fn a_hanging_adapter_is_killed_with_its_children() {
    let dir = scratch("hang");
    // The background sleep keeps the pipes open: only killing the group ends it.
    let host = script(&dir, INFO, "sleep 60 &\nsleep 60");
    let (code, out, err, took) = one_case(&host, &["--timeout", "0.5"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("did not finish within 0.5 s"), "{out}");
    assert!(out.contains("reproduce: "), "{out}");
    assert!(out.contains(" run "), "{out}");
    assert!(took < Duration::from_secs(20), "took {took:?}");

    let host = script(&dir, SERVE_INFO, "read job\nsleep 60");
    let (code, out, _, took) = one_case(&host, &["--timeout", "0.5"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the serve adapter did not finish within 0.5 s"),
        "{out}"
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn crashes_garbage_and_huge_output_fail_the_case() {
    let dir = scratch("misbehave");
    let host = script(&dir, INFO, "echo 'about to crash' >&2\nkill -SEGV $$");
    let (code, out, _, _) = one_case(&host, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("killed by signal 11"), "{out}");
    assert!(out.contains("about to crash"), "{out}");

    let host = script(&dir, INFO, "echo 'no such plugin' >&2\nexit 7");
    let (code, out, _, _) = one_case(&host, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("exited with code 7"), "{out}");

    let host = script(
        &dir,
        INFO,
        "head -c 200000 /dev/urandom\necho\necho 'pwtck:1 FAIL x expected=zz'",
    );
    let (code, out, _, _) = one_case(&host, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not reached"), "{out}");
    assert!(
        out.contains("unexpected: pwtck:1 FAIL x expected=zz"),
        "{out}"
    );

    // 40 MB of lines and a 10 MB line: bounded, not fatal.
    let host = script(
        &dir,
        INFO,
        "yes 'pwtck:1 PASS x' | head -c 40000000\nhead -c 10000000 /dev/zero | tr '\\0' y",
    );
    let (code, out, err, _) = one_case(&host, &[]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("the probe did not run to its end"), "{out}");
}

#[test]
fn a_missing_or_broken_adapter_is_a_harness_error() {
    let (code, _, err, _) = one_case("/nonexistent/adapter", &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot start `/nonexistent/adapter info`"),
        "{err}"
    );

    let dir = scratch("broken");
    for (info, wanted) in [
        ("not json", "did not print one protocol v1 JSON object"),
        (
            r#"{"protocol":2,"name":"x","version":"0","abi_versions":[],"capabilities":[]}"#,
            "speaks protocol 2",
        ),
    ] {
        let host = script(&dir, info, "exit 0");
        let (code, _, err, _) = one_case(&host, &[]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(wanted), "{err}");
    }
    let (code, _, err, _) = one_case("'unterminated", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("unterminated '"), "{err}");
}

#[test]
fn expectations_turn_failures_into_xfail_and_stale_ones_into_failures() {
    let dir = scratch("expect");
    let silent = script(&dir, INFO, "exit 0");
    let file = dir.join("tiny.toml");
    // Record the failure, then it is expected.
    let (code, _, err, _) = one_case(&silent, &["--update-expectations", &file.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    let written = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        written.contains(CASE) && written.contains("expected = \"fail\""),
        "{written}"
    );
    let (code, out, _, _) = one_case(&silent, &["--expectations", &file.to_string_lossy()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("[required, xfail]"), "{out}");
    // The reference host passes it: the expectation is stale.
    let (code, out, _, _) = one_case(
        &reference_host(),
        &["--expectations", &file.to_string_lossy()],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("stale expectation"), "{out}");
    // A skip, and a file with a mistake.
    let skip = dir.join("skip.toml");
    std::fs::write(&skip, "version = 1\n[[expect]]\ncase = \"v0.2.*/proxy_log/*\"\nskip = true\nreason = \"no logs\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let (code, out, _, _) = one_case(&silent, &["--expectations", &skip.to_string_lossy()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 ignored"), "{out}");
    std::fs::write(
        &skip,
        "version = 1\n[[expect]]\ncase = \"x\"\nexpected = \"fail\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (code, _, err, _) = one_case(&silent, &["--expectations", &skip.to_string_lossy()]);
    assert_eq!(code, 2);
    assert!(err.contains("skip.toml") && err.contains("reason"), "{err}");
}

#[test]
fn missing_capabilities_skip_cases() {
    let dir = scratch("caps");
    let host = reference_host();
    // The reference host, declaring no capabilities.
    let adapter = script(&dir, INFO, &format!("exec '{host}' \"$@\""));
    let (code, out, err, _) = runner(&["--host", &adapter, "--abi", "0.2.1", "lifecycle/"]);
    assert_eq!(code, 0, "{out}\n{err}");
    // root and root_shutdown run; http_stream, http_end_order (http) and tick (ticks) are
    // skipped.
    assert!(out.contains("2 passed; 0 failed; 3 ignored"), "{out}");
}

#[test]
fn reports_are_written_and_well_formed() {
    let dir = scratch("reports");
    let silent = script(
        &dir,
        INFO,
        "echo 'pwtck:1 FAIL v0.2.1/proxy_log/status/ok/status expected=0 got=1 <&>'",
    );
    let (junit, json, md) = (dir.join("r.xml"), dir.join("r.json"), dir.join("r.md"));
    let (code, out, err, _) = runner(&[
        "--host",
        &silent,
        "--abi",
        "0.2.1",
        "proxy_log/",
        "--junit",
        &junit.to_string_lossy(),
        "--json",
        &json.to_string_lossy(),
        "--report",
        &md.to_string_lossy(),
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    let xml = std::fs::read_to_string(&junit).unwrap_or_default();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert!(!cases.is_empty());
    assert!(doc.descendants().any(|n| n.has_tag_name("failure")));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report["host"]["name"], "tiny");
    assert_eq!(report["totals"]["cases"].as_u64(), Some(cases.len() as u64));
    let first = &report["cases"][0];
    assert_eq!(first["outcome"], "fail");
    assert!(
        first["repro"]
            .as_str()
            .unwrap_or_default()
            .contains(" run "),
        "{first}"
    );
    let md = std::fs::read_to_string(&md).unwrap_or_default();
    assert!(md.contains("| function | status |"), "{md}");
    assert!(md.contains("| `proxy_log` |"), "{md}");
    assert!(md.contains("## Unexpected results"), "{md}");
}

#[test]
fn every_shipped_profile_loads_and_names_real_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("expectations");
    let ids: Vec<String> = proxy_wasm_spec::RELEASED
        .iter()
        .flat_map(|v| conformance_guests::catalog::catalog(v).unwrap_or_default())
        .map(|c| c.id)
        .collect();
    let mut profiles = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        profiles += 1;
        let loaded = conformance_runner::expectations::Expectations::load(&path)
            .unwrap_or_else(|e| panic!("{e}"));
        let unused = loaded.unused(ids.iter().map(String::as_str));
        assert!(unused.is_empty(), "{}: {unused:?}", path.display());
    }
    assert!(profiles >= 2, "{profiles} profiles");
}
