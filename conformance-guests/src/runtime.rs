//! The functions every probe carries: logging, number and byte formatting for `FAIL` lines,
//! bounds and byte comparisons. They use WebAssembly 1.0 instructions only, and never read
//! memory a host-written pointer names before checking it against `memory.size`, so a host
//! that writes garbage still gets a parseable `FAIL` line instead of a trap.

use crate::allocator::{self, AllocMode};
use crate::builder::{Data, Func};
use crate::code::{Callee, Code, Helper, mem, u32_const};
use crate::verdict::BYTES_SHOWN;
use wasm_encoder::BlockType;
use wasm_encoder::Instruction as I;
use wasm_encoder::ValType::{I32, I64};

/// Where a `FAIL` line is assembled: its prefix is copied here, the `got` value formatted after
/// it. The bytes below stay zero, so no data has address 0.
pub(crate) const LINE: u32 = 16;
/// The end of the line buffer; probe data starts here.
pub(crate) const LINE_END: u32 = 1024;
/// The longest `got` value: `bytes:<u32>:` and the hex of the bytes shown.
pub(crate) const MAX_GOT: usize = "bytes:4294967295:".len() + 2 * BYTES_SHOWN;
/// `proxy_log`'s level for verdicts: info, 2 in every ABI version.
const INFO: i32 = 2;
/// `BYTES_SHOWN` as an immediate.
const SHOWN: i32 = BYTES_SHOWN as i32;

/// What the helpers refer to.
pub(crate) struct Runtime {
    /// The import index of `proxy_log`.
    pub(crate) proxy_log: u32,
    /// The text `bytes:`.
    pub(crate) bytes_tag: Data,
    /// The text `oob:`.
    pub(crate) oob_tag: Data,
    /// The allocator's behaviour.
    pub(crate) alloc: AllocMode,
}

