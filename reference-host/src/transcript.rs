//! Everything a run made observable, as JSON: the shape conformance checks compare.

use serde::Serialize;
use std::collections::BTreeMap;

/// The result of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Transcript {
    /// The ABI version the plugin declared.
    pub abi_version: String,
    /// Log lines, in order.
    pub logs: Vec<Log>,
    /// Each HTTP stream, in the order of the scenario.
    pub http: Vec<HttpOutcome>,
    /// Metrics by name, in definition order of ids.
    pub metrics: Vec<Metric>,
    /// Shared data at the end: key → value.
    pub shared_data: BTreeMap<String, String>,
    /// Traps, failed callbacks and broken promises, in order.
    pub errors: Vec<Failure>,
}

/// A log line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Log {
    /// The context the plugin acted on.
    pub context: u32,
    /// trace, debug, info, warn, error, critical; `stdout`/`stderr` for WASI writes.
    pub level: String,
    /// The text (lossy UTF-8).
    pub message: String,
}

/// How an HTTP stream ended.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HttpOutcome {
    /// The stream's context id.
    pub context: u32,
    /// What reached the upstream, if anything did.
    pub upstream_request: Option<MessageOut>,
    /// What the client received.
    pub downstream_response: Option<MessageOut>,
    /// Set if the plugin answered with `proxy_send_local_response`.
    pub local_response: bool,
    /// The phase the stream stopped in, if the plugin paused it and never resumed it.
    pub stalled_in: Option<String>,
}

/// Headers, body and trailers as they left the host.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MessageOut {
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: String,
    /// Trailers in order.
    pub trailers: Vec<(String, String)>,
}

/// A metric at the end of the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metric {
    /// Its name.
    pub name: String,
    /// counter, gauge or histogram.
    pub kind: String,
    /// Counter/gauge value, or the last recorded histogram value.
    pub value: i64,
}

/// Something that went wrong inside the plugin.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Failure {
    /// The context, if the failure belongs to one.
    pub context: Option<u32>,
    /// The callback or start function that failed.
    pub callback: String,
    /// What happened.
    pub message: String,
}
