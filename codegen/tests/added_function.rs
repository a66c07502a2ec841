//! A function added to the spec documents is served or refused in every ABI version without a
//! hand edit. `added-function-host` is the host crate generated from the documents with three host
//! functions and a callback added (tests/added-function/build.rs); a host implements the newest
//! version's traits and says nothing about the older ones but `impl ...ViaLatest`.
#![allow(clippy::panic)] // test helpers fail loudly

use added_function_host::v0_2_1::{BufferType, LogLevel, Status};
use added_function_host::{
    AbiVersion, Callbacks, HostError, add_to_linker, add_wasi_to_linker, v0_1_0, v0_2_0, v0_2_1,
};
use wasm_encoder::{
    CodeSection, EntityType, ExportKind, ExportSection, Function, FunctionSection, ImportSection,
    Instruction, MemorySection, MemoryType, Module, TypeSection, ValType,
};
use wasmtime::{Engine, Instance, Linker, Store};

struct TestHost;

impl v0_2_1::Host for TestHost {
    fn proxy_added_everywhere(
        &mut self,
        buffer_id: BufferType,
    ) -> Result<LogLevel, HostError<Status>> {
        match buffer_id {
            BufferType::HttpRequestBody => Ok(LogLevel::Warn),
            _ => Err(Status::NotFound.into()),
        }
    }

    fn proxy_added_since_0_2_1(&mut self) -> Result<(), HostError<Status>> {
        Ok(())
    }
}

impl v0_2_1::Wasi for TestHost {}
impl v0_2_0::HostViaLatest for TestHost {}
impl v0_2_0::WasiViaLatest for TestHost {}
impl v0_1_0::HostViaLatest for TestHost {}
impl v0_1_0::WasiViaLatest for TestHost {}

const OK: i32 = 0;
const NOT_FOUND: i32 = 1;
const BAD_ARGUMENT: i32 = 2;
const UNIMPLEMENTED: i32 = 12;
const OUT: i32 = 64;

