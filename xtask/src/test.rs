//! `cargo xtask test`: what CI runs. Installs what the tests need when it is missing (Debian's
//! clang and lld, for the C header test and the C test plugin; Debian's wasm-capable Rust, for the
//! SDK test plugins and the Rust guest test), then runs formatting, lint and test checks, builds
//! the reference as a book (mdBook, installed when missing), then the whole conformance suite on
//! the `proxy-wasm-host` library through its adapter, stopping at the first failure.

use crate::usage_error;
use std::process::{Command, ExitCode};

/// The adapter for the crates.io library `proxy-wasm-host`: its own workspace (the library needs
/// wasmtime 49 and declares rust 1.96, which 1.95 builds with `--ignore-rust-version`).
const ADAPTER: &str = "runner/adapters/proxy-wasm-host";

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
    if let Err(e) = install_missing_tools() {
        eprintln!("==> {e}");
        return ExitCode::FAILURE;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let adapter_target = format!("{ADAPTER}/target");
    let adapter_manifest = format!("{ADAPTER}/Cargo.toml");
    let adapter_bin = format!("{adapter_target}/release/proxy-wasm-host-adapter");
    let adapter_steps: &[(&str, &[&str])] = &[
        (
            "proxy-wasm-host adapter",
            &[
                "build",
                "--release",
                "--locked",
                "--ignore-rust-version",
                "--manifest-path",
                &adapter_manifest,
                "--target-dir",
                &adapter_target,
            ],
        ),
        (
            "conformance suite on proxy-wasm-host",
            &[
                "run",
                "--release",
                "-p",
                "conformance-runner",
                "--",
                "--host",
                &adapter_bin,
                "--expectations",
                "runner/expectations/proxy-wasm-host.toml",
            ],
        ),
    ];
    // Relative paths above: every step runs from the workspace root.
    let run_all = |steps: &[(&str, &[&str])]| -> Result<(), String> {
        for (what, args) in steps {
            eprintln!("==> {what}: cargo {}", args.join(" "));
            let status = Command::new(&cargo)
                .args(*args)
                .current_dir(crate::root())
                .status()
                .map_err(|e| format!("cannot run `{cargo}`: {e}"))?;
            if !status.success() {
                return Err(format!("{what} failed ({status})"));
            }
        }
        Ok(())
    };
    let book = || {
        eprintln!("==> book: cargo xtask docs");
        crate::docs::build(false).map(|summary| eprintln!("==> {summary}"))
    };
    match run_all(steps)
        .and_then(|()| book())
        .and_then(|()| run_all(adapter_steps))
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("==> {e}");
            ExitCode::FAILURE
        }
    }
}

/// Installs the packages whose programs are missing, with apt-get (the machines run as root).
fn install_missing_tools() -> Result<(), String> {
    // What the test plugins are built with (test-plugins/src/lib.rs); Debian's Rust among them.
    let missing: Vec<&str> = test_plugins::debian_packages()
        .into_iter()
        .filter(|(_, program)| !installed(program))
        .map(|(package, _)| package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("==> installing {} (apt-get)", missing.join(" "));
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| {
                format!(
                    "cannot run apt-get: {e}; install {} by hand",
                    missing.join(" ")
                )
            })
    };
    let update = apt(&["update", "-qq"])?;
    let install = apt(&[&["install", "-y", "-qq"], missing.as_slice()].concat())?;
    if !update.success() || !install.success() {
        return Err(format!(
            "apt-get could not install {}; install them by hand (as root)",
            missing.join(" ")
        ));
    }
    Ok(())
}

fn installed(program: &str) -> bool {
    if program.starts_with('/') {
        return std::path::Path::new(program).exists();
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}
