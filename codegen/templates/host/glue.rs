//! What every version's glue shares: checked access to guest memory, the guest allocator, writes
//! to out-pointers that happen all together or not at all, how a host function fails (a status
//! or a trap), and typed calls into the plugin.

use std::any::Any;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, OnceLock};
use wasmtime::{AsContextMut, Caller, Extern, Func, Instance, Memory, ValType};
use wasmtime::{TypedFunc, WasmParams, WasmResults};

/// What the glue looked up in the plugin once and keeps for later calls (its memory and
/// allocator), where a host's `guest` method says; looking them up costs about as much as the
/// rest of a short host function.
#[derive(Clone, Default)]
pub struct Guest {
    memory: Option<Memory>,
    allocator: Option<Arc<TypedFunc<u32, u32>>>,
}

impl fmt::Debug for Guest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guest")
            .field("memory", &self.memory)
            .field("allocator", &self.allocator.is_some())
            .finish()
    }
}

/// Where the host keeps the [`Guest`] of the instance being called, if it keeps one.
pub type GuestOf<T> = fn(&mut T) -> Option<&mut Guest>;

/// The plugin's linear memory, exported as `memory`; `None` if it has none.
pub fn memory<T>(caller: &mut Caller<'_, T>, guest: GuestOf<T>) -> Option<Memory> {
    if let Some(memory) = guest(caller.data_mut()).and_then(|g| g.memory) {
        return Some(memory);
    }
    let memory = caller.get_export("memory").and_then(Extern::into_memory)?;
    if let Some(g) = guest(caller.data_mut()) {
        g.memory = Some(memory);
    }
    Some(memory)
}

/// The bytes `ptr..ptr + len` of a memory of `size` bytes, if they all lie inside it. Computed
/// without wrapping, so a range that would wrap past 4 GiB is out of bounds.
pub fn range(size: usize, ptr: u32, len: u32) -> Option<Range<usize>> {
    let start = usize::try_from(ptr).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    (end <= size).then_some(start..end)
}

/// An input buffer: the guest bytes at `ptr..ptr + len`.
pub fn input(mem: &[u8], ptr: u32, len: u32) -> Option<&[u8]> {
    range(mem.len(), ptr, len).and_then(|r| mem.get(r))
}

/// Whether `len` bytes at `ptr` lie inside the memory, checked before an out-pointer is written.
pub fn fits(mem: &[u8], ptr: u32, len: u32) -> bool {
    range(mem.len(), ptr, len).is_some()
}

/// A WASI iovec array: `count` records of (u32 address, u32 length), each naming a byte range.
/// `None` if the array or any range lies outside the memory.
pub fn iovecs(mem: &[u8], ptr: u32, count: u32) -> Option<Vec<&[u8]>> {
    let table = input(mem, ptr, count.checked_mul(8)?)?;
    table
        .chunks_exact(8)
        .map(|record| {
            let (buf, len) = record.split_at(4);
            input(mem, le_u32(buf)?, le_u32(len)?)
        })
        .collect()
}

