//! `cargo xtask docs`: the generated reference as an HTML book, built by mdBook (installed from
//! crates.io when missing) into `target/book`.

use crate::usage_error;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The mdBook the book is built and checked with; another version may lay out anchors otherwise.
const MDBOOK_VERSION: &str = "0.5.4";

pub fn run(args: &[&str]) -> ExitCode {
    let open = match args {
        [] => false,
        ["--open"] => true,
        _ => {
            return usage_error(&format!(
                "`docs` takes only --open, not `{}`",
                args.join(" ")
            ));
        }
    };
    match build(open) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Builds the book; says where it is, how big, and how long it took.
pub fn build(open: bool) -> Result<String, String> {
    let root = crate::root();
    let book = root.join("generated");
    if !book.join("book.toml").is_file() {
        return Err(format!(
            "{} is missing; run `cargo xtask codegen` first",
            book.join("book.toml").display()
        ));
    }
    let mdbook = mdbook()?;
    let started = std::time::Instant::now();
    let mut command = Command::new(&mdbook);
    command.arg("build").arg(&book);
    if open {
        command.arg("--open");
    }
    let status = command
        .status()
        .map_err(|e| format!("cannot run {}: {e}", mdbook.display()))?;
    if !status.success() {
        return Err(format!("mdbook build failed ({status})"));
    }
    let out = root.join("target/book");
    let (files, bytes) = count(&out);
    Ok(format!(
        "book built in {:.1} s: {files} files, {:.1} MB; open {}",
        started.elapsed().as_secs_f64(),
        bytes as f64 / 1e6,
        out.join("index.html").display()
    ))
}

/// The mdBook binary of the pinned version: the one on the PATH or in cargo's bin folder, else
/// one installed now with `cargo install`.
fn mdbook() -> Result<PathBuf, String> {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .map(|home| home.join("bin/mdbook"));
    let candidates = [Some(PathBuf::from("mdbook")), cargo_bin];
    for candidate in candidates.iter().flatten() {
        if version_of(candidate).as_deref() == Some(MDBOOK_VERSION) {
            return Ok(candidate.clone());
        }
    }
    eprintln!("==> installing mdbook {MDBOOK_VERSION} from crates.io (cargo install)");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(&cargo)
        .args([
            "install",
            "mdbook",
            "--locked",
            "--version",
            MDBOOK_VERSION,
            "--no-default-features",
            "--features",
            "search",
        ])
        .status()
        .map_err(|e| format!("cannot run `{cargo} install`: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`cargo install mdbook --version {MDBOOK_VERSION}` failed ({status})"
        ));
    }
    candidates
        .iter()
        .flatten()
        .find(|c| version_of(c).as_deref() == Some(MDBOOK_VERSION))
        .cloned()
        .ok_or_else(|| {
            format!("mdbook {MDBOOK_VERSION} was installed but is neither on the PATH nor in cargo's bin folder")
        })
}

/// What `mdbook --version` says its version is (`mdbook v0.5.4`).
fn version_of(program: &Path) -> Option<String> {
    let out = Command::new(program).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split_whitespace().nth(1)?;
    Some(version.trim_start_matches('v').to_string())
}

/// Files and bytes under a folder.
fn count(dir: &Path) -> (usize, u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (0, 0);
    };
    entries.flatten().fold((0, 0), |(files, bytes), entry| {
        let path = entry.path();
        if path.is_dir() {
            let (f, b) = count(&path);
            (files + f, bytes + b)
        } else {
            (files + 1, bytes + entry.metadata().map_or(0, |m| m.len()))
        }
    })
}
