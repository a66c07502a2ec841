//! The generated C headers compile for wasm32 with clang, and the module they produce imports
//! and exports exactly what the IR says: names, import modules and wasm signatures.
//! Needs Debian's `clang` and `lld` (`cargo xtask test` installs them).

// Helpers outside `#[test]` functions fail the test the same way: by panicking.
#![allow(clippy::panic)]

use proxy_wasm_codegen::signature::c_declaration;
use proxy_wasm_spec::ir::{Abi, Function, WasmType};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use wasmparser::{Parser, Payload, TypeRef, ValType};

/// Callbacks a C runtime defines itself; the header leaves them undeclared.
const C_RUNTIME_NAMES: &[&str] = &["main", "malloc", "_start", "_initialize", "__main_void"];

type Sig = (Vec<WasmType>, Vec<WasmType>);

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
    src.push_str(
        "__attribute__((export_name(\"call_every_import\"))) void call_every_import(void) {\n",
    );
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

fn wasm_type(v: &ValType) -> WasmType {
    match v {
        ValType::I32 => WasmType::I32,
        ValType::I64 => WasmType::I64,
        ValType::F32 => WasmType::F32,
        ValType::F64 => WasmType::F64,
        other => panic!("unexpected value type {other:?}"),
    }
}

/// (imports by (module, name), exports by name) with their signatures.
fn interface(wasm: &[u8]) -> (BTreeMap<(String, String), Sig>, BTreeMap<String, Sig>) {
    let mut types: Vec<Sig> = Vec::new();
    let mut func_types: Vec<u32> = Vec::new();
    let mut imports = BTreeMap::new();
    let mut exports = BTreeMap::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.expect("valid wasm") {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    let f = ty.expect("a function type");
                    types.push((
                        f.params().iter().map(wasm_type).collect(),
                        f.results().iter().map(wasm_type).collect(),
                    ));
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.expect("valid import");
                    if let TypeRef::Func(t) = import.ty {
                        func_types.push(t);
                        imports.insert(
                            (import.module.to_string(), import.name.to_string()),
                            types[t as usize].clone(),
                        );
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for t in reader {
                    func_types.push(t.expect("valid function"));
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.expect("valid export");
                    if export.kind == wasmparser::ExternalKind::Func {
                        let t = func_types[export.index as usize];
                        exports.insert(export.name.to_string(), types[t as usize].clone());
                    }
                }
            }
            _ => {}
        }
    }
    (imports, exports)
}

fn sig(f: &Function) -> Sig {
    (f.wasm_params(), f.wasm_results())
}

#[test]
fn c_headers_compile_to_the_abi() {
    let dir = std::env::temp_dir().join(format!("c-header-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for name in ["0.1.0", "0.2.0", "0.2.1"] {
        let abi = proxy_wasm_spec::builtin(name).expect("valid ABI");
        let wasm = compile(&abi, &dir).unwrap_or_else(|e| panic!("{e}"));
        let (imports, exports) = interface(&wasm);
        let expected: BTreeMap<(String, String), Sig> = abi
            .functions
            .iter()
            .map(|f| ((f.module.clone(), f.name.clone()), sig(f)))
            .collect();
        assert_eq!(
            imports, expected,
            "{name}: imports of the compiled C plugin"
        );
        let mut expected: BTreeMap<String, Sig> = abi
            .callbacks
            .iter()
            .filter(|f| !C_RUNTIME_NAMES.contains(&f.name.as_str()))
            .map(|f| (f.name.clone(), sig(f)))
            .collect();
        expected.insert("call_every_import".into(), (vec![], vec![]));
        let exports: BTreeMap<String, Sig> =
            exports.into_iter().filter(|(n, _)| n != "memory").collect();
        assert_eq!(
            exports, expected,
            "{name}: exports of the compiled C plugin"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
