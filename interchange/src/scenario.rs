//! What a run feeds the plugin: configuration, properties and a list of events, as JSON.
//!
//! ```json
//! {
//!   "plugin_configuration": "{\"header\": \"x-hello\"}",
//!   "properties": { "plugin_name": "hello" },
//!   "events": [
//!     { "http": { "request": { "headers": [[":path", "/"], [":method", "GET"]] },
//!                 "response": { "headers": [[":status", "200"]], "body": ["hi"] } } },
//!     { "tick": 1000 }
//!   ]
//! }
//! ```
//! Bytes (configuration, body chunks, messages, property values) are a UTF-8 string, or binary
//! as `{"base64": "..."}` or `{"hex": "..."}` ([`Bytes`]); header names and values are strings.
//! Values left at their default are left out when a scenario is written.

use crate::Bytes;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One run.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// The ABI version the plugin must declare; a different one is an error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect_abi: Option<String>,
    /// What `proxy_on_vm_start` announces and `VmConfiguration` holds.
    #[serde(skip_serializing_if = "<[u8]>::is_empty")]
    pub vm_configuration: Bytes,
    /// What `proxy_on_configure` announces and `PluginConfiguration` holds.
    #[serde(skip_serializing_if = "<[u8]>::is_empty")]
    pub plugin_configuration: Bytes,
    /// The plugin's name, Envoy's `plugin_name` property.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_name: Option<String>,
    /// The root id the plugin is configured with, Envoy's `plugin_root_id` property: SDKs that
    /// register root contexts by name (AssemblyScript, C++) pick theirs by it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub root_id: String,
    /// The VM id, Envoy's `plugin_vm_id` property.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub vm_id: String,
    /// Property values by dotted path (`request.path`), overriding the built-in table.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, Bytes>,
    /// The TLS every client connection (HTTP stream or TCP connection) comes over, unless a
    /// stream gives its own; none: plaintext, where Envoy has no TLS attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<Tls>,
    /// The level `proxy_get_log_level` reports (info if none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<LogLevelName>,
    /// Environment variables the plugin sees through WASI, as `KEY=VALUE`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<String>,
    /// Scripted HTTP upstreams for `proxy_http_call`, by name: each call takes the next reply.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub upstreams: BTreeMap<String, Vec<HttpReply>>,
    /// Scripted gRPC upstreams for `proxy_grpc_call`/`proxy_grpc_stream`, by name: each call or
    /// stream takes the next reply.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub grpc_upstreams: BTreeMap<String, Vec<GrpcReply>>,
    /// Foreign functions `proxy_call_foreign_function` can call, by name, with the bytes each
    /// returns.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub foreign_functions: BTreeMap<String, Bytes>,
    /// What happens, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    /// Bounds on the plugin's work.
    #[serde(skip_serializing_if = "Limits::is_default")]
    pub limits: Limits,
    /// What streams get once the VM has failed (a trap, exhausted fuel, `proc_exit`, a refused
    /// start): by default they fail closed, the client getting 503 without the plugin being
    /// entered; with `true` they pass the plugin unchanged. Envoy's `fail_open` plugin setting
    /// (source/extensions/common/wasm/context.cc `Context::failStream`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fail_open: bool,
}

/// A log level by the name Envoy's configuration gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogLevelName {
    /// trace
    Trace,
    /// debug
    Debug,
    /// info
    Info,
    /// warn
    Warn,
    /// error
    Error,
    /// critical
    Critical,
}

/// Something the host does to the plugin.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// An HTTP stream from request headers to the end of the response.
    Http(HttpStream),
    /// A TCP connection from its opening to both sides closing.
    Tcp(TcpStream),
    /// Advance virtual time by this many milliseconds, firing due ticks.
    Tick(u64),
    /// Another producer puts `data` on the queue `queue` (registered by the plugin).
    Enqueue {
        /// The queue's name.
        queue: String,
        /// The item.
        data: Bytes,
    },
    /// The host calls the plugin's `proxy_on_foreign_function` (ABI 0.2.x).
    ForeignFunction {
        /// The function id the plugin receives.
        id: u32,
        /// The argument bytes, readable as the foreign-function-arguments buffer.
        data: Bytes,
    },
}

/// A client's TLS connection as Envoy's `Ssl::ConnectionInfo` describes it, the source of the
/// `connection.*` TLS attributes (source/extensions/filters/common/expr/context.cc
/// `SslExtractorsValues`, `ConnectionLookupValues`).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Tls {
    /// The negotiated version, `connection.tls_version`.
    pub version: String,
    /// The SNI the client sent, `connection.requested_server_name`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub requested_server_name: String,
    /// The listener's certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_certificate: Option<Certificate>,
    /// The client's certificate, if it presented one: then `connection.mtls` is true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_certificate: Option<Certificate>,
}

impl Default for Tls {
    fn default() -> Self {
        Tls {
            version: "TLSv1.3".to_string(),
            requested_server_name: String::new(),
            local_certificate: None,
            peer_certificate: None,
        }
    }
}

