//! Turns what a host did with a case into a judgement: every check of the case passed, failed
//! or not reached, counted by level, and a failure message when a check at the judged level or
//! a more binding one did not pass (or the probe's log is malformed).

use conformance_guests::catalog::{Case, Expect};
use conformance_guests::effects::Exchanges;
use conformance_guests::verdict::{self, Verdict};
use proxy_wasm_interchange::Level;
use proxy_wasm_interchange::report::{Counts, FailedCheck};

/// What became of one run of a case's module.
#[derive(Debug)]
pub enum Outcome {
    /// The host loaded and ran the module.
    Ran {
        /// Its plugin log (or every line an adapter printed).
        lines: Vec<String>,
        /// What it reported of the HTTP exchanges.
        exchanges: Exchanges,
    },
    /// The host refused the module; why.
    Refused(String),
    /// The case's scenario was not one the host can run (a catalog bug).
    BadScenario(String),
    /// The adapter misbehaved: crashed, timed out, or answered garbage.
    Broken(String),
    /// The adapter could not be run at all (a harness error).
    Harness(String),
}

/// The judgement of one run of a case at one level.
#[derive(Clone, Debug)]
pub struct Judgement {
    /// Every check counted by level, whatever level is judged.
    pub counts: Counts,
    /// Every check that did not pass, at any level.
    pub failed: Vec<FailedCheck>,
    /// `None` if the case passes at the judged level; else the failure message.
    pub failure: Option<String>,
}

/// Judges `case` at `level`: only checks at that level or a more binding one can fail it.
pub fn judge(case: &Case, outcome: Outcome, level: Level) -> Judgement {
    let mut counts = Counts::default();
    let mut failed = Vec::new();
    let mut problems = Vec::new();
    let mut note = |check: &conformance_guests::Check,
                    verdict: Result<(), (Option<String>, String)>| {
        match verdict {
            Ok(()) => counts.at(check.basis.level()).passed += 1,
            Err((expected, got)) => {
                counts.at(check.basis.level()).failed += 1;
                failed.push(FailedCheck {
                    id: check.id.clone(),
                    basis: check.basis.clone(),
                    expected,
                    got,
                });
            }
        }
    };
    let mut log: &[String] = &[];
    match (&outcome, case.expect) {
        (Outcome::Ran { lines, exchanges }, Expect::Pass) => {
            log = lines;
            let result = verdict::collect(lines.iter().map(String::as_str));
            for check in &case.checks {
                if let Some(seen) = case.observed.iter().find(|o| o.check == check.id) {
                    let verdict = seen.effect.judge(exchanges);
                    note(
                        check,
                        verdict.map_err(|got| (Some(seen.effect.expected()), got)),
                    );
                    continue;
                }
                match result.verdict(&check.id) {
                    Some(Verdict::Pass { .. }) => note(check, Ok(())),
                    Some(Verdict::Fail { expected, got, .. }) => {
                        note(check, Err((Some(expected.to_string()), got.to_string())))
                    }
                    _ => {
                        let why = if result.end.is_some() {
                            "not reached (the probe ended without it)"
                        } else {
                            "not reached (the probe did not run to its end: a trap, a callback \
                             never called, or a host that stopped)"
                        };
                        note(check, Err((None, why.to_string())))
                    }
                }
            }
            for v in &result.checks {
                if let Some(id) = v.check()
                    && !case.checks.iter().any(|c| c.id == id)
                {
                    problems.push(format!("unexpected: a verdict for unknown check {id}"));
                }
            }
            if let Some(probe) = &result.end
                && *probe != case.id
            {
                problems.push(format!("END names another probe: {probe}"));
            }
            for line in &result.unexpected {
                problems.push(format!("unexpected: {}", cut(line)));
            }
        }
        (Outcome::Refused(_), Expect::Refused) => {
            for check in &case.checks {
                note(check, Ok(()));
            }
        }
        (Outcome::Ran { lines, .. }, Expect::Refused) => {
            log = lines;
            for check in &case.checks {
                note(
                    check,
                    Err((
                        Some("refused".into()),
                        "the host loaded and ran the module".into(),
                    )),
                );
            }
        }
        (Outcome::Refused(reason), Expect::Pass) => {
            for check in &case.checks {
                note(
                    check,
                    Err((None, format!("the host refused the probe module: {reason}"))),
                );
            }
        }
        (Outcome::BadScenario(e), _) => {
            problems.push(format!("the case's scenario cannot run: {e}"));
        }
        (Outcome::Broken(e), _) => {
            for check in &case.checks {
                note(
                    check,
                    Err((None, "not reached (the adapter broke)".to_string())),
                );
            }
            problems.push(e.clone());
        }
        (Outcome::Harness(e), _) => problems.push(format!("harness error: {e}")),
    }
    let judged: Vec<&FailedCheck> = failed.iter().filter(|f| f.basis.level() <= level).collect();
    let failure = (!judged.is_empty() || !problems.is_empty()).then(|| {
        let mut out = case.description.clone();
        for f in &judged {
            match &f.expected {
                Some(expected) => out.push_str(&format!(
                    "\nFAIL [{}] {}: expected {expected}, got {}",
                    f.basis.level().name(),
                    f.id,
                    f.got
                )),
                None => out.push_str(&format!(
                    "\nFAIL [{}] {}: {}",
                    f.basis.level().name(),
                    f.id,
                    f.got
                )),
            }
            out.push_str(&format!("\n     {}", f.basis.describe()));
        }
        let below = failed.len() - judged.len();
        if below > 0 {
            out.push_str(&format!(
                "\n({below} check(s) below the judged level `{}` also failed)",
                level.name()
            ));
        }
        for p in &problems {
            out.push('\n');
            out.push_str(p);
        }
        if !log.is_empty() || matches!(outcome, Outcome::Ran { .. }) {
            out.push('\n');
            out.push_str(&show_log(log));
        }
        out
    });
    Judgement {
        counts,
        failed,
        failure,
    }
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
