//! [`Body`]: what a callback does — host calls by IR name, checks that log one verdict line
//! each, and the `END` line.
//!
//! Code runs in the order it is written. A check compares at run time and logs `PASS` or
//! `FAIL`, formatting what it found in the guest, so a probe reports the same way on every host.

use crate::allocator::HEAP;
use crate::builder::{Data, Func, ProbeBuilder, SENTINEL, Slot, Width, val_type};
use crate::code::{Callee, Code, Helper, mem, u32_const};
use crate::runtime::{LINE, LINE_END, MAX_GOT};
use crate::verdict::{Value, Verdict, fail_prefix};
use proxy_wasm_interchange::basis::Basis;
use proxy_wasm_spec::Abi;
use proxy_wasm_spec::ir::{Builtin, Function, TypeDefKind, TypeRef};
use wasm_encoder::BlockType;
use wasm_encoder::Instruction as I;
use wasm_encoder::ValType::{self, I32, I64};

/// An argument of a host call, or the subject of a check.
#[derive(Clone, Copy, Debug)]
pub enum Arg {
    /// An i32 constant.
    I32(i32),
    /// An i64 constant.
    I64(i64),
    /// Two i32s: the address and length of data.
    Bytes(Data),
    /// A slot's address, for an out-pointer; the slot is refilled with the sentinel first.
    Slot(Slot),
    /// The value in a slot (i32 or i64 by its width), e.g. an id an earlier call wrote.
    Load(Slot),
    /// `memory.size * 65536 + offset` at run time, wrapping: `MemEnd(0)` is the first address
    /// past memory, `MemEnd(-2)` starts a 4-byte range straddling its end.
    MemEnd(i32),
    /// The callback's own parameter, by position.
    Param(u32),
    /// What an earlier call in the same callback returned, or an [`Body::equal`] result.
    Status(Status),
    /// The allocator's bump pointer: where its next allocation starts.
    Heap,
    /// The u32 at the address a u32 slot holds, e.g. the pair count heading serialized pairs
    /// the host wrote; the guest traps if that address is outside memory.
    Deref(Slot),
}

impl Arg {
    /// A u32 constant, as the i32 of the same bits.
    pub fn u32(value: u32) -> Arg {
        Arg::I32(i32::from_ne_bytes(value.to_ne_bytes()))
    }
}

/// The result of a host call, kept in a local of its callback.
#[derive(Clone, Copy, Debug)]
pub struct Status {
    body: usize,
    local: Option<(u32, ValType)>,
}

/// The body of one exported callback; see [`ProbeBuilder::callback`].
pub struct Body<'p, 'a> {
    probe: &'p mut ProbeBuilder<'a>,
    id: usize,
    name: String,
    params: Vec<ValType>,
    results: Vec<ValType>,
    locals: Vec<ValType>,
    code: Code,
    returns: i32,
}

impl<'p, 'a> Body<'p, 'a> {
    pub(crate) fn new(probe: &'p mut ProbeBuilder<'a>, f: &Function, id: usize) -> Self {
        Body {
            returns: go_on(probe.abi, f),
            probe,
            id,
            name: f.name.clone(),
            params: f.wasm_params().into_iter().map(val_type).collect(),
            results: f.wasm_results().into_iter().map(val_type).collect(),
            locals: Vec::new(),
            code: Code::default(),
        }
    }

    pub(crate) fn finish(mut self) -> Func {
        match self.results.as_slice() {
            [] => {}
            [I32] => {
                self.code.ins([I::I32Const(self.returns)]);
            }
            [I64] => {
                self.code.ins([I::I64Const(self.returns.into())]);
            }
            other => self.problem(format!("cannot return {}", type_list(other))),
        }
        Func {
            params: self.params,
            results: self.results,
            locals: self.locals,
            code: self.code,
        }
    }

    /// Places bytes in memory at module start (see [`ProbeBuilder::data`]).
    pub fn data(&mut self, bytes: &[u8]) -> Data {
        self.probe.data(bytes)
    }

