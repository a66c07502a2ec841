//! [`ProbeBuilder`]: the module around a probe's callbacks — marker export, memory, allocator,
//! imports, data and slots — and its assembly into a validated WebAssembly 1.0 module.
//!
//! Memory layout: bytes `0..16` stay zero (so no data has address 0, the ABI's NULL), `16..1024`
//! is the buffer `FAIL` lines are assembled in, data and slots follow from 1024 (8-aligned), and
//! the allocator's heap starts after them. Memory is at least two pages and grows on demand.

use crate::allocator::{self, AllocMode, AllocatorExport};
use crate::body::Body;
use crate::code::{Callee, Code, Helper};
use crate::runtime::{LINE_END, Runtime};
use crate::verdict::valid_id;
use proxy_wasm_interchange::basis::{Basis, Check};
use proxy_wasm_spec::Abi;
use proxy_wasm_spec::ir::{ContextKind, Function, Level, WasmType};
use std::collections::HashSet;
use std::fmt;
use wasm_encoder::{
    CodeSection, ConstExpr, DataSection, EntityType, ExportKind, ExportSection, FunctionSection,
    GlobalSection, GlobalType, ImportSection, MemorySection, MemoryType, Module, TypeSection,
    ValType,
};

/// The byte every slot holds before a call, so a host write shows (`0xA5A5A5A5` as a u32).
pub const SENTINEL: u8 = 0xA5;
/// The smallest memory a probe declares, in 64 KiB pages.
const MIN_PAGES: u64 = 2;
const PAGE: u64 = 65536;

/// Bytes placed in guest memory at module start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Data {
    /// Their address.
    pub addr: u32,
    /// Their length.
    pub len: u32,
}

/// The size of a value a host writes through an out-pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// 2 bytes: WASI's small flag sets.
    U16,
    /// 4 bytes: pointers, lengths, ids, enums.
    U32,
    /// 8 bytes: times, metric values, CAS tokens.
    U64,
}

impl Width {
    /// The size in bytes.
    pub fn bytes(self) -> u32 {
        match self {
            Width::U16 => 2,
            Width::U32 => 4,
            Width::U64 => 8,
        }
    }

    /// A slot of this width holding only [`SENTINEL`] bytes, read as a number.
    pub fn sentinel(self) -> u64 {
        match self {
            Width::U16 => u64::from(u16::from_le_bytes([SENTINEL; 2])),
            Width::U32 => u64::from(u32::from_le_bytes([SENTINEL; 4])),
            Width::U64 => u64::from_le_bytes([SENTINEL; 8]),
        }
    }

    pub(crate) fn val_type(self) -> ValType {
        match self {
            Width::U16 | Width::U32 => ValType::I32,
            Width::U64 => ValType::I64,
        }
    }
}

/// An out-pointer target: 8-aligned memory filled with [`SENTINEL`] at module start and again
/// before each call that is passed it as [`Arg::Slot`](crate::Arg::Slot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Its address.
    pub addr: u32,
    /// Its size.
    pub width: Width,
}

/// Why a probe could not be built: every problem found, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildError {
    /// The probe id.
    pub probe: String,
    /// What is wrong.
    pub problems: Vec<String>,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "probe `{}` cannot be built:", self.probe)?;
        self.problems.iter().try_for_each(|p| write!(f, "\n  {p}"))
    }
}

impl std::error::Error for BuildError {}

/// A function of the finished module.
#[derive(Clone)]
pub(crate) struct Func {
    pub(crate) params: Vec<ValType>,
    pub(crate) results: Vec<ValType>,
    pub(crate) locals: Vec<ValType>,
    pub(crate) code: Code,
}

impl Func {
    pub(crate) fn new(params: Vec<ValType>, results: Vec<ValType>, code: Code) -> Self {
        Func {
            params,
            results,
            locals: Vec::new(),
            code,
        }
    }
}

struct Import {
    module: String,
    name: String,
    params: Vec<ValType>,
    results: Vec<ValType>,
}

