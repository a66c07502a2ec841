//! `cargo xtask spec check|dump`.

use crate::usage_error;
use proxy_wasm_spec::{
    Abi, Errors,
    ir::{Dialect, Level},
};
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
                eprint!("{errors}");
                let n = errors.diagnostics.len();
                eprintln!("FAIL {file}: {n} error{}", if n == 1 { "" } else { "s" });
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
