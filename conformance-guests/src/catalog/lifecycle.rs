//! Lifecycle cases (the spec's "Context lifecycle" and HTTP stream sections): the order in which a host calls a plugin's callbacks and
//! the arguments it passes. Each callback checks a step counter and moves it on, so a missing,
//! repeated or out-of-order callback fails the check of the one after it; context ids are
//! compared at run time, since the spec does not fix their values.

use super::cite::{self, Sentence};
use super::{Case, Expect, Fixed, Kind, Slot, once_with_data, recipes, scenario, zeroed};
use crate::{Arg, Basis, Body, BuildError, ProbeBuilder, Width};
use proxy_wasm_interchange::protocol::Capability;
use proxy_wasm_interchange::scenario::Event;
use proxy_wasm_spec::Abi;
use recipes::Site;

/// Where Envoy orders a stream's callbacks: headers, then body, in the order the stream gives.
const ENVOY_STREAM_ORDER: &str = "Envoy source/extensions/common/wasm/context.cc \
     Context::decodeHeaders, decodeData, encodeHeaders, encodeData";

/// The VM configuration the lifecycle scenarios pass, so its size is known.
const VM_CONFIGURATION: &str = "probe-vm-config";

pub(super) fn cases(abi: &Abi, version: &str, cases: &mut Vec<Case>) -> Result<(), BuildError> {
    cases.push(root(abi, version)?);
    cases.push(http_stream(abi, version)?);
    cases.push(http_end_order(abi, version)?);
    cases.push(tick(abi, version)?);
    cases.push(root_shutdown(abi, version)?);
    Ok(())
}

fn lifecycle<'s>(what: &'s str, description: &'s str) -> Fixed<'s> {
    Fixed {
        what,
        kind: Kind::Lifecycle,
        description,
        needs: &[],
        expect: Expect::Pass,
        refusal: None,
    }
}

fn root(abi: &Abi, version: &str) -> Result<Case, BuildError> {
    let mut s = scenario(Site::Configure);
    s.vm_configuration = VM_CONFIGURATION.into();
    let cited = |s: &Sentence| s.basis(version);
    let start = || Basis::reference(cite::CPP_HOST_START);
    let fixed = lifecycle(
        "lifecycle/root",
        "the root context is created with parent 0, then started with the VM configuration's \
         size, then configured with the plugin configuration's size",
    );
    fixed.case(abi, version, s, |p, id| {
        let (step, root) = (zeroed(p), zeroed(p));
        p.callback("proxy_on_context_create", |b| {
            let is_root = b.equal(Arg::Param(1), Arg::I32(0));
            b.branch(
                is_root,
                |b| {
                    b.because(start())
                        .expect_value(&format!("{id}/context_create/first"), Arg::Load(step), 0)
                        .store(root, Arg::Param(0))
                        .store(step, Arg::I32(1));
                },
                |_| {},
            );
        });
        p.callback("proxy_on_vm_start", |b| {
            b.because(start())
                .expect_value(
                    &format!("{id}/vm_start/after_context_create"),
                    Arg::Load(step),
                    1,
                )
                .because(cited(&cite::VM_CONFIGURATION_SIZE))
                .expect_value(
                    &format!("{id}/vm_start/vm_configuration_size"),
                    Arg::Param(1),
                    VM_CONFIGURATION.len() as i64,
                )
                .store(step, Arg::I32(2));
        });
        p.callback("proxy_on_configure", |b| {
            b.because(start()).expect_value(
                &format!("{id}/configure/after_vm_start"),
                Arg::Load(step),
                2,
            );
            let same = b.equal(Arg::Param(0), Arg::Load(root));
            b.because(cited(&cite::CONTEXT_ID_FIRST))
                .expect_status(&format!("{id}/configure/root_context_id"), same, 1)
                .because(cited(&cite::PLUGIN_CONFIGURATION_SIZE))
                .expect_value(
                    &format!("{id}/configure/plugin_configuration_size"),
                    Arg::Param(1),
                    recipes::PLUGIN_CONFIGURATION.len() as i64,
                )
                .end();
        });
    })
}

