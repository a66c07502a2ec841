//! What a compiled test plugin imports and exports, read with wasmparser, against the IR: the C
//! header test and the Rust guest test both check their modules with [`assert_matches_abi`].

use proxy_wasm_spec::ir::{Abi, Function, WasmType};
use std::collections::BTreeMap;
use wasmparser::{Parser, Payload, TypeRef, ValType};

/// The export through which a test plugin calls every import, so that none is left out.
pub const CALL_EVERY_IMPORT: &str = "call_every_import";

type Sig = (Vec<WasmType>, Vec<WasmType>);

/// Asserts that `wasm` imports exactly the host functions of `abi` and exports exactly its
/// callbacks that `defined` keeps, plus [`CALL_EVERY_IMPORT`], each with the IR's signature.
pub fn assert_matches_abi(
    plugin: &str,
    abi: &Abi,
    wasm: &[u8],
    defined: impl Fn(&Function) -> bool,
) {
    let (imports, exports) = interface(wasm);
    let expected: BTreeMap<String, Sig> = abi
        .functions
        .iter()
        .map(|f| (format!("{}.{}", f.module, f.name), sig(f)))
        .collect();
    let mut wrong = differences("import", &imports, &expected);
    let mut expected: BTreeMap<String, Sig> = abi
        .callbacks
        .iter()
        .filter(|f| defined(f))
        .map(|f| (f.name.clone(), sig(f)))
        .collect();
    expected.insert(CALL_EVERY_IMPORT.into(), (vec![], vec![]));
    let exports: BTreeMap<String, Sig> =
        exports.into_iter().filter(|(n, _)| n != "memory").collect();
    wrong.extend(differences("export", &exports, &expected));
    assert!(
        wrong.is_empty(),
        "{}: the compiled {plugin} differs from the IR:\n{}",
        abi.name,
        wrong.join("\n")
    );
}

/// One line per name that is missing, unexpected or of another signature in `got`.
fn differences(
    kind: &str,
    got: &BTreeMap<String, Sig>,
    expected: &BTreeMap<String, Sig>,
) -> Vec<String> {
    let mut lines = Vec::new();
    for (name, want) in expected {
        match got.get(name) {
            None => lines.push(format!("  {kind} {name} is missing")),
            Some(have) if have != want => lines.push(format!(
                "  {kind} {name} is {}, the IR says {}",
                show(have),
                show(want)
            )),
            Some(_) => {}
        }
    }
    for (name, have) in got.iter().filter(|(n, _)| !expected.contains_key(*n)) {
        lines.push(format!("  {kind} {name} {} is not in the IR", show(have)));
    }
    lines
}

fn show((params, results): &Sig) -> String {
    format!("{params:?} -> {results:?}")
}

fn sig(f: &Function) -> Sig {
    (f.wasm_params(), f.wasm_results())
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

/// (imports by `module.name`, exports by name) with their signatures.
fn interface(wasm: &[u8]) -> (BTreeMap<String, Sig>, BTreeMap<String, Sig>) {
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
                            format!("{}.{}", import.module, import.name),
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
