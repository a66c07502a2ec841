//! Effects a probe cannot see from inside the guest — what reached the upstream of an HTTP
//! stream, what its client received — and how they are judged from what a host reports
//! (an adapter's `upstream_request` and `http_response` events, see `runner/ADAPTERS.md`).

use proxy_wasm_interchange::protocol::HttpMessage;
use serde::Serialize;

/// What a host reported about one HTTP stream's exchanges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exchanges {
    /// Each request that reached an upstream.
    pub upstream: Vec<HttpMessage>,
    /// Each response a client received.
    pub responses: Vec<HttpMessage>,
    /// Event lines that named one of these kinds but could not be read, with why.
    pub unreadable: Vec<String>,
}

/// Where an effect shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The request the upstream received.
    Upstream,
    /// The response the client received.
    Client,
}

/// One thing a host must have done outside the guest; each is judged as one check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "expect", rename_all = "snake_case")]
pub enum Effect {
    /// The message on `side` carries header `name` with exactly `value` (once).
    Header {
        /// Where it shows.
        side: Side,
        /// The header name.
        name: String,
        /// Its one value.
        value: String,
    },
    /// The message on `side` has no header `name`.
    NoHeader {
        /// Where it shows.
        side: Side,
        /// The header name.
        name: String,
    },
    /// The message on `side` has exactly this body.
    Body {
        /// Where it shows.
        side: Side,
        /// The whole body.
        body: String,
    },
    /// The client's response has this status.
    Status {
        /// The status code.
        status: u16,
    },
    /// No request reached the upstream.
    NotForwarded,
}

/// A check judged from a host's reported exchanges rather than from the probe's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Observed {
    /// The id of its check in the case's `checks`.
    pub check: String,
    /// What must show.
    #[serde(flatten)]
    pub effect: Effect,
}

impl Effect {
    /// What it expects, in the words a failure shows.
    pub fn expected(&self) -> String {
        match self {
            Effect::Header { side, name, value } => {
                format!("{} header {name}: {value}", side.name())
            }
            Effect::NoHeader { side, name } => format!("{} without header {name}", side.name()),
            Effect::Body { side, body } => format!("{} body {body:?}", side.name()),
            Effect::Status { status } => format!("client response status {status}"),
            Effect::NotForwarded => "no request reaching the upstream".to_string(),
        }
    }

    /// `Ok` if `seen` shows the effect, else what was seen instead.
    pub fn judge(&self, seen: &Exchanges) -> Result<(), String> {
        if !seen.unreadable.is_empty() {
            return Err(format!(
                "the host's report of the exchange cannot be read: {}",
                seen.unreadable.join("; ")
            ));
        }
        let message = |side: Side| -> Result<&HttpMessage, String> {
            let (all, what) = match side {
                Side::Upstream => (&seen.upstream, "request reached the upstream"),
                Side::Client => (&seen.responses, "response reached the client"),
            };
            match all.as_slice() {
                [one] => Ok(one),
                [] => Err(format!("no {what}")),
                more => Err(format!("{} reports where the stream has one", more.len())),
            }
        };
        match self {
            Effect::Header { side, name, value } => {
                let m = message(*side)?;
                match m.values(name).as_slice() {
                    [v] if v == value => Ok(()),
                    [] => Err(format!("no header {name}")),
                    found => Err(format!("{name}: {}", found.join(", "))),
                }
            }
            Effect::NoHeader { side, name } => {
                let m = message(*side)?;
                match m.values(name).as_slice() {
                    [] => Ok(()),
                    found => Err(format!("{name}: {}", found.join(", "))),
                }
            }
            Effect::Body { side, body } => {
                let m = message(*side)?;
                if m.body == body.as_str() {
                    Ok(())
                } else {
                    Err(format!("body {:?}", m.body))
                }
            }
            Effect::Status { status } => match message(Side::Client)?.status_code() {
                Some(s) if s == *status => Ok(()),
                Some(s) => Err(format!("status {s}")),
                None => Err("a response without a status".to_string()),
            },
            Effect::NotForwarded => match seen.upstream.len() {
                0 => Ok(()),
                n => Err(format!("{n} request(s) reached the upstream")),
            },
        }
    }
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Upstream => "upstream request",
            Side::Client => "client response",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(upstream: Vec<HttpMessage>, responses: Vec<HttpMessage>) -> Exchanges {
        Exchanges {
            upstream,
            responses,
            unreadable: Vec::new(),
        }
    }

    fn message(headers: &[(&str, &str)], body: &str) -> HttpMessage {
        HttpMessage {
            status: None,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.into(),
            trailers: Vec::new(),
        }
    }

    #[test]
    fn headers_compare_names_without_case_and_values_exactly() {
        let up = seen(vec![message(&[("X-One", "1"), ("x-two", "2")], "")], vec![]);
        let header = |name: &str, value: &str| Effect::Header {
            side: Side::Upstream,
            name: name.into(),
            value: value.into(),
        };
        assert_eq!(header("x-one", "1").judge(&up), Ok(()));
        assert_eq!(header("x-two", "3").judge(&up), Err("x-two: 2".into()));
        assert_eq!(
            header("x-six", "6").judge(&up),
            Err("no header x-six".into())
        );
        let gone = Effect::NoHeader {
            side: Side::Upstream,
            name: "x-ONE".into(),
        };
        assert_eq!(gone.judge(&up), Err("x-ONE: 1".into()));
    }

    #[test]
    fn nothing_reported_fails_every_effect_but_not_forwarded() {
        let none = Exchanges::default();
        let body = Effect::Body {
            side: Side::Client,
            body: "x".into(),
        };
        assert_eq!(
            body.judge(&none),
            Err("no response reached the client".into())
        );
        assert!(Effect::Status { status: 403 }.judge(&none).is_err());
        assert_eq!(Effect::NotForwarded.judge(&none), Ok(()));
    }

    #[test]
    fn status_comes_from_the_field_or_the_pseudo_header() {
        let by_header = seen(vec![], vec![message(&[(":status", "403")], "")]);
        assert_eq!(Effect::Status { status: 403 }.judge(&by_header), Ok(()));
        let mut m = message(&[], "");
        m.status = Some(200);
        let by_field = seen(vec![], vec![m]);
        assert_eq!(
            Effect::Status { status: 403 }.judge(&by_field),
            Err("status 200".into())
        );
    }

    #[test]
    fn an_unreadable_report_fails_rather_than_passes() {
        let mut broken = Exchanges::default();
        broken
            .unreadable
            .push("line 3: status is not a number".into());
        assert!(Effect::NotForwarded.judge(&broken).is_err());
    }

    #[test]
    fn two_reports_for_one_stream_fail() {
        let two = seen(vec![message(&[], "a"), message(&[], "a")], vec![]);
        let body = Effect::Body {
            side: Side::Upstream,
            body: "a".into(),
        };
        assert_eq!(
            body.judge(&two),
            Err("2 reports where the stream has one".into())
        );
    }
}