fn le_u32(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

/// A length as the ABI carries it: 32 bits. Lengths over 4 GiB cannot exist in a wasm32 guest;
/// [`allocate`] refuses them before this is used.
pub fn len32(bytes: &[u8]) -> u32 {
    u32::try_from(bytes.len()).unwrap_or(u32::MAX)
}

/// Copies `bytes` into a buffer from the plugin's allocator and returns its address, or `None`
/// if the plugin has no allocator, the allocator returned 0 or a buffer outside its memory.
///
/// The allocator is `proxy_on_memory_allocate`, else `malloc`, as the spec prefers (spec v0.2.1
/// `malloc` lines 133-135; proxy-wasm-cpp-host tries `malloc` first, src/wasm.cc
/// WasmBase::getFunctions). Empty results are not allocated: address 0 is returned, as
/// proxy-wasm-cpp-host does (include/proxy-wasm/wasm.h WasmBase::copyToPointerSize). A trap in
/// the allocator is the `Err`.
pub fn allocate<T>(
    caller: &mut Caller<'_, T>,
    guest: GuestOf<T>,
    memory: Memory,
    bytes: &[u8],
) -> wasmtime::Result<Option<u32>> {
    if bytes.is_empty() {
        return Ok(Some(0));
    }
    let Ok(size) = u32::try_from(bytes.len()) else {
        return Ok(None);
    };
    let Some(allocator) = allocator(caller, guest) else {
        return Ok(None);
    };
    let ptr = allocator.call(&mut *caller, size)?;
    if ptr == 0 {
        return Ok(None);
    }
    let mem = memory.data_mut(&mut *caller);
    let Some(buffer) = range(mem.len(), ptr, size).and_then(|r| mem.get_mut(r)) else {
        return Ok(None);
    };
    buffer.copy_from_slice(bytes);
    Ok(Some(ptr))
}

/// The plugin's allocator as [`allocate`] describes it, typed once and kept in the [`Guest`].
fn allocator<T>(caller: &mut Caller<'_, T>, guest: GuestOf<T>) -> Option<Arc<TypedFunc<u32, u32>>> {
    if let Some(allocator) = guest(caller.data_mut()).and_then(|g| g.allocator.clone()) {
        return Some(allocator);
    }
    let allocator = ["proxy_on_memory_allocate", "malloc"]
        .into_iter()
        .find_map(|name| caller.get_export(name).and_then(Extern::into_func))?;
    let allocator = Arc::new(allocator.typed::<u32, u32>(&*caller).ok()?);
    if let Some(g) = guest(caller.data_mut()) {
        g.allocator = Some(allocator.clone());
    }
    Some(allocator)
}

/// Writes to out-pointers, collected and then done all together: [`Writes::apply`] checks every
/// one first, so a failing call leaves guest memory as it was.
#[derive(Debug, Default)]
pub struct Writes {
    items: Vec<(u32, Vec<u8>)>,
    kept: Vec<(u32, u32)>,
    broken: bool,
}

impl Writes {
    /// No writes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A u32, little-endian.
    pub fn u32(&mut self, ptr: u32, value: u32) {
        self.items.push((ptr, value.to_le_bytes().to_vec()));
    }

    /// A u64, little-endian.
    pub fn u64(&mut self, ptr: u32, value: u64) {
        self.items.push((ptr, value.to_le_bytes().to_vec()));
    }

    /// Bytes, as they are.
    pub fn bytes(&mut self, ptr: u32, bytes: Vec<u8>) {
        self.items.push((ptr, bytes));
    }

    /// A buffer the guest allocator returned: no other write may land in it.
    pub fn keep(&mut self, ptr: u32, len: u32) {
        self.kept.push((ptr, len));
    }

    /// A WASI string list: one u32 pointer per string at `array`, the strings each followed by
    /// 0x00 back to back at `buffer`.
    pub fn string_list(&mut self, array: u32, buffer: u32, strings: &[Vec<u8>]) {
        let mut pointers = Vec::with_capacity(strings.len() * 4);
        let mut text = Vec::new();
        for s in strings {
            let Some(at) = u32::try_from(text.len())
                .ok()
                .and_then(|offset| buffer.checked_add(offset))
            else {
                self.broken = true;
                return;
            };
            pointers.extend_from_slice(&at.to_le_bytes());
            text.extend_from_slice(s);
            text.push(0);
        }
        self.items.push((array, pointers));
        self.items.push((buffer, text));
    }

    /// Does every write if all lie inside `mem` and none touches a kept buffer; else none.
    pub fn apply(self, mem: &mut [u8]) -> bool {
        let size = mem.len();
        let mut ranges = Vec::with_capacity(self.items.len());
        for (ptr, bytes) in &self.items {
            let Some(r) = u32::try_from(bytes.len())
                .ok()
                .and_then(|len| range(size, *ptr, len))
            else {
                return false;
            };
            let overlaps = self.kept.iter().any(|(kp, kl)| {
                let (kp, kl) = (*kp as usize, *kl as usize);
                r.start < kp + kl && kp < r.end
            });
            if overlaps {
                return false;
            }
            ranges.push(r);
        }
        if self.broken {
            return false;
        }
        for (r, (_, bytes)) in ranges.into_iter().zip(self.items) {
            if let Some(dst) = mem.get_mut(r) {
                dst.copy_from_slice(&bytes);
            }
        }
        true
    }
}

/// A wasm value type in a callback signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wasm {
    /// `i32`.
    I32,
    /// `i64`.
    I64,
}

impl Wasm {
    fn matches(self, ty: &ValType) -> bool {
        matches!(
            (self, ty),
            (Wasm::I32, ValType::I32) | (Wasm::I64, ValType::I64)
        )
    }
}

