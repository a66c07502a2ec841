//! What a run produced, per case, and the reports written from it: JUnit XML (`--junit`), JSON
//! (`--json`, schema `runner/schemas/report.schema.json`) and a Markdown matrix (`--report`).

mod junit;
mod markdown;

pub use junit::junit;
pub use markdown::markdown;

use crate::judge::{Count, Counts, FailedCheck};
use conformance_guests::catalog::{Kind, Level};
use serde::Serialize;
use serde_json::{Value, json};

/// How a case came out, against the expectations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// It passed.
    Pass,
    /// It failed, unexpectedly.
    Fail,
    /// It failed, as expected.
    Xfail,
    /// It passed though expected to fail: a stale expectation, counted as a failure.
    Xpass,
    /// It was not run.
    Skip,
}

impl Verdict {
    /// Whether this outcome makes the run fail.
    pub fn unexpected(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::Xpass)
    }

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Xfail => "xfail",
            Verdict::Xpass => "xpass",
            Verdict::Skip => "skip",
        }
    }
}

/// One case's result.
#[derive(Clone, Debug, Serialize)]
pub struct Record {
    /// The case id.
    pub id: String,
    /// Its ABI version.
    pub version: String,
    /// The host function it covers, if any.
    pub function: Option<String>,
    /// What it covers.
    pub kind: Kind,
    /// The most binding level among its checks.
    pub level: Level,
    /// How it came out, at the judged level.
    pub outcome: Verdict,
    /// Its checks counted by level (all zero when it did not run).
    pub checks: Counts,
    /// Every check that did not pass, at any level, with its citation or source.
    pub failed_checks: Vec<FailedCheck>,
    /// How long it took; `None` with `--no-timings`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// The failure message, or why it was skipped or expected to fail.
    pub message: Option<String>,
    /// The expectation's link, if any.
    pub link: Option<String>,
    /// The command that reproduces it (with `--host`).
    pub repro: Option<String>,
}

/// A whole run.
pub struct Run {
    /// The least binding level judged.
    pub level: Level,
    /// Who ran the cases: the adapter's `info`, or the embedded host's.
    pub host: Value,
    /// One record per case run or skipped, in catalog order.
    pub records: Vec<Record>,
    /// Wall time in seconds; `None` with `--no-timings`.
    pub seconds: Option<f64>,
}

impl Run {
    /// How many cases came out each way.
    pub fn totals(&self) -> Value {
        let count = |v: Verdict| self.records.iter().filter(|r| r.outcome == v).count();
        json!({
            "cases": self.records.len(),
            "passed": count(Verdict::Pass),
            "failed": count(Verdict::Fail),
            "xfailed": count(Verdict::Xfail),
            "xpassed": count(Verdict::Xpass),
            "skipped": count(Verdict::Skip),
        })
    }

    /// Per level: checks passed and failed, and cases with a check at that level whose checks
    /// there all passed or not: spec conformance (required) and reference compatibility as
    /// separate figures.
    pub fn levels(&self) -> Vec<(Level, Figure)> {
        Level::ALL
            .into_iter()
            .map(|level| {
                let mut figure = Figure::default();
                for r in self.records.iter().filter(|r| r.outcome != Verdict::Skip) {
                    let c = r.checks.get(level);
                    figure.checks.passed += c.passed;
                    figure.checks.failed += c.failed;
                    if c.failed > 0 {
                        figure.cases.failed += 1;
                    } else if c.passed > 0 {
                        figure.cases.passed += 1;
                    }
                }
                (level, figure)
            })
            .collect()
    }

    /// The host's name.
    pub fn host_name(&self) -> String {
        self.host
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("host")
            .to_string()
    }

    /// The `--json` report.
    pub fn json(&self) -> Value {
        let mut report = json!({
            "tool": "conformance-runner",
            "tool_version": env!("CARGO_PKG_VERSION"),
            "protocol": 1,
            "host": self.host,
            "level": self.level,
            "totals": self.totals(),
            "levels": self.levels().into_iter().map(|(l, f)| (l.name(), f)).collect::<std::collections::BTreeMap<_, _>>(),
            "cases": self.records,
        });
        if let Some(seconds) = self.seconds {
            report["seconds"] = json!(seconds);
        }
        report
    }
}

/// How a run fared at one level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Figure {
    /// Checks at the level.
    pub checks: Count,
    /// Cases with checks at the level: passed when all of them passed.
    pub cases: Count,
}

impl Figure {
    /// "passed/total checks (passed/total cases)".
    pub fn describe(&self) -> String {
        format!(
            "{}/{} checks, {}/{} cases",
            self.checks.passed,
            self.checks.passed + self.checks.failed,
            self.cases.passed,
            self.cases.passed + self.cases.failed
        )
    }
}

/// Writes `text` to `path`, replacing it only once complete.
pub fn write(path: &std::path::Path, text: &str) -> Result<(), String> {
    let temp = path.with_extension("partial");
    std::fs::write(&temp, text)
        .and_then(|()| std::fs::rename(&temp, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
