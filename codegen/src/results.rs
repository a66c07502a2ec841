//! Stored conformance results: the reports `conformance-runner --json FILE` writes (see
//! `runner/src/report/mod.rs`, checks in `runner/src/judge.rs`), read for the host support pages.
//! Only what the pages show is kept; timings are dropped, so the pages rendered from a report never
//! change unless it does. Reports written before checks were counted by level lack `level`,
//! `levels`, `checks` and `failed_checks`; they still load, with those figures unknown.

use crate::names;
pub use proxy_wasm_interchange::{Basis, Kind, Level};
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// The program that writes the reports.
const TOOL: &str = "conformance-runner";

/// The page stem no host may take: it is the hosts' index.
const RESERVED_SLUG: &str = "index";

/// One host's stored run.
#[derive(Clone, Debug, Deserialize)]
pub struct HostResults {
    /// The name of the file it was read from, for page preambles.
    #[serde(skip)]
    pub source: String,
    /// The program that wrote it.
    pub tool: String,
    /// That program's version.
    pub tool_version: String,
    /// What the host said about itself.
    pub host: HostInfo,
    /// The least binding level judged (`None` in reports older than per-check levels).
    #[serde(default)]
    pub level: Option<Level>,
    /// Checks and cases passed and failed per level (`None` in older reports).
    #[serde(default)]
    pub levels: Option<Levels>,
    /// One result per case, in catalog order.
    pub cases: Vec<CaseResult>,
}

impl HostResults {
    /// The stem of the host's page: its name in kebab case.
    pub fn slug(&self) -> String {
        names::host_slug(&self.host.name)
    }
}

/// The host's `info`, as its adapter printed it.
#[derive(Clone, Debug, Deserialize)]
pub struct HostInfo {
    /// Its name.
    pub name: String,
    /// Its version, free-form.
    pub version: String,
    /// The ABI versions it claims.
    pub abi_versions: Vec<String>,
    /// What its adapter can drive.
    pub capabilities: Vec<String>,
}

/// How one case came out.
#[derive(Clone, Debug, Deserialize)]
pub struct CaseResult {
    /// The case id, e.g. `v0.2.1/proxy_log/status/ok`.
    pub id: String,
    /// Its ABI version.
    pub version: String,
    /// The host function it covers, if any.
    pub function: Option<String>,
    /// What it covers.
    pub kind: Kind,
    /// Whether the spec text or a reference host sets the obligation.
    pub level: Level,
    /// Its outcome against the host's expectations.
    pub outcome: Outcome,
    /// The failure text, or why it was skipped or expected to fail.
    pub message: Option<String>,
    /// The expectation's link, if any.
    pub link: Option<String>,
    /// Its checks counted by level (`None` in older reports; all zero when it did not run).
    #[serde(default)]
    pub checks: Option<Counts>,
    /// Every check that did not pass, at any level (`None` in older reports).
    #[serde(default)]
    pub failed_checks: Option<Vec<FailedCheck>>,
}

/// Checks (or cases) passed and failed at one level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
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
    pub fn get(&self, level: Level) -> Count {
        match level {
            Level::Required => self.required,
            Level::Reference => self.reference,
            Level::Advisory => self.advisory,
        }
    }
}

/// How a run (or part of it) fared at one level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Figure {
    /// Checks at the level.
    pub checks: Count,
    /// Cases with checks at the level: passed when all of those passed.
    pub cases: Count,
}

impl Figure {
    /// The figure of `cases` at `level`, counted as the runner counts its `levels`: skipped cases
    /// left out. `None` when a case that ran has no check counts (an older report).
    pub fn of<'a>(cases: impl IntoIterator<Item = &'a CaseResult>, level: Level) -> Option<Self> {
        let mut figure = Figure::default();
        for case in cases.into_iter().filter(|c| c.outcome != Outcome::Skip) {
            let count = case.checks?.get(level);
            figure.checks += count;
            if count.failed > 0 {
                figure.cases.failed += 1;
            } else if count.passed > 0 {
                figure.cases.passed += 1;
            }
        }
        Some(figure)
    }
}

/// A run's figures per level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Levels {
    /// Spec conformance.
    pub required: Figure,
    /// Reference compatibility.
    pub reference: Figure,
    /// Robustness, not judged by default.
    pub advisory: Figure,
}