    /// A slot filled with the sentinel (see [`ProbeBuilder::slot`]).
    pub fn slot(&mut self, width: Width) -> Slot {
        self.probe.slot(width)
    }

    /// What the callback returns. By default what lets the host go on: 1 (`true`) for a
    /// `bool`, the `continue` member for an enum that has one (actions), else 0.
    pub fn returns(&mut self, value: i32) -> &mut Self {
        self.returns = value;
        self
    }

    /// Calls the host function `function` of the probe's ABI, importing it. The arguments'
    /// wasm types must spell its signature exactly; the result is kept for checks.
    pub fn call(&mut self, function: &str, args: &[Arg]) -> Status {
        let mut status = Status {
            body: self.id,
            local: None,
        };
        let abi = self.probe.abi;
        let Some(f) = abi.function(function) else {
            self.problem(format!(
                "`{function}` is not a host function of ABI {}",
                abi.name
            ));
            return status;
        };
        let want: Vec<ValType> = f.wasm_params().into_iter().map(val_type).collect();
        let mut have = Vec::new();
        for arg in args {
            match self.arg_types(arg) {
                Ok(types) => have.extend(types),
                Err(e) => {
                    self.problem(e);
                    return status;
                }
            }
        }
        if have != want {
            self.problem(format!(
                "`{function}` takes ({}) but the arguments give ({})",
                type_list(&want),
                type_list(&have)
            ));
            return status;
        }
        let results: Vec<ValType> = f.wasm_results().into_iter().map(val_type).collect();
        let import = self.probe.import(f);
        for arg in args {
            if let Arg::Slot(slot) = arg {
                self.refill(*slot);
            }
        }
        for arg in args {
            push(&mut self.code, arg);
        }
        self.code.call(Callee::Import(import));
        if let Some(ty) = results.first() {
            let local = self.local(*ty);
            self.code.ins([I::LocalSet(local)]);
            status.local = Some((local, *ty));
        }
        status
    }

    /// Stores a value in a slot of its width, e.g. to compare across callbacks.
    pub fn store(&mut self, slot: Slot, value: Arg) -> &mut Self {
        if let Some(ty) = self.single(&value) {
            if ty != slot.width.val_type() {
                let (bytes, ty) = (slot.width.bytes(), type_list(&[ty]));
                self.problem(format!("a slot of {bytes} bytes cannot hold an {ty}"));
                return self;
            }
            self.code.ins([u32_const(slot.addr)]);
            push(&mut self.code, &value);
            self.code.ins([store(slot.width)]);
        }
        self
    }

    /// Whether two values of the same type are equal: 1 or 0, kept like a host call's status,
    /// to compare values only known at run time (context ids, pointers) or to branch on.
    pub fn equal(&mut self, a: Arg, b: Arg) -> Status {
        let mut status = Status {
            body: self.id,
            local: None,
        };
        let (Some(ta), Some(tb)) = (self.single(&a), self.single(&b)) else {
            return status;
        };
        if ta != tb {
            self.problem(format!(
                "cannot compare {a:?} with {b:?}: their types differ"
            ));
            return status;
        }
        let local = self.local(I32);
        push(&mut self.code, &a);
        push(&mut self.code, &b);
        let eq = if ta == I32 { I::I32Eq } else { I::I64Eq };
        self.code.ins([eq, I::LocalSet(local)]);
        status.local = Some((local, I32));
        status
    }

    /// Runs what `then` writes when `condition` (an i32 status or [`equal`](Self::equal)
    /// result) is non-zero, else what `otherwise` writes: for callbacks the host calls more
    /// than once with different roles (a root and a stream context).
    pub fn branch(
        &mut self,
        condition: Status,
        then: impl FnOnce(&mut Self),
        otherwise: impl FnOnce(&mut Self),
    ) -> &mut Self {
        match self.single(&Arg::Status(condition)) {
            Some(I32) => {}
            Some(_) => {
                self.problem("a branch needs an i32 condition".to_string());
                return self;
            }
            None => return self,
        }
        push(&mut self.code, &Arg::Status(condition));
        self.code.ins([I::If(BlockType::Empty)]);
        then(self);
        self.code.ins([I::Else]);
        otherwise(self);
        self.code.ins([I::End]);
        self
    }

