//! The probe's allocator: under which export names the host finds it, and how it behaves, so
//! probes can test the allocation conventions (spec v0.2.1 `Memory management` lines 110-143;
//! proxy-wasm-cpp-host src/wasm.cc WasmBase::getFunctions) as well as rely on them.

use crate::code::{Code, Helper, mem, u32_const};
use wasm_encoder::Instruction as I;
use wasm_encoder::{BlockType, ValType};

/// An export name a host calls to allocate guest memory for results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AllocatorExport {
    /// `proxy_on_memory_allocate`, the spec's name.
    ProxyOnMemoryAllocate,
    /// `malloc`, deprecated by the spec but what proxy-wasm-cpp-host and Kong call first.
    Malloc,
}

impl AllocatorExport {
    /// Both, in the order the spec prefers them.
    pub const ALL: [AllocatorExport; 2] = [
        AllocatorExport::ProxyOnMemoryAllocate,
        AllocatorExport::Malloc,
    ];

    /// The export name.
    pub fn name(self) -> &'static str {
        match self {
            AllocatorExport::ProxyOnMemoryAllocate => "proxy_on_memory_allocate",
            AllocatorExport::Malloc => "malloc",
        }
    }
}

/// What the allocator does when called.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AllocMode {
    /// Hands out 8-aligned memory from a bump pointer, growing memory as needed; 0 if it cannot.
    #[default]
    Bump,
    /// Returns 0, the spec's "allocation failed".
    ReturnZero,
    /// Returns the address just past the end of memory.
    ReturnOutOfBounds,
    /// Traps.
    Trap,
}

/// The bump pointer's global.
pub(crate) const HEAP: u32 = 0;

/// Emits the allocator `(size) -> ptr` and returns its locals.
pub(crate) fn body(mode: AllocMode, c: &mut Code) -> Vec<ValType> {
    let memory_bytes = [
        I::MemorySize(0),
        I::I64ExtendI32U,
        I::I64Const(16),
        I::I64Shl,
    ];
    match mode {
        AllocMode::Bump => {
            // 0 size; 1 ptr, 2 end (64-bit, so a huge size cannot wrap around).
            c.ins([I::GlobalGet(HEAP), I::LocalTee(1), I::I64ExtendI32U])
                .ins([I::LocalGet(0), I::I64ExtendI32U, I::I64Add, I::I64Const(7)])
                .ins([I::I64Add, I::I64Const(-8), I::I64And, I::LocalTee(2)])
                .ins(memory_bytes.clone())
                .ins([I::I64GtU, I::If(BlockType::Empty), I::LocalGet(2)])
                .ins(memory_bytes)
                .ins([I::I64Sub, I::I64Const(0xffff), I::I64Add, I::I64Const(16)])
                .ins([I::I64ShrU, I::I32WrapI64, I::MemoryGrow(0), I::I32Const(-1)])
                .ins([I::I32Eq, I::If(BlockType::Empty), I::I32Const(0), I::Return])
                .ins([
                    I::End,
                    I::End,
                    I::LocalGet(2),
                    I::I32WrapI64,
                    I::GlobalSet(HEAP),
                ])
                .ins([I::LocalGet(1)]);
            vec![ValType::I32, ValType::I64]
        }
        AllocMode::ReturnZero => {
            c.ins([I::I32Const(0)]);
            vec![]
        }
        AllocMode::ReturnOutOfBounds => {
            c.ins([I::MemorySize(0), I::I32Const(16), I::I32Shl]);
            vec![]
        }
        AllocMode::Trap => {
            c.ins([I::Unreachable]);
            vec![]
        }
    }
}

/// Emits an exported allocator `(size) -> ptr`: counts the call at `counter`, then allocates.
pub(crate) fn export(counter: u32, c: &mut Code) {
    c.ins([u32_const(counter), u32_const(counter), I::I32Load(mem(2))])
        .ins([
            I::I32Const(1),
            I::I32Add,
            I::I32Store(mem(2)),
            I::LocalGet(0),
        ])
        .helper(Helper::Alloc);
}
