//! The client side of adapter protocol v1 (`runner/ADAPTERS.md`): a third-party host driven
//! through `<cmd> info`, `<cmd> run MODULE SCENARIO` and, when it offers it, `<cmd> serve`.

mod events;
pub mod process;
mod serve;
pub mod shell;

use crate::judge::Outcome;
use process::{Exit, Finished};
use proxy_wasm_interchange::protocol::{Capability, Info, PROTOCOL, exit};
use std::path::Path;
use std::time::Duration;

/// A host behind an adapter command.
pub struct Adapter {
    argv: Vec<String>,
    /// What it said about itself.
    pub info: Info,
    timeout: Duration,
    serve: Option<serve::Pool>,
}

impl Adapter {
    /// Splits `cmd`, asks it for `info` and checks the answer; `serve` chooses serve mode
    /// (`None`: when the host offers it). Any problem is a harness error.
    pub fn start(cmd: &str, timeout: Duration, serve: Option<bool>) -> Result<Adapter, String> {
        let argv = shell::split(cmd, |name| std::env::var(name).ok())
            .map_err(|e| format!("--host {cmd:?}: {e}"))?;
        let mut call = argv.clone();
        call.push("info".into());
        let done = process::run(&call, None, timeout)?;
        let shown = shell_line(&call);
        if done.exit != Exit::Code(0) {
            return Err(format!(
                "`{shown}` {}\nstderr:\n{}",
                describe(&done.exit),
                done.stderr_tail()
            ));
        }
        let text = done.stdout.join("\n");
        let info: Info = serde_json::from_str(text.trim()).map_err(|e| {
            format!(
                "`{shown}` did not print one protocol v1 JSON object: {e}\nstdout:\n{}",
                process::tail(&done.stdout)
            )
        })?;
        if info.protocol != PROTOCOL {
            return Err(format!(
                "`{shown}` speaks protocol {}, this runner {PROTOCOL}",
                info.protocol
            ));
        }
        if info.name.trim().is_empty() {
            return Err(format!("`{shown}`: `name` is empty"));
        }
        let serve = if serve.unwrap_or(info.serve) {
            if !info.serve {
                return Err(format!("--serve: `{shown}` does not offer serve"));
            }
            Some(serve::Pool::new(argv.clone(), timeout))
        } else {
            None
        };
        Ok(Adapter {
            argv,
            info,
            timeout,
            serve,
        })
    }

    /// Whether jobs go through `serve`.
    pub fn serving(&self) -> bool {
        self.serve.is_some()
    }

    /// The capability among `needs` the host lacks, if any.
    pub fn missing<'n>(&self, needs: &'n [Capability]) -> Option<&'n Capability> {
        needs.iter().find(|n| !self.info.capabilities.contains(n))
    }

    /// The command that runs one case by hand.
    pub fn repro(&self, module: &Path, scenario: &Path) -> String {
        let mut call = self.argv.clone();
        call.push("run".into());
        call.push(module.display().to_string());
        call.push(scenario.display().to_string());
        shell_line(&call)
    }

    /// Runs one case's files; what happened, for the judge.
    pub fn run(&self, module: &Path, scenario: &Path) -> Outcome {
        match &self.serve {
            Some(pool) => pool.job(module, scenario),
            None => {
                let mut call = self.argv.clone();
                call.push("run".into());
                call.push(module.display().to_string());
                call.push(scenario.display().to_string());
                match process::run(&call, None, self.timeout) {
                    Ok(done) => outcome(&done.exit, done_lines(&done), &done.stderr, done.dropped),
                    Err(e) => Outcome::Harness(e),
                }
            }
        }
    }
}

/// stdout then stderr lines of a run.
fn done_lines(done: &Finished) -> Vec<String> {
    done.stdout.iter().chain(&done.stderr).cloned().collect()
}

/// What an adapter's exit and lines mean for a case.
pub(crate) fn outcome(
    exit: &Exit,
    lines: Vec<String>,
    stderr: &[String],
    dropped: usize,
) -> Outcome {
    // The adapter's own `refused` event says why; the last line may be anything.
    let refusal = lines.iter().rev().find_map(|l| events::refused_message(l));
    let exchanges = events::exchanges(&lines);
    let lines: Vec<String> = lines.into_iter().map(|l| events::log_text(&l)).collect();
    let note = if dropped > 0 {
        format!(" ({dropped} oversized lines dropped)")
    } else {
        String::new()
    };
    match exit {
        Exit::Code(exit::RAN) => Outcome::Ran { lines, exchanges },
        Exit::Code(exit::REFUSED) => Outcome::Refused(refusal.unwrap_or_else(|| {
            lines
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty())
                .cloned()
                .unwrap_or_else(|| "exit code 3".to_string())
        })),
        other => Outcome::Broken(format!(
            "the adapter {}{note}\nstderr tail:\n{}",
            describe(other),
            process::tail(stderr)
        )),
    }
}

/// How a process ended, in words.
pub(crate) fn describe(exit: &Exit) -> String {
    match exit {
        Exit::Code(code) => format!("exited with code {code}"),
        Exit::Signal(signal) => format!("was killed by signal {signal}"),
        Exit::TimedOut(after) => format!(
            "did not finish within {:.1} s (--timeout); its process group was killed",
            after.as_secs_f64()
        ),
    }
}

/// A command line a shell reads back as the same words.
pub fn shell_line(argv: &[String]) -> String {
    argv.iter()
        .map(|w| {
            let plain = !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
            if plain {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::{Exit, Outcome, outcome};

    #[test]
    fn a_refusal_shows_the_refused_event_not_the_last_line() {
        let lines = vec![
            r#"{"event":"refused","message":"missing import env.proxy_foo"}"#.to_string(),
            "nginx: [emerg] exiting".to_string(),
        ];
        let got = outcome(&Exit::Code(3), lines, &[], 0);
        assert!(
            matches!(&got, Outcome::Refused(why) if why == "missing import env.proxy_foo"),
            "{got:?}"
        );
        let got = outcome(&Exit::Code(3), vec!["plain reason".into()], &[], 0);
        assert!(
            matches!(&got, Outcome::Refused(why) if why == "plain reason"),
            "{got:?}"
        );
    }
}