    /// Gives the next check its basis: the spec sentence, host code or robustness concern its
    /// expectation rests on. [`ProbeBuilder::finish_checked`] requires one for every check.
    pub fn because(&mut self, basis: Basis) -> &mut Self {
        self.probe.set_basis(basis);
        self
    }

    /// [`because`](Self::because) with a basis the catalog looked up, or a build problem.
    pub(crate) fn because_found(&mut self, basis: Result<Basis, String>) -> &mut Self {
        match basis {
            Ok(basis) => self.because(basis),
            Err(problem) => {
                self.problem(problem);
                self
            }
        }
    }

    /// Checks that an i32 or i64 value equals `expected` (taken as the bits of the value's
    /// width, so -1 and `u32::MAX` are the same i32).
    pub fn expect_value(&mut self, check: &str, value: Arg, expected: i64) -> &mut Self {
        let Some(ty) = self.single(&value) else {
            return self;
        };
        let (constant, shown, widen) = if ty == I32 {
            let bits = u32::try_from(expected)
                .ok()
                .or_else(|| i32::try_from(expected).ok().map(|v| v as u32));
            let Some(bits) = bits else {
                self.problem(format!("{check}: {expected} does not fit in 32 bits"));
                return self;
            };
            (u32_const(bits), u64::from(bits), Some(I::I64ExtendI32U))
        } else {
            (I::I64Const(expected), expected as u64, None)
        };
        let local = self.local(ty);
        let mut condition = Code::default();
        let eq = if ty == I32 { I::I32Eq } else { I::I64Eq };
        push(&mut condition, &value);
        condition.ins([I::LocalTee(local), constant, eq]);
        let mut got = Code::default();
        got.ins([I::LocalGet(local)])
            .ins(widen)
            .helper(Helper::FmtU64);
        self.check(check, &Value::number(shown), condition, got);
        self
    }

    /// Checks a host call's status code.
    pub fn expect_status(&mut self, check: &str, status: Status, expected: i64) -> &mut Self {
        self.expect_value(check, Arg::Status(status), expected)
    }

    /// Checks that a host call's status is one of `expected`.
    pub fn expect_status_in(&mut self, check: &str, status: Status, expected: &[i64]) -> &mut Self {
        let mut values = Vec::new();
        for e in expected {
            match u32::try_from(*e).or_else(|_| i32::try_from(*e).map(|v| v as u32)) {
                Ok(bits) => values.push(bits),
                Err(_) => {
                    self.problem(format!("{check}: {e} does not fit in 32 bits"));
                    return self;
                }
            }
        }
        let local = self.local(I32);
        let mut condition = Code::default();
        push(&mut condition, &Arg::Status(status));
        condition.ins([I::LocalSet(local), I::I32Const(0)]);
        for bits in &values {
            condition.ins([I::LocalGet(local), u32_const(*bits), I::I32Eq, I::I32Or]);
        }
        let mut got = Code::default();
        got.ins([I::LocalGet(local), I::I64ExtendI32U])
            .helper(Helper::FmtU64);
        let shown = Value::AnyOf {
            values: values.iter().map(|v| u64::from(*v)).collect(),
        };
        self.check(check, &shown, condition, got);
        self
    }

    /// Checks the u32 in a slot.
    pub fn expect_slot_u32(&mut self, check: &str, slot: Slot, expected: u32) -> &mut Self {
        self.width(check, slot, Width::U32);
        self.expect_value(check, Arg::Load(slot), expected.into())
    }

    /// Checks the u16 in a slot.
    pub fn expect_slot_u16(&mut self, check: &str, slot: Slot, expected: u16) -> &mut Self {
        self.width(check, slot, Width::U16);
        self.expect_value(check, Arg::Load(slot), expected.into())
    }