/// Builds one probe module for one ABI. Mistakes (unknown names, wrong argument types,
/// duplicate check ids) are collected and reported together by [`finish`](Self::finish).
pub struct ProbeBuilder<'a> {
    pub(crate) abi: &'a Abi,
    probe: String,
    markers: Vec<String>,
    allocators: Vec<AllocatorExport>,
    counters: [Slot; 2],
    imports: Vec<Import>,
    segments: Vec<(u32, Vec<u8>)>,
    next_addr: u32,
    callbacks: Vec<(String, Func)>,
    stubs: bool,
    omitted: Vec<String>,
    /// Import module names replaced by another (a host module's alias), as (module, alias).
    renamed: Vec<(String, String)>,
    checks: Vec<(String, Option<Basis>)>,
    basis: Option<Basis>,
    ended: bool,
    runtime: Runtime,
    problems: Vec<String>,
}

impl<'a> ProbeBuilder<'a> {
    /// A probe for `abi` whose `END` line names `probe`. It exports the ABI's marker, `memory`
    /// and `proxy_on_memory_allocate` (a bump allocator), and imports `proxy_log`.
    pub fn new(abi: &'a Abi, probe: &str) -> Self {
        let mut b = ProbeBuilder {
            abi,
            probe: probe.to_string(),
            markers: abi.marker.iter().cloned().collect(),
            allocators: vec![AllocatorExport::ProxyOnMemoryAllocate],
            // At the start of the data; memory already holds their initial 0.
            counters: [0, 8].map(|offset| Slot {
                addr: LINE_END + offset,
                width: Width::U32,
            }),
            imports: Vec::new(),
            segments: Vec::new(),
            next_addr: LINE_END + 16,
            callbacks: Vec::new(),
            stubs: true,
            omitted: Vec::new(),
            renamed: Vec::new(),
            checks: Vec::new(),
            basis: None,
            ended: false,
            runtime: Runtime {
                proxy_log: 0,
                bytes_tag: Data { addr: 0, len: 0 },
                oob_tag: Data { addr: 0, len: 0 },
                alloc: AllocMode::Bump,
            },
            problems: Vec::new(),
        };
        if !valid_id(probe) {
            b.problem(format!("`{probe}` is not a valid probe id"));
        }
        // The verdict channel, imported first.
        if let Some(f) = abi.function("proxy_log") {
            b.runtime.proxy_log = b.import(f);
        } else {
            b.problem(format!("ABI {} has no `proxy_log`", abi.name));
        }
        b.runtime.bytes_tag = b.data(b"bytes:");
        b.runtime.oob_tag = b.data(b"oob:");
        b
    }

    /// Replaces the marker exports (the ABI's marker by default) by these, in this order; none
    /// for a module without a marker.
    pub fn markers(&mut self, names: &[&str]) -> &mut Self {
        self.markers = names.iter().map(|n| n.to_string()).collect();
        self
    }

    /// Exports the allocator under these names, in this order (none: no allocator), behaving
    /// as `mode`.
    pub fn allocator(&mut self, exports: &[AllocatorExport], mode: AllocMode) -> &mut Self {
        self.allocators = exports.to_vec();
        self.runtime.alloc = mode;
        self
    }

    /// Whether the spec's root and stream callbacks the probe does not define are exported as
    /// no-ops that let the host go on (by default they are): Kong requires some and crashes
    /// calling a missing one (ngx_wasm_module src/common/proxy_wasm/ngx_proxy_wasm.c), APISIX
    /// takes a missing one as returning 0 (wasm-nginx-module src/vm/wasmtime.c
    /// ngx_wasm_wasmtime_call).
    /// Off, the module exports only what the probe defines.
    pub fn stubs(&mut self, on: bool) -> &mut Self {
        self.stubs = on;
        self
    }

    /// Leaves these callbacks out of the stubs: the module does not export them unless the
    /// probe defines them, to check that a host copes without them.
    pub fn omit(&mut self, names: &[&str]) -> &mut Self {
        self.omitted.extend(names.iter().map(|n| n.to_string()));
        self
    }

    /// A u32 that counts the host's calls of one allocator export, 0 at start.
    pub fn allocator_calls(&self, export: AllocatorExport) -> Slot {
        match export {
            AllocatorExport::ProxyOnMemoryAllocate => self.counters[0],
            AllocatorExport::Malloc => self.counters[1],
        }
    }

    /// Imports a host function without calling it, even one another ABI version defines: to
    /// check that a host links what its version has and refuses what it lacks.
    pub fn import_function(&mut self, f: &Function) -> &mut Self {
        self.import(f);
        self
    }

