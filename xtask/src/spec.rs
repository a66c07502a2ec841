//! `cargo xtask spec check|dump|docs`.

use crate::usage_error;
use proxy_wasm_codegen::docs::witx;
use proxy_wasm_spec::{
    Abi, Errors,
    ir::{Dialect, Level},
};
use std::path::Path;
use std::process::ExitCode;

pub fn check(files: &[&str]) -> ExitCode {
    if files.is_empty() {
        return usage_error(
            "`spec check` needs at least one entry document, e.g. spec/abi/v0.2.1.witx",
        );
    }
    let mut failed = false;
    for file in files {
        match proxy_wasm_spec::load_file(file) {
            Ok(abi) => println!("ok   {file}: {}", summary(&abi)),
            Err(errors) => {
                failed = true;
                report_errors(file, &errors);
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn summary(abi: &Abi) -> String {
    if abi.dialect == Dialect::Witx {
        let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        return format!(
            "ABI {} (plain witx): {}, {}, {}",
            abi.name,
            count(abi.modules.len(), "module"),
            count(abi.functions.len() + abi.callbacks.len(), "function"),
            count(abi.types.len(), "type")
        );
    }
    let spec =
        |fs: &[proxy_wasm_spec::ir::Function]| fs.iter().filter(|f| f.level == Level::Spec).count();
    format!(
        "ABI {}: {} host functions ({} spec), {} callbacks ({} spec), {} types",
        abi.name,
        abi.functions.len(),
        spec(&abi.functions),
        abi.callbacks.len(),
        spec(&abi.callbacks),
        abi.types.len()
    )
}

pub fn dump(args: &[&str]) -> ExitCode {
    let result: Result<Abi, Errors> = match args {
        ["--abi", name] => proxy_wasm_spec::builtin(name),
        ["--file", file] => proxy_wasm_spec::load_file(file),
        _ => return usage_error("`spec dump` takes `--abi NAME` or `--file FILE`"),
    };
    match result {
        Ok(abi) => match serde_json::to_string_pretty(&abi) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: cannot serialize the IR: {e}");
                ExitCode::FAILURE
            }
        },
        Err(errors) => {
            eprint!("{errors}");
            ExitCode::FAILURE
        }
    }
}

/// A rendered page: where it goes and what it was made from.
struct Page<'a> {
    file: &'a str,
    name: String,
    text: String,
    summary: String,
}

/// `spec docs FILE... --out DIR`: the reference of each document set in the witx 0.6 layout, as
/// `DIR/<FILE's stem>.md`. Every set is loaded and rendered before anything is written, and each
/// page is written beside its place and then renamed into it, so a page in DIR is always whole.
pub fn docs(args: &[&str]) -> ExitCode {
    let mut files = Vec::new();
    let mut out = None;
    let mut rest = args;
    loop {
        match rest {
            [] => break,
            ["--out", dir, tail @ ..] if out.is_none() => {
                out = Some(*dir);
                rest = tail;
            }
            [flag, ..] if flag.starts_with('-') => {
                return usage_error(&format!("`spec docs` does not take `{flag}`"));
            }
            [file, tail @ ..] => {
                files.push(*file);
                rest = tail;
            }
        }
    }
    let (Some(out), false) = (out, files.is_empty()) else {
        return usage_error("`spec docs` needs entry documents and `--out DIR`");
    };
    let mut names: Vec<(&str, String)> = Vec::new();
    for file in files {
        let Some(stem) = Path::new(file).file_stem().and_then(|s| s.to_str()) else {
            return usage_error(&format!("cannot name a page after `{file}`"));
        };
        let name = format!("{stem}.md");
        if let Some((other, _)) = names.iter().find(|(_, n)| *n == name) {
            return usage_error(&format!(
                "`{other}` and `{file}` would both be written to {name}"
            ));
        }
        names.push((file, name));
    }
    let mut pages: Vec<Page> = Vec::new();
    let mut failed = false;
    for (file, name) in names {
        match proxy_wasm_spec::load_file(file) {
            Ok(abi) => match witx::render(&abi, file) {
                Ok(text) => pages.push(Page {
                    file,
                    name,
                    text,
                    summary: summary(&abi),
                }),
                Err(e) => {
                    failed = true;
                    eprintln!("FAIL {file}: cannot render its page: {e}");
                }
            },
            Err(errors) => {
                failed = true;
                report_errors(file, &errors);
            }
        }
    }
    if failed {
        eprintln!("error: nothing written to {out}");
        return ExitCode::FAILURE;
    }
    let dir = Path::new(out);
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("error: cannot create {out}: {e}");
        return ExitCode::FAILURE;
    }
    for page in &pages {
        let path = dir.join(&page.name);
        if let Err(e) = write_whole(dir, &page.name, &page.text) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!(
            "wrote {} from {}: {}",
            path.display(),
            page.file,
            page.summary
        );
    }
    ExitCode::SUCCESS
}

/// Writes `dir/name` through a temporary file in `dir`, so the page appears whole or not at all.
fn write_whole(dir: &Path, name: &str, text: &str) -> std::io::Result<()> {
    let partial = dir.join(format!(".{name}.partial"));
    let written =
        std::fs::write(&partial, text).and_then(|()| std::fs::rename(&partial, dir.join(name)));
    if written.is_err() {
        // Best effort: the error that matters is the write's.
        let _ = std::fs::remove_file(&partial);
    }
    written
}

/// Prints a document set's errors and the line that counts them.
fn report_errors(file: &str, errors: &Errors) {
    eprint!("{errors}");
    let n = errors.diagnostics.len();
    eprintln!("FAIL {file}: {n} error{}", if n == 1 { "" } else { "s" });
}
