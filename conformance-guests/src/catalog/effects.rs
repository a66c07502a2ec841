//! Effect cases: what a plugin's changes do outside the guest — the request the upstream
//! receives, the response the client receives, a local response in place of forwarding. The
//! probe checks its calls' statuses itself; the host's report of the exchange (see
//! [`crate::effects`]) decides the rest, so these cases need an adapter that reports it.

use super::{Case, Expect, Fixed, Kind, cite, recipes, scenario};
use crate::effects::{Effect, Side};
use crate::{Arg, Basis, Body, BuildError};
use proxy_wasm_interchange::pairs;
use proxy_wasm_interchange::protocol::Capability;
use proxy_wasm_interchange::scenario::{Event, Scenario};
use proxy_wasm_spec::Abi;
use recipes::Site;

/// What these cases need of an adapter: an HTTP stream, and a report of its exchanges.
const NEEDS: &[Capability] = &[Capability::Http, Capability::HttpEvents];

/// Map and buffer ids (the same in every version).
const REQUEST_HEADERS: i32 = 0;
const RESPONSE_HEADERS: i32 = 2;
const REQUEST_BODY: i32 = 0;
const RESPONSE_BODY: i32 = 1;
/// What `proxy_on_request_headers` returns after sending a local response.
const PAUSE: i32 = 1;

/// The headers each header case removes, replaces and adds.
const DROP: &str = "x-pwtck-drop";
const SET: (&str, &str) = ("x-pwtck-set", "new");
const ADDED: (&str, &str) = ("x-pwtck-added", "yes");
/// The body each body case puts in place of the one it got.
const REPLACED: &str = "replaced";

pub(super) fn cases(abi: &Abi, version: &str, cases: &mut Vec<Case>) -> Result<(), BuildError> {
    let effect = |what, description| Fixed {
        what,
        kind: Kind::Effect,
        description,
        needs: NEEDS,
        expect: Expect::Pass,
        refusal: None,
    };
    let changeable = changeable_headers();

    let fixed = effect(
        "effect/request_headers/forwarded",
        "request headers the plugin removed, replaced and added in proxy_on_request_headers \
         are what reaches the upstream. The spec's CONTINUE sentence says these fields are \
         forwarded \"downstream\", so the check follows Envoy",
    );
    let case = fixed.case(abi, version, changeable.clone(), |p, id| {
        p.callback("proxy_on_request_headers", |b| {
            change_headers(abi, b, id, REQUEST_HEADERS);
            b.end();
        });
    })?;
    let envoy = || Basis::reference(cite::ENVOY_REQUEST_HEADERS);
    cases.push(case.observing(header_effects(Side::Upstream, envoy)));

    let fixed = effect(
        "effect/response_headers/forwarded",
        "response headers the plugin removed, replaced and added in proxy_on_response_headers \
         are what the client receives",
    );
    let case = fixed.case(abi, version, changeable, |p, id| {
        p.callback("proxy_on_response_headers", |b| {
            change_headers(abi, b, id, RESPONSE_HEADERS);
            b.end();
        });
    })?;
    let forwarded = || cite::RESPONSE_HEADERS_FORWARDED.basis(version);
    cases.push(case.observing(header_effects(Side::Client, forwarded)));

    let bodies = [
        (
            "effect/request_body/forwarded",
            ("proxy_on_request_headers", REQUEST_HEADERS),
            "proxy_on_request_body",
            REQUEST_BODY,
            Side::Upstream,
            cite::REQUEST_BODY_FORWARDED.basis(version),
        ),
        (
            "effect/response_body/forwarded",
            ("proxy_on_response_headers", RESPONSE_HEADERS),
            "proxy_on_response_body",
            RESPONSE_BODY,
            Side::Client,
            cite::RESPONSE_BODY_FORWARDED.basis(version),
        ),
    ];
    for (what, (headers, map), callback, buffer, side, basis) in bodies {
        let description = format!(
            "a body the plugin replaced with proxy_set_buffer_bytes in {callback} is the body \
             the {} receives (each chunk is replaced: by nothing, and the last by the new body; \
             {headers} removes content-length first, as plugins that change a body's size do)",
            match side {
                Side::Upstream => "upstream",
                Side::Client => "client",
            }
        );
        let fixed = Fixed {
            what,
            kind: Kind::Effect,
            description: &description,
            needs: NEEDS,
            expect: Expect::Pass,
            refusal: None,
        };
        let case = fixed.case(abi, version, changeable_headers(), |p, id| {
            let empty = p.data(b"");
            let replaced = p.data(REPLACED.as_bytes());
            let length = p.data(b"content-length");
            p.callback(headers, |b| {
                b.call(
                    "proxy_remove_header_map_value",
                    &[Arg::I32(map), Arg::Bytes(length)],
                );
            });
            p.callback(callback, |b| {
                let last = b.equal(Arg::Param(2), Arg::I32(1));
                let set = |b: &mut Body<'_, '_>, with| {
                    b.call(
                        "proxy_set_buffer_bytes",
                        &[
                            Arg::I32(buffer),
                            Arg::I32(0),
                            Arg::Param(1),
                            Arg::Bytes(with),
                        ],
                    )
                };
                b.branch(
                    last,
                    |b| {
                        let status = set(b, replaced);
                        b.because_found(cite::status_of(abi, "proxy_set_buffer_bytes", "ok"))
                            .expect_status(&format!("{id}/set/status"), status, 0)
                            .end();
                    },
                    |b| {
                        set(b, empty);
                    },
                );
            });
        })?;
        let body = Effect::Body {
            side,
            body: REPLACED.to_string(),
        };
        cases.push(case.observing(vec![("body", body, basis)]));
    }

    let fixed = effect(
        "effect/local_response/request_headers",
        "a local response sent from proxy_on_request_headers reaches the client with its \
         status, body and headers, and the request does not reach the upstream",
    );
    let local = pairs::encode(&[ADDED]);
    let case = fixed.case(abi, version, scenario(Site::RequestHeaders), |p, id| {
        let details = p.data(b"pwtck");
        let body = p.data(b"denied");
        let headers = p.data(&local);
        p.callback("proxy_on_request_headers", |b| {
            let sent = b.call(
                "proxy_send_local_response",
                &[
                    Arg::I32(403),
                    Arg::Bytes(details),
                    Arg::Bytes(body),
                    Arg::Bytes(headers),
                    Arg::I32(-1),
                ],
            );
            b.because_found(cite::status_of(abi, "proxy_send_local_response", "ok"))
                .expect_status(&format!("{id}/status"), sent, 0)
                .end()
                .returns(PAUSE);
        });
    })?;
    let sent = || cite::LOCAL_RESPONSE_SENT.basis(version);
    cases.push(case.observing(vec![
        ("client/status", Effect::Status { status: 403 }, sent()),
        (
            "client/body",
            Effect::Body {
                side: Side::Client,
                body: "denied".into(),
            },
            sent(),
        ),
        (
            "client/header",
            Effect::Header {
                side: Side::Client,
                name: ADDED.0.into(),
                value: ADDED.1.into(),
            },
            sent(),
        ),
        (
            "upstream/none",
            Effect::NotForwarded,
            cite::LOCAL_RESPONSE_INSTEAD.basis(version),
        ),
    ]));
    Ok(())
}

