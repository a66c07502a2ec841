//! `reference-host`: runs a plugin against a scenario, and speaks the conformance-runner adapter
//! protocol (`runner/ADAPTERS.md`).

use proxy_wasm_interchange::protocol::exit;
use reference_host::{Compile, adapter};
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "\
usage: reference-host run PLUGIN.wasm SCENARIO.json [--transcript]
       reference-host info
       reference-host serve

  run      runs the scenario; prints one JSON event per line (logs, host errors, HTTP
           responses), or with --transcript the whole transcript; exit 2 for a bad job (an
           unreadable file, a scenario that does not parse or asks the impossible), 3 if the
           plugin is refused
  info     what this host supports, as adapter protocol v1 JSON
  serve    adapter protocol v1 jobs, one JSON line each on stdin, results on stdout";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["info"] => {
            println!(
                "{}",
                serde_json::to_string(&adapter::info()).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        ["serve"] => serve(),
        ["run", plugin, scenario] => run(plugin, scenario),
        ["run", plugin, scenario, "--transcript"] => transcript(plugin, scenario),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("error: bad command line\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// `run` takes one plugin through a scenario, often of many requests: compiled optimized, and
/// kept in wasmtime's on-disk cache so the next run of the same plugin skips compiling. `serve`
/// gets many small probes: compiled quickly.
fn runtime(compile: Compile) -> Option<reference_host::Runtime> {
    let engine = match compile {
        Compile::Optimized => reference_host::cached_engine_for(compile, None)
            .or_else(|_| reference_host::engine_for(compile)),
        Compile::Quick => reference_host::engine_for(compile),
    };
    match engine.and_then(reference_host::Runtime::new) {
        Ok(runtime) => Some(runtime),
        Err(e) => {
            eprintln!("error: cannot start the engine: {e}");
            None
        }
    }
}

fn run(plugin: &str, scenario: &str) -> ExitCode {
    let Some(runtime) = runtime(Compile::Optimized) else {
        return ExitCode::from(2);
    };
    let (exit, lines) = adapter::job(&runtime, plugin, scenario);
    let mut out = String::new();
    for line in &lines {
        out.push_str(line);
        out.push('\n');
    }
    if exit == proxy_wasm_interchange::protocol::exit::BAD_JOB {
        eprint!("{out}");
    } else {
        print!("{out}");
    }
    ExitCode::from(u8::try_from(exit).unwrap_or(2))
}

/// The same job as `run`, the transcript printed whole; the same exit codes (protocol `exit`).
fn transcript(plugin: &str, scenario: &str) -> ExitCode {
    let code = |c: i32| ExitCode::from(u8::try_from(c).unwrap_or(2));
    let (wasm, parsed) = match adapter::read_job(plugin, scenario) {
        Ok(job) => job,
        Err(e) => {
            eprintln!("error: {e}");
            return code(exit::BAD_JOB);
        }
    };
    let Some(runtime) = runtime(Compile::Optimized) else {
        return code(exit::BAD_JOB);
    };
    match runtime.run(&wasm, &parsed) {
        Ok(transcript) => match serde_json::to_string_pretty(&transcript) {
            Ok(json) => {
                println!("{json}");
                code(exit::RAN)
            }
            Err(e) => {
                eprintln!("error: cannot print the transcript: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) if adapter::is_bad_job(&e) => {
            eprintln!("error: {scenario}: {e}");
            code(exit::BAD_JOB)
        }
        Err(e) => {
            eprintln!("error: {plugin}: refused: {e}");
            code(exit::REFUSED)
        }
    }
}

fn serve() -> ExitCode {
    let Some(runtime) = runtime(Compile::Quick) else {
        return ExitCode::from(2);
    };
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    match adapter::serve(&runtime, stdin, stdout) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: serve: {e}");
            ExitCode::FAILURE
        }
    }
}
