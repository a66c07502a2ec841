//! Runs the generated host glue (`generated/host`) on wasmtime against modules built here with
//! wasm-encoder: status codes, enum and bounds checks, allocator use, out-pointer writes (and
//! their absence on error), and the typed callback caller with version-correct arity.
#![allow(clippy::panic)] // test helpers fail loudly

use proxy_wasm_host_abi::v0_2_1::{self, Errno, Fd, LogLevel, MapType, Status};
use proxy_wasm_host_abi::{CallError, HostError, Trap};
use proxy_wasm_host_abi::{v0_1_0, v0_2_0};
use proxy_wasm_spec::ir::WasmType;
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, EntityType, ExportKind, ExportSection, Function,
    FunctionSection, GlobalSection, GlobalType, ImportSection, Instruction, MemorySection,
    MemoryType, Module, TypeSection, ValType,
};
use wasmtime::{Engine, Instance, Linker, Memory, Store};

/// Where the bump allocator starts handing out memory.
const HEAP: i32 = 4096;
/// The memory the test module declares: one page.
const PAGE: u32 = 65536;
/// Scratch addresses the tests write inputs and read outputs at.
const IN: u32 = 256;
const OUT: u32 = 512;
const OUT2: u32 = 520;
const FILL: u8 = 0xEE;

/// A host that implements a few methods and records what it saw.
#[derive(Default)]
struct TestHost {
    logs: Vec<(LogLevel, Vec<u8>)>,
    calls: usize,
    written: Vec<u8>,
}

impl v0_2_1::Host for TestHost {
    fn proxy_log(&mut self, log_level: LogLevel, message: &[u8]) -> Result<(), HostError<Status>> {
        self.calls += 1;
        self.logs.push((log_level, message.to_vec()));
        Ok(())
    }

    fn proxy_get_current_time_nanoseconds(&mut self) -> Result<u64, HostError<Status>> {
        self.calls += 1;
        Ok(0x1122_3344_5566_7788)
    }

    fn proxy_get_header_map_value(
        &mut self,
        map_id: MapType,
        key: &[u8],
    ) -> Result<Vec<u8>, HostError<Status>> {
        self.calls += 1;
        assert_eq!(map_id, MapType::HttpRequestHeaders);
        match key {
            b"present" => Ok(b"value".to_vec()),
            b"empty" => Ok(Vec::new()),
            _ => Err(Status::NotFound.into()),
        }
    }

    fn proxy_get_status(&mut self) -> Result<(u32, Vec<u8>), HostError<Status>> {
        self.calls += 1;
        Ok((14, b"unavailable".to_vec()))
    }

    fn proxy_set_effective_context(&mut self, context_id: u32) -> Result<(), HostError<Status>> {
        Err(HostError::Trap(Trap::Message(format!(
            "no context {context_id}"
        ))))
    }
}

impl v0_2_1::Wasi for TestHost {
    fn fd_write(&mut self, fd_id: Fd, iovec: &[&[u8]]) -> Result<u32, HostError<Errno>> {
        self.calls += 1;
        assert_eq!(fd_id, Fd::Stdout);
        for part in iovec {
            self.written.extend_from_slice(part);
        }
        Ok(u32::try_from(self.written.len()).unwrap_or(u32::MAX))
    }

    fn random_get(&mut self, buffer: &mut [u8]) -> Result<(), HostError<Errno>> {
        self.calls += 1;
        buffer.fill(0xAB);
        if buffer.len() > 16 {
            return Err(Errno::Inval.into());
        }
        Ok(())
    }

    fn environ_get(&mut self) -> Result<Vec<Vec<u8>>, HostError<Errno>> {
        self.calls += 1;
        Ok(vec![b"A=1".to_vec(), b"BB=22".to_vec()])
    }
}

impl v0_2_0::Host for TestHost {}
impl v0_1_0::Host for TestHost {}
impl v0_2_0::Wasi for TestHost {}
impl v0_1_0::Wasi for TestHost {}

fn wasm(t: WasmType) -> ValType {
    match t {
        WasmType::I32 => ValType::I32,
        WasmType::I64 => ValType::I64,
        WasmType::F32 => ValType::F32,
        WasmType::F64 => ValType::F64,
    }
}

