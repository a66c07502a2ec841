//! `proxy-wasm-host-adapter`: runs conformance-runner probes on the `proxy-wasm-host` crate,
//! speaking adapter protocol v1 (`runner/ADAPTERS.md`): `info`, `run MODULE SCENARIO` and
//! `serve`. The library is embedded, so one process (and one engine) serves many jobs.

mod drive;
mod embed;

use drive::{Outcome, Runtime};
use proxy_wasm_interchange::protocol::{Capability, Event, Info, Job, JobResult, PROTOCOL, exit};
use std::io::{BufRead, Write};
use std::process::ExitCode;

/// The library version this adapter is pinned to (`=0.2.0` in Cargo.toml).
const HOST_VERSION: &str = "0.2.0";

const USAGE: &str = "\
usage: proxy-wasm-host-adapter info
       proxy-wasm-host-adapter run MODULE.wasm SCENARIO.json
       proxy-wasm-host-adapter serve";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["info"] => {
            println!("{}", serde_json::to_string(&info()).unwrap_or_default());
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
            exit_code(exit::BAD_JOB)
        }
    }
}

fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// What the library, as embedded here, supports. Not claimed: ABI 0.1.0 (the library refuses
/// it: `AbiVersion` knows 0.2.0 and 0.2.1 only) and `tcp` (no case needs it yet).
fn info() -> Info {
    Info {
        protocol: PROTOCOL,
        name: "proxy-wasm-host".into(),
        version: HOST_VERSION.into(),
        abi_versions: vec!["0.2.0".into(), "0.2.1".into()],
        capabilities: Capability::KNOWN
            .into_iter()
            .filter(|c| *c != Capability::Tcp)
            .collect(),
        serve: true,
    }
}

/// One job: its exit code and the lines `run` prints (event lines, or an error for exit 2).
fn job(runtime: &Runtime, module: &str, scenario: &str) -> (i32, Vec<String>) {
    // A panic inside the library must not take a serve process (and its later jobs) down.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.job(module, scenario)
    }));
    match outcome {
        Ok(Outcome::Ran(lines)) => (exit::RAN, lines),
        Ok(Outcome::Refused(message)) => (exit::REFUSED, vec![Event::Refused { message }.line()]),
        Ok(Outcome::Bad(message)) => (exit::BAD_JOB, vec![format!("error: {message}")]),
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
        return exit_code(exit::BAD_JOB);
    };
    let (code, lines) = job(&runtime, module, scenario);
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    if code == exit::RAN || code == exit::REFUSED {
        print!("{text}");
    } else {
        eprint!("{text}");
    }
    exit_code(code)
}

/// Jobs as JSON lines on stdin, one result line each on stdout, until stdin closes. A line
/// that is not a job still gets an answer (exit 2), so the runner never waits for nothing.
fn serve() -> ExitCode {
    let Some(runtime) = runtime() else {
        return exit_code(exit::BAD_JOB);
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
                let (code, lines) = job(&runtime, &j.module, &j.scenario);
                JobResult {
                    id: Some(j.id),
                    exit: code,
                    lines,
                }
            }
            Err(e) => JobResult {
                id: serde_json::from_str::<serde_json::Value>(&line)
                    .ok()
                    .and_then(|v| v.get("id").and_then(serde_json::Value::as_u64)),
                exit: exit::BAD_JOB,
                lines: vec![format!("error: bad job: {e}")],
            },
        };
        let result = serde_json::to_string(&result).unwrap_or_default();
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