/// What Envoy's attributes tell of a certificate.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Certificate {
    /// The subject in RFC 2253 form (`CN=client,O=example`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subject: String,
    /// URI subject alternative names; the attribute is the first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uri_san: Vec<String>,
    /// DNS subject alternative names; the attribute is the first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_san: Vec<String>,
    /// The SHA-256 digest of the certificate, hex (`sha256_peer_certificate_digest`, for the
    /// client's certificate).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sha256_digest: String,
}

/// One TCP connection: what each peer sends, in chunks; the client closes after its last chunk,
/// then the upstream closes after its own.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TcpStream {
    /// Chunks from the client, each in its own `proxy_on_downstream_data`.
    pub downstream: Vec<Bytes>,
    /// Chunks from the upstream, each in its own `proxy_on_upstream_data`.
    pub upstream: Vec<Bytes>,
}

/// What a scripted HTTP upstream answers to one call.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct HttpReply {
    /// The call fails instead (the plugin sees 0 headers and `BrokenConnection`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fail: bool,
    /// Response headers, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// Response body.
    #[serde(skip_serializing_if = "<[u8]>::is_empty")]
    pub body: Bytes,
    /// Response trailers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trailers: Vec<(String, String)>,
    /// Virtual milliseconds between the call and this answer; 0 answers right after the
    /// callback that made the call. Meanwhile time passes: ticks fire, stream parts arrive, other
    /// answers come. An answer not earlier than the call's (non-zero) timeout never comes: the
    /// plugin gets Envoy's timeout reply (504, `upstream request timeout`) at the timeout.
    #[serde(skip_serializing_if = "is_zero")]
    pub delay_ms: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What a scripted gRPC upstream answers to one call or stream.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GrpcReply {
    /// Initial metadata; none means no initial-metadata callback.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub initial_metadata: Vec<(String, String)>,
    /// Response messages: a unary call gets them all at once, a stream one per message it sends,
    /// the rest when it half-closes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Bytes>,
    /// Trailing metadata; none means no trailing-metadata callback.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trailing_metadata: Vec<(String, String)>,
    /// The gRPC status the call or stream closes with (0 = OK).
    pub status: i32,
    /// The status message `proxy_get_status` reports.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status_message: String,
    /// Virtual milliseconds between what causes each answer (the call, a message the plugin
    /// sends, its half-close) and the answer. The call's timeout is not applied.
    #[serde(skip_serializing_if = "is_zero")]
    pub delay_ms: u64,
}

/// One HTTP exchange as the downstream client and the upstream server would send it.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct HttpStream {
    /// What the client sends.
    pub request: Message,
    /// What the upstream answers, if the request reaches it.
    pub response: Message,
    /// Property values for this stream alone, by dotted path (`source.address`), overriding
    /// the scenario's and the ones derived from the stream.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, Bytes>,
    /// The TLS this stream's client connection comes over, in place of the scenario's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<Box<Tls>>,
    /// The client resets the stream once this part has arrived (the body: all its chunks),
    /// whether or not the plugin has seen it or let it through: no later stream callback runs, and
    /// the stream ends with `proxy_on_done`, `proxy_on_log` and `proxy_on_delete` as Envoy ends
    /// a reset stream. A part the stream does not have (no body) counts as passed where it
    /// would have been.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_abort: Option<StreamPart>,
    /// The scenario goes on to its next event once the stream has started instead of waiting
    /// for its end: the stream runs alongside the events after it as virtual time passes (its
    /// parts arriving at their times, `tick` events moving time on), so several streams can be
    /// open at once. Without it the scenario waits for the stream's end, letting time run on to
    /// the answers and parts still to come, and a stream that nothing but ticks could resume
    /// then ends stalled.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub concurrent: bool,
    /// Virtual milliseconds between the parts each peer sends: the request headers, each body
    /// chunk and the trailers from the client, the same from the upstream. 0: all at once.
    /// Parts keep arriving while the plugin holds the stream. After a paused headers callback
    /// they wait until the plugin continues, then the body comes in one callback
    /// (proxy-wasm-cpp-host makes the pause Envoy's StopAllIterationAndWatermark); after a
    /// paused body callback each new chunk comes with the held ones (StopIterationAndBuffer).
    #[serde(skip_serializing_if = "is_zero")]
    pub gap_ms: u64,
    /// Virtual milliseconds from the request's end reaching the upstream to the response
    /// headers.
    #[serde(skip_serializing_if = "is_zero")]
    pub upstream_ms: u64,
}

/// A part of an HTTP stream, in the order the plugin sees them.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum StreamPart {
    /// The request headers.
    RequestHeaders,
    /// The request body.
    RequestBody,
    /// The request trailers.
    RequestTrailers,
    /// The response headers.
    ResponseHeaders,
    /// The response body.
    ResponseBody,
}

/// Headers, body chunks and trailers.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Message {
    /// Headers, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// Body chunks, each delivered in its own body callback.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub body: Vec<Bytes>,
    /// Trailers; none means the message ends with its body.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trailers: Vec<(String, String)>,
}

/// Work and memory bounds; hostile plugins meet them instead of hanging the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Fuel (roughly wasm instructions) each entry into the plugin may use.
    pub fuel_per_call: u64,
    /// Largest linear memory, in bytes.
    pub memory_bytes: usize,
}

impl Limits {
    fn is_default(&self) -> bool {
        *self == Limits::default()
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel_per_call: 500_000_000,
            memory_bytes: 64 << 20,
        }
    }
}
