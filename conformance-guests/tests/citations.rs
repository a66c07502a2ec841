//! Every required check of the catalog cites a sentence of its version's published spec text
//! that stands under the cited section, and a status check's sentence names the status the check
//! expects; every reference check names a host source file. The texts are found as
//! `proxy_wasm_spec::published` says (`PROXY_WASM_SPEC_TEXTS`, or `../shared/` beside the
//! workspace); without them this test fails, saying where it looked.

// Helpers outside `#[test]` functions fail the test the same way: by panicking.
#![allow(clippy::panic)]

use conformance_guests::Basis;
use conformance_guests::catalog::{self, Case};
use proxy_wasm_interchange::Kind;
use proxy_wasm_spec::published::{self, Text};
use std::path::Path;

/// The status code a case's `…/status` check expects, if the case is about one.
fn expected_code(case: &Case) -> Option<String> {
    let from_key = |key: &str| {
        key.strip_prefix("status/")
            .map(|code| code.split('.').next().unwrap_or(code).to_string())
    };
    match case.kind {
        Kind::Status => case.covers.first().and_then(|k| from_key(k)),
        Kind::Enum | Kind::OutPointer | Kind::InputPointer | Kind::Allocation => {
            case.covers.iter().find_map(|k| from_key(k))
        }
        _ => None,
    }
}

#[test]
fn required_checks_cite_a_sentence_that_says_so() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or_else(|| Path::new(".."));
    let dir = published::locate(workspace).unwrap_or_else(|e| panic!("{e}"));
    let mut problems = Vec::new();
    let (mut required, mut reference) = (0, 0);
    for version in proxy_wasm_spec::RELEASED {
        let text = Text::load(&dir, version).unwrap_or_else(|e| panic!("{e}"));
        let cases = catalog::catalog(version).unwrap_or_else(|e| panic!("{e}"));
        for case in &cases {
            for check in &case.checks {
                match &check.basis {
                    Basis::Required { spec, requires } => {
                        required += 1;
                        if requires.trim().is_empty() {
                            problems.push(format!("{} says nothing it requires", check.id));
                        }
                        let line = match text.resolve(spec, &check.id) {
                            Ok(line) => line,
                            Err(e) => {
                                problems.push(e);
                                continue;
                            }
                        };
                        let status_check = check.id == format!("{}/status", case.id);
                        if let (true, Some(code)) = (status_check, expected_code(case))
                            && !published::names_status(line, &code)
                        {
                            problems.push(format!(
                                "{} expects {code}, but its citation (v{} line {}) does not \
                                 name it: {line:?}",
                                check.id, spec.version, spec.line
                            ));
                        }
                    }
                    Basis::Reference { source } => {
                        reference += 1;
                        let names_file = source.split_whitespace().any(|w| {
                            [".cc", ".h", ".rs", ".c", ".go"]
                                .iter()
                                .any(|ext| w.trim_end_matches([',', ')']).ends_with(ext))
                        });
                        if !names_file {
                            problems.push(format!(
                                "{} follows a host, but its source names no file: {source:?}",
                                check.id
                            ));
                        }
                    }
                    Basis::Advisory { why } => {
                        if why.trim().is_empty() {
                            problems.push(format!("{} is advisory without a reason", check.id));
                        }
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
    assert!(
        required > 1000 && reference > 100,
        "{required} required, {reference} reference"
    );
}

#[test]
fn case_descriptions_list_every_check_with_its_basis() {
    let cases = catalog::catalog("0.2.1").unwrap_or_else(|e| panic!("{e}"));
    let case = cases
        .iter()
        .find(|c| c.id == "v0.2.1/proxy_get_header_map_value/status/not_found")
        .unwrap_or_else(|| panic!("case missing"));
    let json = serde_json::to_value(case).unwrap_or_else(|e| panic!("{e}"));
    let checks = json["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("{json}"));
    let status = &checks[0];
    assert_eq!(
        status["id"],
        "v0.2.1/proxy_get_header_map_value/status/not_found/status"
    );
    assert_eq!(status["level"], "required");
    assert_eq!(status["spec"]["version"], "0.2.1");
    assert_eq!(status["spec"]["section"], "proxy_get_header_map_value");
    assert!(
        status["spec"]["line"].as_u64().is_some_and(|l| l > 0),
        "{status}"
    );
    // Out-slots after the failure are advisory.
    assert!(
        checks[1..].iter().all(|c| c["level"] == "advisory"),
        "{json}"
    );
    assert_eq!(json["level"], "required");
}
