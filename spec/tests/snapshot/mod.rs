//! Compares output with a checked-in file; `BLESS=1` rewrites the file instead.

use std::path::Path;

/// Ok when `actual` equals the file's contents (line endings normalised). Under `BLESS=1` a
/// differing or missing file is rewritten and the comparison passes.
pub fn check(expected_file: &Path, actual: &str) -> Result<(), String> {
    let expected = std::fs::read_to_string(expected_file)
        .map(|s| s.replace("\r\n", "\n"))
        .ok();
    if expected.as_deref() == Some(actual) {
        return Ok(());
    }
    if std::env::var_os("BLESS").is_some_and(|v| v == "1") {
        return std::fs::write(expected_file, actual)
            .map_err(|e| format!("cannot write {}: {e}", expected_file.display()));
    }
    match expected {
        None => Err(format!(
            "{} does not exist; run with BLESS=1 to create it. Output:\n{actual}",
            expected_file.display()
        )),
        Some(expected) => Err(format!(
            "{} differs (run with BLESS=1 to accept):\n{}",
            expected_file.display(),
            proxy_wasm_spec::text::line_diff(&expected, actual)
        )),
    }
}
