//! Turns what a host did with a case into a pass or a failure message: the checks that failed
//! (expected vs got), whether the probe reached its end, and the probe's log.

use conformance_guests::catalog::{Case, Expect};
use conformance_guests::verdict::{self, Verdict};

/// What became of one run of a case's module.
#[derive(Debug)]
pub enum Outcome {
    /// The host loaded and ran the module; its plugin log (or every line an adapter printed).
    Ran(Vec<String>),
    /// The host refused the module; why.
    Refused(String),
    /// The case's scenario was not one the host can run (a catalog bug).
    BadScenario(String),
    /// The adapter misbehaved: crashed, timed out, or answered garbage.
    Broken(String),
    /// The adapter could not be run at all (a harness error).
    Harness(String),
}

/// Ok if the host did what the case expects; else what went wrong.
pub fn judge(case: &Case, outcome: Outcome) -> Result<(), String> {
    match (case.expect, outcome) {
        (_, Outcome::BadScenario(e)) => Err(format!("the case's scenario cannot run: {e}")),
        (_, Outcome::Broken(e)) => Err(format!("{}: {e}", case.description)),
        (_, Outcome::Harness(e)) => Err(format!("harness error: {e}")),
        (Expect::Refused, Outcome::Refused(_)) => Ok(()),
        (Expect::Refused, Outcome::Ran(log)) => Err(format!(
            "{}: the host loaded and ran a module it must refuse\n{}",
            case.description,
            show_log(&log)
        )),
        (Expect::Pass, Outcome::Refused(e)) => Err(format!(
            "{}: the host refused the probe module: {e}",
            case.description
        )),
        (Expect::Pass, Outcome::Ran(log)) => verdicts(case, &log),
    }
}

fn verdicts(case: &Case, log: &[String]) -> Result<(), String> {
    let result = verdict::collect(log.iter().map(String::as_str));
    let mut problems = Vec::new();
    for v in &result.checks {
        if let Verdict::Fail {
            check,
            expected,
            got,
        } = v
        {
            problems.push(format!("FAIL {check}: expected {expected}, got {got}"));
        }
    }
    if result.checks.is_empty() {
        problems.push("no check reported".to_string());
    }
    match &result.end {
        Some(probe) if *probe == case.id => {}
        Some(other) => problems.push(format!("END names another probe: {other}")),
        None => problems.push("the probe did not run to its end (no END line)".to_string()),
    }
    for line in &result.unexpected {
        problems.push(format!("unexpected: {}", cut(line)));
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{}\n{}\n{}",
        case.description,
        problems.join("\n"),
        show_log(log)
    ))
}

/// The most log lines a failure shows, and the most characters of each.
const SHOWN_LINES: usize = 60;
const SHOWN_CHARS: usize = 300;

fn show_log(log: &[String]) -> String {
    if log.is_empty() {
        return "probe log: (empty)".to_string();
    }
    let mut out = String::from("probe log:");
    for line in log.iter().take(SHOWN_LINES) {
        out.push_str("\n  ");
        out.push_str(&cut(line));
    }
    if log.len() > SHOWN_LINES {
        out.push_str(&format!("\n  ... {} more lines", log.len() - SHOWN_LINES));
    }
    out
}

/// A line cut to [`SHOWN_CHARS`] characters, control characters shown escaped.
fn cut(line: &str) -> String {
    let mut shown: String = line
        .chars()
        .take(SHOWN_CHARS)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<char>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if line.chars().nth(SHOWN_CHARS).is_some() {
        shown.push_str("...");
    }
    shown
}
