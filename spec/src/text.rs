//! Small text utilities shared by the project's tools and tests.

use similar::{ChangeTag, TextDiff};
use std::time::Duration;

/// How long a diff may search for the smallest edit before it settles for a larger one, so a
/// huge change stays quick.
const DIFF_TIME: Duration = Duration::from_secs(1);

/// A line diff of `expected` → `actual`: `-` lines only in `expected`, `+` lines only in `actual`.
/// Unchanged lines are left out; each run of changes is headed by `@@ line N @@` (its line in
/// `expected`).
pub fn line_diff(expected: &str, actual: &str) -> String {
    let diff = TextDiff::configure()
        .timeout(DIFF_TIME)
        .diff_lines(expected, actual);
    let mut out = String::new();
    for group in diff.grouped_ops(0) {
        let Some(first) = group.first() else { continue };
        out.push_str(&format!("@@ line {} @@\n", first.old_range().start + 1));
        for op in &group {
            for change in diff.iter_changes(op) {
                let sign = match change.tag() {
                    ChangeTag::Delete => '-',
                    ChangeTag::Insert => '+',
                    ChangeTag::Equal => continue,
                };
                out.push(sign);
                out.push_str(change.value().trim_end_matches(['\n', '\r']));
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::line_diff;

    #[test]
    fn shows_only_changed_lines() {
        assert_eq!(
            line_diff("a\nb\nc\n", "a\nB\nc\n"),
            "@@ line 2 @@\n-b\n+B\n"
        );
        assert_eq!(line_diff("a\n", "a\n"), "");
        assert_eq!(line_diff("", "x\n"), "@@ line 1 @@\n+x\n");
        assert_eq!(
            line_diff("a\nb\nc\nd\n", "x\nb\nc\ny\n"),
            "@@ line 1 @@\n-a\n+x\n@@ line 4 @@\n-d\n+y\n"
        );
    }

    #[test]
    fn a_large_change_lists_every_line() {
        let a: String = (0..3000).map(|i| format!("{i}\n")).collect();
        let b: String = (0..3000).map(|i| format!("x{i}\n")).collect();
        let d = line_diff(&a, &b);
        assert_eq!(d.lines().filter(|l| l.starts_with('-')).count(), 3000);
        assert_eq!(d.lines().filter(|l| l.starts_with('+')).count(), 3000);
    }
}