/// A module built for `version` that imports `env.NAME` (i32 parameters, an i32 status) and
/// exports it again as `call`, or that exports `proxy_on_added` answering its level as the action.
fn module(version: AbiVersion, import: Option<(&str, usize)>) -> Vec<u8> {
    let mut types = TypeSection::new();
    let mut imports = ImportSection::new();
    let mut funcs = FunctionSection::new();
    let mut exports = ExportSection::new();
    let mut code = CodeSection::new();
    types.ty().function([], []);
    let mut marker = Function::new(vec![]);
    marker.instruction(&Instruction::End);
    match import {
        Some((name, arity)) => {
            let params = vec![ValType::I32; arity];
            types.ty().function(params.clone(), [ValType::I32]);
            imports.import("env", name, EntityType::Function(1));
            funcs.function(0);
            funcs.function(1);
            exports.export(version.marker(), ExportKind::Func, 1);
            exports.export("call", ExportKind::Func, 2);
            code.function(&marker);
            let mut call = Function::new(vec![]);
            for p in 0..arity {
                call.instruction(&Instruction::LocalGet(u32::try_from(p).unwrap_or(0)));
            }
            call.instruction(&Instruction::Call(0));
            call.instruction(&Instruction::End);
            code.function(&call);
        }
        None => {
            types
                .ty()
                .function([ValType::I32, ValType::I32], [ValType::I32]);
            funcs.function(0);
            funcs.function(1);
            exports.export(version.marker(), ExportKind::Func, 0);
            exports.export("proxy_on_added", ExportKind::Func, 1);
            code.function(&marker);
            let mut answer = Function::new(vec![]);
            // Pause (1) for levels above info, else continue (0).
            answer.instruction(&Instruction::LocalGet(1));
            answer.instruction(&Instruction::I32Const(2));
            answer.instruction(&Instruction::I32GtU);
            answer.instruction(&Instruction::End);
            code.function(&answer);
        }
    }
    let mut memory = MemorySection::new();
    memory.memory(MemoryType {
        minimum: 1,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    exports.export("memory", ExportKind::Memory, 0);
    let mut module = Module::new();
    module
        .section(&types)
        .section(&imports)
        .section(&funcs)
        .section(&memory)
        .section(&exports)
        .section(&code);
    let bytes = module.finish();
    wasmparser::validate(&bytes).unwrap_or_else(|e| panic!("invalid test module: {e}"));
    bytes
}

/// Instantiates `wasm` with the host functions of the version its marker names, or the link
/// error.
fn instantiate(wasm: &[u8]) -> Result<(Store<TestHost>, Instance, AbiVersion), String> {
    let exports = wasmparser::Parser::new(0)
        .parse_all(wasm)
        .filter_map(|p| match p {
            Ok(wasmparser::Payload::ExportSection(s)) => Some(s),
            _ => None,
        })
        .flatten()
        .filter_map(Result::ok)
        .map(|e| (e.name, e.kind == wasmparser::ExternalKind::Func));
    let version = AbiVersion::from_exports(exports).unwrap_or_else(|e| panic!("{e}"));
    let engine = Engine::default();
    let module = wasmtime::Module::new(&engine, wasm).unwrap_or_else(|e| panic!("{e}"));
    let mut linker = Linker::new(&engine);
    add_to_linker(version, &mut linker).unwrap_or_else(|e| panic!("{e}"));
    add_wasi_to_linker(version, &mut linker).unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::new(&engine, TestHost);
    let instance = linker
        .instantiate(&mut store, &module)
        .map_err(|e| format!("{e:#}"))?;
    Ok((store, instance, version))
}

fn call<P: wasmtime::WasmParams>(store: &mut Store<TestHost>, instance: &Instance, args: P) -> i32 {
    let f = instance
        .get_typed_func::<P, i32>(&mut *store, "call")
        .unwrap_or_else(|e| panic!("{e}"));
    f.call(&mut *store, args)
        .unwrap_or_else(|e| panic!("the call trapped: {e}"))
}

#[test]
fn a_function_of_every_version_is_served_by_the_newest_implementation() {
    for version in AbiVersion::ALL {
        let wasm = module(version, Some(("proxy_added_everywhere", 2)));
        let (mut store, instance, found) =
            instantiate(&wasm).unwrap_or_else(|e| panic!("{version}: {e}"));
        assert_eq!(found, version);
        assert_eq!(call(&mut store, &instance, (0, OUT)), OK, "{version}");
        let memory = instance
            .get_memory(&mut store, "memory")
            .unwrap_or_else(|| panic!("no memory"));
        let level = &memory.data(&store)[OUT as usize..OUT as usize + 4];
        assert_eq!(level, 3u32.to_le_bytes(), "{version}: warn");
        assert_eq!(
            call(&mut store, &instance, (1, OUT)),
            NOT_FOUND,
            "{version}"
        );
        // Checked by each version's glue before the implementation runs.
        assert_eq!(
            call(&mut store, &instance, (99, OUT)),
            BAD_ARGUMENT,
            "{version}"
        );
    }
}

#[test]
fn a_function_only_older_versions_have_is_refused_until_implemented() {
    for version in AbiVersion::ALL {
        let wasm = module(version, Some(("proxy_added_until_0_2_0", 0)));
        match (version, instantiate(&wasm)) {
            (AbiVersion::V0_1_0, Ok((mut store, instance, _))) => {
                assert_eq!(call(&mut store, &instance, ()), UNIMPLEMENTED);
            }
            (AbiVersion::V0_1_0, Err(e)) => panic!("0.1.0 has the function: {e}"),
            (_, Ok(_)) => panic!("{version} does not have the function"),
            (_, Err(e)) => assert!(e.contains("proxy_added_until_0_2_0"), "{version}: {e}"),
        }
    }
}

#[test]
fn a_function_of_the_newest_version_is_not_linked_for_older_ones() {
    for version in AbiVersion::ALL {
        let wasm = module(version, Some(("proxy_added_since_0_2_1", 0)));
        match (version, instantiate(&wasm)) {
            (AbiVersion::V0_2_1, Ok((mut store, instance, _))) => {
                assert_eq!(call(&mut store, &instance, ()), OK);
            }
            (AbiVersion::V0_2_1, Err(e)) => panic!("0.2.1 has the function: {e}"),
            (_, Ok(_)) => panic!("{version} does not have the function"),
            (_, Err(e)) => assert!(e.contains("proxy_added_since_0_2_1"), "{version}: {e}"),
        }
    }
}

#[test]
fn an_added_callback_is_called_in_every_version() {
    for version in AbiVersion::ALL {
        let (mut store, instance, _) =
            instantiate(&module(version, None)).unwrap_or_else(|e| panic!("{version}: {e}"));
        let callbacks =
            Callbacks::new(version, &mut store, &instance).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(callbacks.version(), version);
        let pause = callbacks
            .proxy_on_added(&mut store, 1, LogLevel::Error)
            .unwrap_or_else(|e| panic!("{version}: {e}"));
        assert_eq!(pause, Some(v0_2_1::Action::Pause), "{version}");
        let go = callbacks
            .proxy_on_added(&mut store, 1, LogLevel::Debug)
            .unwrap_or_else(|e| panic!("{version}: {e}"));
        assert_eq!(go, Some(v0_2_1::Action::Continue), "{version}");
    }
}
