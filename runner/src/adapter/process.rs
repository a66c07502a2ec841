//! Running one adapter command: its own process group (so a timeout kills everything it
//! started), output read as bounded lines of any encoding, and a deadline.

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest line kept; the rest of a longer line is dropped and the line marked.
pub const MAX_LINE: usize = 64 * 1024;
/// The most output kept per stream; later lines are counted, not kept.
pub const MAX_OUTPUT: usize = 16 * 1024 * 1024;
/// How many stderr lines a failure shows.
pub const TAIL_LINES: usize = 20;

/// How a command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this code.
    Code(i32),
    /// A signal killed it.
    Signal(i32),
    /// It ran past the deadline and its process group was killed.
    TimedOut(Duration),
}

/// What a finished command printed and how it ended.
#[derive(Debug)]
pub struct Finished {
    /// How it ended.
    pub exit: Exit,
    /// Its stdout lines (lossy UTF-8).
    pub stdout: Vec<String>,
    /// Its stderr lines (lossy UTF-8).
    pub stderr: Vec<String>,
    /// Lines or bytes dropped for size.
    pub dropped: usize,
}

impl Finished {
    /// The last lines of stderr, for a failure message.
    pub fn stderr_tail(&self) -> String {
        tail(&self.stderr)
    }
}

/// The last [`TAIL_LINES`] lines, each cut to 500 characters.
pub fn tail(lines: &[String]) -> String {
    let start = lines.len().saturating_sub(TAIL_LINES);
    let shown: Vec<String> = lines[start..]
        .iter()
        .map(|l| match l.char_indices().nth(500) {
            Some((at, _)) => format!("{}...", &l[..at]),
            None => l.clone(),
        })
        .collect();
    if shown.is_empty() {
        "(stderr empty)".to_string()
    } else {
        shown.join("\n")
    }
}

/// A command in its own process group with piped output.
pub fn command(argv: &[String]) -> Result<Command, String> {
    let (program, args) = argv.split_first().ok_or("the host command is empty")?;
    let mut c = Command::new(program);
    c.args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    Ok(c)
}

/// Kills the process group led by `child` (the adapter and whatever it started).
pub fn kill_group(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
    let _ = child.kill();
}

/// Runs `argv` to its end or the deadline; `Err` if it cannot be started.
pub fn run(argv: &[String], input: Option<&[u8]>, timeout: Duration) -> Result<Finished, String> {
    let mut c = command(argv)?;
    c.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = c
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", argv.join(" ")))?;
    if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
        // A host that does not read its input must not block the runner.
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        });
    }
    let dropped = Arc::new(Mutex::new(0));
    let out = child.stdout.take().map(|s| reader(s, Arc::clone(&dropped)));
    let err = child.stderr.take().map(|s| reader(s, Arc::clone(&dropped)));
    let started = Instant::now();
    let exit = loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                break match (status.code(), status.signal()) {
                    (Some(code), _) => Exit::Code(code),
                    (None, Some(signal)) => Exit::Signal(signal),
                    (None, None) => Exit::Code(-1),
                };
            }
            Ok(None) if started.elapsed() >= timeout => {
                kill_group(&mut child);
                let _ = child.wait();
                break Exit::TimedOut(timeout);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(format!("cannot wait for `{}`: {e}", argv.join(" "))),
        }
    };
    // Whatever the adapter left running would hold the pipes open.
    kill_group(&mut child);
    let join = |h: Option<JoinHandle<Vec<String>>>| {
        h.map(|h| h.join().unwrap_or_default()).unwrap_or_default()
    };
    let stdout = join(out);
    let stderr = join(err);
    let dropped = dropped.lock().map(|d| *d).unwrap_or(0);
    Ok(Finished {
        exit,
        stdout,
        stderr,
        dropped,
    })
}

/// Reads a stream into lines on a thread, keeping at most [`MAX_OUTPUT`] bytes.
fn reader(
    stream: impl Read + Send + 'static,
    dropped: Arc<Mutex<usize>>,
) -> JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        let mut lines = Vec::new();
        let mut kept = 0usize;
        let mut lost = 0usize;
        for_each_line(stream, MAX_LINE, |line, cut| {
            if cut {
                lost += 1;
            }
            if kept + line.len() > MAX_OUTPUT {
                lost += 1;
                return;
            }
            kept += line.len();
            lines.push(line);
        });
        if let Ok(mut d) = dropped.lock() {
            *d += lost;
        }
        lines
    })
}

/// Calls `each` with every line of `stream` (without its `\n` or `\r\n`), lossy UTF-8, cut to
/// `max` bytes (`true` when cut), until the stream ends or fails.
pub fn for_each_line(mut stream: impl Read, max: usize, mut each: impl FnMut(String, bool)) {
    let mut line: Vec<u8> = Vec::new();
    let mut cut = false;
    let mut buf = [0u8; 8192];
    let mut emit = |line: &mut Vec<u8>, cut: &mut bool| {
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        each(String::from_utf8_lossy(line).into_owned(), *cut);
        line.clear();
        *cut = false;
    };
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for chunk in buf[..n].split_inclusive(|b| *b == b'\n') {
            let (body, ends) = match chunk.split_last() {
                Some((b'\n', body)) => (body, true),
                _ => (chunk, false),
            };
            let room = max.saturating_sub(line.len());
            if body.len() > room {
                cut = true;
            }
            line.extend_from_slice(&body[..body.len().min(room)]);
            if ends {
                emit(&mut line, &mut cut);
            }
        }
    }
    if !line.is_empty() || cut {
        emit(&mut line, &mut cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8]) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        for_each_line(bytes, MAX_LINE, |l, cut| out.push((l, cut)));
        out
    }

    #[test]
    fn lines_of_any_encoding_and_size() {
        assert_eq!(
            lines(b"a\r\nb\n\xffc"),
            vec![
                ("a".to_string(), false),
                ("b".to_string(), false),
                ("\u{fffd}c".to_string(), false)
            ]
        );
        let long = vec![b'x'; MAX_LINE * 2 + 5];
        let got = lines(&[&long[..], b"\nnext\n"].concat());
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0.len(), MAX_LINE);
        assert!(got[0].1);
        assert_eq!(got[1], ("next".to_string(), false));
    }
}