    /// Imports the functions of wasm module `module` imported from now on from `alias` instead.
    pub fn import_module_as(&mut self, module: &str, alias: &str) -> &mut Self {
        self.renamed.push((module.to_string(), alias.to_string()));
        self
    }

    /// Places bytes in memory at module start.
    pub fn data(&mut self, bytes: &[u8]) -> Data {
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        let addr = self.reserve(len);
        if !bytes.is_empty() {
            self.segments.push((addr, bytes.to_vec()));
        }
        Data { addr, len }
    }

    /// A slot of `width` bytes, filled with [`SENTINEL`].
    pub fn slot(&mut self, width: Width) -> Slot {
        let len = usize::try_from(width.bytes()).unwrap_or(8);
        Slot {
            addr: self.data(&vec![SENTINEL; len]).addr,
            width,
        }
    }

    /// Exports the IR callback `name` with its exact signature; `build` writes its body. The
    /// callback returns what lets the host go on (see [`Body::returns`]) unless told otherwise.
    pub fn callback(&mut self, name: &str, build: impl FnOnce(&mut Body<'_, 'a>)) -> &mut Self {
        let abi = self.abi;
        let Some(f) = abi.callback(name) else {
            self.problem(format!("`{name}` is not a callback of ABI {}", abi.name));
            return self;
        };
        if f.marker || AllocatorExport::ALL.iter().any(|a| a.name() == name) {
            self.problem(format!(
                "`{name}` is exported by the builder; use `markers` or `allocator`"
            ));
            return self;
        }
        if self.callbacks.iter().any(|(n, _)| n == name) {
            self.problem(format!("callback `{name}` is defined twice"));
            return self;
        }
        let id = self.callbacks.len();
        let mut body = Body::new(self, f, id);
        build(&mut body);
        let func = body.finish();
        self.callbacks.push((name.to_string(), func));
        self
    }

    /// The module, validated as WebAssembly 1.0; or every problem found while building it.
    pub fn finish(mut self) -> Result<Vec<u8>, BuildError> {
        if self.stubs {
            self.add_stubs();
        }
        if !self.ended {
            self.problem(
                "the probe never logs END: call `Body::end` in the callback that runs last",
            );
        }
        let exports = self.export_names();
        let mut seen = HashSet::new();
        for name in &exports {
            if !seen.insert(name) {
                self.problem(format!("`{name}` is exported twice"));
            }
        }
        if self.problems.is_empty() {
            let wasm = self.assemble();
            match validate(&wasm) {
                Ok(()) => return Ok(wasm),
                Err(e) => self.problem(format!("the module is invalid (a builder bug): {e}")),
            }
        }
        Err(BuildError {
            probe: self.probe,
            problems: self.problems,
        })
    }

    /// [`finish`](Self::finish), also requiring every check to have a basis (see
    /// [`Body::because`]): the module and its checks in program order.
    pub fn finish_checked(mut self) -> Result<(Vec<u8>, Vec<Check>), BuildError> {
        let mut checks = Vec::new();
        let mut missing = Vec::new();
        for (id, basis) in std::mem::take(&mut self.checks) {
            match basis {
                Some(basis) => checks.push(Check { id, basis }),
                None => missing.push(id),
            }
        }
        for id in missing {
            self.problem(format!(
                "check `{id}` has no basis: give it one with `because`"
            ));
        }
        let wasm = self.finish()?;
        Ok((wasm, checks))
    }

    /// Sets the basis of the next check registered.
    pub(crate) fn set_basis(&mut self, basis: Basis) {
        self.basis = Some(basis);
    }

    /// Records a mistake for [`finish`](Self::finish).
    pub(crate) fn problem(&mut self, problem: impl Into<String>) {
        self.problems.push(problem.into());
    }

    /// Registers a check id with the pending basis, if any; false (with a problem recorded)
    /// if it is malformed or taken.
    pub(crate) fn register_check(&mut self, check: &str) -> bool {
        let basis = self.basis.take();
        if !valid_id(check) {
            self.problem(format!("`{check}` is not a valid check id"));
            false
        } else if self.checks.iter().any(|(id, _)| id == check) {
            self.problem(format!("check `{check}` is defined twice"));
            false
        } else {
            self.checks.push((check.to_string(), basis));
            true
        }
    }

