//! The conformance report (`conformance-runner --json FILE`): who ran the cases, and how each
//! case and each of its checks came out, counted by level. The runner writes it; the host
//! support pages are rendered from the stored ones.

use crate::basis::{Basis, Level};
use crate::protocol::Info;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The program that writes reports.
pub const TOOL: &str = "conformance-runner";

/// What cells of a support matrix show, wherever one is rendered.
pub const CELLS: &str = "Cells: passed/run, then ✗ unexpected results (failures, and passes of \
                         cases expected to fail), ~ expected failures, − skipped.";

/// What a case covers.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A status code of a host function.
    Status,
    /// A value of an enum parameter, or the first one outside it.
    Enum,
    /// An out-pointer the host must refuse.
    OutPointer,
    /// An input range the host must refuse.
    InputPointer,
    /// The guest-allocation convention.
    Allocation,
    /// ABI version detection.
    Detection,
    /// The order and arguments of callbacks.
    Lifecycle,
    /// Values observed through a round trip of host calls.
    Semantics,
    /// Which exports a module has: optional callbacks, start functions.
    Structure,
    /// What reached an HTTP stream's upstream or client.
    Effect,
}

impl Kind {
    /// Every kind, in the order reports show them.
    pub const ALL: [Kind; 10] = [
        Kind::Status,
        Kind::Enum,
        Kind::OutPointer,
        Kind::InputPointer,
        Kind::Allocation,
        Kind::Detection,
        Kind::Lifecycle,
        Kind::Semantics,
        Kind::Structure,
        Kind::Effect,
    ];

    /// Its name in ids and reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Status => "status",
            Kind::Enum => "enum",
            Kind::OutPointer => "out_pointer",
            Kind::InputPointer => "input_pointer",
            Kind::Allocation => "allocation",
            Kind::Detection => "detection",
            Kind::Lifecycle => "lifecycle",
            Kind::Semantics => "semantics",
            Kind::Structure => "structure",
            Kind::Effect => "effect",
        }
    }

    /// What its cases check, for legends.
    pub fn description(self) -> &'static str {
        match self {
            Kind::Status => "the status codes of a host function",
            Kind::Enum => "the values of an enum parameter, and the first one outside it",
            Kind::OutPointer => "out-pointers the host must refuse",
            Kind::InputPointer => "input ranges the host must refuse",
            Kind::Allocation => "the guest-allocation convention",
            Kind::Detection => "ABI version detection",
            Kind::Lifecycle => "the order and arguments of callbacks",
            Kind::Semantics => "values observed through a round trip of host calls",
            Kind::Structure => "which exports a module has: optional callbacks, start functions",
            Kind::Effect => "what reached an HTTP stream's upstream or client",
        }
    }
}

/// How a case came out, against the host's expectations.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
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
    /// Whether it makes a run fail: a failure, or a stale expectation.
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

/// Checks (or cases) passed and failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Count {
    /// How many passed.
    pub passed: usize,
    /// How many failed (checks: or were not reached).
    pub failed: usize,
}

impl Count {
    /// Passed and failed together.
    pub fn total(self) -> usize {
        self.passed + self.failed
    }
}

impl std::ops::AddAssign for Count {
    fn add_assign(&mut self, other: Count) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

/// A case's checks counted by level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Counts {
    /// Checks a spec sentence requires.
    pub required: Count,
    /// Checks of reference-host behaviour.
    pub reference: Count,
    /// Robustness checks.
    pub advisory: Count,
}

impl Counts {
    /// The count of `level`.
    pub fn at(&mut self, level: Level) -> &mut Count {
        match level {
            Level::Required => &mut self.required,
            Level::Reference => &mut self.reference,
            Level::Advisory => &mut self.advisory,
        }
    }

    /// The count of `level`, by value.
    pub fn get(&self, level: Level) -> Count {
        match level {
            Level::Required => self.required,
            Level::Reference => self.reference,
            Level::Advisory => self.advisory,
        }
    }
}

/// One check that did not pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FailedCheck {
    /// The check id.
    pub id: String,
    /// Its level, with the citation or source.
    #[serde(flatten)]
    pub basis: Basis,
    /// What the probe expected, when it reported.
    pub expected: Option<String>,
    /// What it found, or why there is no verdict (not reached, refused, ...).
    pub got: String,
}

/// One case's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Record {
    /// The case id, e.g. `v0.2.1/proxy_log/status/ok`.
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
    /// How long it took, in milliseconds; left out with `--no-timings`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// The failure message, or why it was skipped or expected to fail.
    pub message: Option<String>,
    /// The expectation's link, if any.
    pub link: Option<String>,
    /// The command that reproduces it (with `--host`).
    #[serde(default)]
    pub repro: Option<String>,
}

/// How a run (or part of it) fared at one level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Figure {
    /// Checks at the level.
    pub checks: Count,
    /// Cases with checks at the level: passed when all of those passed.
    pub cases: Count,
}

impl Figure {
    /// The figure of `records` at `level`: skipped cases left out.
    pub fn of<'a>(records: impl IntoIterator<Item = &'a Record>, level: Level) -> Figure {
        let mut figure = Figure::default();
        for r in records.into_iter().filter(|r| r.outcome != Verdict::Skip) {
            let count = r.checks.get(level);
            figure.checks += count;
            if count.failed > 0 {
                figure.cases.failed += 1;
            } else if count.passed > 0 {
                figure.cases.passed += 1;
            }
        }
        figure
    }

    /// "passed/total checks, passed/total cases".
    pub fn describe(&self) -> String {
        format!(
            "{}/{} checks, {}/{} cases",
            self.checks.passed,
            self.checks.total(),
            self.cases.passed,
            self.cases.total()
        )
    }
}

