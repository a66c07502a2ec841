#![allow(clippy::panic)] // test helpers fail loudly
//! `cargo xtask spec docs FILE... --out DIR`, run as the real binary from the workspace root.

use std::path::{Path, PathBuf};
use std::process::Output;

/// Runs xtask with `args` from the workspace root.
fn xtask(args: &[&str]) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or_else(|| panic!("xtask has a parent folder"));
    std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| panic!("cannot run xtask: {e}"))
}

/// A fresh, empty temporary folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-spec-docs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Paths as arguments.
fn arg(path: &Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("{} is not UTF-8", path.display()))
}

#[test]
fn a_plain_witx_0_6_document_set_renders_with_the_witx_headings() {
    let dir = scratch("plain");
    let out = xtask(&[
        "spec",
        "docs",
        "spec/tests/accept/plain-0.6.witx",
        "--out",
        arg(&dir),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = dir.join("plain-0.6.md");
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(&format!(
            "wrote {} from spec/tests/accept/plain-0.6.witx: ",
            page.display()
        )),
        "{stdout}"
    );
    let page = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("no page: {e}"));
    // The headings and lines of the witx 0.6 generator, in the order it wrote them.
    let mut rest = page.as_str();
    for line in [
        "# Types",
        "## `status`",
        "Enum represented by `u32`",
        "### Variants:",
        "#### `ok`",
        "## `size`",
        "Builtin type u32",
        "## `parts`",
        "Flags represented by `u32`",
        "### Flags:",
        "#### `headers`",
        "## `buffer`",
        "### Struct members:",
        "Member type: `Pointer<u8>`",
        "## `buffers`",
        "Array of buffer",
        "## `metric_value`",
        "### Union variants:",
        "# Modules",
        "## `host`",
        "### Imports",
        "* memory: Memory",
        "### Functions",
        "### log",
        "#### Parameters:",
        "##### `level`",
        "`level` has type `log_level`",
        "How severe the message is.",
        "#### Results:",
        "##### `error`",
        "`error` has type `status`",
        "### get_header",
        "`value` has type `Pointer<u8>`",
        "### record",
        "`name` has type `ConstPointer<u8>`",
    ] {
        let at = rest
            .find(&format!("\n{line}\n"))
            .unwrap_or_else(|| panic!("`{line}` is missing or out of order in:\n{page}"));
        rest = &rest[at + line.len() + 1..];
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_file_is_named_and_nothing_is_written() {
    let dir = scratch("missing");
    let out_dir = dir.join("out");
    let out = xtask(&[
        "spec",
        "docs",
        "spec/tests/accept/plain-0.6.witx",
        "no/such/file.witx",
        "--out",
        arg(&out_dir),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("no/such/file.witx"), "{stderr}");
    assert!(stderr.contains("nothing written"), "{stderr}");
    assert!(!out_dir.exists(), "the output folder was created");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_document_that_does_not_validate_is_named_and_nothing_is_written() {
    let dir = scratch("invalid");
    for bad in [
        "spec/tests/ui/parse-fail/unclosed-module.witx",
        "spec/tests/ui/validate-fail/alias-cycle.witx",
    ] {
        let out = xtask(&[
            "spec",
            "docs",
            "spec/tests/accept/plain-0.6.witx",
            bad,
            "--out",
            arg(&dir),
        ]);
        assert_eq!(out.status.code(), Some(1));
        let stderr = text(&out.stderr);
        assert!(stderr.contains(&format!("--> {bad}:")), "{stderr}");
        assert!(stderr.contains(&format!("FAIL {bad}: 1 error")), "{stderr}");
        let written: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{e}"))
            .collect();
        assert!(written.is_empty(), "{written:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_output_folder_is_named() {
    let dir = scratch("unwritable");
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap_or_else(|e| panic!("{e}"));
    let out = xtask(&[
        "spec",
        "docs",
        "spec/tests/accept/plain-0.6.witx",
        "--out",
        arg(&file),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot create {}", file.display())),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn misuse_prints_the_usage() {
    for args in [
        &["spec", "docs", "spec/tests/accept/plain-0.6.witx"][..],
        &["spec", "docs", "--out", "x"],
        &["spec", "docs", "a.witx", "--out", "x", "--check"],
        &["spec", "docs", "a/t.witx", "b/t.witx", "--out", "x"],
    ] {
        let out = xtask(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("spec docs FILE... --out DIR"),
            "{args:?}: {stderr}"
        );
    }
}