/// A callback's name and wasm signature.
#[derive(Clone, Copy, Debug)]
pub struct Signature {
    /// The export name.
    pub name: &'static str,
    /// Parameter types.
    pub params: &'static [Wasm],
    /// Result types.
    pub results: &'static [Wasm],
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |types: &[Wasm]| {
            types
                .iter()
                .map(|t| match t {
                    Wasm::I32 => "i32",
                    Wasm::I64 => "i64",
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(f, "({}) -> ({})", list(self.params), list(self.results))
    }
}

/// How a host function ends the plugin's call instead of returning to it. It travels through
/// wasmtime as the host function's error, so the caller of the callback can tell it from a trap
/// of the plugin's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trap {
    /// The plugin asked to end with this exit code (`proc_exit`), as wasmtime-wasi's `I32Exit`.
    Exit(u32),
    /// The host cannot go on with the call; the message says why.
    Message(String),
}

impl Trap {
    /// What a host function without a status answers when the host does not implement it.
    pub fn unimplemented(function: &str) -> Self {
        Trap::Message(format!("`{function}` is not implemented by this host"))
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trap::Exit(code) => write!(f, "the plugin exited with code {code}"),
            Trap::Message(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Trap {}

/// Why the glue answered a call with an error status itself, before or after the host's method:
/// what a host hears through its trait's `refused_by_glue`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// An argument is not a value of its type.
    UnknownValue {
        /// The parameter.
        param: &'static str,
        /// What the plugin passed.
        value: String,
    },
    /// The plugin exports no memory named `memory`.
    NoMemory,
    /// Bytes an argument points to lie outside the plugin's memory.
    OutOfBounds {
        /// The pointer parameter.
        param: &'static str,
    },
    /// The plugin's allocator gave no room for a result.
    Allocation,
    /// The results could not be written to the plugin's memory.
    WriteBack,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::UnknownValue { param, value } => {
                write!(f, "`{param}` = {value} is not a value of its type")
            }
            Refusal::NoMemory => f.write_str("the plugin exports no memory named `memory`"),
            Refusal::OutOfBounds { param } => {
                write!(
                    f,
                    "the bytes `{param}` points to lie outside the plugin's memory"
                )
            }
            Refusal::Allocation => {
                f.write_str("the plugin's allocator gave no room for the result")
            }
            Refusal::WriteBack => {
                f.write_str("the results could not be written to the plugin's memory")
            }
        }
    }
}

/// Why a host function did not succeed: a status the plugin receives, or a trap that ends the
/// plugin's call. `?` turns a bare status into the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostError<S> {
    /// The function returns this status to the plugin.
    Status(S),
    /// The function does not return: the callback that called it ends with this trap.
    Trap(Trap),
}

impl<S> From<S> for HostError<S> {
    fn from(status: S) -> Self {
        HostError::Status(status)
    }
}

impl<S> HostError<S> {
    /// The same error with the status converted, as when an older version is served by the
    /// newest version's implementation.
    pub fn map_status<U>(self, convert: impl FnOnce(S) -> U) -> HostError<U> {
        match self {
            HostError::Status(status) => HostError::Status(convert(status)),
            HostError::Trap(trap) => HostError::Trap(trap),
        }
    }
}

/// The wasm result of a host function that did not succeed: the status as `raw` encodes it, or
/// the trap as the function's error.
pub fn refused<S>(error: HostError<S>, raw: fn(S) -> u32) -> wasmtime::Result<u32> {
    match error {
        HostError::Status(status) => Ok(raw(status)),
        HostError::Trap(trap) => Err(wasmtime::Error::new(trap)),
    }
}

/// Why a callback could not be called, or what it did wrong.
#[derive(Debug)]
pub enum CallError {
    /// An export has a callback's name but is not a function, or not of the callback's type.
    Signature {
        /// The callback.
        callback: &'static str,
        /// What the ABI version says.
        expected: String,
        /// What the plugin exports.
        found: String,
    },
    /// A host function the callback called ended it with a [`Trap`]: the plugin exited, or the
    /// host refused to go on.
    Host {
        /// The callback.
        callback: &'static str,
        /// How the host function ended it.
        trap: Trap,
    },
    /// The callback trapped, or a host function it called failed.
    Trap {
        /// The callback.
        callback: &'static str,
        /// What wasmtime reported.
        error: wasmtime::Error,
    },
    /// The callback returned a number its result type does not have.
    BadResult {
        /// The callback.
        callback: &'static str,
        /// The number.
        value: i64,
    },
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Signature {
                callback,
                expected,
                found,
            } => write!(
                f,
                "the plugin exports `{callback}` as {found}, but the ABI says {expected}"
            ),
            CallError::Host { callback, trap } => {
                write!(f, "`{callback}` ended in a host function: {trap}")
            }
            CallError::Trap { callback, error } => write!(f, "`{callback}` trapped: {error:#}"),
            CallError::BadResult { callback, value } => {
                write!(
                    f,
                    "`{callback}` returned {value}, which its result type does not have"
                )
            }
        }
    }
}

impl std::error::Error for CallError {}

/// The plugin's exported callbacks, each checked against its signature.
#[derive(Clone, Debug, Default)]
pub struct Exports {
    /// One entry per signature, in the order of the list `find` was given: generated callers
    /// name their callback by its position, so a call looks nothing up by name.
    funcs: Vec<Option<Export>>,
}