impl Levels {
    /// The figure of `level`.
    pub fn get(&self, level: Level) -> Figure {
        match level {
            Level::Required => self.required,
            Level::Reference => self.reference,
            Level::Advisory => self.advisory,
        }
    }
}

/// One check that did not pass.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
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

/// A case's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It passed.
    Pass,
    /// It failed, unexpectedly.
    Fail,
    /// It failed, as expected.
    Xfail,
    /// It passed though expected to fail.
    Xpass,
    /// It was not run.
    Skip,
}

impl Outcome {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Xfail => "xfail",
            Outcome::Xpass => "xpass",
            Outcome::Skip => "skip",
        }
    }

    /// Whether it makes a run fail: a failure, or a stale expectation.
    pub fn unexpected(self) -> bool {
        matches!(self, Outcome::Fail | Outcome::Xpass)
    }
}

/// A results file that cannot be used.
#[derive(Debug)]
pub struct Error {
    /// The file (or the directory, if it cannot be listed).
    pub file: PathBuf,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

impl std::error::Error for Error {}

/// Every results file that cannot be used, one per line.
#[derive(Debug)]
pub struct Errors(pub Vec<Error>);

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.0 {
            writeln!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

/// Reads a report; `source` is the file's name. Fails when it is not a runner report or its host
/// name gives no usable page name.
pub fn parse(source: &str, text: &str) -> Result<HostResults, String> {
    let mut results: HostResults = serde_json::from_str(text)
        .map_err(|e| format!("not a conformance-runner --json report: {e}"))?;
    if results.tool != TOOL {
        return Err(format!(
            "written by `{}`, not by {TOOL}",
            results.tool.escape_debug()
        ));
    }
    let slug = results.slug();
    if slug.is_empty() || slug == RESERVED_SLUG {
        return Err(format!(
            "host name `{}` gives no usable page name",
            results.host.name.escape_debug()
        ));
    }
    results.source = source.to_string();
    Ok(results)
}

/// Reads every `*.json` file directly in `dir`, sorted by host page. Reports every file that
/// fails, and hosts whose pages would overwrite each other.
pub fn load_dir(dir: &Path) -> Result<Vec<HostResults>, Errors> {
    let listing_error = |e: std::io::Error| {
        Errors(vec![Error {
            file: dir.to_path_buf(),
            message: format!("cannot list the results directory: {e}"),
        }])
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(listing_error)? {
        let path = entry.map_err(listing_error)?.path();
        if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    let mut loaded: Vec<(PathBuf, HostResults)> = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        let source = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parsed = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read: {e}"))
            .and_then(|text| parse(&source, &text));
        match parsed {
            Ok(results) => match loaded.iter().find(|(_, r)| r.slug() == results.slug()) {
                Some((other, _)) => errors.push(Error {
                    message: format!(
                        "host `{}` would have the same page as the host of {}",
                        results.host.name.escape_debug(),
                        other.display()
                    ),
                    file,
                }),
                None => loaded.push((file, results)),
            },
            Err(message) => errors.push(Error { file, message }),
        }
    }
    if !errors.is_empty() {
        return Err(Errors(errors));
    }
    let mut results: Vec<HostResults> = loaded.into_iter().map(|(_, r)| r).collect();
    results.sort_by_key(HostResults::slug);
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proxy_wasm_spec::ir::Citation;

    const HEAD: &str = r#""tool": "conformance-runner", "tool_version": "0.1.0", "seconds": 1.5"#;

    fn report(name: &str, case: &str) -> String {
        format!(
            r#"{{ {HEAD}, "host": {{ "name": "{name}", "version": "1", "abi_versions": ["0.2.1"],
            "capabilities": [], "serve": true }}, "cases": [{case}] }}"#
        )
    }

    #[test]
    fn reads_a_report_and_ignores_what_it_does_not_need() {
        let case = r#"{ "id": "v0.2.1/proxy_log/status/ok", "version": "0.2.1",
            "function": "proxy_log", "kind": "out_pointer", "level": "reference",
            "outcome": "xpass", "duration_ms": 3.5, "message": null, "link": null, "repro": null }"#;
        let r = parse("x.json", &report("Some Host", case)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.source, "x.json");
        assert_eq!(r.slug(), "some-host");
        assert_eq!(r.cases[0].kind, Kind::OutPointer);
        assert!(r.cases[0].outcome.unexpected());
    }

    #[test]
    fn reads_checks_by_level_and_failed_checks() {
        let case = r#"{ "id": "v0.2.1/proxy_log/status/ok", "version": "0.2.1",
            "function": "proxy_log", "kind": "structure", "level": "advisory", "outcome": "fail",
            "checks": { "required": { "passed": 1, "failed": 1 },
                        "reference": { "passed": 0, "failed": 1 },
                        "advisory": { "passed": 2, "failed": 1 } },
            "failed_checks": [
              { "id": "a", "level": "required", "requires": "ok when logged",
                "spec": { "version": "0.2.1", "section": "proxy_log", "line": 307 },
                "expected": "0", "got": "2" },
              { "id": "b", "level": "reference", "source": "proxy-wasm-cpp-host src/exports.cc log",
                "expected": null, "got": "not reached" },
              { "id": "c", "level": "advisory", "why": "easier to debug",
                "expected": "1", "got": "0" } ],
            "duration_ms": 1, "message": "m", "link": null, "repro": null }"#;
        let text = report("h", case).replace(
            r#""cases""#,
            r#""level": "reference", "levels": {
               "required": { "checks": { "passed": 1, "failed": 1 }, "cases": { "passed": 0, "failed": 1 } },
               "reference": { "checks": { "passed": 0, "failed": 1 }, "cases": { "passed": 0, "failed": 1 } },
               "advisory": { "checks": { "passed": 2, "failed": 1 }, "cases": { "passed": 0, "failed": 1 } } },
               "cases""#,
        );
        let r = parse("x.json", &text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.level, Some(Level::Reference));
        let c = &r.cases[0];
        assert_eq!((c.kind, c.level), (Kind::Structure, Level::Advisory));
        let failed = c.failed_checks.clone().unwrap_or_default();
        let levels: Vec<Level> = failed.iter().map(|f| f.basis.level()).collect();
        assert_eq!(levels, Level::ALL);
        assert_eq!(
            failed[0].basis,
            Basis::Required {
                spec: Citation {
                    version: "0.2.1".into(),
                    section: "proxy_log".into(),
                    line: 307
                },
                requires: "ok when logged".into()
            }
        );
        assert_eq!(failed[1].expected, None);
        for level in Level::ALL {
            let counted = Figure::of(&r.cases, level);
            assert_eq!(counted, r.levels.map(|l| l.get(level)), "{level:?}");
        }
    }

    #[test]
    fn older_reports_load_with_levels_unknown() {
        let case = r#"{ "id": "a", "version": "0.2.1", "function": null, "kind": "status",
            "level": "required", "outcome": "pass", "message": null, "link": null }"#;
        let r = parse("x.json", &report("h", case)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.level, r.levels), (None, None));
        assert_eq!(
            (r.cases[0].checks, r.cases[0].failed_checks.clone()),
            (None, None)
        );
        assert_eq!(Figure::of(&r.cases, Level::Required), None);
    }

    #[test]
    fn rejects_what_is_not_a_report() {
        let err = |text: &str| parse("x.json", text).err().unwrap_or_default();
        assert!(err("{").contains("line 1 column 1"), "{}", err("{"));
        let bad_outcome = report(
            "h",
            r#"{ "id": "a", "version": "0.2.1", "function": null, "kind": "status",
               "level": "required", "outcome": "maybe", "message": null, "link": null }"#,
        );
        assert!(err(&bad_outcome).contains("unknown variant `maybe`"));
        assert!(err(&report("h", "").replace("conformance-runner", "other")).contains("`other`"));
        assert!(err(&report("index", "")).contains("no usable page name"));
        assert!(err(&report("--", "")).contains("no usable page name"));
    }

    #[test]
    fn hosts_sharing_a_page_are_refused() -> std::io::Result<()> {
        let dir = std::env::temp_dir().join(format!("codegen-results-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("a.json"), report("Same Host", ""))?;
        std::fs::write(dir.join("b.json"), report("same-host", ""))?;
        std::fs::write(dir.join("notes.txt"), "not read")?;
        let errors = load_dir(&dir).err().map(|e| e.0).unwrap_or_default();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].file, dir.join("b.json"));
        assert!(errors[0].message.contains("a.json"), "{}", errors[0]);
        std::fs::remove_file(dir.join("b.json"))?;
        let loaded = load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded.len(), 1);
        std::fs::remove_dir_all(&dir)
    }
}