/// Records the root context's id when the host creates it; moves `step` from 0 to 1.
fn root_created(p: &mut ProbeBuilder<'_>, root: Slot, step: Slot, stream: impl FnOnce(&mut Body)) {
    p.callback("proxy_on_context_create", |b| {
        let is_root = b.equal(Arg::Param(1), Arg::I32(0));
        b.branch(
            is_root,
            |b| {
                b.store(root, Arg::Param(0)).store(step, Arg::I32(1));
            },
            stream,
        );
    });
}

/// Checks that the callback's context is the stream's.
fn on_stream(b: &mut Body, version: &str, check: &str, stream: Slot) {
    let same = b.equal(Arg::Param(0), Arg::Load(stream));
    b.because(cite::CONTEXT_ID_FIRST.basis(version))
        .expect_status(check, same, 1);
}

fn http_stream(abi: &Abi, version: &str) -> Result<Case, BuildError> {
    let cited = |s: &Sentence| s.basis(version);
    let order = || Basis::reference(ENVOY_STREAM_ORDER);
    let mut fixed = lifecycle(
        "lifecycle/http_stream",
        "an HTTP stream gets a new context whose parent is the root, then request headers \
         (with the map's pair count; 0.1.0 without end_of_stream), body (size, end_of_stream), \
         response headers and body, then done and log before delete, all with its id",
    );
    fixed.needs = &[Capability::Http];
    let eos = version != "0.1.0";
    let body_len = recipes::BODY.len() as i64;
    fixed.case(abi, version, scenario(Site::RequestHeaders), |p, id| {
        let (step, root, stream) = (zeroed(p), zeroed(p), zeroed(p));
        let (done, logged) = (zeroed(p), zeroed(p));
        // Whether each direction's body ended with end_of_stream: checked one step later.
        let ended = [zeroed(p), zeroed(p)];
        let check = |what: &str| format!("{id}/{what}");
        p.callback("proxy_on_vm_start", |b| {
            b.store(step, Arg::I32(2));
        });
        p.callback("proxy_on_configure", |b| {
            b.store(step, Arg::I32(3));
        });
        root_created(p, root, step, |b| {
            b.because(order()).expect_value(
                &check("context_create/after_configure"),
                Arg::Load(step),
                3,
            );
            let parent = b.equal(Arg::Param(1), Arg::Load(root));
            b.because(cited(&cite::CONTEXT_PARENT)).expect_status(
                &check("context_create/parent_is_root"),
                parent,
                1,
            );
            let reused = b.equal(Arg::Param(0), Arg::Load(root));
            b.because(cited(&cite::CONTEXT_CREATE))
                .expect_status(&check("context_create/own_id"), reused, 0)
                .store(stream, Arg::Param(0))
                .store(step, Arg::I32(4));
        });
        for (n, (direction, map)) in [("request", 0), ("response", 2)].into_iter().enumerate() {
            let first = 4 + 2 * n as i32;
            p.callback(&format!("proxy_on_{direction}_headers"), |b| {
                let headers = |what: &str| check(&format!("{direction}_headers/{what}"));
                b.because(order())
                    .expect_value(&headers("order"), Arg::Load(step), first.into());
                on_stream(b, version, &headers("context_id"), stream);
                let (ptr, len) = (b.slot(Width::U32), b.slot(Width::U32));
                b.call(
                    "proxy_get_header_map_pairs",
                    &[Arg::I32(map), Arg::Slot(ptr), Arg::Slot(len)],
                );
                let count = b.equal(Arg::Param(1), Arg::Deref(ptr));
                let num_headers = if n == 0 {
                    &cite::REQUEST_NUM_HEADERS
                } else {
                    &cite::RESPONSE_NUM_HEADERS
                };
                b.because(cited(num_headers))
                    .expect_status(&headers("num_headers"), count, 1);
                if eos {
                    b.because(Basis::reference(cite::ENVOY_END_OF_STREAM))
                        .expect_value(&headers("end_of_stream"), Arg::Param(2), 0);
                }
                if n == 1 {
                    b.because(Basis::reference(cite::ENVOY_END_OF_STREAM))
                        .expect_value(&check("request_body/end_of_stream"), Arg::Load(ended[0]), 1);
                }
                b.store(step, Arg::I32(first + 1));
            });
            let size = if n == 0 { body_len } else { 2 };
            let (ran, ended) = (zeroed(p), ended[n]);
            p.callback(&format!("proxy_on_{direction}_body"), |b| {
                // The first call with data is checked; end_of_stream may come with it or with
                // a later, empty call (Envoy over HTTP/1), so it is only noted here.
                let last = b.equal(Arg::Param(2), Arg::I32(1));
                b.branch(
                    last,
                    |b| {
                        b.store(ended, Arg::I32(1));
                    },
                    |_| {},
                );
                once_with_data(b, ran, |b| {
                    let body = |what: &str| check(&format!("{direction}_body/{what}"));
                    b.because(order()).expect_value(
                        &body("order"),
                        Arg::Load(step),
                        (first + 1).into(),
                    );
                    on_stream(b, version, &body("context_id"), stream);
                    let body_size = if n == 0 {
                        cited(&cite::REQUEST_BODY_SIZE)
                    } else {
                        // The response body's sentence says only that each chunk is delivered.
                        Basis::reference(ENVOY_STREAM_ORDER)
                    };
                    b.because(body_size)
                        .expect_value(&body("body_size"), Arg::Param(1), size)
                        .store(step, Arg::I32(first + 2));
                });
            });
        }
        for (callback, flag, sentence) in [
            ("done", done, &cite::ON_DONE),
            ("log", logged, &cite::LOG_BEFORE_RELEASE),
        ] {
            p.callback(&format!("proxy_on_{callback}"), |b| {
                let is_stream = b.equal(Arg::Param(0), Arg::Load(stream));
                b.branch(
                    is_stream,
                    |b| {
                        b.because(cited(sentence))
                            .expect_value(&check(&format!("{callback}/order")), Arg::Load(step), 8)
                            .store(flag, Arg::I32(1));
                        if callback == "done" {
                            b.because(Basis::reference(cite::ENVOY_END_OF_STREAM))
                                .expect_value(
                                    &check("response_body/end_of_stream"),
                                    Arg::Load(ended[1]),
                                    1,
                                );
                        }
                    },
                    |_| {},
                );
            });
        }
        p.callback("proxy_on_delete", |b| {
            let is_stream = b.equal(Arg::Param(0), Arg::Load(stream));
            b.branch(
                is_stream,
                |b| {
                    b.because(cited(&cite::DELETE_AFTER_DONE))
                        .expect_value(&check("delete/after_done"), Arg::Load(done), 1)
                        .because(cited(&cite::LOG_BEFORE_RELEASE))
                        .expect_value(&check("delete/after_log"), Arg::Load(logged), 1)
                        .end();
                },
                |_| {},
            );
        });
    })
}

