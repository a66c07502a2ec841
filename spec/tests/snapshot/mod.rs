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
            diff(&expected, actual)
        )),
    }
}

/// A line diff: `-` lines only in `expected`, `+` lines only in `actual`, by longest common subsequence.
fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+{}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("-{}\n", a[i]));
            i += 1;
        }
    }
    out
}
