//! `cargo xtask test`: what CI runs. Installs what the tests need when it is missing, then runs
//! formatting, lint and test checks, stopping at the first failure.

use crate::usage_error;
use std::process::{Command, ExitCode};

pub fn run(args: &[&str]) -> ExitCode {
    if !args.is_empty() {
        return usage_error("`test` takes no arguments");
    }
    let steps: &[(&str, &[&str])] = &[
        ("formatting", &["fmt", "--all", "--check"]),
        (
            "lints",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
        ("tests", &["test", "--workspace"]),
    ];
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    for (what, args) in steps {
        eprintln!("==> {what}: cargo {}", args.join(" "));
        match Command::new(&cargo).args(*args).status() {
            Ok(status) if status.success() => {}
            Ok(status) => {
                eprintln!("==> {what} failed ({status})");
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("==> cannot run `{cargo}`: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