fn http_end_order(abi: &Abi, version: &str) -> Result<Case, BuildError> {
    let cited = |s: &Sentence| s.basis(version);
    let mut fixed = lifecycle(
        "lifecycle/http_end_order",
        "a finished HTTP stream gets proxy_on_done, then proxy_on_log, then proxy_on_delete \
         (the spec's order; Envoy logs before done since envoyproxy/envoy#12850)",
    );
    fixed.needs = &[Capability::Http];
    fixed.case(abi, version, scenario(Site::RequestHeaders), |p, id| {
        let (step, root, stream) = (zeroed(p), zeroed(p), zeroed(p));
        let (done, logged) = (zeroed(p), zeroed(p));
        root_created(p, root, step, |b| {
            b.store(stream, Arg::Param(0));
        });
        p.callback("proxy_on_done", |b| {
            let is_stream = b.equal(Arg::Param(0), Arg::Load(stream));
            b.branch(
                is_stream,
                |b| {
                    b.because(cited(&cite::LOG_AFTER_DONE))
                        .expect_value(&format!("{id}/done/before_log"), Arg::Load(logged), 0)
                        .store(done, Arg::I32(1));
                },
                |_| {},
            );
        });
        p.callback("proxy_on_log", |b| {
            let is_stream = b.equal(Arg::Param(0), Arg::Load(stream));
            b.branch(
                is_stream,
                |b| {
                    b.because(cited(&cite::LOG_AFTER_DONE))
                        .expect_value(&format!("{id}/log/after_done"), Arg::Load(done), 1)
                        .store(logged, Arg::I32(1));
                },
                |_| {},
            );
        });
        p.callback("proxy_on_delete", |b| {
            let is_stream = b.equal(Arg::Param(0), Arg::Load(stream));
            b.branch(
                is_stream,
                |b| {
                    b.because(cited(&cite::LOG_BEFORE_RELEASE))
                        .expect_value(&format!("{id}/delete/after_log"), Arg::Load(logged), 1)
                        .end();
                },
                |_| {},
            );
        });
    })
}