    /// Notes the `END` line; false (with a problem recorded) if there already is one.
    pub(crate) fn register_end(&mut self) -> bool {
        if self.ended {
            self.problem("END is logged in more than one place");
        }
        !std::mem::replace(&mut self.ended, true)
    }

    pub(crate) fn probe_id(&self) -> &str {
        &self.probe
    }

    /// The import index of a host function, importing it on first use.
    pub(crate) fn import(&mut self, f: &Function) -> u32 {
        let index = match self.imports.iter().position(|i| i.name == f.name) {
            Some(i) => i,
            None => {
                let module = self
                    .renamed
                    .iter()
                    .find(|(from, _)| *from == f.module)
                    .map_or(&f.module, |(_, to)| to);
                self.imports.push(Import {
                    module: module.clone(),
                    name: f.name.clone(),
                    params: f.wasm_params().into_iter().map(val_type).collect(),
                    results: f.wasm_results().into_iter().map(val_type).collect(),
                });
                self.imports.len() - 1
            }
        };
        u32::try_from(index).unwrap_or(u32::MAX)
    }

    /// Exports the spec's root and stream callbacks the probe does not define as no-ops.
    fn add_stubs(&mut self) {
        let abi = self.abi;
        let lifecycle = |f: &&Function| {
            let root_or_stream =
                |c: &ContextKind| matches!(c, ContextKind::Root | ContextKind::Stream);
            f.level == Level::Spec
                && !f.contexts.is_empty()
                && f.contexts.iter().all(root_or_stream)
        };
        for f in abi.callbacks.iter().filter(lifecycle) {
            if !self.callbacks.iter().any(|(name, _)| *name == f.name)
                && !self.omitted.contains(&f.name)
            {
                self.callback(&f.name, |_| {});
            }
        }
    }

    fn reserve(&mut self, len: u32) -> u32 {
        let addr = self.next_addr;
        self.next_addr = addr.saturating_add(len).saturating_add(7) & !7;
        addr
    }

    fn export_names(&self) -> Vec<String> {
        let fixed = self.markers.iter().cloned().chain(["memory".to_string()]);
        let allocators = self.allocators.iter().map(|a| a.name().to_string());
        let callbacks = self.callbacks.iter().map(|(n, _)| n.clone());
        fixed.chain(allocators).chain(callbacks).collect()
    }

