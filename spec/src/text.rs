//! Small text utilities shared by the project's tools and tests.

/// Above this many differing lines on either side, the diff lists them as two blocks instead of
/// aligning them, to keep time and memory small.
const ALIGN_LIMIT: usize = 2000;

/// A line diff of `expected` → `actual`: `-` lines only in `expected`, `+` lines only in `actual`,
/// by longest common subsequence. Unchanged lines are left out; each run of changes is headed by
/// `@@ line N @@` (its line in `expected`).
pub fn line_diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a_mid, b_mid) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut out = String::new();
    let mut last_changed: Option<usize> = None;
    let mut emit = |out: &mut String, line: usize, sign: char, text: &str| {
        if last_changed.is_none_or(|l| l + 1 < line) {
            out.push_str(&format!("@@ line {} @@\n", line + 1));
        }
        last_changed = Some(line);
        out.push(sign);
        out.push_str(text);
        out.push('\n');
    };
    if a_mid.len() > ALIGN_LIMIT || b_mid.len() > ALIGN_LIMIT {
        for (k, l) in a_mid.iter().enumerate() {
            emit(&mut out, prefix + k, '-', l);
        }
        for l in b_mid {
            emit(&mut out, prefix + a_mid.len(), '+', l);
        }
        return out;
    }
    let mut lcs = vec![vec![0u32; b_mid.len() + 1]; a_mid.len() + 1];
    for i in (0..a_mid.len()).rev() {
        for j in (0..b_mid.len()).rev() {
            lcs[i][j] = if a_mid[i] == b_mid[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < a_mid.len() || j < b_mid.len() {
        if i < a_mid.len() && j < b_mid.len() && a_mid[i] == b_mid[j] {
            i += 1;
            j += 1;
        } else if i < a_mid.len() && (j == b_mid.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            emit(&mut out, prefix + i, '-', a_mid[i]);
            i += 1;
        } else {
            emit(&mut out, prefix + i, '+', b_mid[j]);
            j += 1;
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
    fn large_changes_do_not_align() {
        let a: String = (0..3000).map(|i| format!("{i}\n")).collect();
        let b: String = (0..3000).map(|i| format!("x{i}\n")).collect();
        let d = line_diff(&a, &b);
        assert_eq!(d.lines().filter(|l| l.starts_with('-')).count(), 3000);
        assert_eq!(d.lines().filter(|l| l.starts_with('+')).count(), 3000);
    }
}
