//! Module structure: every `proxy_on_*` callback is optional, and the start functions run
//! as the spec's "Integration" section orders them.

use super::cite::{self, Sentence};
use super::recipes::Site;
use super::{Case, Expect, Fixed, Kind, scenario, zeroed};
use crate::{Arg, BuildError};
use proxy_wasm_interchange::protocol::Capability;
use proxy_wasm_spec::Abi;

/// Root callbacks a module may lack, and the callback that logs `END` without each.
const ROOT: [(&str, &str); 3] = [
    ("proxy_on_context_create", "proxy_on_configure"),
    ("proxy_on_vm_start", "proxy_on_configure"),
    ("proxy_on_configure", "proxy_on_vm_start"),
];

/// Stream callbacks a module may lack, and the callback that logs `END` without each.
const STREAM: [(&str, &str); 7] = [
    ("proxy_on_request_headers", "proxy_on_delete"),
    ("proxy_on_request_body", "proxy_on_delete"),
    ("proxy_on_response_headers", "proxy_on_delete"),
    ("proxy_on_response_body", "proxy_on_delete"),
    ("proxy_on_done", "proxy_on_delete"),
    ("proxy_on_log", "proxy_on_delete"),
    ("proxy_on_delete", "proxy_on_log"),
];

pub(super) fn cases(abi: &Abi, version: &str, cases: &mut Vec<Case>) -> Result<(), BuildError> {
    let optional = cite::CALLBACKS_OPTIONAL.basis(version);
    for (omitted, ends_in) in ROOT.iter().chain(STREAM.iter()) {
        if abi.callback(omitted).is_none() {
            continue;
        }
        let stream = STREAM.iter().any(|(o, _)| o == omitted);
        let what = format!("structure/optional/{omitted}");
        let description =
            format!("a module without {omitted} loads, and the host goes on to call {ends_in}");
        let fixed = Fixed {
            what: &what,
            kind: Kind::Structure,
            description: &description,
            needs: if stream { &[Capability::Http] } else { &[] },
            expect: Expect::Pass,
            refusal: None,
        };
        let site = if stream {
            Site::RequestHeaders
        } else {
            Site::Configure
        };
        cases.push(fixed.case(abi, version, scenario(site), |p, id| {
            p.omit(&[omitted]);
            // Root contexts may get the same callback at shutdown: END once.
            let ended = zeroed(p);
            p.callback(ends_in, |b| {
                let first = b.equal(Arg::Load(ended), Arg::I32(0));
                b.branch(
                    first,
                    |b| {
                        b.store(ended, Arg::I32(1))
                            .because(optional.clone())
                            .expect_value(&format!("{id}/went_on"), Arg::I32(1), 1)
                            .end();
                    },
                    |_| {},
                );
            });
        })?);
    }
    start_cases(abi, version, cases)
}

/// `_initialize` then `main`; `_start` alone; never `_start` beside `_initialize`.
fn start_cases(abi: &Abi, version: &str, cases: &mut Vec<Case>) -> Result<(), BuildError> {
    let cited = |s: &Sentence| s.basis(version);
    let fixed = |what, description| Fixed {
        what,
        kind: Kind::Structure,
        description,
        needs: &[],
        expect: Expect::Pass,
        refusal: None,
    };
    let configure = scenario(Site::Configure);
    let both = fixed(
        "structure/start/initialize_then_main",
        "a module exporting _initialize and main gets _initialize, then main, before its \
         root context is configured",
    );
    cases.push(both.case(abi, version, configure.clone(), |p, id| {
        let (init, main) = (zeroed(p), zeroed(p));
        p.callback("_initialize", |b| {
            b.store(init, Arg::I32(1));
        });
        p.callback("main", |b| {
            // 2: after _initialize; 3: without it.
            let after = b.equal(Arg::Load(init), Arg::I32(1));
            b.branch(
                after,
                |b| {
                    b.store(main, Arg::I32(2));
                },
                |b| {
                    b.store(main, Arg::I32(3));
                },
            );
        });
        p.callback("proxy_on_configure", |b| {
            b.because(cited(&cite::INITIALIZE))
                .expect_value(&format!("{id}/initialize_called"), Arg::Load(init), 1)
                .because(cited(&cite::MAIN_AFTER_INITIALIZE))
                .expect_value(&format!("{id}/main_after_initialize"), Arg::Load(main), 2)
                .end();
        });
    })?);
    let alone = fixed(
        "structure/start/start_alone",
        "a module exporting _start and no _initialize gets _start before its root context is \
         configured",
    );
    cases.push(alone.case(abi, version, configure.clone(), |p, id| {
        let started = zeroed(p);
        p.callback("_start", |b| {
            b.store(started, Arg::I32(1));
        });
        p.callback("proxy_on_configure", |b| {
            b.because(cited(&cite::START_WITHOUT_INITIALIZE))
                .expect_value(&format!("{id}/start_called"), Arg::Load(started), 1)
                .end();
        });
    })?);
    let not_both = fixed(
        "structure/start/no_start_with_initialize",
        "a module exporting _initialize and _start gets _initialize and not _start",
    );
    cases.push(not_both.case(abi, version, configure, |p, id| {
        let (init, started) = (zeroed(p), zeroed(p));
        p.callback("_initialize", |b| {
            b.store(init, Arg::I32(1));
        });
        p.callback("_start", |b| {
            b.store(started, Arg::I32(1));
        });
        p.callback("proxy_on_configure", |b| {
            b.because(cited(&cite::INITIALIZE))
                .expect_value(&format!("{id}/initialize_called"), Arg::Load(init), 1)
                .because(cited(&cite::START_WITHOUT_INITIALIZE))
                .expect_value(&format!("{id}/start_not_called"), Arg::Load(started), 0)
                .end();
        });
    })?);
    Ok(())
}
