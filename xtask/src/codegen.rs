//! `cargo xtask codegen [--check] [--results DIR]`: writes `generated/`, or checks that it is up
//! to date. The host support pages come from the reports in DIR, by default `runner/results` when
//! it exists, so `--check` compares against the pages of the checked-in results.

use crate::usage_error;
use proxy_wasm_codegen::RESULTS_DIR;
use proxy_wasm_codegen::disk::{self, Drift};
use std::process::ExitCode;

/// How many diff lines to show per stale file before eliding the rest.
const DIFF_LINES: usize = 60;

pub fn run(args: &[&str]) -> ExitCode {
    let mut check = false;
    let mut results: Option<&str> = None;
    let mut rest = args;
    loop {
        match rest {
            [] => break,
            ["--check", tail @ ..] => {
                check = true;
                rest = tail;
            }
            ["--results", dir, tail @ ..] if results.is_none() => {
                results = Some(dir);
                rest = tail;
            }
            _ => return usage_error("`codegen` takes `--check` and `--results DIR`"),
        }
    }
    // A `--results` DIR is the user's (relative to where they are); the default is the project's.
    let stored = crate::root().join(RESULTS_DIR);
    let results = match results {
        Some(dir) => Some(std::path::PathBuf::from(dir)),
        None => stored.is_dir().then_some(stored),
    };
    let inputs = match proxy_wasm_codegen::Inputs::builtin() {
        Ok(inputs) => inputs,
        Err(errors) => {
            eprint!("{errors}");
            eprintln!("error: the spec documents do not validate; fix them first");
            return ExitCode::FAILURE;
        }
    };
    let inputs = match results {
        None => inputs,
        Some(dir) => match inputs.with_results(&dir) {
            Ok(inputs) => {
                let shown = dir.strip_prefix(crate::root()).unwrap_or(&dir);
                println!(
                    "host support pages: {} report(s) in {}",
                    inputs.results.len(),
                    shown.display()
                );
                inputs
            }
            Err(errors) => {
                eprint!("{errors}");
                eprintln!(
                    "error: cannot use the conformance results in {}",
                    dir.display()
                );
                return ExitCode::FAILURE;
            }
        },
    };
    let files = match proxy_wasm_codegen::generate(&inputs) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: generation failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let root = crate::root().join("generated");
    let root = root.as_path();
    if check {
        match disk::check(root, &files) {
            Ok(drift) if drift.is_empty() => {
                println!("generated/ is up to date ({} files)", files.len());
                ExitCode::SUCCESS
            }
            Ok(drift) => {
                report(&drift);
                eprintln!(
                    "error: generated/ is stale in {} file(s); run `cargo xtask codegen` to update it",
                    drift.len()
                );
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("error: cannot read generated/: {e}");
                ExitCode::FAILURE
            }
        }
    } else {
        match disk::write(root, &files) {
            Ok(n) => {
                println!("generated/: {} files, {n} written or removed", files.len());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: cannot write generated/: {e}");
                ExitCode::FAILURE
            }
        }
    }
}

fn report(drift: &[Drift]) {
    for d in drift {
        match d {
            Drift::Missing(path) => eprintln!("missing: generated/{path}"),
            Drift::Extra(path) => eprintln!("not generated any more: generated/{path}"),
            Drift::Changed(path, diff) => {
                eprintln!("stale: generated/{path} (- on disk, + generated)");
                let lines: Vec<&str> = diff.lines().collect();
                for line in lines.iter().take(DIFF_LINES) {
                    eprintln!("  {line}");
                }
                if lines.len() > DIFF_LINES {
                    eprintln!("  ... {} more diff lines", lines.len() - DIFF_LINES);
                }
            }
        }
    }
}