/// How many cases came out each way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Totals {
    /// Cases run or skipped.
    pub cases: usize,
    /// Passed.
    pub passed: usize,
    /// Failed unexpectedly.
    pub failed: usize,
    /// Failed as expected.
    pub xfailed: usize,
    /// Passed though expected to fail.
    pub xpassed: usize,
    /// Not run.
    pub skipped: usize,
}

impl Totals {
    /// The totals of `records`.
    pub fn of<'a>(records: impl IntoIterator<Item = &'a Record>) -> Totals {
        let mut t = Totals::default();
        for r in records {
            t.add(r.outcome);
        }
        t
    }

    /// Counts one more case.
    pub fn add(&mut self, outcome: Verdict) {
        self.cases += 1;
        *match outcome {
            Verdict::Pass => &mut self.passed,
            Verdict::Fail => &mut self.failed,
            Verdict::Xfail => &mut self.xfailed,
            Verdict::Xpass => &mut self.xpassed,
            Verdict::Skip => &mut self.skipped,
        } += 1;
    }

    /// Cases that ran.
    pub fn run(&self) -> usize {
        self.cases - self.skipped
    }

    /// A matrix cell (see [`CELLS`]): `passed/run` and its marks; empty without cases.
    pub fn cell(&self) -> String {
        if self.cases == 0 {
            return String::new();
        }
        let mut cell = format!("{}/{}", self.passed, self.run());
        for (mark, n) in [
            ("✗", self.failed + self.xpassed),
            ("~", self.xfailed),
            ("−", self.skipped),
        ] {
            if n > 0 {
                cell.push_str(&format!(" {mark}{n}"));
            }
        }
        cell
    }
}

/// Who ran the cases: the adapter's `info`, or the embedded host's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Host {
    /// What it said about itself.
    #[serde(flatten)]
    pub info: Info,
    /// Whether jobs went through `serve` (with `--host`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving: Option<bool>,
}

/// A whole run, as `--json` writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// The program that wrote it: [`TOOL`].
    pub tool: String,
    /// That program's version.
    pub tool_version: String,
    /// The adapter protocol version.
    pub protocol: u32,
    /// Who ran the cases.
    pub host: Host,
    /// The least binding level judged.
    pub level: Level,
    /// Wall time in seconds; left out with `--no-timings`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// How many cases came out each way.
    pub totals: Totals,
    /// Per level: checks and cases passed and failed.
    pub levels: BTreeMap<Level, Figure>,
    /// One record per case run or skipped, in catalog order.
    pub cases: Vec<Record>,
}

impl Report {
    /// A report of `cases` run by `host` at `level`; totals and levels computed.
    pub fn new(
        tool_version: &str,
        host: Host,
        level: Level,
        seconds: Option<f64>,
        cases: Vec<Record>,
    ) -> Report {
        Report {
            tool: TOOL.to_string(),
            tool_version: tool_version.to_string(),
            protocol: crate::protocol::PROTOCOL,
            host,
            level,
            seconds,
            totals: Totals::of(&cases),
            levels: Level::ALL
                .into_iter()
                .map(|l| (l, Figure::of(&cases, l)))
                .collect(),
            cases,
        }
    }

    /// The figure of `level`.
    pub fn figure(&self, level: Level) -> Figure {
        self.levels.get(&level).copied().unwrap_or_default()
    }

    /// Reads a report; fails when it is not one of [`TOOL`]'s.
    pub fn parse(text: &str) -> Result<Report, String> {
        let report: Report =
            serde_json::from_str(text).map_err(|e| format!("not a {TOOL} --json report: {e}"))?;
        if report.tool != TOOL {
            return Err(format!(
                "written by `{}`, not by {TOOL}",
                report.tool.escape_debug()
            ));
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Capability;

    fn record(id: &str, outcome: Verdict, checks: Counts) -> Record {
        Record {
            id: id.into(),
            version: "0.2.1".into(),
            function: None,
            kind: Kind::Status,
            level: Level::Required,
            outcome,
            checks,
            failed_checks: Vec::new(),
            duration_ms: None,
            message: None,
            link: None,
            repro: None,
        }
    }

    #[test]
    fn figures_and_cells_count_as_documented() {
        let one = |passed, failed| Counts {
            required: Count { passed, failed },
            ..Counts::default()
        };
        let cases = vec![
            record("a", Verdict::Pass, one(2, 0)),
            record("b", Verdict::Fail, one(1, 1)),
            record("c", Verdict::Skip, one(0, 0)),
            record("d", Verdict::Xpass, one(1, 0)),
        ];
        let host = Host {
            info: Info {
                protocol: 1,
                name: "h".into(),
                version: "1".into(),
                abi_versions: vec!["0.2.1".into()],
                capabilities: vec![Capability::Http],
                serve: false,
            },
            serving: None,
        };
        let report = Report::new("0.1.0", host, Level::Reference, None, cases);
        let required = report.figure(Level::Required);
        assert_eq!(required.describe(), "4/5 checks, 2/3 cases");
        assert_eq!(report.totals.cell(), "1/3 ✗2 −1");
        let text = serde_json::to_string(&report).unwrap_or_default();
        assert!(!text.contains("seconds") && !text.contains("duration_ms"));
        assert_eq!(Report::parse(&text), Ok(report));
        assert!(Report::parse(&text.replace(TOOL, "other")).is_err_and(|e| e.contains("`other`")));
    }
}
