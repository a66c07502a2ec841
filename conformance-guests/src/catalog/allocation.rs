//! The allocation convention (the spec's "Memory management"): a host writes results into
//! memory it asks the guest's allocator for, finds that allocator under
//! `proxy_on_memory_allocate` first and `malloc` only in its absence, and needs no allocation
//! for an empty result.

use super::cite::{self, Sentence};
use super::{Case, Expect, Fixed, Kind, recipes, scenario, status_of};
use crate::{AllocMode, AllocatorExport, Arg, Basis, Body, BuildError, Slot, Status, Width};
use proxy_wasm_interchange::protocol::Capability;
use proxy_wasm_spec::Abi;
use recipes::Site;

/// What the probes store as shared data and read back into allocated memory.
const VALUE: &[u8] = b"allocated";

pub(super) fn cases(abi: &Abi, version: &str, cases: &mut Vec<Case>) -> Result<(), BuildError> {
    let conventions: [(_, _, _, &Sentence); 3] = [
        (
            "allocation/lands_in_guest_memory",
            &[AllocatorExport::ProxyOnMemoryAllocate][..],
            "a result is written into the memory the guest's allocator handed out",
            &cite::ALLOCATOR,
        ),
        (
            "allocation/prefers_proxy_on_memory_allocate",
            &AllocatorExport::ALL[..],
            "with both exported, the host allocates with proxy_on_memory_allocate, not malloc \
             (the spec's preference; proxy-wasm-cpp-host and Kong call malloc first)",
            &cite::MALLOC_ONLY_IN_ABSENCE,
        ),
        (
            "allocation/malloc_only",
            &[AllocatorExport::Malloc][..],
            "a module exporting only the deprecated malloc still gets its results",
            &cite::MALLOC_ONLY_IN_ABSENCE,
        ),
    ];
    let got = || {
        cite::effect_of(
            abi,
            "proxy_get_shared_data",
            "returns the value stored under the key",
        )
    };
    for (what, exports, description, sentence) in conventions {
        let fixed = Fixed {
            what,
            kind: Kind::Allocation,
            description,
            needs: &[Capability::SharedData],
            expect: Expect::Pass,
            refusal: None,
        };
        cases.push(
            fixed.case(abi, version, scenario(Site::Configure), |p, id| {
                p.allocator(exports, AllocMode::Bump);
                let calls = AllocatorExport::ALL.map(|e| (e, p.allocator_calls(e)));
                p.callback("proxy_on_configure", |b| {
                    let heap = b.slot(Width::U32);
                    let (status, ptr, len) = store_then_read(b, b"pwtck-alloc", VALUE, heap);
                    b.because_found(cite::status_of(abi, "proxy_get_shared_data", "ok"))
                        .expect_status(&format!("{id}/status"), status, 0);
                    b.because_found(got())
                        .expect_bytes(&format!("{id}/value"), ptr, len, VALUE);
                    let allocated = b.equal(Arg::Load(ptr), Arg::Load(heap));
                    b.because(cite::ALLOCATOR.basis(version)).expect_status(
                        &format!("{id}/at_allocation"),
                        allocated,
                        1,
                    );
                    // The export the host must use is called (how often is the host's
                    // business); the other one never.
                    for (export, counter) in calls {
                        let used = exports.first() == Some(&export);
                        let none = b.equal(Arg::Load(counter), Arg::I32(0));
                        b.because(sentence.basis(version)).expect_status(
                            &format!("{id}/{}_called", export.name()),
                            none,
                            i64::from(!used),
                        );
                    }
                    b.end();
                });
            })?,
        );
    }
    let empty = Fixed {
        what: "allocation/zero_length",
        kind: Kind::Allocation,
        description: "an empty result is returned with size 0 and without calling the \
                      allocator (proxy-wasm-cpp-host copyToPointerSize)",
        needs: &[Capability::SharedData],
        expect: Expect::Pass,
        refusal: None,
    };
    let ok = status_of(abi, "proxy_get_shared_data", "ok").unwrap_or(0);
    cases.push(
        empty.case(abi, version, scenario(Site::Configure), |p, id| {
            let calls = p.allocator_calls(AllocatorExport::ProxyOnMemoryAllocate);
            p.callback("proxy_on_configure", |b| {
                let heap = b.slot(Width::U32);
                let (status, _, len) = store_then_read(b, b"pwtck-empty", b"", heap);
                b.because_found(cite::status_of(abi, "proxy_get_shared_data", "ok"))
                    .expect_status(&format!("{id}/status"), status, ok);
                b.because_found(got())
                    .expect_slot_u32(&format!("{id}/size"), len, 0);
                b.because(Basis::reference(CPP_HOST_COPY))
                    .expect_value(&format!("{id}/allocator_calls"), Arg::Load(calls), 0)
                    .end();
            });
        })?,
    );
    let none = Fixed {
        what: "allocation/no_allocator",
        kind: Kind::Allocation,
        description: "a module exporting neither proxy_on_memory_allocate nor malloc is refused \
                      at load",
        needs: &[Capability::Refusal],
        expect: Expect::Refused,
        refusal: Some(Basis::reference(
            "proxy-wasm-cpp-host src/wasm.cc WasmBase::getFunctions (\"missing malloc function\")",
        )),
    };
    cases.push(none.case(abi, version, scenario(Site::Configure), |p, _| {
        p.allocator(&[], AllocMode::Bump);
        p.callback("proxy_on_configure", |b| {
            b.end();
        });
    })?);
    Ok(())
}

/// Where proxy-wasm-cpp-host skips the allocator for an empty result.
const CPP_HOST_COPY: &str = "proxy-wasm-cpp-host include/proxy-wasm/wasm.h WasmBase::copyToPointerSize (size 0: no \
     allocation, pointer 0)";

/// Stores `value` as shared data under `key`, records the allocator's bump pointer in `heap`,
/// then reads the value back: the read's status and its pointer and length slots.
fn store_then_read(b: &mut Body, key: &[u8], value: &[u8], heap: Slot) -> (Status, Slot, Slot) {
    let key = b.data(key);
    let value = b.data(value);
    b.call(
        "proxy_set_shared_data",
        &[Arg::Bytes(key), Arg::Bytes(value), Arg::I32(0)],
    );
    b.store(heap, Arg::Heap);
    let (ptr, len, cas) = (b.slot(Width::U32), b.slot(Width::U32), b.slot(Width::U32));
    let status = b.call(
        "proxy_get_shared_data",
        &[
            Arg::Bytes(key),
            Arg::Slot(ptr),
            Arg::Slot(len),
            Arg::Slot(cas),
        ],
    );
    (status, ptr, len)
}
