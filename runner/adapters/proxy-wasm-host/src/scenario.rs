//! The scenario the runner hands over with each module: the reference host's format
//! (`reference-host/src/scenario.rs`), read leniently so that a field added there later does not
//! break this adapter; only what the adapter drives is typed.

use serde::Deserialize;
use std::collections::BTreeMap;

/// One run.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Scenario {
    /// The ABI version the plugin must declare; a different one is a bad job.
    pub expect_abi: Option<String>,
    /// What `proxy_on_vm_start` announces.
    pub vm_configuration: String,
    /// What `proxy_on_configure` announces.
    pub plugin_configuration: String,
    /// Property values by dotted path, over the built-in ones.
    pub properties: BTreeMap<String, String>,
    /// What `proxy_get_log_level` reports.
    pub log_level: Option<String>,
    /// WASI environment, as `KEY=VALUE`.
    pub environment: Vec<String>,
    /// Scripted HTTP upstreams for `proxy_http_call`: each call takes the next reply.
    pub upstreams: BTreeMap<String, Vec<HttpReply>>,
    /// Scripted gRPC upstreams: each call or stream takes the next reply.
    pub grpc_upstreams: BTreeMap<String, Vec<GrpcReply>>,
    /// Foreign functions by name, with the bytes each returns.
    pub foreign_functions: BTreeMap<String, String>,
    /// What happens, in order.
    pub events: Vec<Event>,
    /// Bounds on the plugin's work.
    pub limits: Limits,
}

/// Something the host does to the plugin.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// An HTTP stream from request headers to the end of the response.
    Http(HttpStream),
    /// A TCP connection: not driven (no `tcp` capability), reported as an error event.
    Tcp(#[allow(dead_code)] serde_json::Value),
    /// Advance virtual time by this many milliseconds, firing due ticks.
    Tick(u64),
    /// Another producer puts `data` on the plugin's queue `queue`.
    Enqueue { queue: String, data: String },
    /// The host calls the plugin's `proxy_on_foreign_function`.
    ForeignFunction { id: u32, data: String },
}

/// What a scripted upstream answers to one `proxy_http_call`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct HttpReply {
    /// The call fails instead.
    pub fail: bool,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub trailers: Vec<(String, String)>,
}

/// What a scripted gRPC upstream answers to one call or stream.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct GrpcReply {
    /// Initial metadata; none means no initial-metadata callback.
    pub initial_metadata: Vec<(String, String)>,
    /// Response messages: a call gets the first, a stream one per message it sends and the
    /// rest when it half-closes.
    pub messages: Vec<String>,
    /// Trailing metadata; none means no trailing-metadata callback.
    pub trailing_metadata: Vec<(String, String)>,
    /// The gRPC status it closes with (0 = OK).
    pub status: u32,
    pub status_message: String,
}

/// One HTTP exchange.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct HttpStream {
    pub request: Message,
    pub response: Message,
}

/// Headers, body chunks (one body callback each) and trailers.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Message {
    pub headers: Vec<(String, String)>,
    pub body: Vec<String>,
    pub trailers: Vec<(String, String)>,
}

/// Work and memory bounds.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(default)]
pub struct Limits {
    pub fuel_per_call: u64,
    pub memory_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel_per_call: 500_000_000,
            memory_bytes: 64 << 20,
        }
    }
}
