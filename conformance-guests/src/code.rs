//! Function bodies with symbolic calls. Imports are declared while bodies are built, and they
//! come first in the function index space, so indices are only known when the module is
//! assembled.

use wasm_encoder::{Function, Instruction, MemArg, ValType};

/// A runtime function a probe contains when it calls it (bodies in `runtime`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Helper {
    /// `(ptr, len)`: logs the bytes at info level.
    Log,
    /// `(end)`: logs the line buffer up to `end`.
    LogLine,
    /// `(dst, src, len) -> dst + len`.
    Copy,
    /// `(dst, i64 value) -> end`: the value in unsigned decimal.
    FmtU64,
    /// `(dst, ptr, len) -> end`: `bytes:<len>:<hex>`, or `oob:<ptr>+<len>` outside memory.
    FmtBytes,
    /// `(dst, src, len) -> end`: lowercase hex.
    Hex,
    /// `(ptr, len) -> bool`: whether the range lies inside memory, without wrapping.
    InBounds,
    /// `(a, b, len) -> bool`: whether the bytes are equal.
    BytesEq,
    /// `(ptr, len, expected, expected_len) -> bool`: in bounds, same length and same bytes.
    Matches,
    /// `(size) -> ptr`: the allocator, in the probe's allocation mode.
    Alloc,
}

impl Helper {
    /// Every helper, in the order a module holds those it uses.
    pub(crate) const ALL: [Helper; 10] = [
        Helper::Log,
        Helper::LogLine,
        Helper::Copy,
        Helper::FmtU64,
        Helper::FmtBytes,
        Helper::Hex,
        Helper::InBounds,
        Helper::BytesEq,
        Helper::Matches,
        Helper::Alloc,
    ];
}

/// What a call refers to.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Callee {
    /// The n-th import.
    Import(u32),
    /// A helper.
    Helper(Helper),
}

/// An instruction, or a call to resolve later.
#[derive(Clone, Debug)]
enum Op {
    Ins(Instruction<'static>),
    Call(Callee),
}

/// A function body under construction.
#[derive(Clone, Debug, Default)]
pub(crate) struct Code(Vec<Op>);

impl Code {
    /// Appends instructions.
    pub(crate) fn ins(&mut self, ins: impl IntoIterator<Item = Instruction<'static>>) -> &mut Self {
        self.0.extend(ins.into_iter().map(Op::Ins));
        self
    }

    /// Appends a call.
    pub(crate) fn call(&mut self, callee: Callee) -> &mut Self {
        self.0.push(Op::Call(callee));
        self
    }

    /// Appends a call to a helper.
    pub(crate) fn helper(&mut self, helper: Helper) -> &mut Self {
        self.call(Callee::Helper(helper))
    }

    /// The helpers it calls.
    pub(crate) fn helpers(&self) -> impl Iterator<Item = Helper> + '_ {
        self.0.iter().filter_map(|op| match op {
            Op::Call(Callee::Helper(h)) => Some(*h),
            _ => None,
        })
    }

    /// Appends another body's code.
    pub(crate) fn append(&mut self, other: Code) -> &mut Self {
        self.0.extend(other.0);
        self
    }

    /// The encoded function, with `index` giving each callee's function index; adds the final
    /// `end`.
    pub(crate) fn encode(&self, locals: &[ValType], index: impl Fn(Callee) -> u32) -> Function {
        let mut f = Function::new_with_locals_types(locals.iter().copied());
        for op in &self.0 {
            match op {
                Op::Ins(ins) => f.instruction(ins),
                Op::Call(callee) => f.instruction(&Instruction::Call(index(*callee))),
            };
        }
        f.instruction(&Instruction::End);
        f
    }
}

/// An `i32.const` of an address or other u32: wasm integers have no sign.
pub(crate) fn u32_const(value: u32) -> Instruction<'static> {
    Instruction::I32Const(i32::from_ne_bytes(value.to_ne_bytes()))
}

/// A memory access of `2^align` bytes at offset 0.
pub(crate) fn mem(align: u32) -> MemArg {
    MemArg {
        offset: 0,
        align,
        memory_index: 0,
    }
}
