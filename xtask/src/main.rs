//! `cargo xtask`: the project's tasks, thin over the workspace libraries.

mod codegen;
mod docs;
mod spec;
mod test;

use std::path::Path;
use std::process::ExitCode;

/// The workspace root, found from xtask's own manifest so every task works from any folder.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
}

/// The usage text; `{abis}` stands for the built-in ABIs.
const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  spec check FILE...        validate spec documents; a summary line per file, or the errors
  spec dump --abi NAME      print the IR of a built-in ABI as JSON ({abis})
  spec dump --file FILE     print the IR of the document set FILE enters
  spec docs FILE... --out DIR
                            render the reference of each document set FILE enters, plain witx or
                            this project's dialect, in the layout of the witx 0.6 Markdown generator
                            (types, then modules with their functions), to DIR/<FILE's stem>.md;
                            the dialect's statuses and directions are not shown (see generated/docs)
  codegen [--check] [--results DIR]
                            regenerate generated/ from the spec and the conformance reports in DIR
                            (default runner/results, if it exists), or fail with a diff if stale
  docs [--open]             build generated/docs into an HTML book with mdBook (target/book);
                            installs mdBook from crates.io when missing
  test                      everything CI runs: formatting, lints, the whole test suite
  bench                     time the conformance suite, and the reference host per request, against
                            the bare-wasmtime floor
  fuzz [CASES]              run random plugins and scenarios through the reference host
                            (reference-host/tests/fuzz.rs) in release; default 100000 cases
";

fn usage() -> String {
    let abis: Vec<&str> = proxy_wasm_spec::builtin::names().collect();
    USAGE.replace("{abis}", &abis.join(", "))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["spec", "check", files @ ..] => spec::check(files),
        ["spec", "dump", rest @ ..] => spec::dump(rest),
        ["spec", "docs", rest @ ..] => spec::docs(rest),
        ["codegen", rest @ ..] => codegen::run(rest),
        ["docs", rest @ ..] => docs::run(rest),
        ["test", rest @ ..] => test::run(rest),
        ["bench"] => bench(),
        ["fuzz"] => fuzz("100000"),
        ["fuzz", cases] if cases.parse::<u64>().is_ok_and(|n| n > 0) => fuzz(cases),
        ["fuzz", cases] => usage_error(&format!("fuzz: `{cases}` is not a number of cases")),
        [] | ["help" | "--help" | "-h"] => {
            print!("{}", usage());
            ExitCode::SUCCESS
        }
        _ => usage_error(&format!("unknown task `{}`", args.join(" "))),
    }
}

/// The suite's figures (`runner/benches/suite.rs`), then the reference host's cost per request
/// (`reference-host/benches/requests.rs`).
fn bench() -> ExitCode {
    let suite = cargo(
        &["bench", "-p", "conformance-runner", "--bench", "suite"],
        None,
    );
    if suite != ExitCode::SUCCESS {
        return suite;
    }
    cargo(
        &["bench", "-p", "reference-host", "--bench", "requests"],
        None,
    )
}

/// The fuzz test with `cases` cases, in release, its summary shown.
fn fuzz(cases: &str) -> ExitCode {
    let test = [
        "test",
        "--release",
        "-p",
        "reference-host",
        "--test",
        "fuzz",
    ];
    cargo(
        &[&test[..], &["--", "--nocapture"]].concat(),
        Some(("FUZZ_CASES", cases)),
    )
}

fn cargo(args: &[&str], env: Option<(&str, &str)>) -> ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = std::process::Command::new(cargo);
    command.args(args);
    if let Some((key, value)) = env {
        command.env(key, value);
    }
    match command.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: cannot run cargo: {e}");
            ExitCode::from(2)
        }
    }
}

/// Prints a command-line mistake with the usage text; exit code 2.
fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\n{}", usage());
    ExitCode::from(2)
}