/// An exported callback and, once called, its typed form: later calls skip wasmtime's type
/// check, which costs about as much as a short callback.
#[derive(Clone, Debug)]
struct Export {
    name: &'static str,
    func: Func,
    typed: OnceLock<Arc<dyn Any + Send + Sync>>,
}

impl Exports {
    /// Looks up every callback in `signatures`. A callback the plugin does not export is absent;
    /// one exported with another type is an error.
    pub fn find(
        mut store: impl AsContextMut,
        instance: &Instance,
        signatures: &[Signature],
    ) -> Result<Self, CallError> {
        let mut funcs = Vec::with_capacity(signatures.len());
        for s in signatures {
            let Some(export) = instance.get_export(&mut store, s.name) else {
                funcs.push(None);
                continue;
            };
            let Some(func) = export.clone().into_func() else {
                return Err(CallError::Signature {
                    callback: s.name,
                    expected: s.to_string(),
                    found: describe_extern(&export),
                });
            };
            let ty = func.ty(&store);
            let params: Vec<ValType> = ty.params().collect();
            let results: Vec<ValType> = ty.results().collect();
            let same = |want: &[Wasm], got: &[ValType]| {
                want.len() == got.len() && want.iter().zip(got).all(|(w, g)| w.matches(g))
            };
            if !same(s.params, &params) || !same(s.results, &results) {
                return Err(CallError::Signature {
                    callback: s.name,
                    expected: s.to_string(),
                    found: format!(
                        "({}) -> ({})",
                        params.iter().map(val_name).collect::<Vec<_>>().join(", "),
                        results.iter().map(val_name).collect::<Vec<_>>().join(", ")
                    ),
                });
            }
            let typed = OnceLock::new();
            funcs.push(Some(Export {
                name: s.name,
                func,
                typed,
            }));
        }
        Ok(Self { funcs })
    }

    /// Whether the plugin exports `name`.
    pub fn has(&self, name: &str) -> bool {
        self.funcs.iter().flatten().any(|e| e.name == name)
    }

    /// Calls the callback at `index` of the signatures `find` was given with `args`; `Ok(None)`
    /// if the plugin does not export it.
    pub fn call<P: WasmParams + 'static, R: WasmResults + 'static>(
        &self,
        mut store: impl AsContextMut,
        index: usize,
        args: P,
    ) -> Result<Option<R>, CallError> {
        let Some(Some(export)) = self.funcs.get(index) else {
            return Ok(None);
        };
        let name = export.name;
        // Called through the cached handle: cloning a `TypedFunc` clones its registered type,
        // which costs more than the call's other host work.
        let cached = (export.typed.get()).and_then(|typed| typed.downcast_ref::<TypedFunc<P, R>>());
        let result = match cached {
            Some(typed) => typed.call(&mut store, args),
            None => {
                let typed = (export.func)
                    .typed::<P, R>(store.as_context())
                    .map_err(|error| ended(name, error))?;
                let result = typed.call(&mut store, args);
                let _ = export.typed.set(Arc::new(typed));
                result
            }
        };
        result.map(Some).map_err(|error| ended(name, error))
    }
}

/// A callback's error: a host function's [`Trap`] if one ended it, else wasmtime's.
fn ended(callback: &'static str, error: wasmtime::Error) -> CallError {
    match error.downcast_ref::<Trap>() {
        Some(trap) => CallError::Host {
            callback,
            trap: trap.clone(),
        },
        None => CallError::Trap { callback, error },
    }
}

fn val_name(ty: &ValType) -> String {
    match ty {
        ValType::I32 => "i32".to_string(),
        ValType::I64 => "i64".to_string(),
        ValType::F32 => "f32".to_string(),
        ValType::F64 => "f64".to_string(),
        ValType::V128 => "v128".to_string(),
        ValType::Ref(r) => r.to_string(),
    }
}

fn describe_extern(export: &Extern) -> String {
    match export {
        Extern::Func(_) => "a function".to_string(),
        Extern::Global(_) => "a global".to_string(),
        Extern::Table(_) => "a table".to_string(),
        Extern::Memory(_) => "a memory".to_string(),
        _ => "a non-function export".to_string(),
    }
}

/// Decodes a callback's enum result.
pub fn decode<E, R>(callback: &'static str, raw: Option<R>) -> Result<Option<E>, CallError>
where
    E: TryFrom<R, Error = R>,
    R: Into<i64>,
{
    raw.map(|v| {
        E::try_from(v).map_err(|v| CallError::BadResult {
            callback,
            value: v.into(),
        })
    })
    .transpose()
}
