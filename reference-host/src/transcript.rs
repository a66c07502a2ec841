//! Everything a run made observable, as JSON: the shape conformance checks compare. Bytes are
//! a string when they are UTF-8 text, else `{"base64": "..."}` ([`Bytes`]).

use proxy_wasm_interchange::Bytes;
use proxy_wasm_interchange::pairs::Entries;
use serde::Serialize;
use std::collections::BTreeMap;

/// The result of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Transcript {
    /// The ABI version the plugin declared.
    pub abi_version: String,
    /// Log lines, in order, up to [`MAX_LOG_BYTES`] of messages.
    pub logs: Vec<Log>,
    /// Log lines past the first [`MAX_LOG_BYTES`] of messages, counted and not listed: a plugin
    /// logging in a loop would otherwise fill the host's memory.
    #[serde(skip_serializing_if = "is_zero")]
    pub logs_not_listed: u64,
    /// Each HTTP stream, in the order they started.
    pub http: Vec<HttpOutcome>,
    /// Each TCP connection, in the order of the scenario.
    pub tcp: Vec<TcpOutcome>,
    /// HTTP calls the plugin made, in order.
    pub http_calls: Vec<HttpCall>,
    /// gRPC calls and streams the plugin opened, in order.
    pub grpc_calls: Vec<GrpcCall>,
    /// Foreign functions the plugin called, in order.
    pub foreign_calls: Vec<ForeignCall>,
    /// Shared queues at the end: name → items not dequeued.
    pub queues: BTreeMap<String, Vec<Bytes>>,
    /// Metrics by name, in definition order of ids.
    pub metrics: Vec<Metric>,
    /// Shared data at the end: key → value.
    pub shared_data: BTreeMap<String, Bytes>,
    /// Calls the host refused, each with the reason, in order. A lookup that finds nothing (a
    /// header, shared data, an empty queue) is an answer, not a refusal, and is not listed.
    pub refusals: Vec<Refusal>,
    /// Refusals past the first [`MAX_REFUSALS`], counted and not listed: a plugin calling a
    /// refused function in a loop would otherwise fill the host's memory.
    #[serde(skip_serializing_if = "is_zero")]
    pub refusals_not_listed: u64,
    /// Traps, failed callbacks and broken promises, in order.
    pub errors: Vec<Failure>,
}

/// How many refusals a transcript lists.
pub const MAX_REFUSALS: usize = 10_000;

/// How many bytes of log messages a transcript lists.
pub const MAX_LOG_BYTES: usize = 16 << 20;

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A host call the host refused.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Refusal {
    /// The context the call acted on.
    pub context: u32,
    /// The host function, by its 0.2.1 name.
    pub function: &'static str,
    /// The status the plugin got, as the spec names it (`BAD_ARGUMENT`).
    pub status: String,
    /// Why.
    pub reason: String,
}

/// A log line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Log {
    /// The context the plugin acted on.
    pub context: u32,
    /// trace, debug, info, warn, error, critical; `stdout`/`stderr` for WASI writes.
    pub level: &'static str,
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
    /// Set if the plugin answered with `proxy_send_local_response`; the reply as Envoy builds
    /// it, after the plugin's own response callbacks when it answered in the request.
    pub local_response: bool,
    /// The phase the stream stopped in, if the plugin paused it and never resumed it; what had
    /// been forwarded before is in `upstream_request`/`downstream_response`.
    pub stalled_in: Option<String>,
    /// Set if the stream was reset: by the plugin with `proxy_close_stream`, or by Envoy for a
    /// local response after the response headers had gone to the client.
    pub reset: bool,
    /// Set if the client reset the stream (scenario `client_abort`); what had been forwarded
    /// before is in `upstream_request`/`downstream_response`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub client_aborted: bool,
    /// Set if the VM had failed before or during this stream, with what the stream got.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vm_failed: Option<FailedStream>,
}

impl HttpOutcome {
    /// The outcome of context `context`'s stream, before anything is known of it.
    pub(crate) fn of(context: u32) -> Self {
        HttpOutcome {
            context,
            ..HttpOutcome::default()
        }
    }
}

/// What a stream got from a failed VM (scenario `fail_open`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailedStream {
    /// The client got 503 and the plugin was not entered again.
    Closed,
    /// The stream passed the plugin unchanged from then on.
    Open,
}

/// How a TCP connection ended.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TcpOutcome {
    /// The connection's context id.
    pub context: u32,
    /// The client's bytes as the plugin let them through to the upstream.
    pub to_upstream: Bytes,
    /// The upstream's bytes as the plugin let them through to the client.
    pub to_downstream: Bytes,
    /// The side the plugin closed with `proxy_close_stream` (`downstream` or `upstream`), if any.
    pub closed_by_plugin: Option<String>,
    /// The direction whose data the plugin paused and never resumed.
    pub stalled_in: Option<String>,
}

/// An HTTP call as it left the plugin.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HttpCall {
    /// The context that made the call.
    pub context: u32,
    /// The call id the plugin got.
    pub id: u32,
    /// The upstream's name.
    pub upstream: String,
    /// Request headers.
    pub headers: Entries,
    /// Request body.
    pub body: Bytes,
    /// Request trailers.
    pub trailers: Entries,
    /// The timeout the plugin asked for.
    pub timeout_ms: u32,
    /// The upstream's reply came too late (its `delay_ms` reached the timeout), so the plugin
    /// got Envoy's timeout answer instead.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
}

/// A gRPC call or stream as the plugin used it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GrpcCall {
    /// The context that opened the call or stream.
    pub context: u32,
    /// The call or stream id the plugin got.
    pub id: u32,
    /// `call` or `stream`.
    pub kind: String,
    /// The upstream's name.
    pub upstream: String,
    /// Service name.
    pub service: String,
    /// Method name.
    pub method: String,
    /// Initial metadata the plugin sent.
    pub initial_metadata: Entries,
    /// Messages the plugin sent (the request of a unary call; each `proxy_grpc_send`).
    pub messages: Vec<Bytes>,
    /// How the plugin ended it: `half_closed`, `closed` or `cancelled`, if it did.
    pub ended_by_plugin: Option<String>,
}

/// A foreign function call.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ForeignCall {
    /// The context that made the call.
    pub context: u32,
    /// The function's name.
    pub name: String,
    /// The argument bytes.
    pub arguments: Bytes,
}

/// Headers, body and trailers as they left the host, byte for byte.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MessageOut {
    /// Headers in order.
    pub headers: Entries,
    /// The whole body.
    pub body: Bytes,
    /// Trailers in order.
    pub trailers: Entries,
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
