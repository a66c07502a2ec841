//! The generated C headers compile for wasm32 with clang, and the module they produce imports
//! and exports exactly what the IR says: names, import modules and wasm signatures.
//! Needs Debian's `clang` and `lld` (`cargo xtask test` installs them).

// Helpers outside `#[test]` functions fail the test the same way: by panicking.
#![allow(clippy::panic)]

mod wasm_interface;

use proxy_wasm_codegen::signature::c_declaration;
use proxy_wasm_spec::ir::Abi;
use std::path::{Path, PathBuf};
use std::process::Command;
use wasm_interface::{CALL_EVERY_IMPORT, assert_matches_abi};

/// Callbacks a C runtime defines itself; the header leaves them undeclared.
const C_RUNTIME_NAMES: &[&str] = &["main", "malloc", "_start", "_initialize", "__main_void"];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A plugin that calls every import once and defines every callback the header declares.
fn plugin_source(abi: &Abi) -> String {
    let mut src = format!(
        "#define {}\n#include \"proxy_wasm_abi.h\"\n\nPROXY_WASM_DEFINE_ABI_MARKER()\n\n",
        proxy_wasm_codegen::names::c_version_macro(&abi.name)
    );
    for f in abi
        .callbacks
        .iter()
        .filter(|f| !f.marker && !C_RUNTIME_NAMES.contains(&f.name.as_str()))
    {
        let body = if f.results.is_empty() {
            "{}"
        } else {
            "{ return 0; }"
        };
        // Parameters are unused on purpose; `(void)` each to keep -Wextra quiet.
        let uses: String = f
            .params
            .iter()
            .map(|p| format!(" (void){};", p.name))
            .collect();
        src.push_str(&format!("{} {{{uses} {}\n", c_declaration(f), &body[1..]));
    }
    src.push_str(&format!(
        "__attribute__((export_name(\"{CALL_EVERY_IMPORT}\"))) void call_every_import(void) {{\n"
    ));
    for f in &abi.functions {
        let zeros = vec!["0"; f.params.len()].join(", ");
        src.push_str(&format!("  (void){}({zeros});\n", f.name));
    }
    src.push_str("}\n");
    src
}

fn compile(abi: &Abi, dir: &Path) -> Result<Vec<u8>, String> {
    let c = dir.join(format!("plugin-{}.c", abi.name));
    let wasm = dir.join(format!("plugin-{}.wasm", abi.name));
    std::fs::write(&c, plugin_source(abi)).map_err(|e| e.to_string())?;
    let out = Command::new("clang")
        .args([
            "--target=wasm32",
            "-nostdlib",
            "-ffreestanding",
            "-O1",
            "-Wall",
            "-Wextra",
            "-Werror",
        ])
        .arg("-I")
        .arg(workspace().join("generated/guest/include"))
        .args(["-Wl,--no-entry", "-Wl,--allow-undefined", "-o"])
        .arg(&wasm)
        .arg(&c)
        .output()
        .map_err(|e| {
            format!(
                "cannot run clang ({e}); install Debian's clang and lld (`cargo xtask test` does)"
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "clang failed on {}:\n{}",
            c.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    std::fs::read(&wasm).map_err(|e| e.to_string())
}

#[test]
fn c_headers_compile_to_the_abi() {
    let dir = std::env::temp_dir().join(format!("c-header-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for name in ["0.1.0", "0.2.0", "0.2.1"] {
        let abi = proxy_wasm_spec::builtin(name).expect("valid ABI");
        let wasm = compile(&abi, &dir).unwrap_or_else(|e| panic!("{e}"));
        assert_matches_abi("C plugin", &abi, &wasm, |f| {
            !C_RUNTIME_NAMES.contains(&f.name.as_str())
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
}