    /// Checks the u64 in a slot.
    pub fn expect_slot_u64(&mut self, check: &str, slot: Slot, expected: u64) -> &mut Self {
        self.width(check, slot, Width::U64);
        self.expect_value(
            check,
            Arg::Load(slot),
            i64::from_ne_bytes(expected.to_ne_bytes()),
        )
    }

    /// Checks that the host did not write to a slot: it still holds the sentinel.
    pub fn expect_slot_untouched(&mut self, check: &str, slot: Slot) -> &mut Self {
        let sentinel = slot.width.sentinel();
        self.expect_value(
            check,
            Arg::Load(slot),
            i64::from_ne_bytes(sentinel.to_ne_bytes()),
        )
    }

    /// Checks the buffer whose address and length the host wrote into two u32 slots: it lies
    /// inside memory and holds `expected`.
    pub fn expect_bytes(
        &mut self,
        check: &str,
        ptr: Slot,
        len: Slot,
        expected: &[u8],
    ) -> &mut Self {
        self.width(check, ptr, Width::U32);
        self.width(check, len, Width::U32);
        let want = self.data(expected);
        let (p, l) = (self.local(I32), self.local(I32));
        let mut condition = Code::default();
        condition
            .ins([u32_const(ptr.addr), I::I32Load(mem(2)), I::LocalTee(p)])
            .ins([u32_const(len.addr), I::I32Load(mem(2)), I::LocalTee(l)])
            .ins([u32_const(want.addr), u32_const(want.len)])
            .helper(Helper::Matches);
        let mut got = Code::default();
        got.ins([I::LocalGet(p), I::LocalGet(l)])
            .helper(Helper::FmtBytes);
        self.check(check, &Value::bytes(expected), condition, got);
        self
    }

    /// Checks that `data` now holds `expected`: a buffer the host fills, or input it must not
    /// change.
    pub fn expect_data(&mut self, check: &str, data: Data, expected: &[u8]) -> &mut Self {
        let want = self.data(expected);
        let mut condition = Code::default();
        condition
            .ins([u32_const(data.addr), u32_const(data.len)])
            .ins([u32_const(want.addr), u32_const(want.len)])
            .helper(Helper::Matches);
        let mut got = Code::default();
        got.ins([u32_const(data.addr), u32_const(data.len)])
            .helper(Helper::FmtBytes);
        self.check(check, &Value::bytes(expected), condition, got);
        self
    }

    /// Logs `pwtck:1 END <probe-id>`: the probe ran to its end. Once per probe, in the
    /// callback that runs last.
    pub fn end(&mut self) -> &mut Self {
        if self.probe.register_end() {
            let line = Verdict::End {
                probe: self.probe.probe_id().to_string(),
            };
            let text = self.data(line.to_string().as_bytes());
            self.code
                .ins([u32_const(text.addr), u32_const(text.len)])
                .helper(Helper::Log);
        }
        self
    }

    /// Emits a check: `condition` leaves an i32 (non-zero: pass); `got` formats what was found
    /// after the `FAIL` prefix, from the prefix's end address on the stack to its own.
    fn check(&mut self, check: &str, expected: &Value, condition: Code, got: Code) {
        if !self.probe.register_check(check) {
            return;
        }
        let prefix = fail_prefix(check, expected);
        if prefix.len() + MAX_GOT > (LINE_END - LINE) as usize {
            self.problem(format!("{check}: the FAIL line would be too long"));
            return;
        }
        let pass = Verdict::Pass {
            check: check.to_string(),
        };
        let pass = self.data(pass.to_string().as_bytes());
        let prefix = self.data(prefix.as_bytes());
        self.code
            .append(condition)
            .ins([
                I::If(BlockType::Empty),
                u32_const(pass.addr),
                u32_const(pass.len),
            ])
            .helper(Helper::Log)
            .ins([
                I::Else,
                u32_const(LINE),
                u32_const(prefix.addr),
                u32_const(prefix.len),
            ])
            .helper(Helper::Copy)
            .append(got)
            .helper(Helper::LogLine)
            .ins([I::End]);
    }

