//! The documents stored in the repository validate against the generated schemas and read back
//! into their types: the conformance reports in `runner/results/` and the host profiles in
//! `runner/expectations/`.

#![allow(clippy::panic)] // test helpers fail loudly

use proxy_wasm_interchange::report::Report;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn schema(name: &str) -> jsonschema::Validator {
    let text = proxy_wasm_interchange::schemas()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| text)
        .unwrap_or_else(|| panic!("no schema {name}"));
    let schema: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn files(dir: &str, extension: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no *.{extension} in {dir}");
    found
}

fn assert_valid(validator: &jsonschema::Validator, value: &serde_json::Value, file: &Path) {
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .take(5)
        .collect();
    assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
}

#[test]
fn stored_reports_validate_and_read_back() {
    let validator = schema("report.schema.json");
    for file in files("runner/results", "json") {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_valid(&validator, &value, &file);
        let report = Report::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(
            report.totals.cases,
            report.cases.len(),
            "{}",
            file.display()
        );
    }
}

#[test]
fn host_profiles_validate_and_read_back() {
    let validator = schema("expectations.schema.json");
    for file in files("runner/expectations", "toml") {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
        let value: serde_json::Value =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_valid(&validator, &value, &file);
        let parsed: proxy_wasm_interchange::expectations::File =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(parsed.version, 1, "{}", file.display());
    }
}

#[test]
fn a_report_missing_a_field_does_not_validate() {
    let validator = schema("report.schema.json");
    let bad = serde_json::json!({ "tool": "conformance-runner", "cases": [] });
    assert!(!validator.is_valid(&bad));
}