impl Runtime {
    /// The helper's function.
    pub(crate) fn helper(&self, helper: Helper) -> Func {
        let mut c = Code::default();
        let (params, results, locals) = match helper {
            Helper::Log => {
                c.ins([I::I32Const(INFO), I::LocalGet(0), I::LocalGet(1)])
                    .call(Callee::Import(self.proxy_log))
                    .ins([I::Drop]);
                (vec![I32, I32], vec![], vec![])
            }
            Helper::LogLine => {
                c.ins([u32_const(LINE), I::LocalGet(0), u32_const(LINE), I::I32Sub])
                    .helper(Helper::Log);
                (vec![I32], vec![], vec![])
            }
            Helper::Copy => {
                // 0 dst, 1 src, 2 len
                c.ins([I::Block(BlockType::Empty), I::Loop(BlockType::Empty)])
                    .ins([I::LocalGet(2), I::I32Eqz, I::BrIf(1)])
                    .ins([I::LocalGet(0), I::LocalGet(1), I::I32Load8U(mem(0))])
                    .ins([I::I32Store8(mem(0))])
                    .ins(step(0, 1))
                    .ins(step(1, 1))
                    .ins([I::LocalGet(2), I::I32Const(1), I::I32Sub, I::LocalSet(2)])
                    .ins([I::Br(0), I::End, I::End, I::LocalGet(0)]);
                (vec![I32, I32, I32], vec![I32], vec![])
            }
            Helper::FmtU64 => {
                // 0 dst, 1 value; 2 end, 3 pos, 4 rest. Count the digits, then write them
                // backwards from the end.
                c.ins([I::LocalGet(0), I::I32Const(1), I::I32Add, I::LocalSet(2)])
                    .ins([I::LocalGet(1), I::LocalSet(4)])
                    .ins([I::Block(BlockType::Empty), I::Loop(BlockType::Empty)])
                    .ins([I::LocalGet(4), I::I64Const(10), I::I64LtU, I::BrIf(1)])
                    .ins([I::LocalGet(4), I::I64Const(10), I::I64DivU, I::LocalSet(4)])
                    .ins(step(2, 1))
                    .ins([I::Br(0), I::End, I::End])
                    .ins([I::LocalGet(2), I::LocalSet(3), I::Loop(BlockType::Empty)])
                    .ins([I::LocalGet(3), I::I32Const(1), I::I32Sub, I::LocalTee(3)])
                    .ins([I::LocalGet(1), I::I64Const(10), I::I64RemU, I::I32WrapI64])
                    .ins([
                        I::I32Const(i32::from(b'0')),
                        I::I32Add,
                        I::I32Store8(mem(0)),
                    ])
                    .ins([I::LocalGet(1), I::I64Const(10), I::I64DivU, I::LocalTee(1)])
                    .ins([I::I64Const(0), I::I64Ne, I::BrIf(0), I::End, I::LocalGet(2)]);
                (vec![I32, I64], vec![I32], vec![I32, I32, I64])
            }
            Helper::FmtBytes => {
                // 0 dst, 1 ptr, 2 len
                c.ins([I::LocalGet(1), I::LocalGet(2)])
                    .helper(Helper::InBounds)
                    .ins([I::If(BlockType::Result(I32))]);
                self.tag(&mut c, self.bytes_tag);
                c.ins([I::LocalGet(2), I::I64ExtendI32U])
                    .helper(Helper::FmtU64)
                    .ins(char_at_end(b':'))
                    .ins([I::LocalGet(1), I::LocalGet(2), I::I32Const(SHOWN)])
                    .ins([I::LocalGet(2), I::I32Const(SHOWN), I::I32LtU, I::Select])
                    .helper(Helper::Hex)
                    .ins([I::Else]);
                self.tag(&mut c, self.oob_tag);
                c.ins([I::LocalGet(1), I::I64ExtendI32U])
                    .helper(Helper::FmtU64)
                    .ins(char_at_end(b'+'))
                    .ins([I::LocalGet(2), I::I64ExtendI32U])
                    .helper(Helper::FmtU64)
                    .ins([I::End]);
                (vec![I32, I32, I32], vec![I32], vec![])
            }
            Helper::Hex => {
                // 0 dst, 1 src, 2 len; 3 scratch
                c.ins([I::Block(BlockType::Empty), I::Loop(BlockType::Empty)])
                    .ins([I::LocalGet(2), I::I32Eqz, I::BrIf(1)])
                    .ins([I::LocalGet(0), I::LocalGet(1), I::I32Load8U(mem(0))])
                    .ins([I::I32Const(4), I::I32ShrU])
                    .ins(nibble(3))
                    .ins([I::I32Store8(mem(0))])
                    .ins([I::LocalGet(0), I::I32Const(1), I::I32Add])
                    .ins([
                        I::LocalGet(1),
                        I::I32Load8U(mem(0)),
                        I::I32Const(15),
                        I::I32And,
                    ])
                    .ins(nibble(3))
                    .ins([I::I32Store8(mem(0))])
                    .ins(step(0, 2))
                    .ins(step(1, 1))
                    .ins([I::LocalGet(2), I::I32Const(1), I::I32Sub, I::LocalSet(2)])
                    .ins([I::Br(0), I::End, I::End, I::LocalGet(0)]);
                (vec![I32, I32, I32], vec![I32], vec![I32])
            }
            Helper::InBounds => {
                // 64-bit arithmetic, so ranges that wrap past 4 GiB are out of bounds.
                c.ins([
                    I::LocalGet(0),
                    I::I64ExtendI32U,
                    I::LocalGet(1),
                    I::I64ExtendI32U,
                ])
                .ins([I::I64Add, I::MemorySize(0), I::I64ExtendI32U])
                .ins([I::I64Const(16), I::I64Shl, I::I64LeU]);
                (vec![I32, I32], vec![I32], vec![])
            }
            Helper::BytesEq => {
                // 0 a, 1 b, 2 len
                c.ins([I::Block(BlockType::Empty), I::Loop(BlockType::Empty)])
                    .ins([I::LocalGet(2), I::I32Eqz, I::BrIf(1)])
                    .ins([I::LocalGet(0), I::I32Load8U(mem(0))])
                    .ins([I::LocalGet(1), I::I32Load8U(mem(0)), I::I32Ne])
                    .ins([I::If(BlockType::Empty), I::I32Const(0), I::Return, I::End])
                    .ins(step(0, 1))
                    .ins(step(1, 1))
                    .ins([I::LocalGet(2), I::I32Const(1), I::I32Sub, I::LocalSet(2)])
                    .ins([I::Br(0), I::End, I::End, I::I32Const(1)]);
                (vec![I32, I32, I32], vec![I32], vec![])
            }
            Helper::Matches => {
                // 0 ptr, 1 len, 2 expected, 3 expected_len
                c.ins([I::LocalGet(0), I::LocalGet(1)])
                    .helper(Helper::InBounds)
                    .ins([
                        I::I32Eqz,
                        I::If(BlockType::Empty),
                        I::I32Const(0),
                        I::Return,
                    ])
                    .ins([I::End, I::LocalGet(1), I::LocalGet(3), I::I32Ne])
                    .ins([I::If(BlockType::Empty), I::I32Const(0), I::Return, I::End])
                    .ins([I::LocalGet(0), I::LocalGet(2), I::LocalGet(3)])
                    .helper(Helper::BytesEq);
                (vec![I32, I32, I32, I32], vec![I32], vec![])
            }
            Helper::Alloc => {
                let locals = allocator::body(self.alloc, &mut c);
                (vec![I32], vec![I32], locals)
            }
        };
        Func {
            params,
            results,
            locals,
            code: c,
        }
    }

    /// Copies a text to `dst` (local 0), leaving the end on the stack.
    fn tag(&self, c: &mut Code, text: Data) {
        c.ins([I::LocalGet(0), u32_const(text.addr), u32_const(text.len)])
            .helper(Helper::Copy);
    }
}

/// `local += by`.
fn step(local: u32, by: i32) -> [I<'static>; 4] {
    [
        I::LocalGet(local),
        I::I32Const(by),
        I::I32Add,
        I::LocalSet(local),
    ]
}

/// With an end address on the stack: stores `ch` there and leaves the address after it.
/// Uses local 0 (`dst`) as scratch, which the callers no longer need.
fn char_at_end(ch: u8) -> [I<'static>; 6] {
    [
        I::LocalTee(0),
        I::I32Const(i32::from(ch)),
        I::I32Store8(mem(0)),
        I::LocalGet(0),
        I::I32Const(1),
        I::I32Add,
    ]
}

/// A value 0..=15 on the stack becomes its lowercase hex digit, `x + '0' + (x > 9) * 39`
/// (39 = 'a' - '0' - 10), with `local` as scratch.
fn nibble(local: u32) -> [I<'static>; 9] {
    [
        I::LocalTee(local),
        I::I32Const(i32::from(b'0')),
        I::I32Add,
        I::LocalGet(local),
        I::I32Const(9),
        I::I32GtU,
        I::I32Const(i32::from(b'a' - b'0' - 10)),
        I::I32Mul,
        I::I32Add,
    ]
}