    fn problem(&mut self, problem: String) {
        self.probe.problem(format!("`{}`: {problem}", self.name));
    }

    fn width(&mut self, check: &str, slot: Slot, width: Width) {
        if slot.width != width {
            self.problem(format!(
                "{check}: the slot holds {} bytes",
                slot.width.bytes()
            ));
        }
    }

    fn local(&mut self, ty: ValType) -> u32 {
        self.locals.push(ty);
        u32::try_from(self.params.len() + self.locals.len() - 1).unwrap_or(u32::MAX)
    }

    /// The wasm types an argument passes.
    fn arg_types(&self, arg: &Arg) -> Result<Vec<ValType>, String> {
        Ok(match arg {
            Arg::I32(_) | Arg::Slot(_) | Arg::MemEnd(_) | Arg::Heap => vec![I32],
            Arg::Deref(slot) if slot.width != Width::U32 => {
                return Err("only a u32 slot holds an address".to_string());
            }
            Arg::Deref(_) => vec![I32],
            Arg::I64(_) => vec![I64],
            Arg::Bytes(_) => vec![I32, I32],
            Arg::Load(slot) => vec![slot.width.val_type()],
            Arg::Param(i) => {
                let ty = usize::try_from(*i).ok().and_then(|i| self.params.get(i));
                vec![*ty.ok_or_else(|| format!("it has no parameter {i}"))?]
            }
            Arg::Status(s) if s.body != self.id => {
                return Err("a status from another callback".to_string());
            }
            Arg::Status(s) => {
                let (_, ty) = s
                    .local
                    .ok_or("a status of a call that failed or returns nothing")?;
                vec![ty]
            }
        })
    }

    /// The type of an argument that is a single value; records a problem otherwise.
    fn single(&mut self, arg: &Arg) -> Option<ValType> {
        let problem = match self.arg_types(arg) {
            Ok(types) => match types.as_slice() {
                [ty @ (I32 | I64)] => return Some(*ty),
                _ => format!("{arg:?} is not a single i32 or i64"),
            },
            Err(e) => e,
        };
        self.problem(problem);
        None
    }

    /// Refills a slot with the sentinel.
    fn refill(&mut self, slot: Slot) {
        let sentinel = slot.width.sentinel();
        let value = match slot.width {
            Width::U16 | Width::U32 => u32_const(u32::try_from(sentinel).unwrap_or(u32::MAX)),
            Width::U64 => I::I64Const(i64::from_ne_bytes(sentinel.to_ne_bytes())),
        };
        self.code
            .ins([u32_const(slot.addr), value, store(slot.width)]);
    }
}

/// Emits the code that pushes an argument `Body::arg_types` accepted.
fn push(code: &mut Code, arg: &Arg) {
    match *arg {
        Arg::I32(v) => code.ins([I::I32Const(v)]),
        Arg::I64(v) => code.ins([I::I64Const(v)]),
        Arg::Bytes(d) => code.ins([u32_const(d.addr), u32_const(d.len)]),
        Arg::Slot(s) => code.ins([u32_const(s.addr)]),
        Arg::Load(s) => code.ins([u32_const(s.addr), load(s.width)]),
        Arg::MemEnd(offset) => code
            .ins([I::MemorySize(0), I::I32Const(16), I::I32Shl])
            .ins([I::I32Const(offset), I::I32Add]),
        Arg::Param(i) => code.ins([I::LocalGet(i)]),
        Arg::Status(s) => code.ins(s.local.map(|(local, _)| I::LocalGet(local))),
        Arg::Heap => code.ins([I::GlobalGet(HEAP)]),
        // Bounds-checked, so an address the host never wrote reads as the sentinel instead of
        // trapping the probe.
        Arg::Deref(s) => code
            .ins([u32_const(s.addr), I::I32Load(mem(2)), I::I32Const(4)])
            .helper(Helper::InBounds)
            .ins([
                I::If(BlockType::Result(I32)),
                u32_const(s.addr),
                I::I32Load(mem(2)),
                I::I32Load(mem(2)),
                I::Else,
                u32_const(u32::from_ne_bytes([SENTINEL; 4])),
                I::End,
            ]),
    };
}

