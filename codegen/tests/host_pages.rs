//! The host support pages rendered from the reports in `tests/fixtures/results/` are the pages in
//! `tests/fixtures/hosts/`; `BLESS=1` rewrites those. Broken reports fail with the file named.
#![allow(clippy::panic)] // test helpers fail loudly

#[path = "../../spec/tests/snapshot/mod.rs"]
mod snapshot;

use proxy_wasm_codegen::{Files, Inputs, generate};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn rendered() -> Files {
    let inputs = Inputs::builtin()
        .unwrap_or_else(|e| panic!("the built-in ABIs load: {e}"))
        .with_results(&fixtures().join("results"))
        .unwrap_or_else(|e| panic!("the fixtures load: {e}"));
    generate(&inputs).unwrap_or_else(|e| panic!("generation succeeds: {e}"))
}

#[test]
fn host_pages_match_the_snapshots() {
    let files = rendered();
    let expected_dir = fixtures().join("hosts");
    let mut failures = Vec::new();
    let mut pages = Vec::new();
    for (path, text) in files.iter().filter(|(p, _)| p.starts_with("docs/hosts/")) {
        let name = path.trim_start_matches("docs/hosts/");
        pages.push(name.to_string());
        if let Err(e) = snapshot::check(&expected_dir.join(name), text) {
            failures.push(e);
        }
    }
    assert_eq!(pages, ["example-proxy.md", "index.md", "minimal-host.md"]);
    let stale: Vec<String> = std::fs::read_dir(&expected_dir)
        .unwrap_or_else(|e| panic!("{}: {e}", expected_dir.display()))
        .map(|entry| entry.map_or(String::new(), |e| e.file_name().to_string_lossy().into()))
        .filter(|name| !pages.contains(name))
        .collect();
    assert!(stale.is_empty(), "snapshots of no page: {stale:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn pages_are_listed_and_leave_out_timings() {
    let files = rendered();
    let summary = &files["docs/SUMMARY.md"];
    assert!(summary.contains("\n- [Host support](hosts/index.md)\n"));
    assert!(summary.contains("\n  - [Example Proxy](hosts/example-proxy.md)\n"));
    assert!(files["docs/index.md"].contains("[Host support](hosts/index.md)"));
    let page = &files["docs/hosts/example-proxy.md"];
    for timing in ["12.75", "1.25", "2.5"] {
        assert!(!page.contains(timing), "{timing}");
    }
    assert_eq!(files, rendered(), "rendering is deterministic");
}

#[test]
fn without_results_there_are_no_host_pages() {
    let inputs = Inputs::builtin().unwrap_or_else(|e| panic!("the built-in ABIs load: {e}"));
    let files = generate(&inputs).unwrap_or_else(|e| panic!("generation succeeds: {e}"));
    assert!(files.keys().all(|p| !p.starts_with("docs/hosts/")));
    assert!(!files["docs/SUMMARY.md"].contains("hosts/"));
}

#[test]
fn broken_reports_are_named() {
    let dir = fixtures().join("bad-results");
    let errors = Inputs::builtin()
        .unwrap_or_else(|e| panic!("the built-in ABIs load: {e}"))
        .with_results(&dir)
        .err()
        .unwrap_or_else(|| panic!("the broken reports are refused"));
    let text = errors.to_string();
    assert_eq!(errors.0.len(), 2, "{text}");
    assert_eq!(errors.0[0].file, dir.join("bad-outcome.json"));
    assert!(
        text.contains(
            "bad-outcome.json: not a conformance-runner --json report: unknown variant `maybe`"
        ),
        "{text}"
    );
    assert_eq!(errors.0[1].file, dir.join("truncated.json"));
    assert!(
        text.contains("truncated.json: not a conformance-runner --json report: EOF while parsing"),
        "{text}"
    );
    assert!(text.contains("line 11 column 0"), "{text}");
}
