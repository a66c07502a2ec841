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
//! Bytes (configuration, header names and values, body chunks) are written as UTF-8 strings.

use serde::Deserialize;
use std::collections::BTreeMap;

/// One run.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// The ABI version the plugin must declare; a different one is an error.
    pub expect_abi: Option<String>,
    /// What `proxy_on_vm_start` announces and `VmConfiguration` holds.
    pub vm_configuration: String,
    /// What `proxy_on_configure` announces and `PluginConfiguration` holds.
    pub plugin_configuration: String,
    /// Property values by dotted path (`request.path`), overriding the built-in table.
    pub properties: BTreeMap<String, String>,
    /// The level `proxy_get_log_level` reports: trace, debug, info, warn, error or critical.
    pub log_level: Option<String>,
    /// Environment variables the plugin sees through WASI, as `KEY=VALUE`.
    pub environment: Vec<String>,
    /// What happens, in order.
    pub events: Vec<Event>,
    /// Bounds on the plugin's work.
    pub limits: Limits,
}

/// Something the host does to the plugin.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// An HTTP stream from request headers to the end of the response.
    Http(HttpStream),
    /// Advance virtual time by this many milliseconds, firing due ticks.
    Tick(u64),
}

/// One HTTP exchange as the downstream client and the upstream server would send it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpStream {
    /// What the client sends.
    pub request: Message,
    /// What the upstream answers, if the request reaches it.
    pub response: Message,
}

/// Headers, body chunks and trailers.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Message {
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// Body chunks, each delivered in its own body callback.
    pub body: Vec<String>,
    /// Trailers; none means the message ends with its body.
    pub trailers: Vec<(String, String)>,
}

/// Work and memory bounds; hostile plugins meet them instead of hanging the host.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Fuel (roughly wasm instructions) each entry into the plugin may use.
    pub fuel_per_call: u64,
    /// Largest linear memory, in bytes.
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
