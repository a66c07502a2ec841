//! `<cmd> serve`: long-lived adapter processes, one per runner thread at most, each taking one
//! JSON-line job at a time. A process that times out, dies or answers garbage is killed and
//! replaced for the next job.

use super::process::{self, Exit};
use crate::judge::Outcome;
use proxy_wasm_interchange::protocol::{Job, JobResult};
use serde_json::Value;
use std::collections::VecDeque;
use std::io::Write;
use std::path::Path;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Serve processes not busy with a job.
pub(super) struct Pool {
    argv: Vec<String>,
    timeout: Duration,
    idle: Mutex<Vec<Server>>,
    next_id: AtomicU64,
}

struct Server {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<(String, bool)>,
    stderr: Arc<Mutex<VecDeque<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        process::kill_group(&mut self.child);
        let _ = self.child.wait();
    }
}

impl Pool {
    pub(super) fn new(argv: Vec<String>, timeout: Duration) -> Self {
        Pool {
            argv,
            timeout,
            idle: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
        }
    }

    /// Runs one job on an idle server, or a new one.
    pub(super) fn job(&self, module: &Path, scenario: &Path) -> Outcome {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let mut server = match idle {
            Some(s) => s,
            None => match self.start() {
                Ok(s) => s,
                Err(e) => return Outcome::Harness(e),
            },
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let job = Job {
            id,
            module: module.display().to_string(),
            scenario: scenario.display().to_string(),
        };
        let line = serde_json::to_string(&job).unwrap_or_default();
        let (outcome, healthy) = self.exchange(&mut server, id, &line);
        if healthy && let Ok(mut idle) = self.idle.lock() {
            idle.push(server);
        }
        outcome
    }

    fn start(&self) -> Result<Server, String> {
        let mut call = self.argv.clone();
        call.push("serve".into());
        let mut c = process::command(&call)?;
        c.stdin(Stdio::piped());
        let mut child = c
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", super::shell_line(&call)))?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            process::kill_group(&mut child);
            return Err("serve: no pipes to the adapter".to_string());
        };
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            process::for_each_line(stdout, process::MAX_OUTPUT, |line, cut| {
                let _ = tx.send((line, cut));
            });
        });
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let keep = Arc::clone(&tail);
        std::thread::spawn(move || {
            process::for_each_line(stderr, process::MAX_LINE, |line, _| {
                if let Ok(mut t) = keep.lock() {
                    if t.len() == process::TAIL_LINES {
                        t.pop_front();
                    }
                    t.push_back(line);
                }
            });
        });
        Ok(Server {
            child,
            stdin,
            lines,
            stderr: tail,
        })
    }

    /// Sends a job and waits for its result line; whether the server can take another.
    fn exchange(&self, server: &mut Server, id: u64, job: &str) -> (Outcome, bool) {
        if let Err(e) = writeln!(server.stdin, "{job}").and_then(|()| server.stdin.flush()) {
            return (
                self.broken(server, &format!("did not take the job ({e})")),
                false,
            );
        }
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match server.lines.recv_timeout(left) {
                Ok((line, cut)) => {
                    if !line.starts_with('{') {
                        continue;
                    }
                    let Ok(result) = serde_json::from_str::<Value>(&line) else {
                        if cut {
                            let why =
                                format!("printed a result line over {} bytes", process::MAX_OUTPUT);
                            return (self.broken(server, &why), false);
                        }
                        continue;
                    };
                    if result.get("id").and_then(Value::as_u64) != Some(id) {
                        continue;
                    }
                    return match parse(result) {
                        Ok((exit, lines)) => {
                            let stderr = snapshot(&server.stderr);
                            (super::outcome(&Exit::Code(exit), lines, &stderr, 0), true)
                        }
                        Err(e) => (self.broken(server, &e), false),
                    };
                }
                Err(RecvTimeoutError::Timeout) => {
                    let what = super::describe(&Exit::TimedOut(self.timeout));
                    return (self.broken(server, &what), false);
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = server.child.wait().ok();
                    let what = match status {
                        Some(s) => format!("ended during the job ({s})"),
                        None => "ended during the job".to_string(),
                    };
                    return (self.broken(server, &what), false);
                }
            }
        }
    }

    /// A failure of the serve process itself; it is killed and not reused.
    fn broken(&self, server: &mut Server, what: &str) -> Outcome {
        process::kill_group(&mut server.child);
        let stderr = snapshot(&server.stderr);
        Outcome::Broken(format!(
            "the serve adapter {what}\nstderr tail:\n{}",
            process::tail(&stderr)
        ))
    }
}

fn snapshot(tail: &Mutex<VecDeque<String>>) -> Vec<String> {
    tail.lock()
        .map(|t| t.iter().cloned().collect())
        .unwrap_or_default()
}

/// `exit` and `lines` of a result line.
fn parse(result: Value) -> Result<(i32, Vec<String>), String> {
    serde_json::from_value::<JobResult>(result)
        .map(|r| (r.exit, r.lines))
        .map_err(|e| format!("answered a result that is not a protocol v1 result: {e}"))
}