    /// Function index space: imports, the helpers the probe uses, the marker, allocator
    /// exports, callbacks. Exports list the markers first, as hosts take the first marker
    /// export they meet.
    fn assemble(&self) -> Vec<u8> {
        let n_imports = u32::try_from(self.imports.len()).unwrap_or(u32::MAX);
        // The probe's own functions, numbered after the helpers once those are known.
        let mut own: Vec<Func> = Vec::new();
        let mut exported: Vec<(String, usize)> = Vec::new();
        let push = |own: &mut Vec<Func>, func: Func| {
            own.push(func);
            own.len() - 1
        };
        if !self.markers.is_empty() {
            let marker = push(&mut own, Func::new(vec![], vec![], Code::default()));
            exported.extend(self.markers.iter().map(|m| (m.clone(), marker)));
        }
        for a in &self.allocators {
            let mut code = Code::default();
            let counter = self.allocator_calls(*a).addr;
            allocator::export(counter, &mut code);
            let i = push(
                &mut own,
                Func::new(vec![ValType::I32], vec![ValType::I32], code),
            );
            exported.push((a.name().to_string(), i));
        }
        for (name, func) in &self.callbacks {
            exported.push((name.clone(), push(&mut own, func.clone())));
        }
        // Only the helpers the probe reaches, directly or through other helpers: less for a
        // host to compile.
        let mut reached: Vec<Helper> = own.iter().flat_map(|f| f.code.helpers()).collect();
        let mut n = 0;
        while n < reached.len() {
            for h in self.runtime.helper(reached[n]).code.helpers() {
                if !reached.contains(&h) {
                    reached.push(h);
                }
            }
            n += 1;
        }
        let used: Vec<Helper> = Helper::ALL
            .into_iter()
            .filter(|h| reached.contains(h))
            .collect();
        let n_used = u32::try_from(used.len()).unwrap_or(u32::MAX);
        let exported: Vec<(String, u32)> = exported
            .into_iter()
            .map(|(name, i)| {
                (
                    name,
                    n_imports + n_used + u32::try_from(i).unwrap_or(u32::MAX),
                )
            })
            .collect();
        let mut funcs: Vec<Func> = used.iter().map(|h| self.runtime.helper(*h)).collect();
        funcs.extend(own);

        let mut types = Types::default();
        let mut imports = ImportSection::new();
        for i in &self.imports {
            let ty = types.index(&i.params, &i.results);
            imports.import(&i.module, &i.name, EntityType::Function(ty));
        }
        let index = |callee| match callee {
            Callee::Import(i) => i,
            Callee::Helper(h) => {
                let at = used.iter().position(|u| *u == h).unwrap_or(usize::MAX);
                n_imports + u32::try_from(at).unwrap_or(u32::MAX)
            }
        };
        let mut functions = FunctionSection::new();
        let mut code = CodeSection::new();
        // Identical callbacks (the stubs, mostly) share one function: less for a host to compile.
        let mut kept: Vec<(u32, Vec<u8>)> = Vec::new();
        let mut final_index = Vec::with_capacity(funcs.len());
        for (i, f) in funcs.iter().enumerate() {
            let ty = types.index(&f.params, &f.results);
            let body = f.code.encode(&f.locals, index).into_raw_body();
            let shared = (i >= used.len())
                .then(|| kept.iter().position(|(t, b)| *t == ty && *b == body))
                .flatten();
            let position = shared.unwrap_or_else(|| {
                functions.function(ty);
                code.raw(&body);
                kept.push((ty, body));
                kept.len() - 1
            });
            final_index.push(n_imports + u32::try_from(position).unwrap_or(u32::MAX));
        }
        let renumber = |i: u32| {
            let original = usize::try_from(i - n_imports).unwrap_or(usize::MAX);
            final_index.get(original).copied().unwrap_or(i)
        };
        let heap = (u64::from(self.next_addr) + 15) & !15;
        let mut memory = MemorySection::new();
        memory.memory(MemoryType {
            minimum: MIN_PAGES.max(heap / PAGE + 1),
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        let mut globals = GlobalSection::new();
        globals.global(
            GlobalType {
                val_type: ValType::I32,
                mutable: true,
                shared: false,
            },
            &ConstExpr::i32_const(i32::try_from(heap).unwrap_or(i32::MAX)),
        );
        let mut exports = ExportSection::new();
        let (markers, rest) = exported.split_at(self.markers.len().min(exported.len()));
        for (name, i) in markers {
            exports.export(name, ExportKind::Func, renumber(*i));
        }
        exports.export("memory", ExportKind::Memory, 0);
        for (name, i) in rest {
            exports.export(name, ExportKind::Func, renumber(*i));
        }
        let mut data = DataSection::new();
        for (addr, bytes) in &self.segments {
            let offset = ConstExpr::i32_const(i32::try_from(*addr).unwrap_or(i32::MAX));
            data.active(0, &offset, bytes.iter().copied());
        }
        let mut module = Module::new();
        module
            .section(&types.section)
            .section(&imports)
            .section(&functions)
            .section(&memory)
            .section(&globals)
            .section(&exports)
            .section(&code)
            .section(&data);
        module.finish()
    }
}

/// The type section, one entry per distinct signature.
#[derive(Default)]
struct Types {
    section: TypeSection,
    seen: Vec<(Vec<ValType>, Vec<ValType>)>,
}

impl Types {
    fn index(&mut self, params: &[ValType], results: &[ValType]) -> u32 {
        let i = match self
            .seen
            .iter()
            .position(|(p, r)| p == params && r == results)
        {
            Some(i) => i,
            None => {
                self.section
                    .ty()
                    .function(params.iter().copied(), results.iter().copied());
                self.seen.push((params.to_vec(), results.to_vec()));
                self.seen.len() - 1
            }
        };
        u32::try_from(i).unwrap_or(u32::MAX)
    }
}

/// Validates a probe module as WebAssembly 1.0, the feature set every host's engine has.
pub fn validate(wasm: &[u8]) -> Result<(), String> {
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::WASM1)
        .validate_all(wasm)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The wasm-encoder spelling of an IR wasm type.
pub(crate) fn val_type(t: WasmType) -> ValType {
    match t {
        WasmType::I32 => ValType::I32,
        WasmType::I64 => ValType::I64,
        WasmType::F32 => ValType::F32,
        WasmType::F64 => ValType::F64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Arg;
    use wasmparser::{Parser, Payload, TypeRef};

    fn abi(version: &str) -> Abi {
        proxy_wasm_spec::builtin(version).expect("built-in ABI")
    }

    /// What a module imports and exports, by name, and the signature of each import.
    #[derive(Debug, Default)]
    struct Shape {
        imports: Vec<(String, String, String)>,
        exports: Vec<String>,
        pages: u64,
        segments: Vec<(u32, Vec<u8>)>,
    }

    fn shape(wasm: &[u8]) -> Shape {
        let mut shape = Shape::default();
        let mut types = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.expect("parses") {
                Payload::TypeSection(r) => {
                    for t in r.into_iter_err_on_gc_types() {
                        types.push(t.expect("type").to_string());
                    }
                }
                Payload::ImportSection(r) => {
                    for i in r.into_imports() {
                        let i = i.expect("import");
                        let TypeRef::Func(t) = i.ty else {
                            unreachable!("only functions are imported")
                        };
                        let sig = types[usize::try_from(t).expect("index")].clone();
                        shape.imports.push((i.module.into(), i.name.into(), sig));
                    }
                }
                Payload::ExportSection(r) => {
                    for e in r {
                        shape.exports.push(e.expect("export").name.into());
                    }
                }
                Payload::MemorySection(r) => {
                    for m in r {
                        shape.pages = m.expect("memory").initial;
                    }
                }
                Payload::DataSection(r) => {
                    for d in r {
                        let d = d.expect("data");
                        let wasmparser::DataKind::Active { offset_expr, .. } = d.kind else {
                            unreachable!("only active segments")
                        };
                        let mut ops = offset_expr.get_operators_reader();
                        let wasmparser::Operator::I32Const { value } = ops.read().expect("op")
                        else {
                            unreachable!("constant offsets")
                        };
                        let addr = u32::try_from(value).expect("positive");
                        shape.segments.push((addr, d.data.to_vec()));
                    }
                }
                _ => {}
            }
        }
        shape
    }

    fn ending(b: &mut Body<'_, '_>) {
        b.end();
    }

    #[test]
    fn a_minimal_probe_imports_proxy_log_and_exports_the_marker_first() {
        let abi = abi("0.2.1");
        let mut probe = ProbeBuilder::new(&abi, "minimal");
        probe.stubs(false).callback("proxy_on_vm_start", ending);
        let shape = shape(&probe.finish().expect("valid"));
        assert_eq!(
            shape.imports,
            [(
                "env".into(),
                "proxy_log".into(),
                "(func (param i32 i32 i32) (result i32))".into()
            )]
        );
        assert_eq!(
            shape.exports,
            [
                "proxy_abi_version_0_2_1",
                "memory",
                "proxy_on_memory_allocate",
                "proxy_on_vm_start"
            ]
        );
        assert_eq!(shape.pages, MIN_PAGES);
    }

    #[test]
    fn host_functions_are_imported_once_with_their_ir_signature() {
        let abi = abi("0.2.1");
        let mut probe = ProbeBuilder::new(&abi, "imports");
        let slot = probe.slot(Width::U32);
        let time = probe.slot(Width::U64);
        probe.callback("proxy_on_tick", |b| {
            for _ in 0..2 {
                b.call("proxy_get_log_level", &[Arg::Slot(slot)]);
            }
            b.call(
                "clock_time_get",
                &[Arg::I32(0), Arg::I64(1), Arg::Slot(time)],
            );
            b.call("proxy_record_metric", &[Arg::I32(1), Arg::I64(-1)]);
            b.end();
        });
        let imports: Vec<(String, String, String)> = shape(&probe.finish().expect("valid")).imports;
        let expected = [
            ("env", "proxy_log", "(param i32 i32 i32) (result i32)"),
            ("env", "proxy_get_log_level", "(param i32) (result i32)"),
            (
                "wasi_snapshot_preview1",
                "clock_time_get",
                "(param i32 i64 i32) (result i32)",
            ),
            ("env", "proxy_record_metric", "(param i32 i64) (result i32)"),
        ]
        .map(|(m, n, t)| (m.to_string(), n.to_string(), format!("(func {t})")));
        assert_eq!(imports, expected);
    }

    #[test]
    fn every_allocator_configuration_builds() {
        let abi = abi("0.2.1");
        let [p, m] = AllocatorExport::ALL;
        let modes = [
            AllocMode::Bump,
            AllocMode::ReturnZero,
            AllocMode::ReturnOutOfBounds,
            AllocMode::Trap,
        ];
        for exports in [&[][..], &[p], &[m], &[p, m], &[m, p]] {
            for mode in modes {
                let mut probe = ProbeBuilder::new(&abi, "alloc");
                probe
                    .allocator(exports, mode)
                    .stubs(false)
                    .callback("proxy_on_vm_start", ending);
                let shape = shape(&probe.finish().expect("valid"));
                let names: Vec<&str> = exports.iter().map(|a| a.name()).collect();
                assert_eq!(shape.exports[2..shape.exports.len() - 1], names);
            }
        }
    }

    #[test]
    fn markers_can_be_replaced_or_dropped() {
        let abi = abi("0.2.0");
        for markers in [
            &[][..],
            &["proxy_abi_version_0_1_0", "proxy_abi_version_0_2_1"],
        ] {
            let mut probe = ProbeBuilder::new(&abi, "markers");
            probe.markers(markers).callback("proxy_on_vm_start", ending);
            let exports = shape(&probe.finish().expect("valid")).exports;
            assert_eq!(exports[..markers.len()], *markers);
            assert_eq!(exports[markers.len()], "memory");
        }
    }

    #[test]
    fn callbacks_take_their_version_signature() {
        for (version, params) in [("0.1.0", 2), ("0.2.0", 3), ("0.2.1", 3)] {
            let abi = abi(version);
            let mut probe = ProbeBuilder::new(&abi, "arity");
            probe.callback("proxy_on_request_headers", |b| {
                b.expect_value("last", Arg::Param(params - 1), 0);
                b.end();
            });
            let wasm = probe.finish().expect("valid");
            let marker = format!("proxy_abi_version_{}", version.replace('.', "_"));
            assert_eq!(shape(&wasm).exports[0], marker);
        }
    }

    #[test]
    fn data_and_slots_follow_the_line_buffer_8_aligned() {
        let abi = abi("0.2.1");
        let mut probe = ProbeBuilder::new(&abi, "layout");
        let a = probe.data(b"abc");
        let empty = probe.data(b"");
        let s = probe.slot(Width::U64);
        let big = probe.data(&[1; 70_000]);
        probe.callback("proxy_on_vm_start", ending);
        let shape = shape(&probe.finish().expect("valid"));
        for addr in [a.addr, empty.addr, s.addr, big.addr] {
            assert!(addr >= LINE_END && addr % 8 == 0, "{addr}");
        }
        assert!(a.addr + a.len <= s.addr && s.addr + 8 <= big.addr);
        assert!(shape.segments.contains(&(a.addr, b"abc".to_vec())));
        assert!(shape.segments.contains(&(s.addr, vec![SENTINEL; 8])));
        assert!(shape.segments.iter().all(|(_, bytes)| !bytes.is_empty()));
        // Memory holds the data and the start of the heap.
        assert!(shape.pages * PAGE > u64::from(big.addr + big.len));
    }

    #[test]
    fn undefined_lifecycle_callbacks_are_stubbed() {
        for (version, count) in [("0.1.0", 24), ("0.2.1", 25)] {
            let abi = abi(version);
            let mut probe = ProbeBuilder::new(&abi, "stubs");
            probe.callback("proxy_on_vm_start", ending);
            let exports = shape(&probe.finish().expect("valid")).exports;
            let callbacks: Vec<&String> = exports[3..].iter().collect();
            assert_eq!(callbacks.len(), count, "{callbacks:#?}");
            assert_eq!(callbacks[0], "proxy_on_vm_start");
            for name in [
                "proxy_on_context_create",
                "proxy_on_done",
                "proxy_on_queue_ready",
            ] {
                assert!(exports.iter().any(|e| e == name), "{name}");
            }
            for name in ["_start", "main", "proxy_validate_configuration"] {
                assert!(!exports.iter().any(|e| e == name), "{name}");
            }
        }
    }
}
