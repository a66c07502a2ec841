//! `proxy-wasm-host-adapter`: runs conformance-runner probes on the `proxy-wasm-host` crate,
//! speaking adapter protocol v1 (`runner/ADAPTERS.md`): `info`, `run MODULE SCENARIO` and
//! `serve`. The library is embedded, so one process (and one engine) serves many jobs.

mod drive;
mod embed;
mod scenario;

use drive::{Outcome, Runtime};
use serde_json::{Value, json};
use std::io::{BufRead, Write};
use std::process::ExitCode;

/// The library version this adapter is pinned to (`=0.2.0` in Cargo.toml).
const HOST_VERSION: &str = "0.2.0";
/// Exit code (and serve `exit`) for a module the library refuses to load.
const REFUSED: u8 = 3;
/// Exit code for an unusable job or command line.
const BAD_JOB: u8 = 2;

const USAGE: &str = "\
usage: proxy-wasm-host-adapter info
       proxy-wasm-host-adapter run MODULE.wasm SCENARIO.json
       proxy-wasm-host-adapter serve";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["info"] => {
            println!("{}", info());
            ExitCode::SUCCESS
        }
        ["run", module, scenario] => run(module, scenario),
        ["serve"] => serve(),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("error: bad command line\n\n{USAGE}");
            ExitCode::from(BAD_JOB)
        }
    }
}

/// What the library, as embedded here, supports. Not claimed: ABI 0.1.0 (the library refuses
/// it: `AbiVersion` knows 0.2.0 and 0.2.1 only) and `tcp` (no case needs it yet).
fn info() -> Value {
    json!({
        "protocol": 1,
        "name": "proxy-wasm-host",
        "version": HOST_VERSION,
        "abi_versions": ["0.2.0", "0.2.1"],
        "capabilities": [
            "http", "http_events", "ticks", "http_calls", "grpc", "shared_data", "shared_queues", "metrics",
            "properties", "foreign_functions", "refusal"
        ],
        "serve": true,
    })
}

/// One job: its exit code and the lines `run` prints (event lines, or an error for exit 2).
fn job(runtime: &Runtime, module: &str, scenario: &str) -> (u8, Vec<String>) {
    // A panic inside the library must not take a serve process (and its later jobs) down.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.job(module, scenario)
    }));
    match outcome {
        Ok(Outcome::Ran(lines)) => (0, lines),
        Ok(Outcome::Refused(message)) => {
            let event = json!({ "event": "refused", "message": message });
            (REFUSED, vec![event.to_string()])
        }
        Ok(Outcome::Bad(message)) => (BAD_JOB, vec![format!("error: {message}")]),
        Err(_) => (
            1,
            vec!["error: the adapter panicked (see stderr)".to_string()],
        ),
    }
}

fn runtime() -> Option<Runtime> {
    match Runtime::new() {
        Ok(runtime) => Some(runtime),
        Err(e) => {
            eprintln!("error: {e}");
            None
        }
    }
}

fn run(module: &str, scenario: &str) -> ExitCode {
    let Some(runtime) = runtime() else {
        return ExitCode::from(BAD_JOB);
    };
    let (exit, lines) = job(&runtime, module, scenario);
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    if exit == 0 || exit == REFUSED {
        print!("{text}");
    } else {
        eprint!("{text}");
    }
    ExitCode::from(exit)
}

#[derive(serde::Deserialize)]
struct Job {
    id: Value,
    module: String,
    scenario: String,
}

/// Jobs as JSON lines on stdin, one result line each on stdout, until stdin closes. A line
/// that is not a job still gets an answer (exit 2), so the runner never waits for nothing.
fn serve() -> ExitCode {
    let Some(runtime) = runtime() else {
        return ExitCode::from(BAD_JOB);
    };
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                eprintln!("error: serve: reading stdin: {e}");
                return ExitCode::FAILURE;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let result = match serde_json::from_str::<Job>(&line) {
            Ok(j) => {
                let (exit, lines) = job(&runtime, &j.module, &j.scenario);
                json!({ "id": j.id, "exit": exit, "lines": lines })
            }
            Err(e) => {
                let id = serde_json::from_str::<Value>(&line)
                    .ok()
                    .and_then(|v| v.get("id").cloned())
                    .unwrap_or(Value::Null);
                json!({ "id": id, "exit": BAD_JOB, "lines": [format!("error: bad job: {e}")] })
            }
        };
        if writeln!(out, "{result}")
            .and_then(|()| out.flush())
            .is_err()
        {
            // The runner went away.
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
