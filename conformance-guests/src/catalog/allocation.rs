//! The allocation convention (ABI-FACTS §2b): a host writes results into memory it asks the
//! guest's allocator for, finds that allocator under `proxy_on_memory_allocate` first and
//! `malloc` only in its absence, and needs no allocation for an empty result.

use super::{Case, Expect, Fixed, Kind, Level, recipes, scenario, status_of};
use crate::{AllocMode, AllocatorExport, Arg, Body, BuildError, Slot, Status, Width};
use proxy_wasm_spec::Abi;
use recipes::Site;

/// What the probes store as shared data and read back into allocated memory.
const VALUE: &[u8] = b"allocated";

pub(super) fn cases(abi: &Abi, version: &str, cases: &mut Vec<Case>) -> Result<(), BuildError> {
    let conventions = [
        (
            "allocation/lands_in_guest_memory",
            &[AllocatorExport::ProxyOnMemoryAllocate][..],
            "a result is written into the memory the guest's allocator handed out, called once",
        ),
        (
            "allocation/prefers_proxy_on_memory_allocate",
            &AllocatorExport::ALL[..],
            "with both exported, the host allocates with proxy_on_memory_allocate, not malloc \
             (the spec's preference; proxy-wasm-cpp-host and Kong call malloc first)",
        ),
        (
            "allocation/malloc_only",
            &[AllocatorExport::Malloc][..],
            "a module exporting only the deprecated malloc still gets its results",
        ),
    ];
    for (what, exports, description) in conventions {
        let fixed = Fixed {
            what,
            kind: Kind::Allocation,
            level: Level::Required,
            description,
            needs: &[],
            expect: Expect::Pass,
        };
        cases.push(
            fixed.case(abi, version, scenario(Site::Configure), |p, id| {
                p.allocator(exports, AllocMode::Bump);
                let calls = AllocatorExport::ALL.map(|e| (e, p.allocator_calls(e)));
                p.callback("proxy_on_configure", |b| {
                    let heap = b.slot(Width::U32);
                    let (status, ptr, len) = store_then_read(b, b"pwtck-alloc", VALUE, heap);
                    b.expect_status(&format!("{id}/status"), status, 0)
                        .expect_bytes(&format!("{id}/value"), ptr, len, VALUE);
                    let allocated = b.equal(Arg::Load(ptr), Arg::Load(heap));
                    b.expect_status(&format!("{id}/at_allocation"), allocated, 1);
                    for (export, counter) in calls {
                        let expected = i64::from(exports.first() == Some(&export));
                        b.expect_value(
                            &format!("{id}/{}_calls", export.name()),
                            Arg::Load(counter),
                            expected,
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
        level: Level::Reference,
        description: "an empty result is returned with size 0 and without calling the \
                      allocator (proxy-wasm-cpp-host copyToPointerSize)",
        needs: &[],
        expect: Expect::Pass,
    };
    let ok = status_of(abi, "proxy_get_shared_data", "ok").unwrap_or(0);
    cases.push(
        empty.case(abi, version, scenario(Site::Configure), |p, id| {
            let calls = p.allocator_calls(AllocatorExport::ProxyOnMemoryAllocate);
            p.callback("proxy_on_configure", |b| {
                let heap = b.slot(Width::U32);
                let (status, _, len) = store_then_read(b, b"pwtck-empty", b"", heap);
                b.expect_status(&format!("{id}/status"), status, ok)
                    .expect_slot_u32(&format!("{id}/size"), len, 0)
                    .expect_value(&format!("{id}/allocator_calls"), Arg::Load(calls), 0)
                    .end();
            });
        })?,
    );
    Ok(())
}

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