fn tick(abi: &Abi, version: &str) -> Result<Case, BuildError> {
    let mut s = scenario(Site::Configure);
    s.events = vec![Event::Tick(15)];
    let cited = |s: &Sentence| s.basis(version);
    let mut fixed = lifecycle(
        "lifecycle/tick",
        "a tick period set in proxy_on_configure makes the host call proxy_on_tick with the \
         root context's id",
    );
    fixed.needs = &[Capability::Ticks];
    fixed.case(abi, version, s, |p, id| {
        let (root, ticks) = (zeroed(p), zeroed(p));
        p.callback("proxy_on_configure", |b| {
            b.store(root, Arg::Param(0));
            let set = b.call("proxy_set_tick_period_milliseconds", &[Arg::I32(10)]);
            b.because_found(cite::status_of(
                abi,
                "proxy_set_tick_period_milliseconds",
                "ok",
            ))
            .expect_status(&format!("{id}/set_tick_period/status"), set, 0);
        });
        p.callback("proxy_on_tick", |b| {
            b.because(cited(&cite::TICK))
                .expect_value(&format!("{id}/tick/first"), Arg::Load(ticks), 0)
                .store(ticks, Arg::I32(1));
            let same = b.equal(Arg::Param(0), Arg::Load(root));
            b.because(Basis::reference(cite::CPP_HOST_TICK))
                .expect_status(&format!("{id}/tick/root_context_id"), same, 1);
            let stop = b.call("proxy_set_tick_period_milliseconds", &[Arg::I32(0)]);
            b.because_found(cite::status_of(
                abi,
                "proxy_set_tick_period_milliseconds",
                "ok",
            ))
            .expect_status(&format!("{id}/set_tick_period/stop"), stop, 0)
            .end();
        });
    })
}

/// Where proxy-wasm-cpp-host ends a root context at shutdown.
const CPP_HOST_SHUTDOWN: &str = "proxy-wasm-cpp-host src/wasm.cc WasmBase::startShutdown \
     (onDone, then onDelete when it agrees; no onLog)";

fn root_shutdown(abi: &Abi, version: &str) -> Result<Case, BuildError> {
    let fixed = lifecycle(
        "lifecycle/root_shutdown",
        "at shutdown the root context gets proxy_on_done, then proxy_on_delete, and no \
         proxy_on_log (the spec text is silent; proxy-wasm-cpp-host's order)",
    );
    let shutdown = || Basis::reference(CPP_HOST_SHUTDOWN);
    fixed.case(abi, version, scenario(Site::Configure), |p, id| {
        let (root, done, logged) = (zeroed(p), zeroed(p), zeroed(p));
        p.callback("proxy_on_context_create", |b| {
            let is_root = b.equal(Arg::Param(1), Arg::I32(0));
            b.branch(
                is_root,
                |b| {
                    b.store(root, Arg::Param(0));
                },
                |_| {},
            );
        });
        for (callback, flag) in [("proxy_on_done", done), ("proxy_on_log", logged)] {
            p.callback(callback, |b| {
                let is_root = b.equal(Arg::Param(0), Arg::Load(root));
                b.branch(
                    is_root,
                    |b| {
                        b.store(flag, Arg::I32(1));
                    },
                    |_| {},
                );
            });
        }
        p.callback("proxy_on_delete", |b| {
            let is_root = b.equal(Arg::Param(0), Arg::Load(root));
            b.branch(
                is_root,
                |b| {
                    b.because(shutdown())
                        .expect_value(&format!("{id}/delete/after_done"), Arg::Load(done), 1)
                        .because(shutdown())
                        .expect_value(&format!("{id}/delete/no_log"), Arg::Load(logged), 0)
                        .end();
                },
                |_| {},
            );
        });
    })
}
