//! The Markdown matrix: per ABI version, host functions (and the hand-written case kinds) as
//! rows and obligation kinds as columns, then every unexpected result with its message, the
//! expected failures with their reasons, and the skips grouped by reason.

use proxy_wasm_interchange::Level;
use proxy_wasm_interchange::report::{CELLS, Kind, Record, Report, Totals, Verdict};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The report as Markdown.
pub fn markdown(run: &Report) -> String {
    let mut md = String::new();
    let host = &run.host.info;
    let _ = writeln!(
        md,
        "# Proxy-Wasm conformance: {} {}\n",
        host.name, host.version
    );
    let t = &run.totals;
    let took = run
        .seconds
        .map_or(String::new(), |s| format!(" in {s:.1} s"));
    let _ = writeln!(
        md,
        "{} cases{took}: {} passed, {} failed, {} expected failures, {} passed unexpectedly, {} skipped.\n",
        t.cases, t.passed, t.failed, t.xfailed, t.xpassed, t.skipped
    );
    for level in Level::ALL {
        let figure = run.figure(level);
        let title = match level {
            Level::Required => "Spec conformance (required checks)",
            Level::Reference => "Reference compatibility (reference checks)",
            Level::Advisory => "Advisory checks",
        };
        let judged = if level <= run.level {
            ""
        } else {
            ", not judged"
        };
        let _ = writeln!(md, "- {title}: {}{judged}", figure.describe());
    }
    md.push('\n');
    md.push_str(CELLS);
    md.push('\n');
    let mut versions: Vec<&str> = run.cases.iter().map(|r| r.version.as_str()).collect();
    versions.dedup();
    for v in versions {
        let records: Vec<&Record> = run.cases.iter().filter(|r| r.version == v).collect();
        let kinds: Vec<Kind> = Kind::ALL
            .into_iter()
            .filter(|k| records.iter().any(|r| r.kind == *k))
            .collect();
        let _ = writeln!(md, "\n## ABI {v}\n");
        let header: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
        let _ = writeln!(md, "| function | {} |", header.join(" | "));
        let _ = writeln!(md, "|---|{}", "---|".repeat(kinds.len()));
        let mut rows: Vec<String> = Vec::new();
        let mut cells: BTreeMap<(String, Kind), Totals> = BTreeMap::new();
        for r in &records {
            let row = match &r.function {
                Some(f) => format!("`{f}`"),
                None => format!("({})", r.kind.name()),
            };
            if !rows.contains(&row) {
                rows.push(row.clone());
            }
            cells.entry((row, r.kind)).or_default().add(r.outcome);
        }
        for row in rows {
            let shown: Vec<String> = kinds
                .iter()
                .map(|k| {
                    cells
                        .get(&(row.clone(), *k))
                        .map_or(String::new(), Totals::cell)
                })
                .collect();
            let _ = writeln!(md, "| {row} | {} |", shown.join(" | "));
        }
    }
    let list = |md: &mut String, title: &str, pick: &dyn Fn(&Record) -> bool| {
        let picked: Vec<&Record> = run.cases.iter().filter(|r| pick(r)).collect();
        if picked.is_empty() {
            return;
        }
        let _ = writeln!(md, "\n## {title} ({})\n", picked.len());
        for r in picked {
            let message = r.message.as_deref().unwrap_or_default();
            let _ = writeln!(
                md,
                "- `{}` ({}, {}): {}",
                r.id,
                r.level.name(),
                r.outcome.name(),
                inline(message.lines().next().unwrap_or_default())
            );
            for f in &r.failed_checks {
                let expected = f
                    .expected
                    .as_deref()
                    .map_or(String::new(), |e| format!("expected {e}, "));
                let _ = writeln!(
                    md,
                    "  - [{}] `{}`: {expected}got {} — {}",
                    f.basis.level().name(),
                    f.id,
                    inline(&f.got),
                    inline(&f.basis.describe())
                );
            }
            if let Some(link) = &r.link {
                let _ = writeln!(md, "  - see {link}");
            }
            if let Some(repro) = &r.repro {
                let _ = writeln!(md, "  - reproduce: `{}`", repro.replace('`', "'"));
            }
        }
    };
    list(&mut md, "Unexpected results", &|r| r.outcome.unexpected());
    list(&mut md, "Expected failures", &|r| {
        r.outcome == Verdict::Xfail
    });
    let mut skips: BTreeMap<&str, usize> = BTreeMap::new();
    for r in run.cases.iter().filter(|r| r.outcome == Verdict::Skip) {
        *skips
            .entry(r.message.as_deref().unwrap_or("skipped"))
            .or_default() += 1;
    }
    if !skips.is_empty() {
        let _ = writeln!(md, "\n## Skipped\n");
        for (reason, n) in skips {
            let _ = writeln!(md, "- {n} × {}", inline(reason));
        }
    }
    md
}

/// One line of text safe inside a Markdown list item or table.
fn inline(text: &str) -> String {
    text.replace('|', "\\|").replace('<', "&lt;")
}