fn load(width: Width) -> I<'static> {
    match width {
        Width::U16 => I::I32Load16U(mem(1)),
        Width::U32 => I::I32Load(mem(2)),
        Width::U64 => I::I64Load(mem(3)),
    }
}

fn store(width: Width) -> I<'static> {
    match width {
        Width::U16 => I::I32Store16(mem(1)),
        Width::U32 => I::I32Store(mem(2)),
        Width::U64 => I::I64Store(mem(3)),
    }
}

/// The result that lets the host go on: `true` for a bool, an enum's `continue`, else 0.
fn go_on(abi: &Abi, f: &Function) -> i32 {
    let Some(result) = f.results.first() else {
        return 0;
    };
    match abi.resolve(&result.ty) {
        TypeRef::Builtin {
            name: Builtin::Bool,
        } => 1,
        TypeRef::Named { name } => match abi.type_def(name).map(|t| &t.def) {
            Some(TypeDefKind::Enum { values, .. }) => values
                .iter()
                .find(|v| v.name == "continue")
                .and_then(|v| i32::try_from(v.value).ok())
                .unwrap_or(0),
            _ => 0,
        },
        _ => 0,
    }
}

fn type_list(types: &[ValType]) -> String {
    let names: Vec<&str> = types
        .iter()
        .map(|t| match t {
            I32 => "i32",
            I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            _ => "ref",
        })
        .collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AllocatorExport;

    fn abi(version: &str) -> Abi {
        proxy_wasm_spec::builtin(version).expect("built-in ABI")
    }

    /// The problems `finish` reports for a probe that `build` fills.
    fn problems(version: &str, build: impl FnOnce(&mut ProbeBuilder<'_>)) -> Vec<String> {
        let abi = abi(version);
        let mut probe = ProbeBuilder::new(&abi, "mistakes");
        build(&mut probe);
        probe.finish().expect_err("mistakes are refused").problems
    }

    fn assert_one(problems: &[String], wanted: &str) {
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(
            problems[0].contains(wanted),
            "{problems:#?} lacks {wanted:?}"
        );
    }

    #[test]
    fn default_results_let_the_host_go_on() {
        let abi = abi("0.2.1");
        for (callback, expected) in [
            ("proxy_on_vm_start", 1),
            ("proxy_on_done", 1),
            ("proxy_on_request_headers", 0),
            ("main", 0),
        ] {
            let f = abi.callback(callback).expect("in the IR");
            assert_eq!(go_on(&abi, f), expected, "{callback}");
        }
    }

    #[test]
    fn calls_must_match_the_ir() {
        let p = problems("0.2.0", |p| {
            p.callback("proxy_on_tick", |b| {
                b.call("proxy_get_log_level", &[Arg::I32(0)]);
                b.end();
            });
        });
        assert_one(
            &p,
            "`proxy_get_log_level` is not a host function of ABI 0.2.0",
        );
        let p = problems("0.2.1", |p| {
            p.callback("proxy_on_tick", |b| {
                b.call("proxy_log", &[Arg::I32(2), Arg::I64(0)]);
                b.end();
            });
        });
        assert_one(
            &p,
            "takes (i32, i32, i32) but the arguments give (i32, i64)",
        );
        let p = problems("0.2.1", |p| {
            p.callback("proxy_on_tick", |b| {
                b.call("proxy_done", &[Arg::Param(1)]);
                b.end();
            });
        });
        assert_one(&p, "it has no parameter 1");
    }

    #[test]
    fn statuses_belong_to_their_callback() {
        let p = problems("0.2.1", |p| {
            let mut status = None;
            p.callback("proxy_on_vm_start", |b| {
                status = Some(b.call("proxy_done", &[]));
            });
            let status = status.expect("set");
            p.callback("proxy_on_tick", |b| {
                b.expect_status("x", status, 0);
                b.end();
            });
        });
        assert_one(&p, "a status from another callback");
    }

    #[test]
    fn checks_need_unique_valid_ids_and_fitting_values() {
        let p = problems("0.2.1", |p| {
            let s64 = p.slot(Width::U64);
            p.callback("proxy_on_tick", |b| {
                b.expect_value("a", Arg::I32(0), 0);
                b.expect_value("a", Arg::I32(0), 0);
                b.expect_value("has space", Arg::I32(0), 0);
                b.expect_value("big", Arg::I32(0), 1 << 32);
                b.expect_value("pair", Arg::Bytes(Data { addr: 0, len: 0 }), 0);
                b.expect_slot_u32("narrow", s64, 0);
                b.store(s64, Arg::I32(0));
                b.end();
            });
        });
        let wanted = [
            "check `a` is defined twice",
            "`has space` is not a valid check id",
            "big: 4294967296 does not fit in 32 bits",
            "is not a single i32 or i64",
            "narrow: the slot holds 8 bytes",
            "a slot of 8 bytes cannot hold an i32",
        ];
        assert_eq!(p.len(), wanted.len(), "{p:#?}");
        for (problem, wanted) in p.iter().zip(wanted) {
            assert!(problem.contains(wanted), "{problem:?} lacks {wanted:?}");
        }
    }

    #[test]
    fn comparisons_and_branches_need_matching_types() {
        let p = problems("0.2.1", |p| {
            let s64 = p.slot(Width::U64);
            p.callback("proxy_on_tick", |b| {
                b.equal(Arg::I32(0), Arg::I64(0));
                let wide = b.call("proxy_done", &[]);
                let same = b.equal(Arg::Load(s64), Arg::I64(0));
                b.expect_value("deref", Arg::Deref(s64), 0);
                b.branch(same, |_| {}, |_| {});
                b.branch(
                    wide,
                    |b| {
                        b.end();
                    },
                    |_| {},
                );
            });
        });
        let wanted = [
            "cannot compare I32(0) with I64(0): their types differ",
            "only a u32 slot holds an address",
        ];
        assert_eq!(p.len(), wanted.len(), "{p:#?}");
        for (problem, wanted) in p.iter().zip(wanted) {
            assert!(problem.contains(wanted), "{problem:?} lacks {wanted:?}");
        }
    }

    #[test]
    fn exports_and_end_are_checked() {
        assert_one(&problems("0.2.1", |_| {}), "never logs END");
        let p = problems("0.2.1", |p| {
            p.callback("proxy_on_tick", |b| {
                b.end();
                b.end();
            });
        });
        assert_one(&p, "END is logged in more than one place");
        for name in ["proxy_abi_version_0_2_1", AllocatorExport::Malloc.name()] {
            let p = problems("0.2.1", |p| {
                p.callback(name, ending).callback("proxy_on_tick", ending);
            });
            assert_one(&p, "is exported by the builder");
        }
        let p = problems("0.2.1", |p| {
            p.callback("proxy_on_nothing", ending)
                .callback("proxy_on_tick", ending);
        });
        assert_one(&p, "`proxy_on_nothing` is not a callback of ABI 0.2.1");
        let p = problems("0.2.1", |p| {
            p.callback("proxy_on_tick", ending)
                .callback("proxy_on_tick", |_| {});
        });
        assert_one(&p, "callback `proxy_on_tick` is defined twice");
        let p = problems("0.2.1", |p| {
            p.markers(&["memory"]).callback("proxy_on_tick", ending);
        });
        assert_one(&p, "`memory` is exported twice");
    }

    fn ending(b: &mut Body<'_, '_>) {
        b.end();
    }
}
