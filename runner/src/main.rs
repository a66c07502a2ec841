//! `conformance-runner`: the Proxy-Wasm conformance suite as a libtest-mimic binary.

use conformance_guests::catalog::{self, Case};
use conformance_runner::{args, coverage, embedded, suite};
use std::io::Write as _;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let options = match args::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(e) => {
            // `--help` and `--version` print to stdout and exit 0; a mistake, usage and 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    for warning in &options.ignored {
        eprintln!("warning: {warning}");
    }
    let mut cases: Vec<Case> = Vec::new();
    for version in &options.versions {
        match catalog::catalog(version) {
            Ok(more) => cases.extend(more),
            Err(e) => {
                eprintln!("error: cannot build the probes of {version}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if options.coverage {
        // A closed pipe (`| head`) is not an error worth a panic.
        let _ = std::io::stdout().write_all(coverage::report(&options.versions, &cases).as_bytes());
        return ExitCode::SUCCESS;
    }
    if let Some(dir) = &options.emit_guests {
        return match embedded::emit(dir, &cases) {
            Ok(n) => {
                println!(
                    "wrote {n} probe modules and their scenarios to {}",
                    dir.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        };
    }
    ExitCode::from(suite::run(&options, cases))
}