/// A module that imports the named host functions of `abi` and exports each as `call_NAME`
/// with the same signature, plus memory and, if `allocator`, a bump allocator whose behaviour
/// `set_alloc_mode` picks (0 bump, 1 return 0, 2 return an out-of-bounds address) and whose
/// calls `alloc_calls` counts.
fn trampolines(abi: &str, functions: &[&str], allocator: bool) -> Vec<u8> {
    let abi = proxy_wasm_spec::builtin(abi).unwrap_or_else(|e| panic!("{e}"));
    let mut types = TypeSection::new();
    let mut imports = ImportSection::new();
    let mut funcs = FunctionSection::new();
    let mut exports = ExportSection::new();
    let mut code = CodeSection::new();
    let n = u32::try_from(functions.len()).unwrap_or(0);
    for (i, name) in functions.iter().enumerate() {
        let f = abi
            .function(name)
            .unwrap_or_else(|| panic!("{name} is not in the IR"));
        let params: Vec<ValType> = f.wasm_params().into_iter().map(wasm).collect();
        let results: Vec<ValType> = f.wasm_results().into_iter().map(wasm).collect();
        types.ty().function(params.clone(), results);
        let ty = u32::try_from(i).unwrap_or(0);
        imports.import(&f.module, name, EntityType::Function(ty));
        funcs.function(ty);
        exports.export(&format!("call_{name}"), ExportKind::Func, n + ty);
        let mut body = Function::new(vec![]);
        for p in 0..params.len() {
            body.instruction(&Instruction::LocalGet(u32::try_from(p).unwrap_or(0)));
        }
        body.instruction(&Instruction::Call(ty));
        body.instruction(&Instruction::End);
        code.function(&body);
    }
    let mut globals = GlobalSection::new();
    let mutable = GlobalType {
        val_type: ValType::I32,
        mutable: true,
        shared: false,
    };
    // 0: bump pointer, 1: allocator mode, 2: allocator calls.
    globals.global(mutable, &ConstExpr::i32_const(HEAP));
    globals.global(mutable, &ConstExpr::i32_const(0));
    globals.global(mutable, &ConstExpr::i32_const(0));
    if allocator {
        let base = n * 2;
        types.ty().function([ValType::I32], [ValType::I32]);
        types.ty().function([ValType::I32], []);
        types.ty().function([], [ValType::I32]);
        for t in [n, n + 1, n + 2] {
            funcs.function(t);
        }
        exports.export("proxy_on_memory_allocate", ExportKind::Func, base);
        exports.export("set_alloc_mode", ExportKind::Func, base + 1);
        exports.export("alloc_calls", ExportKind::Func, base + 2);
        let mut alloc = Function::new(vec![]);
        for ins in [
            Instruction::GlobalGet(1),
            Instruction::If(BlockType::Result(ValType::I32)),
            Instruction::GlobalGet(1),
            Instruction::I32Const(1),
            Instruction::I32Eq,
            Instruction::If(BlockType::Result(ValType::I32)),
            Instruction::I32Const(0),
            Instruction::Else,
            Instruction::I32Const(-16),
            Instruction::End,
            Instruction::Else,
            Instruction::GlobalGet(0),
            Instruction::GlobalGet(0),
            Instruction::LocalGet(0),
            Instruction::I32Add,
            Instruction::GlobalSet(0),
            Instruction::End,
            Instruction::GlobalGet(2),
            Instruction::I32Const(1),
            Instruction::I32Add,
            Instruction::GlobalSet(2),
            Instruction::End,
        ] {
            alloc.instruction(&ins);
        }
        code.function(&alloc);
        let mut set = Function::new(vec![]);
        set.instruction(&Instruction::LocalGet(0));
        set.instruction(&Instruction::GlobalSet(1));
        set.instruction(&Instruction::End);
        code.function(&set);
        let mut calls = Function::new(vec![]);
        calls.instruction(&Instruction::GlobalGet(2));
        calls.instruction(&Instruction::End);
        code.function(&calls);
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
        .section(&globals)
        .section(&exports)
        .section(&code);
    let bytes = module.finish();
    wasmparser::validate(&bytes).unwrap_or_else(|e| panic!("invalid test module: {e}"));
    bytes
}

struct Guest {
    store: Store<TestHost>,
    instance: Instance,
    memory: Memory,
}

impl Guest {
    fn new(functions: &[&str], allocator: bool) -> Guest {
        let engine = Engine::default();
        let bytes = trampolines("0.2.1", functions, allocator);
        let module = wasmtime::Module::new(&engine, &bytes).unwrap_or_else(|e| panic!("{e}"));
        let mut linker = Linker::new(&engine);
        v0_2_1::add_to_linker(&mut linker).unwrap_or_else(|e| panic!("{e}"));
        v0_2_1::add_wasi_to_linker(&mut linker).unwrap_or_else(|e| panic!("{e}"));
        let mut store = Store::new(&engine, TestHost::default());
        let instance = linker
            .instantiate(&mut store, &module)
            .unwrap_or_else(|e| panic!("{e}"));
        let memory = instance
            .get_memory(&mut store, "memory")
            .unwrap_or_else(|| panic!("no memory"));
        memory.data_mut(&mut store)[..HEAP as usize].fill(FILL);
        Guest {
            store,
            instance,
            memory,
        }
    }

    fn put(&mut self, at: u32, bytes: &[u8]) {
        let at = at as usize;
        self.memory.data_mut(&mut self.store)[at..at + bytes.len()].copy_from_slice(bytes);
    }

    fn get(&self, at: u32, len: usize) -> Vec<u8> {
        let at = at as usize;
        self.memory.data(&self.store)[at..at + len].to_vec()
    }

    fn u32_at(&self, at: u32) -> u32 {
        let b = self.get(at, 4);
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }

    fn call<P: wasmtime::WasmParams>(&mut self, name: &str, args: P) -> u32 {
        let f = self
            .instance
            .get_typed_func::<P, u32>(&mut self.store, &format!("call_{name}"))
            .unwrap_or_else(|e| panic!("{e}"));
        f.call(&mut self.store, args)
            .unwrap_or_else(|e| panic!("{name} trapped: {e}"))
    }

    fn set_alloc_mode(&mut self, mode: i32) {
        let f = self
            .instance
            .get_typed_func::<i32, ()>(&mut self.store, "set_alloc_mode")
            .unwrap_or_else(|e| panic!("{e}"));
        f.call(&mut self.store, mode)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    fn alloc_calls(&mut self) -> i32 {
        let f = self
            .instance
            .get_typed_func::<(), i32>(&mut self.store, "alloc_calls")
            .unwrap_or_else(|e| panic!("{e}"));
        f.call(&mut self.store, ())
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

const OK: u32 = 0;
const NOT_FOUND: u32 = 1;
const BAD_ARGUMENT: u32 = 2;
const INVALID_MEMORY_ACCESS: u32 = 6;
const UNIMPLEMENTED: u32 = 12;

#[test]
fn input_buffers_and_enum_values_are_checked_before_the_host_runs() {
    let mut g = Guest::new(&["proxy_log"], true);
    g.put(IN, b"hello");
    assert_eq!(g.call("proxy_log", (2u32, IN, 5u32)), OK);
    assert_eq!(
        g.store.data().logs,
        vec![(LogLevel::Info, b"hello".to_vec())]
    );
    // Spec: an unknown level is BAD_ARGUMENT (`(@invalid $bad_argument)` on log_level).
    assert_eq!(g.call("proxy_log", (6u32, IN, 5u32)), BAD_ARGUMENT);
    assert_eq!(g.call("proxy_log", (u32::MAX, IN, 5u32)), BAD_ARGUMENT);
    // A buffer straddling the end of memory, one that wraps past 4 GiB, and a huge length.
    assert_eq!(
        g.call("proxy_log", (2u32, PAGE - 2, 4u32)),
        INVALID_MEMORY_ACCESS
    );
    assert_eq!(
        g.call("proxy_log", (2u32, u32::MAX, 2u32)),
        INVALID_MEMORY_ACCESS
    );
    assert_eq!(
        g.call("proxy_log", (2u32, IN, u32::MAX)),
        INVALID_MEMORY_ACCESS
    );
    // The last byte of memory is in bounds; an empty buffer at the very end too.
    g.put(PAGE - 1, b"!");
    assert_eq!(g.call("proxy_log", (4u32, PAGE - 1, 1u32)), OK);
    assert_eq!(g.call("proxy_log", (4u32, PAGE, 0u32)), OK);
    assert_eq!(
        g.store.data().calls,
        3,
        "rejected calls must not reach the host"
    );
}

#[test]
fn allocated_results_are_written_through_the_out_pointers() {
    let mut g = Guest::new(&["proxy_get_header_map_value"], true);
    g.put(IN, b"present");
    let args = (0u32, IN, 7u32, OUT, OUT2);
    assert_eq!(g.call("proxy_get_header_map_value", args), OK);
    let (ptr, len) = (g.u32_at(OUT), g.u32_at(OUT2));
    assert_eq!(
        ptr, HEAP as u32,
        "the buffer comes from the plugin's allocator"
    );
    assert_eq!(len, 5);
    assert_eq!(g.get(ptr, 5), b"value");
    assert_eq!(g.alloc_calls(), 1);
}

#[test]
fn failures_leave_the_out_pointers_untouched() {
    let mut g = Guest::new(&["proxy_get_header_map_value"], true);
    let untouched = vec![FILL; 4];
    g.put(IN, b"absent");
    assert_eq!(
        g.call("proxy_get_header_map_value", (0u32, IN, 6u32, OUT, OUT2)),
        NOT_FOUND
    );
    assert_eq!(
        (g.get(OUT, 4), g.get(OUT2, 4)),
        (untouched.clone(), untouched.clone())
    );
    // Unknown map type: BAD_ARGUMENT, the host is not called.
    g.put(IN, b"present");
    assert_eq!(
        g.call("proxy_get_header_map_value", (99u32, IN, 7u32, OUT, OUT2)),
        BAD_ARGUMENT
    );
    // An out-pointer past the end: rejected before the host runs or the allocator is called.
    assert_eq!(
        g.call(
            "proxy_get_header_map_value",
            (0u32, IN, 7u32, OUT, PAGE - 3)
        ),
        INVALID_MEMORY_ACCESS
    );
    assert_eq!(g.store.data().calls, 1);
    assert_eq!(g.alloc_calls(), 0);
    // The allocator fails (returns 0), then returns a buffer outside memory.
    for mode in [1, 2] {
        g.set_alloc_mode(mode);
        assert_eq!(
            g.call("proxy_get_header_map_value", (0u32, IN, 7u32, OUT, OUT2)),
            INVALID_MEMORY_ACCESS,
            "allocator mode {mode}"
        );
        assert_eq!(
            (g.get(OUT, 4), g.get(OUT2, 4)),
            (untouched.clone(), untouched.clone())
        );
    }
}

#[test]
fn empty_results_are_not_allocated() {
    let mut g = Guest::new(&["proxy_get_header_map_value"], true);
    g.put(IN, b"empty");
    assert_eq!(
        g.call("proxy_get_header_map_value", (0u32, IN, 5u32, OUT, OUT2)),
        OK
    );
    // proxy-wasm-cpp-host writes 0/0 without calling the allocator (include/proxy-wasm/wasm.h
    // WasmBase::copyToPointerSize).
    assert_eq!((g.u32_at(OUT), g.u32_at(OUT2)), (0, 0));
    assert_eq!(g.alloc_calls(), 0);
}

#[test]
fn a_plugin_without_an_allocator_gets_invalid_memory_access() {
    let mut g = Guest::new(&["proxy_get_header_map_value"], false);
    g.put(IN, b"present");
    assert_eq!(
        g.call("proxy_get_header_map_value", (0u32, IN, 7u32, OUT, OUT2)),
        INVALID_MEMORY_ACCESS
    );
    assert_eq!(g.get(OUT, 4), vec![FILL; 4]);
}

#[test]
fn scalar_and_mixed_outputs_are_little_endian() {
    let mut g = Guest::new(
        &["proxy_get_current_time_nanoseconds", "proxy_get_status"],
        true,
    );
    assert_eq!(g.call("proxy_get_current_time_nanoseconds", OUT), OK);
    assert_eq!(
        g.get(OUT, 8),
        vec![0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]
    );
    assert_eq!(
        g.call("proxy_get_current_time_nanoseconds", PAGE - 4),
        INVALID_MEMORY_ACCESS,
        "an 8-byte out-value needs 8 bytes"
    );
    let code = OUT + 16;
    assert_eq!(g.call("proxy_get_status", (code, OUT, OUT2)), OK);
    assert_eq!(g.u32_at(code), 14);
    let (ptr, len) = (g.u32_at(OUT), g.u32_at(OUT2));
    assert_eq!(g.get(ptr, len as usize), b"unavailable");
}

#[test]
fn unimplemented_methods_return_the_unimplemented_status() {
    let mut g = Guest::new(&["proxy_done", "proxy_continue_stream"], true);
    assert_eq!(g.call("proxy_done", ()), UNIMPLEMENTED);
    assert_eq!(g.call("proxy_continue_stream", 0u32), UNIMPLEMENTED);
    assert_eq!(g.call("proxy_continue_stream", 7u32), BAD_ARGUMENT);
}

#[test]
fn a_trap_ends_the_call_with_its_message() {
    let mut g = Guest::new(&["proxy_set_effective_context", "proc_exit"], true);
    let effective = g
        .instance
        .get_typed_func::<u32, u32>(&mut g.store, "call_proxy_set_effective_context")
        .unwrap_or_else(|e| panic!("{e}"));
    let error = match effective.call(&mut g.store, 7) {
        Ok(status) => panic!("returned {status} instead of trapping"),
        Err(e) => e,
    };
    assert_eq!(
        error.downcast_ref::<Trap>(),
        Some(&Trap::Message("no context 7".into()))
    );
    // A function without a status has nothing to refuse with: unimplemented, it traps.
    let exit = g
        .instance
        .get_typed_func::<u32, ()>(&mut g.store, "call_proc_exit")
        .unwrap_or_else(|e| panic!("{e}"));
    let error = match exit.call(&mut g.store, 3) {
        Ok(()) => panic!("proc_exit returned"),
        Err(e) => e,
    };
    assert_eq!(
        error.downcast_ref::<Trap>(),
        Some(&Trap::unimplemented("proc_exit"))
    );
}

#[test]
fn wasi_conventions() {
    let mut g = Guest::new(&["fd_write", "random_get", "environ_get"], true);
    g.put(IN, b"abcdef");
    // Two iovecs: "abc" and "ef".
    let mut iovs = Vec::new();
    for (ptr, len) in [(IN, 3u32), (IN + 4, 2)] {
        iovs.extend_from_slice(&ptr.to_le_bytes());
        iovs.extend_from_slice(&len.to_le_bytes());
    }
    g.put(OUT + 64, &iovs);
    assert_eq!(g.call("fd_write", (1u32, OUT + 64, 2u32, OUT)), 0);
    assert_eq!(g.store.data().written, b"abcef");
    assert_eq!(g.u32_at(OUT), 5);
    // fd 7 is not a descriptor the ABI knows: badf, per `(@invalid $badf)`.
    assert_eq!(g.call("fd_write", (7u32, OUT + 64, 2u32, OUT)), 8);
    // An iovec pointing outside memory: fault.
    g.put(OUT + 64, &(PAGE - 1).to_le_bytes());
    assert_eq!(g.call("fd_write", (1u32, OUT + 64, 2u32, OUT)), 21);

    assert_eq!(g.call("random_get", (OUT, 8u32)), 0);
    assert_eq!(g.get(OUT, 8), vec![0xAB; 8]);
    // The host fails after filling its copy: guest memory stays as it was.
    g.put(OUT, &[FILL; 32]);
    assert_eq!(g.call("random_get", (OUT, 32u32)), 28);
    assert_eq!(g.get(OUT, 32), vec![FILL; 32]);

    let (array, buffer) = (OUT + 128, OUT + 256);
    assert_eq!(g.call("environ_get", (array, buffer)), 0);
    assert_eq!(g.u32_at(array), buffer);
    assert_eq!(g.u32_at(array + 4), buffer + 4);
    assert_eq!(g.get(buffer, 10), b"A=1\0BB=22\0");
    // A buffer that does not fit: fault, and the pointer array is not written either.
    g.put(array, &[FILL; 8]);
    assert_eq!(g.call("environ_get", (array, PAGE - 4)), 21);
    assert_eq!(g.get(array, 8), vec![FILL; 8]);
}

#[test]
fn imports_are_linked_per_version() {
    let engine = Engine::default();
    let bytes = trampolines("0.2.1", &["proxy_get_log_level"], false);
    let module = wasmtime::Module::new(&engine, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let mut old = Linker::new(&engine);
    v0_2_0::add_to_linker(&mut old).unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::new(&engine, TestHost::default());
    let err = match old.instantiate(&mut store, &module) {
        Ok(_) => panic!("0.2.0 has no proxy_get_log_level"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("proxy_get_log_level"), "{err}");
    let mut new = Linker::new(&engine);
    v0_2_1::add_to_linker(&mut new).unwrap_or_else(|e| panic!("{e}"));
    assert!(new.instantiate(&mut store, &module).is_ok());
}

/// A module exporting `exports` (name, params, results, constant result) and a memory.
fn plugin(exports: &[(&str, &[ValType], &[ValType], i32)]) -> Vec<u8> {
    let mut types = TypeSection::new();
    let mut funcs = FunctionSection::new();
    let mut section = ExportSection::new();
    let mut code = CodeSection::new();
    for (i, (name, params, results, value)) in exports.iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(0);
        types
            .ty()
            .function(params.iter().copied(), results.iter().copied());
        funcs.function(i);
        section.export(name, ExportKind::Func, i);
        let mut body = Function::new(vec![]);
        if !results.is_empty() {
            body.instruction(&Instruction::I32Const(*value));
        }
        if *value == -1 {
            body.instruction(&Instruction::Unreachable);
        }
        body.instruction(&Instruction::End);
        code.function(&body);
    }
    let mut module = Module::new();
    module
        .section(&types)
        .section(&funcs)
        .section(&section)
        .section(&code);
    let bytes = module.finish();
    wasmparser::validate(&bytes).unwrap_or_else(|e| panic!("invalid test module: {e}"));
    bytes
}

fn instantiate(bytes: &[u8]) -> (Store<TestHost>, Instance) {
    let engine = Engine::default();
    let module = wasmtime::Module::new(&engine, bytes).unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::new(&engine, TestHost::default());
    let instance = Instance::new(&mut store, &module, &[]).unwrap_or_else(|e| panic!("{e}"));
    (store, instance)
}

#[test]
fn callbacks_are_typed_and_absent_ones_are_skipped() {
    use ValType::I32;
    let bytes = plugin(&[
        ("proxy_on_request_headers", &[I32, I32, I32], &[I32], 1),
        ("proxy_on_response_headers", &[I32, I32, I32], &[I32], 5),
        ("proxy_on_done", &[I32], &[I32], 7),
        ("proxy_on_tick", &[I32], &[], -1),
    ]);
    let (mut store, instance) = instantiate(&bytes);
    let cb = v0_2_1::Callbacks::new(&mut store, &instance).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        cb.proxy_on_request_headers(&mut store, 2, 3, true)
            .unwrap_or_else(|e| panic!("{e}")),
        Some(v0_2_1::Action::Pause)
    );
    // Any non-zero bool result is true.
    assert_eq!(
        cb.proxy_on_done(&mut store, 2)
            .unwrap_or_else(|e| panic!("{e}")),
        Some(true)
    );
    // Not exported: not called (spec: every callback is optional).
    assert_eq!(
        cb.proxy_on_log(&mut store, 2)
            .unwrap_or_else(|e| panic!("{e}")),
        None
    );
    assert!(!cb.has("proxy_on_log"));
    match cb.proxy_on_response_headers(&mut store, 2, 0, false) {
        Err(CallError::BadResult { callback, value }) => {
            assert_eq!((callback, value), ("proxy_on_response_headers", 5));
        }
        other => panic!("expected a bad result, got {other:?}"),
    }
    match cb.proxy_on_tick(&mut store, 1) {
        Err(e @ CallError::Trap { .. }) => assert!(e.to_string().contains("proxy_on_tick")),
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn header_callbacks_have_the_arity_of_their_version() {
    use ValType::I32;
    // 0.1.0: proxy_on_request_headers(context_id, num_headers) -> action.
    let two = plugin(&[("proxy_on_request_headers", &[I32, I32], &[I32], 0)]);
    let (mut store, instance) = instantiate(&two);
    let cb = v0_1_0::Callbacks::new(&mut store, &instance).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        cb.proxy_on_request_headers(&mut store, 2, 3)
            .unwrap_or_else(|e| panic!("{e}")),
        Some(v0_1_0::Action::Continue)
    );
    match v0_2_1::Callbacks::new(&mut store, &instance) {
        Err(e @ CallError::Signature { .. }) => {
            let text = e.to_string();
            assert!(text.contains("proxy_on_request_headers"), "{text}");
            assert!(text.contains("(i32, i32, i32) -> (i32)"), "{text}");
        }
        other => panic!("0.2.1 wants three parameters, got {other:?}"),
    }
}

#[test]
fn older_enums_convert_to_the_latest_version() {
    assert_eq!(
        v0_2_1::BufferType::from(v0_1_0::BufferType::GrpcCallMessage),
        v0_2_1::BufferType::GrpcCallMessage
    );
    assert_eq!(
        v0_2_1::StreamType::from(v0_2_0::StreamType::Upstream),
        v0_2_1::StreamType::Upstream
    );
    // Same members both ways: statuses travel back down.
    assert_eq!(
        v0_1_0::Status::from(Status::Unimplemented),
        v0_1_0::Status::Unimplemented
    );
    assert_eq!(
        v0_2_0::Errno::from(Errno::Notcapable),
        v0_2_0::Errno::Notcapable
    );
}