/// A stream whose request and response carry a header to remove and one to replace.
fn changeable_headers() -> Scenario {
    let mut s = scenario(Site::RequestHeaders);
    for event in &mut s.events {
        if let Event::Http(stream) = event {
            for message in [&mut stream.request, &mut stream.response] {
                message.headers.push((DROP.into(), "me".into()));
                message.headers.push((SET.0.into(), "old".into()));
            }
        }
    }
    s
}

/// Removes [`DROP`], replaces [`SET`] and adds [`ADDED`] in map `map`, checking each status.
fn change_headers(abi: &Abi, b: &mut Body<'_, '_>, id: &str, map: i32) {
    let drop = b.data(DROP.as_bytes());
    let (set_key, set_value) = (b.data(SET.0.as_bytes()), b.data(SET.1.as_bytes()));
    let (add_key, add_value) = (b.data(ADDED.0.as_bytes()), b.data(ADDED.1.as_bytes()));
    let calls = [
        (
            "removed",
            "proxy_remove_header_map_value",
            vec![Arg::I32(map), Arg::Bytes(drop)],
        ),
        (
            "replaced",
            "proxy_replace_header_map_value",
            vec![Arg::I32(map), Arg::Bytes(set_key), Arg::Bytes(set_value)],
        ),
        (
            "added",
            "proxy_add_header_map_value",
            vec![Arg::I32(map), Arg::Bytes(add_key), Arg::Bytes(add_value)],
        ),
    ];
    for (what, function, args) in calls {
        let status = b.call(function, &args);
        b.because_found(cite::status_of(abi, function, "ok"))
            .expect_status(&format!("{id}/{what}/status"), status, 0);
    }
}

/// The checks of a header case on `side`: the removed header is gone, the replaced one has
/// its new value only, the added one is there.
fn header_effects(side: Side, basis: impl Fn() -> Basis) -> Vec<(&'static str, Effect, Basis)> {
    let prefix = match side {
        Side::Upstream => ["upstream/removed", "upstream/replaced", "upstream/added"],
        Side::Client => ["client/removed", "client/replaced", "client/added"],
    };
    vec![
        (
            prefix[0],
            Effect::NoHeader {
                side,
                name: DROP.into(),
            },
            basis(),
        ),
        (
            prefix[1],
            Effect::Header {
                side,
                name: SET.0.into(),
                value: SET.1.into(),
            },
            basis(),
        ),
        (
            prefix[2],
            Effect::Header {
                side,
                name: ADDED.0.into(),
                value: ADDED.1.into(),
            },
            basis(),
        ),
    ]
}
