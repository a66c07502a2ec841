//! Adapter protocol v1 (`runner/ADAPTERS.md`): what `<cmd> info` prints, the event lines of
//! `<cmd> run MODULE SCENARIO`, and the jobs and results of `<cmd> serve`.

use crate::Bytes;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The protocol version spoken.
pub const PROTOCOL: u32 = 1;

/// How `run` ends (and what a serve result's `exit` says).
pub mod exit {
    /// The module loaded and the scenario ran.
    pub const RAN: i32 = 0;
    /// The job could not be used: unreadable files, a scenario that does not parse.
    pub const BAD_JOB: i32 = 2;
    /// The host refused to load the module.
    pub const REFUSED: i32 = 3;
}

/// What the adapter can drive beyond plugin logging.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// HTTP streams: request and response headers, bodies and trailers.
    Http,
    /// `http_response` and `upstream_request` events: what left the plugin's stream.
    HttpEvents,
    /// TCP connections: downstream and upstream data.
    Tcp,
    /// Timer ticks.
    Ticks,
    /// `proxy_http_call` answered by scripted upstreams.
    HttpCalls,
    /// gRPC calls and streams answered by scripted upstreams.
    Grpc,
    /// Shared key-value data.
    SharedData,
    /// Shared queues.
    SharedQueues,
    /// Metrics.
    Metrics,
    /// Properties from the scenario.
    Properties,
    /// Foreign functions from the scenario.
    ForeignFunctions,
    /// Reporting a refused module with exit code 3.
    Refusal,
    /// A name this runner does not know; ignored.
    #[serde(untagged)]
    Other(String),
}

impl Capability {
    /// Every capability this runner knows.
    pub const KNOWN: [Capability; 12] = [
        Capability::Http,
        Capability::HttpEvents,
        Capability::Tcp,
        Capability::Ticks,
        Capability::HttpCalls,
        Capability::Grpc,
        Capability::SharedData,
        Capability::SharedQueues,
        Capability::Metrics,
        Capability::Properties,
        Capability::ForeignFunctions,
        Capability::Refusal,
    ];

    /// Its name in `info`.
    pub fn name(&self) -> &str {
        match self {
            Capability::Http => "http",
            Capability::HttpEvents => "http_events",
            Capability::Tcp => "tcp",
            Capability::Ticks => "ticks",
            Capability::HttpCalls => "http_calls",
            Capability::Grpc => "grpc",
            Capability::SharedData => "shared_data",
            Capability::SharedQueues => "shared_queues",
            Capability::Metrics => "metrics",
            Capability::Properties => "properties",
            Capability::ForeignFunctions => "foreign_functions",
            Capability::Refusal => "refusal",
            Capability::Other(name) => name,
        }
    }
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What `<cmd> info` prints: one JSON object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Info {
    /// Protocol version; must be 1.
    pub protocol: u32,
    /// The host's name.
    pub name: String,
    /// The host's version, free-form.
    pub version: String,
    /// ABI versions it runs, e.g. "0.2.1".
    pub abi_versions: Vec<String>,
    /// What it can drive beyond plugin logs.
    pub capabilities: Vec<Capability>,
    /// Whether it speaks `serve`.
    #[serde(default)]
    pub serve: bool,
}

/// One JSON object on one line of `run`'s output (or of a serve result's `lines`). Lines that
/// are not such an object are plugin output; event kinds not listed here are ignored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The plugin logged `message` through `proxy_log` (or a WASI write).
    Log {
        /// The level: trace, debug, info, warn, error, critical; or stdout, stderr.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        level: Option<String>,
        /// The context the plugin logged from, when the host knows it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        context: Option<u32>,
        /// The line, read by the runner as the plugin's log line.
        message: String,
    },
    /// The host would not load the module; goes with exit code 3.
    Refused {
        /// Why.
        message: String,
    },
    /// The plugin trapped.
    Trap(Failure),
    /// A host-side error about the plugin: a limit, a broken promise.
    Error(Failure),
    /// What the client of an HTTP stream received.
    HttpResponse(Exchange),
    /// What reached the upstream of an HTTP stream.
    UpstreamRequest(Exchange),
    /// The host refused a call of the plugin's with an error status, and says why.
    Refusal {
        /// The context the call acted on.
        context: u32,
        /// The host function.
        function: String,
        /// The status the plugin got, as the spec names it (`BAD_ARGUMENT`).
        status: String,
        /// Why.
        reason: String,
    },
}

impl Event {
    /// The event line.
    pub fn line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A trap or a host error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Failure {
    /// The context it happened in, when the host knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<u32>,
    /// The export the host was calling, e.g. proxy_on_request_headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
    /// What happened.
    pub message: String,
}

/// An HTTP message that left the plugin's stream, in one direction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Exchange {
    /// The stream's context, when the host knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<u32>,
    /// What was sent.
    #[serde(flatten)]
    pub message: HttpMessage,
}

/// A request or response as a host reports it; every field may be left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HttpMessage {
    /// The response status; none for a request, or when the host does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Header pairs in order, names as the host spells them.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The body: text, or binary as `{"base64": "..."}`.
    #[serde(default)]
    pub body: Bytes,
    /// Trailer pairs in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trailers: Vec<(String, String)>,
}

impl HttpMessage {
    /// The values of header `name`, compared without regard to case as HTTP names are.
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Its status, from the `status` field or else a `:status` header.
    pub fn status_code(&self) -> Option<u16> {
        self.status
            .or_else(|| self.values(":status").first().and_then(|v| v.parse().ok()))
    }
}

/// One line the runner writes to a `serve` adapter's stdin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// Chosen by the runner; the result carries it back.
    pub id: u64,
    /// Path of the module (.wasm).
    pub module: String,
    /// Path of its scenario (scenario.schema.json).
    pub scenario: String,
}

/// One line a `serve` adapter writes per job, in job order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JobResult {
    /// The job's id; null only when the adapter could not read it at all.
    pub id: Option<u64>,
    /// What `run` would have exited with (see [`exit`]).
    pub exit: i32,
    /// Every line `run` would have printed, stdout's first, then stderr's: text or event lines.
    pub lines: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_capabilities_are_kept_by_name() -> Result<(), serde_json::Error> {
        let caps: Vec<Capability> = serde_json::from_str(r#"["http", "teleport"]"#)?;
        assert_eq!(
            caps,
            [Capability::Http, Capability::Other("teleport".into())]
        );
        assert_eq!(serde_json::to_string(&caps)?, r#"["http","teleport"]"#);
        for c in Capability::KNOWN {
            let back: Capability = serde_json::from_str(&serde_json::to_string(&c)?)?;
            assert_eq!(back, c);
            assert_eq!(serde_json::to_string(&c)?, format!("\"{c}\""));
        }
        Ok(())
    }

    #[test]
    fn event_lines_read_back() -> Result<(), serde_json::Error> {
        let line = r#"{"event":"http_response","context":2,"status":403,"headers":[["a","1"]],"body":"no"}"#;
        let e: Event = serde_json::from_str(line)?;
        let Event::HttpResponse(x) = &e else {
            return Err(serde::de::Error::custom("not a response"));
        };
        assert_eq!((x.context, x.message.status), (Some(2), Some(403)));
        assert_eq!(e.line(), line);
        let log: Event = serde_json::from_str(r#"{"event":"log","message":"hi"}"#)?;
        assert_eq!(log.line(), r#"{"event":"log","message":"hi"}"#);
        Ok(())
    }
}
