//! The host's side of a run: contexts, streams, maps, buffers, properties, shared data and
//! metrics, and the 0.2.1 host functions on top of them. Older versions reach the same code
//! through the generated `*ViaLatest` traits (`older_only.rs` adds what only they have). Where the
//! spec is silent the behaviour follows proxy-wasm-cpp-host and Envoy, as each function says.

use crate::callouts::{Callouts, Received};
use crate::pairs::{self, Entries, Pairs};
use crate::scenario::Tls;
use crate::transcript::{Failure, Log, MAX_LOG_BYTES, MAX_REFUSALS, Refusal, Transcript};
use heck::ToShoutySnakeCase;
use proxy_wasm_host_abi::glue::{Guest, Refusal as GlueRefusal};
use proxy_wasm_host_abi::v0_2_1::{
    BufferType, ClockId, Errno, Fd, Fdstat, Host, LogLevel, MapType, MetricType, Status,
    StreamType, Wasi,
};
use proxy_wasm_host_abi::{HostError, Trap};
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::collections::BTreeMap;
use wasmtime::StoreLimits;

/// The fixed instant virtual time starts at: 2026-01-01T00:00:00Z, in nanoseconds.
pub const EPOCH_NS: u64 = 1_767_225_600_000_000_000;

/// The id of the plugin (root) context; cpp-host allocates root ids from 1, 0 being the VM
/// context (include/proxy-wasm/wasm.h `next_context_id_`, src/wasm.cc WasmBase::allocContextId).
pub const ROOT_ID: u32 = 1;

/// Where an HTTP stream is: which callback runs, or ran last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// `proxy_on_request_headers`.
    RequestHeaders,
    /// `proxy_on_request_body`.
    RequestBody,
    /// `proxy_on_request_trailers`.
    RequestTrailers,
    /// `proxy_on_response_headers`.
    ResponseHeaders,
    /// `proxy_on_response_body`.
    ResponseBody,
    /// `proxy_on_response_trailers`.
    ResponseTrailers,
    /// After the response: `proxy_on_done`, `proxy_on_log`, `proxy_on_delete`.
    Done,
}

/// A response the plugin sent itself.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalResponse {
    /// HTTP status.
    pub status: u32,
    /// Extra headers.
    pub headers: Pairs,
    /// Body.
    pub body: Vec<u8>,
    /// The gRPC status the plugin passed, if it is one Envoy knows (0 to 16); -1 and other
    /// numbers mean none (source/extensions/common/wasm/context.cc Context::sendLocalResponse).
    pub grpc_status: Option<u32>,
    /// The details Envoy keeps as the response code details (access logs, `response.code_details`).
    pub details: Vec<u8>,
}

/// An HTTP stream's host-side state.
#[derive(Clone, Debug)]
pub struct Stream {
    /// Where the stream is.
    pub phase: Phase,
    /// Request headers, names lower-cased.
    pub request_headers: Pairs,
    /// Request trailers.
    pub request_trailers: Pairs,
    /// Response headers.
    pub response_headers: Pairs,
    /// Response trailers.
    pub response_trailers: Pairs,
    /// The body chunk (or buffered chunks) the current body callback sees.
    pub body: Vec<u8>,
    /// Set by `proxy_send_local_response`.
    pub local_response: Option<LocalResponse>,
    /// Set by `proxy_continue_stream` (or the 0.1.0 continue calls) for the current direction.
    pub resumed: bool,
    /// Set by `proxy_close_stream`: the plugin reset the stream.
    pub reset: bool,
    /// When the request arrived, in Unix nanoseconds of virtual time (`request.time`).
    pub started_ns: u64,
    /// The scenario's property values for this stream alone.
    pub properties: BTreeMap<String, Vec<u8>>,
    /// What the plugin set with `proxy_set_property` in this stream.
    pub filter_state: FilterState,
    /// The TLS of this stream's client connection, when the scenario gives the stream its own.
    pub tls: Option<Tls>,
    /// Request body bytes received from the client so far (Envoy's `bytesReceived`).
    pub request_bytes: i64,
    /// Response body bytes sent to the client so far (Envoy's `bytesSent`).
    pub response_bytes: i64,
    /// Set once the request headers went on to the upstream.
    pub upstream: bool,
    /// Envoy's response code details: `via_upstream`, or the details of a local response.
    pub code_details: Option<Cow<'static, [u8]>>,
    /// Virtual time the request headers left for the upstream (Envoy's first upstream byte sent).
    pub upstream_sent_ns: Option<u64>,
    /// Virtual time the upstream's last response part arrived (its last byte received).
    pub upstream_received_ns: Option<u64>,
    /// Which of the four maps went on, and how: request headers, request trailers, response
    /// headers, response trailers.
    pub sent: [Sent; 4],
    /// Which of the four maps the plugin let go of: its callback returned `Continue`, and Envoy
    /// drops its pointer to the map then (source/extensions/common/wasm/context.cc
    /// `Context::decodeHeaders`, `decodeTrailers`, `encodeHeaders`, `encodeTrailers`), so later
    /// callbacks can neither read nor change it; only `proxy_on_log` reads the headers again.
    /// A map held by a pause and resumed with `proxy_continue_stream` stays (Envoy's
    /// `Context::continueStream` keeps the pointer).
    pub released: [bool; 4],
    /// Which of the four maps reached the plugin: the request headers at once, the others
    /// when their callback comes; a stream without trailers never has trailer maps (Envoy has
    /// none to point to).
    pub delivered: [bool; 4],
}

/// The values a plugin set with `proxy_set_property` in one stream or connection, by path (the
/// path's bytes, without a trailing NUL): Envoy's filter state of that stream or connection, kept
/// under `wasm.<path>` (source/extensions/common/wasm/context.cc `Context::setProperty`). It
/// ends with the stream, so a value never reaches another stream.
pub type FilterState = BTreeMap<Vec<u8>, Vec<u8>>;

/// Whether a stream's header map went on, and as what. A map that went is the transcript's only
/// once the stream ends, so it is copied only if the plugin changes it after it went (a paused
/// stream resumed by `proxy_continue_stream`, then changed from a tick or a call's answer).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Sent {
    /// Not sent (yet).
    #[default]
    No,
    /// Sent as the map still is.
    AsIs,
    /// Sent as this; the plugin changed the map since.
    Was(Pairs),
}

/// The slot in [`Stream::sent`] of one of a stream's own maps.
fn sent_slot(map: MapType) -> Option<usize> {
    match map {
        MapType::HttpRequestHeaders => Some(0),
        MapType::HttpRequestTrailers => Some(1),
        MapType::HttpResponseHeaders => Some(2),
        MapType::HttpResponseTrailers => Some(3),
        _ => None,
    }
}

impl Stream {
    /// A stream about to call `proxy_on_request_headers`.
    pub fn new(request_headers: Pairs) -> Self {
        Stream {
            phase: Phase::RequestHeaders,
            request_headers,
            request_trailers: Vec::new(),
            response_headers: Vec::new(),
            response_trailers: Vec::new(),
            body: Vec::new(),
            local_response: None,
            resumed: false,
            reset: false,
            started_ns: 0,
            properties: BTreeMap::new(),
            filter_state: FilterState::new(),
            tls: None,
            request_bytes: 0,
            response_bytes: 0,
            upstream: false,
            code_details: None,
            upstream_sent_ns: None,
            upstream_received_ns: None,
            sent: Default::default(),
            released: [false; 4],
            delivered: [true, false, false, false],
        }
    }

    /// One of the stream's own maps.
    pub fn own_map(&mut self, map: MapType) -> Option<&mut Pairs> {
        match map {
            MapType::HttpRequestHeaders => Some(&mut self.request_headers),
            MapType::HttpRequestTrailers => Some(&mut self.request_trailers),
            MapType::HttpResponseHeaders => Some(&mut self.response_headers),
            MapType::HttpResponseTrailers => Some(&mut self.response_trailers),
            _ => None,
        }
    }

    /// Whether the plugin may read `map` now (spec v0.2.1 `HTTP fields`: a map can be read in
    /// its own callback, for as long as processing is paused from it, and in `proxy_on_log`;
    /// `logging` says `proxy_on_log` runs, where Envoy reads the request and response headers
    /// and the response trailers as the stream ended, and no request trailers).
    pub fn can_see(&self, map: MapType, logging: bool) -> bool {
        let Some(slot) = sent_slot(map) else {
            return false;
        };
        let reached = self.delivered[slot];
        if logging {
            return reached && map != MapType::HttpRequestTrailers;
        }
        reached && !self.released[slot]
    }

    /// `map` as it reaches the plugin (see `delivered`).
    pub fn deliver(&mut self, map: MapType, pairs: Pairs) {
        if let (Some(slot), Some(own)) = (sent_slot(map), self.own_map(map)) {
            *own = pairs;
            self.delivered[slot] = true;
        }
    }

    /// Records that the plugin let go of `map` (see `released`).
    pub fn release(&mut self, map: MapType) {
        if let Some(slot) = sent_slot(map) {
            self.released[slot] = true;
        }
    }

    /// Records that `map` went on as it is now.
    pub fn send(&mut self, map: MapType) {
        if let Some(slot) = sent_slot(map) {
            self.sent[slot] = Sent::AsIs;
        }
    }

    /// What went on of `map`, for the transcript; the stream is at its end, so the map is taken.
    pub fn take_sent(&mut self, map: MapType) -> Option<Entries> {
        let slot = sent_slot(map)?;
        let went = match std::mem::take(&mut self.sent[slot]) {
            Sent::No => return None,
            Sent::AsIs => std::mem::take(self.own_map(map)?),
            Sent::Was(pairs) => pairs,
        };
        Some(pairs::into_entries(went))
    }
}

/// Which side of a TCP connection the running callback handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpPhase {
    /// `proxy_on_new_connection`.
    Opening,
    /// `proxy_on_downstream_data`.
    Downstream,
    /// `proxy_on_upstream_data`.
    Upstream,
    /// The close callbacks and the end of the connection.
    Closing,
}

/// A TCP connection's host-side state.
#[derive(Clone, Debug)]
pub struct Connection {
    /// Where the connection is.
    pub phase: TcpPhase,
    /// The data (or buffered data) the current data callback sees.
    pub data: Vec<u8>,
    /// Set by `proxy_continue_stream(downstream)`.
    pub resumed: bool,
    /// The side the plugin closed, if it did.
    pub closed_by_plugin: Option<&'static str>,
    /// What the plugin set with `proxy_set_property` in this connection.
    pub filter_state: FilterState,
}

impl Connection {
    /// A connection about to call `proxy_on_new_connection`.
    pub fn new() -> Self {
        Connection {
            phase: TcpPhase::Opening,
            data: Vec::new(),
            resumed: false,
            closed_by_plugin: None,
            filter_state: FilterState::new(),
        }
    }
}

impl Default for Connection {
    fn default() -> Self {
        Connection::new()
    }
}

/// A metric.
#[derive(Clone, Debug)]
pub struct MetricState {
    /// Its name.
    pub name: String,
    /// Counter, gauge or histogram.
    pub kind: MetricType,
    /// Current value (a histogram keeps its last sample).
    pub value: i64,
}

/// Everything the host functions read and change; the wasmtime store's data.
pub struct HostState {
    /// Memory bounds for the store.
    pub limits: StoreLimits,
    /// The plugin's memory and allocator, once the glue looked them up (a store runs one
    /// instance).
    guest: Guest,
    /// Bytes of log messages the transcript lists so far.
    log_bytes: usize,
    /// Nanoseconds of virtual time since [`EPOCH_NS`].
    pub elapsed_ns: u64,
    /// What `proxy_get_log_level` reports.
    pub log_level: LogLevel,
    /// Set while `proxy_on_log` runs: Envoy's access-log phase, where a stream's headers read
    /// as they ended (see [`Stream::can_see`]).
    pub logging: bool,
    /// The VM configuration bytes.
    pub vm_configuration: Vec<u8>,
    /// The plugin configuration bytes.
    pub plugin_configuration: Vec<u8>,
    /// Which configuration buffer the running callback may read (Envoy: only inside
    /// `proxy_on_vm_start`/`proxy_on_configure`).
    pub configuration_visible: Option<BufferType>,
    /// The context the running callback was called for.
    pub current: u32,
    /// Set by `proxy_set_effective_context` until the callback returns (cpp-host).
    pub effective: Option<u32>,
    /// Live HTTP streams by context id; boxed, as a stream is large and moves in and out.
    pub streams: FxHashMap<u32, Box<Stream>>,
    /// Live TCP connections by context id.
    pub connections: BTreeMap<u32, Connection>,
    /// HTTP and gRPC calls, queues and foreign functions.
    pub callouts: Callouts,
    /// Property values the scenario sets for the run, by dotted path.
    pub properties: BTreeMap<String, Vec<u8>>,
    /// The TLS client connections come over, unless a stream has its own.
    pub tls: Option<Tls>,
    /// Shared data: key → (value, cas).
    pub shared: BTreeMap<Vec<u8>, (Vec<u8>, u32)>,
    next_cas: u32,
    /// Metrics; a metric's id is its index plus one.
    pub metrics: Vec<MetricState>,
    /// The root context's tick period in milliseconds; 0 when off.
    pub tick_period_ms: u64,
    /// Whether the root context answered false to `proxy_on_done` and may call `proxy_done`.
    pub root_done_pending: bool,
    /// Set once the plugin calls `proxy_done` while `root_done_pending`.
    pub root_done_called: bool,
    /// `KEY=VALUE` strings for WASI.
    pub environment: Vec<Vec<u8>>,
    random: u64,
    /// What the run observed so far.
    pub transcript: Transcript,
}

impl HostState {
    /// A host with nothing running.
    pub fn new(limits: StoreLimits) -> Self {
        HostState {
            limits,
            guest: Guest::default(),
            log_bytes: 0,
            elapsed_ns: 0,
            log_level: LogLevel::Info,
            logging: false,
            vm_configuration: Vec::new(),
            plugin_configuration: Vec::new(),
            configuration_visible: None,
            current: ROOT_ID,
            effective: None,
            streams: FxHashMap::default(),
            connections: BTreeMap::new(),
            callouts: Callouts::default(),
            properties: BTreeMap::new(),
            tls: None,
            shared: BTreeMap::new(),
            next_cas: 1,
            metrics: Vec::new(),
            tick_period_ms: 0,
            root_done_pending: false,
            root_done_called: false,
            environment: Vec::new(),
            random: 0x9E37_79B9_7F4A_7C15,
            transcript: Transcript::default(),
        }
    }

    /// The context host calls act on.
    pub fn target(&self) -> u32 {
        self.effective.unwrap_or(self.current)
    }

    fn stream(&mut self) -> Option<&mut Stream> {
        let id = self.target();
        self.streams.get_mut(&id).map(|s| &mut **s)
    }

    fn connection(&mut self) -> Option<&mut Connection> {
        let id = self.target();
        self.connections.get_mut(&id)
    }

    /// Refuses a call: the plugin gets `status`, the transcript says why.
    pub(crate) fn refuse(
        &mut self,
        function: &'static str,
        status: Status,
        reason: impl Into<String>,
    ) -> Status {
        self.record_refusal(function, spec_name(status), reason.into());
        status
    }

    fn record_refusal(&mut self, function: &'static str, status: String, reason: String) {
        if self.transcript.refusals.len() >= MAX_REFUSALS {
            self.transcript.refusals_not_listed += 1;
            return;
        }
        let context = self.target();
        self.transcript.refusals.push(Refusal {
            context,
            function,
            status,
            reason,
        });
    }

    /// Refuses a call naming a map the context cannot read now.
    fn no_map(&mut self, function: &'static str, map: MapType) -> Status {
        let reason = format!(
            "context {} has no {map:?} map at this point (a stream's map can be read in the \
             callback that delivers it, while the plugin holds it there, and in proxy_on_log: \
             Envoy lets go of it once that callback returns Continue; a call's response maps \
             exist only in its response callback)",
            self.target()
        );
        self.refuse(function, Status::BadArgument, reason)
    }

    /// Refuses a change to a map the context cannot change now.
    fn fixed_map(&mut self, function: &'static str, map: MapType) -> Status {
        let reason = format!(
            "context {} cannot change a {map:?} map at this point (it is absent, or already \
             sent on, or a received call response)",
            self.target()
        );
        self.refuse(function, Status::BadArgument, reason)
    }

    /// Refuses a call naming a buffer the context cannot reach now.
    fn no_buffer(&mut self, function: &'static str, buffer: BufferType) -> Status {
        let reason = format!(
            "context {} has no {buffer:?} buffer at this point (bodies exist in their body \
             callback, configuration in proxy_on_vm_start/proxy_on_configure, call responses in \
             their callback)",
            self.target()
        );
        self.refuse(function, Status::NotFound, reason)
    }

    fn log(&mut self, level: &'static str, message: &[u8]) {
        if self.log_bytes.saturating_add(message.len()) > MAX_LOG_BYTES {
            self.transcript.logs_not_listed += 1;
            return;
        }
        self.log_bytes += message.len();
        let context = self.target();
        self.transcript.logs.push(Log {
            context,
            level,
            message: pairs::text(message),
        });
    }

    /// A header map of the target stream, readable once received, or the map the running call
    /// callback received.
    fn map(&mut self, map: MapType) -> Option<&mut Pairs> {
        if matches!(
            map,
            MapType::HttpCallResponseHeaders
                | MapType::HttpCallResponseTrailers
                | MapType::GrpcCallInitialMetadata
                | MapType::GrpcCallTrailingMetadata
        ) {
            return match (map, self.callouts.received.as_mut()?) {
                (MapType::HttpCallResponseHeaders, Received::HttpResponse { headers, .. }) => {
                    Some(headers)
                }
                (MapType::HttpCallResponseTrailers, Received::HttpResponse { trailers, .. }) => {
                    Some(trailers)
                }
                (MapType::GrpcCallInitialMetadata, Received::GrpcInitialMetadata(m))
                | (MapType::GrpcCallTrailingMetadata, Received::GrpcTrailingMetadata(m)) => Some(m),
                _ => None,
            };
        }
        let logging = self.logging;
        let s = self.stream()?;
        if !s.can_see(map, logging) {
            return None;
        }
        s.own_map(map)
    }

    /// A header map the plugin may change now: only in the callback that delivers it (spec v0.2.1
    /// `HTTP fields` lines 611-625; Envoy source/extensions/common/wasm/context.cc
    /// Context::decodeHeaders drops the map once the callback continues, so Context::getMap
    /// gives BadArgument for headers already sent on).
    fn map_mut(&mut self, map: MapType) -> Option<&mut Pairs> {
        let phase = self.stream()?.phase;
        let writable = matches!(
            (map, phase),
            (MapType::HttpRequestHeaders, Phase::RequestHeaders)
                | (MapType::HttpRequestTrailers, Phase::RequestTrailers)
                | (MapType::HttpResponseHeaders, Phase::ResponseHeaders)
                | (MapType::HttpResponseTrailers, Phase::ResponseTrailers)
        );
        if !writable {
            return None;
        }
        // What went on stays as it went (see `Sent`).
        if let (Some(s), Some(slot)) = (self.stream(), sent_slot(map))
            && s.sent[slot] == Sent::AsIs
        {
            let went = s.own_map(map).cloned().unwrap_or_default();
            s.sent[slot] = Sent::Was(went);
        }
        self.map(map)
    }

    /// The buffer `id` as the running callback sees it.
    fn buffer(&mut self, id: BufferType) -> Option<&mut Vec<u8>> {
        if matches!(
            id,
            BufferType::HttpCallResponseBody
                | BufferType::GrpcCallMessage
                | BufferType::ForeignFunctionArguments
        ) {
            return match (id, self.callouts.received.as_mut()?) {
                (BufferType::HttpCallResponseBody, Received::HttpResponse { body, .. })
                | (BufferType::GrpcCallMessage, Received::GrpcMessage(body))
                | (BufferType::ForeignFunctionArguments, Received::ForeignArguments(body)) => {
                    Some(body)
                }
                _ => None,
            };
        }
        match id {
            BufferType::VmConfiguration | BufferType::PluginConfiguration
                if self.configuration_visible == Some(id) =>
            {
                Some(if id == BufferType::VmConfiguration {
                    &mut self.vm_configuration
                } else {
                    &mut self.plugin_configuration
                })
            }
            BufferType::HttpRequestBody | BufferType::HttpResponseBody => {
                let want = if id == BufferType::HttpRequestBody {
                    Phase::RequestBody
                } else {
                    Phase::ResponseBody
                };
                let s = self.stream()?;
                (s.phase == want).then_some(&mut s.body)
            }
            BufferType::DownstreamData | BufferType::UpstreamData => {
                let want = if id == BufferType::DownstreamData {
                    TcpPhase::Downstream
                } else {
                    TcpPhase::Upstream
                };
                let c = self.connection()?;
                (c.phase == want).then_some(&mut c.data)
            }
            _ => None,
        }
    }

    /// A property value: set by the scenario or plugin, else derived from the stream.
    fn property(&self, path: &str) -> Option<Vec<u8>> {
        self.property_of(self.target(), path)
    }

    /// The filter state of the target stream or connection; the root context has none.
    fn filter_state(&mut self) -> Option<&mut FilterState> {
        let id = self.target();
        match self.streams.get_mut(&id) {
            Some(s) => Some(&mut s.filter_state),
            None => self.connections.get_mut(&id).map(|c| &mut c.filter_state),
        }
    }

    /// A value the plugin set, as Envoy finds one once no attribute has the path
    /// (source/extensions/common/wasm/context.cc `Context::findValue`): by the path's first
    /// segment alone, so a value set under a path of several segments is never found; or as the
    /// `filter_state` attribute's `wasm.<path>` entry.
    fn set_by_plugin(&mut self, segments: &[&[u8]]) -> Option<Vec<u8>> {
        let state = self.filter_state()?;
        let key = match segments {
            [key] => *key,
            [b"filter_state", key] => key.strip_prefix(b"wasm.")?,
            _ => return None,
        };
        state.get(key).cloned()
    }

    fn no_metric(&mut self, function: &'static str, id: u32) -> Status {
        let reason = format!("no metric {id} was defined");
        self.refuse(function, Status::NotFound, reason)
    }

    fn metric(&mut self, id: u32) -> Option<&mut MetricState> {
        let index = usize::try_from(id).ok()?.checked_sub(1)?;
        self.metrics.get_mut(index)
    }

    /// xorshift64*: deterministic bytes for `random_get`, so runs repeat exactly.
    fn next_random(&mut self) -> u8 {
        self.random ^= self.random >> 12;
        self.random ^= self.random << 25;
        self.random ^= self.random >> 27;
        (self.random.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
    }
}

/// A status or errno as the spec names it (`BAD_ARGUMENT`, `BADF`).
fn spec_name(status: impl std::fmt::Debug) -> String {
    format!("{status:?}").to_shouty_snake_case()
}

/// A property path: segments joined by 0x00, an optional trailing 0x00 (the C++ SDK sends one).
/// A property path without the trailing NUL the C++ SDK ends it with.
fn trimmed(path: &[u8]) -> &[u8] {
    path.strip_suffix(&[0]).unwrap_or(path)
}

/// A property path's segments joined by dots, as the scenario names properties.
fn property_path(path: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(trimmed(path)).ok()?;
    Some(text.split('\0').collect::<Vec<_>>().join("."))
}

/// `start..start + size` cut to a buffer of `len` bytes, as cpp-host clamps buffer ranges.
fn clamp(len: usize, start: u32, size: u32) -> std::ops::Range<usize> {
    let start = usize::try_from(start).unwrap_or(usize::MAX).min(len);
    let end = start
        .saturating_add(usize::try_from(size).unwrap_or(usize::MAX))
        .min(len);
    start..end
}

fn lower(name: &[u8]) -> Vec<u8> {
    name.to_ascii_lowercase()
}

/// Whether the stored (lower-cased) name `stored` is `name`, in any case, as Envoy's header maps
/// match names; compared without making a lower-cased copy.
fn named(stored: &[u8], name: &[u8]) -> bool {
    stored.eq_ignore_ascii_case(name)
}

fn level_name(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Trace => "trace",
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Warn => "warn",
        LogLevel::Error => "error",
        LogLevel::Critical => "critical",
    }
}

impl Host for HostState {
    fn guest(&mut self) -> Option<&mut Guest> {
        Some(&mut self.guest)
    }

    fn refused_by_glue(&mut self, function: &'static str, status: u32, why: GlueRefusal) {
        let name = Status::try_from(status).map_or_else(|_| status.to_string(), spec_name);
        self.record_refusal(function, name, why.to_string());
    }

    fn emscripten_notify_memory_growth(&mut self, memory_index: u32) -> Result<(), Trap> {
        // Nothing to do: guest memory is read afresh on every call (cpp-host's is empty too).
        let _ = memory_index;
        Ok(())
    }

    fn proxy_log(&mut self, log_level: LogLevel, message: &[u8]) -> Result<(), HostError<Status>> {
        self.log(level_name(log_level), message);
        Ok(())
    }

    fn proxy_get_log_level(&mut self) -> Result<LogLevel, HostError<Status>> {
        Ok(self.log_level)
    }

    fn proxy_get_current_time_nanoseconds(&mut self) -> Result<u64, HostError<Status>> {
        Ok(EPOCH_NS + self.elapsed_ns)
    }

    fn proxy_set_tick_period_milliseconds(
        &mut self,
        tick_period: u32,
    ) -> Result<(), HostError<Status>> {
        // The timer belongs to the root context (cpp-host keeps it per root context).
        if self.target() != ROOT_ID {
            let reason = format!(
                "context {} is not the root context, which owns the timer",
                self.target()
            );
            return Err(self
                .refuse(
                    "proxy_set_tick_period_milliseconds",
                    Status::BadArgument,
                    reason,
                )
                .into());
        }
        self.tick_period_ms = u64::from(tick_period);
        Ok(())
    }

    fn proxy_done(&mut self) -> Result<(), HostError<Status>> {
        // cpp-host `WasmBase::done`: NotFound unless the root context is pending completion.
        if !self.root_done_pending || self.target() != ROOT_ID {
            let reason =
                "only the root context may call it, after answering false to proxy_on_done";
            return Err(self.refuse("proxy_done", Status::NotFound, reason).into());
        }
        self.root_done_called = true;
        Ok(())
    }

    fn proxy_set_effective_context(&mut self, context_id: u32) -> Result<(), HostError<Status>> {
        if context_id != ROOT_ID
            && !self.streams.contains_key(&context_id)
            && !self.connections.contains_key(&context_id)
        {
            let reason = format!("no context {context_id} is alive");
            return Err(self
                .refuse("proxy_set_effective_context", Status::BadArgument, reason)
                .into());
        }
        self.effective = Some(context_id);
        Ok(())
    }

    fn proxy_get_buffer_bytes(
        &mut self,
        buffer_id: BufferType,
        start: u32,
        max_size: u32,
    ) -> Result<Vec<u8>, HostError<Status>> {
        const NAME: &str = "proxy_get_buffer_bytes";
        if start.checked_add(max_size).is_none() {
            let reason = format!("start {start} + max_size {max_size} overflows 32 bits");
            return Err(self.refuse(NAME, Status::BadArgument, reason).into());
        }
        let Some(buffer) = self.buffer(buffer_id) else {
            return Err(self.no_buffer(NAME, buffer_id).into());
        };
        Ok(buffer[clamp(buffer.len(), start, max_size)].to_vec())
    }

    fn proxy_set_buffer_bytes(
        &mut self,
        buffer_id: BufferType,
        start: u32,
        size: u32,
        value: &[u8],
    ) -> Result<(), HostError<Status>> {
        const NAME: &str = "proxy_set_buffer_bytes";
        // What the host received or was configured with is read-only (Envoy: BadArgument).
        if matches!(
            buffer_id,
            BufferType::VmConfiguration
                | BufferType::PluginConfiguration
                | BufferType::HttpCallResponseBody
                | BufferType::GrpcCallMessage
                | BufferType::ForeignFunctionArguments
        ) {
            let reason = format!("the {buffer_id:?} buffer is read-only");
            return Err(self.refuse(NAME, Status::BadArgument, reason).into());
        }
        let Some(buffer) = self.buffer(buffer_id) else {
            return Err(self.no_buffer(NAME, buffer_id).into());
        };
        let range = clamp(buffer.len(), start, size);
        buffer.splice(range, value.iter().copied());
        Ok(())
    }

    fn proxy_get_buffer_status(
        &mut self,
        buffer_id: BufferType,
    ) -> Result<(u32, u32), HostError<Status>> {
        let Some(buffer) = self.buffer(buffer_id) else {
            return Err(self.no_buffer("proxy_get_buffer_status", buffer_id).into());
        };
        // Flags are unused; cpp-host writes 0.
        Ok((u32::try_from(buffer.len()).unwrap_or(u32::MAX), 0))
    }

    fn proxy_get_header_map_size(&mut self, map_id: MapType) -> Result<u32, HostError<Status>> {
        let Some(map) = self.map(map_id) else {
            return Err(self.no_map("proxy_get_header_map_size", map_id).into());
        };
        Ok(u32::try_from(pairs::encode(map).len()).unwrap_or(u32::MAX))
    }

    fn proxy_get_header_map_pairs(
        &mut self,
        map_id: MapType,
    ) -> Result<Vec<u8>, HostError<Status>> {
        // cpp-host/Envoy: a map that does not exist here reads as empty.
        Ok(self
            .map(map_id)
            .map(|m| pairs::encode(m))
            .unwrap_or_default())
    }

    fn proxy_set_header_map_pairs(
        &mut self,
        map_id: MapType,
        serialized_pairs: &[u8],
    ) -> Result<(), HostError<Status>> {
        const NAME: &str = "proxy_set_header_map_pairs";
        let Some(new) = pairs::decode(serialized_pairs) else {
            let reason = "the pairs are not in the header-map format";
            return Err(self.refuse(NAME, Status::BadArgument, reason).into());
        };
        let Some(map) = self.map_mut(map_id) else {
            return Err(self.fixed_map(NAME, map_id).into());
        };
        *map = new.into_iter().map(|(k, v)| (lower(&k), v)).collect();
        Ok(())
    }

    fn proxy_get_header_map_value(
        &mut self,
        map_id: MapType,
        key: &[u8],
    ) -> Result<Vec<u8>, HostError<Status>> {
        let Some(map) = self.map(map_id) else {
            return Err(self.no_map("proxy_get_header_map_value", map_id).into());
        };
        // Envoy returns the first of repeated headers.
        map.iter()
            .find(|(k, _)| named(k, key))
            .map(|(_, v)| v.clone())
            .ok_or(Status::NotFound.into())
    }

    fn proxy_add_header_map_value(
        &mut self,
        map_id: MapType,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), HostError<Status>> {
        let Some(map) = self.map_mut(map_id) else {
            return Err(self.fixed_map("proxy_add_header_map_value", map_id).into());
        };
        map.push((lower(key), value.to_vec()));
        Ok(())
    }

    fn proxy_replace_header_map_value(
        &mut self,
        map_id: MapType,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), HostError<Status>> {
        let Some(map) = self.map_mut(map_id) else {
            return Err(self
                .fixed_map("proxy_replace_header_map_value", map_id)
                .into());
        };
        // Envoy `setCopy`: one entry in place of the first, the others removed.
        match map.iter().position(|(k, _)| named(k, key)) {
            Some(at) => {
                let kept = &mut map[at].1;
                if kept.capacity() < value.len() {
                    // A fresh buffer: growing the old one would copy what it held.
                    *kept = value.to_vec();
                } else {
                    kept.clear();
                    kept.extend_from_slice(value);
                }
                let mut index = 0;
                map.retain(|(k, _)| {
                    index += 1;
                    index - 1 == at || !named(k, key)
                });
            }
            None => map.push((lower(key), value.to_vec())),
        }
        Ok(())
    }

    fn proxy_remove_header_map_value(
        &mut self,
        map_id: MapType,
        key: &[u8],
    ) -> Result<(), HostError<Status>> {
        let Some(map) = self.map_mut(map_id) else {
            return Err(self
                .fixed_map("proxy_remove_header_map_value", map_id)
                .into());
        };
        map.retain(|(k, _)| !named(k, key));
        Ok(())
    }

    fn proxy_continue_stream(&mut self, stream_type: StreamType) -> Result<(), HostError<Status>> {
        let id = self.target();
        match stream_type {
            StreamType::HttpRequest | StreamType::HttpResponse => {
                // Envoy continues decoding or encoding, the direction named
                // (source/extensions/common/wasm/context.cc Context::continueStream); a stream
                // paused in the other direction stays paused.
                if let Some(s) = self.streams.get_mut(&id)
                    && (s.phase < Phase::ResponseHeaders)
                        == (stream_type == StreamType::HttpRequest)
                {
                    s.resumed = true;
                }
            }
            StreamType::Downstream => {
                if let Some(c) = self.connections.get_mut(&id) {
                    c.resumed = true;
                }
            }
            // Envoy cannot resume upstream data either.
            StreamType::Upstream => {
                let reason = "Envoy cannot resume upstream data";
                let status = Status::Unimplemented;
                return Err(self.refuse("proxy_continue_stream", status, reason).into());
            }
        }
        // Envoy: a stream type the context does not have is a no-op, not an error.
        Ok(())
    }

    fn proxy_close_stream(&mut self, stream_type: StreamType) -> Result<(), HostError<Status>> {
        let id = self.target();
        match stream_type {
            // Envoy resets the HTTP stream whichever direction is named.
            StreamType::HttpRequest | StreamType::HttpResponse => {
                if let Some(s) = self.streams.get_mut(&id) {
                    s.reset = true;
                }
            }
            StreamType::Downstream | StreamType::Upstream => {
                if let Some(c) = self.connections.get_mut(&id) {
                    c.closed_by_plugin
                        .get_or_insert(if stream_type == StreamType::Downstream {
                            "downstream"
                        } else {
                            "upstream"
                        });
                }
            }
        }
        Ok(())
    }

    fn proxy_get_status(&mut self) -> Result<(u32, Vec<u8>), HostError<Status>> {
        Ok(self.callouts.status.clone())
    }

    fn proxy_send_local_response(
        &mut self,
        status_code: u32,
        status_code_details: &[u8],
        body: &[u8],
        serialized_headers: &[u8],
        grpc_status: i32,
    ) -> Result<(), HostError<Status>> {
        const NAME: &str = "proxy_send_local_response";
        let Some(headers) = pairs::decode(serialized_headers) else {
            let reason = "the headers are not in the header-map format";
            return Err(self.refuse(NAME, Status::BadArgument, reason).into());
        };
        let context = self.target();
        // Only a stream can be answered (APISIX: "no current request" is BadArgument).
        let Some(stream) = self.stream() else {
            let reason = format!("context {context} is not an HTTP stream");
            return Err(self.refuse(NAME, Status::BadArgument, reason).into());
        };
        if let Some(first) = stream.local_response.as_ref().map(|l| l.status) {
            // Envoy sends each reply after the callback returns, in order
            // (source/extensions/common/wasm/context.cc Context::sendLocalResponse,
            // addAfterVmCallAction): the first ends the stream, so this one never reaches the
            // client. Envoy still answers OK.
            let message = format!(
                "a second local response ({status_code}) in one callback is dropped: the stream \
                 already answers {first}"
            );
            self.transcript.errors.push(Failure {
                context: Some(context),
                callback: "proxy_send_local_response".into(),
                message,
            });
            return Ok(());
        }
        stream.local_response = Some(LocalResponse {
            status: status_code,
            headers: headers.into_iter().map(|(k, v)| (lower(&k), v)).collect(),
            body: body.to_vec(),
            grpc_status: u32::try_from(grpc_status).ok().filter(|s| *s <= 16),
            details: status_code_details.to_vec(),
        });
        Ok(())
    }

    fn proxy_set_shared_data(
        &mut self,
        key: &[u8],
        value: &[u8],
        cas: u32,
    ) -> Result<(), HostError<Status>> {
        if let Some((_, stored)) = self.shared.get(key)
            && cas != 0
            && cas != *stored
        {
            let reason = format!("cas {cas} is not the value's current cas {stored}");
            return Err(self
                .refuse("proxy_set_shared_data", Status::CasMismatch, reason)
                .into());
        }
        let new = self.next_cas;
        self.next_cas = self.next_cas.wrapping_add(1).max(1);
        self.shared.insert(key.to_vec(), (value.to_vec(), new));
        Ok(())
    }

    fn proxy_get_shared_data(&mut self, key: &[u8]) -> Result<(Vec<u8>, u32), HostError<Status>> {
        self.shared.get(key).cloned().ok_or(Status::NotFound.into())
    }

    fn proxy_http_call(
        &mut self,
        upstream_name: &[u8],
        serialized_headers: &[u8],
        body: &[u8],
        serialized_trailers: &[u8],
        timeout: u32,
    ) -> Result<u32, HostError<Status>> {
        let (headers, trailers) = (serialized_headers, serialized_trailers);
        Ok(self.http_call(upstream_name, headers, body, trailers, timeout)?)
    }

    fn proxy_grpc_call(
        &mut self,
        upstream_name: &[u8],
        service_name: &[u8],
        method_name: &[u8],
        serialized_initial_metadata: &[u8],
        message: &[u8],
        timeout: u32,
    ) -> Result<u32, HostError<Status>> {
        // Unary answers arrive right after the callback, so the timeout never fires here.
        let _ = timeout;
        let metadata = serialized_initial_metadata;
        Ok(self.grpc_open(
            upstream_name,
            service_name,
            method_name,
            metadata,
            Some(message),
        )?)
    }

    fn proxy_grpc_stream(
        &mut self,
        upstream_name: &[u8],
        service_name: &[u8],
        method_name: &[u8],
        serialized_initial_metadata: &[u8],
    ) -> Result<u32, HostError<Status>> {
        let metadata = serialized_initial_metadata;
        Ok(self.grpc_open(upstream_name, service_name, method_name, metadata, None)?)
    }

    fn proxy_grpc_send(
        &mut self,
        stream_id: u32,
        message: &[u8],
        end_stream: bool,
    ) -> Result<(), HostError<Status>> {
        Ok(self.grpc_send(stream_id, message, end_stream)?)
    }

    fn proxy_grpc_cancel(&mut self, call_or_stream_id: u32) -> Result<(), HostError<Status>> {
        Ok(self.grpc_end(call_or_stream_id, false)?)
    }

    fn proxy_grpc_close(&mut self, call_or_stream_id: u32) -> Result<(), HostError<Status>> {
        Ok(self.grpc_end(call_or_stream_id, true)?)
    }

    fn proxy_register_shared_queue(&mut self, name: &[u8]) -> Result<u32, HostError<Status>> {
        Ok(self.register_queue(name)?)
    }

    fn proxy_resolve_shared_queue(
        &mut self,
        vm_id: &[u8],
        name: &[u8],
    ) -> Result<u32, HostError<Status>> {
        Ok(self.resolve_queue(vm_id, name)?)
    }

    fn proxy_enqueue_shared_queue(
        &mut self,
        queue_id: u32,
        value: &[u8],
    ) -> Result<(), HostError<Status>> {
        Ok(self.enqueue(queue_id, value)?)
    }

    fn proxy_dequeue_shared_queue(&mut self, queue_id: u32) -> Result<Vec<u8>, HostError<Status>> {
        Ok(self.dequeue(queue_id)?)
    }

    fn proxy_call_foreign_function(
        &mut self,
        name: &[u8],
        arguments: &[u8],
    ) -> Result<Vec<u8>, HostError<Status>> {
        Ok(self.call_foreign(name, arguments)?)
    }

    fn proxy_define_metric(
        &mut self,
        metric_type: MetricType,
        name: &[u8],
    ) -> Result<u32, HostError<Status>> {
        let name = String::from_utf8_lossy(name).into_owned();
        // Defining a metric again returns the same id (Envoy).
        let index = match self.metrics.iter().position(|m| m.name == name) {
            Some(i) if self.metrics[i].kind == metric_type => i,
            Some(i) => {
                let reason = format!("`{name}` is already a {:?}", self.metrics[i].kind);
                return Err(self
                    .refuse("proxy_define_metric", Status::BadArgument, reason)
                    .into());
            }
            None => {
                self.metrics.push(MetricState {
                    name,
                    kind: metric_type,
                    value: 0,
                });
                self.metrics.len() - 1
            }
        };
        u32::try_from(index + 1).map_err(|_| Status::InternalFailure.into())
    }

    fn proxy_record_metric(&mut self, metric_id: u32, value: u64) -> Result<(), HostError<Status>> {
        let Some(m) = self.metric(metric_id) else {
            return Err(self.no_metric("proxy_record_metric", metric_id).into());
        };
        let value = i64::try_from(value).unwrap_or(i64::MAX);
        match m.kind {
            // Envoy adds to a counter, sets a gauge, records a histogram sample.
            MetricType::Counter => m.value = m.value.saturating_add(value),
            MetricType::Gauge | MetricType::Histogram => m.value = value,
        }
        Ok(())
    }

    fn proxy_increment_metric(
        &mut self,
        metric_id: u32,
        delta: i64,
    ) -> Result<(), HostError<Status>> {
        const NAME: &str = "proxy_increment_metric";
        let Some(m) = self.metric(metric_id) else {
            return Err(self.no_metric(NAME, metric_id).into());
        };
        let reason = match m.kind {
            MetricType::Counter if delta <= 0 => "a counter only goes up",
            MetricType::Histogram => "a histogram records samples; it has nothing to increment",
            MetricType::Counter | MetricType::Gauge => {
                m.value = m.value.saturating_add(delta);
                return Ok(());
            }
        };
        Err(self.refuse(NAME, Status::BadArgument, reason).into())
    }

    fn proxy_get_metric(&mut self, metric_id: u32) -> Result<u64, HostError<Status>> {
        const NAME: &str = "proxy_get_metric";
        let Some(m) = self.metric(metric_id) else {
            return Err(self.no_metric(NAME, metric_id).into());
        };
        if m.kind == MetricType::Histogram {
            let reason = "a histogram has no single value to read (Envoy)";
            return Err(self.refuse(NAME, Status::BadArgument, reason).into());
        }
        // Gauges may be negative; the ABI carries the two's-complement bits.
        Ok(m.value as u64)
    }

    fn proxy_get_property(&mut self, raw: &[u8]) -> Result<Vec<u8>, HostError<Status>> {
        const NAME: &str = "proxy_get_property";
        let path = property_path(raw);
        if let Some(value) = path.as_deref().and_then(|p| self.property(p)) {
            return Ok(value);
        }
        let segments: Vec<&[u8]> = trimmed(raw).split(|b| *b == 0).collect();
        if let Some(value) = self.set_by_plugin(&segments) {
            return Ok(value);
        }
        let shown = path.unwrap_or_else(|| String::from_utf8_lossy(raw).replace('\0', "."));
        let mut reason = format!(
            "no property `{shown}` here: the scenario's `properties` do not set it, this context \
             does not derive it and the plugin did not set it in this stream or connection"
        );
        let whole = trimmed(raw);
        if segments.len() > 1 && self.filter_state().is_some_and(|s| s.contains_key(whole)) {
            reason.push_str(
                "; the plugin set it under this path of several segments, and Envoy looks a \
                 value the plugin set up by the first segment alone, so never finds it",
            );
        }
        Err(self.refuse(NAME, Status::NotFound, reason).into())
    }

    fn proxy_set_property(&mut self, path: &[u8], value: &[u8]) -> Result<(), HostError<Status>> {
        let path = trimmed(path).to_vec();
        let Some(state) = self.filter_state() else {
            let reason = "the root context has no stream or connection to keep the value with \
                          (Envoy: no stream info, so Context::setProperty answers NotFound)";
            return Err(self
                .refuse("proxy_set_property", Status::NotFound, reason)
                .into());
        };
        state.insert(path, value.to_vec());
        Ok(())
    }
}

/// WASI's fd_write right, the only right cpp-host reports for stdout and stderr.
const FD_WRITE_RIGHT: u64 = 64;

impl Wasi for HostState {
    fn guest(&mut self) -> Option<&mut Guest> {
        Some(&mut self.guest)
    }

    fn refused_by_glue(&mut self, function: &'static str, status: u32, why: GlueRefusal) {
        let errno = u16::try_from(status)
            .ok()
            .and_then(|e| Errno::try_from(e).ok());
        let name = errno.map_or_else(|| status.to_string(), spec_name);
        self.record_refusal(function, name, why.to_string());
    }

    fn fd_write(&mut self, fd_id: Fd, iovec: &[&[u8]]) -> Result<u32, HostError<Errno>> {
        let text: Vec<u8> = iovec.concat();
        let stream = if fd_id == Fd::Stdout {
            "stdout"
        } else {
            "stderr"
        };
        // One log line per line written, as cpp-host logs fd_write output line by line.
        for line in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            self.log(stream, line);
        }
        u32::try_from(text.len()).map_err(|_| Errno::Inval.into())
    }

    fn clock_time_get(&mut self, clock_id: ClockId, unused: u64) -> Result<u64, HostError<Errno>> {
        let _ = unused;
        Ok(match clock_id {
            ClockId::Realtime => EPOCH_NS + self.elapsed_ns,
            ClockId::Monotonic => self.elapsed_ns,
        })
    }

    fn random_get(&mut self, buffer: &mut [u8]) -> Result<(), HostError<Errno>> {
        // cpp-host refuses more than 64 KiB at once.
        if buffer.len() > 64 * 1024 {
            return Err(Errno::Inval.into());
        }
        for b in buffer.iter_mut() {
            *b = self.next_random();
        }
        Ok(())
    }

    fn environ_sizes_get(&mut self) -> Result<(u32, u32), HostError<Errno>> {
        let count = u32::try_from(self.environment.len()).map_err(|_| Errno::Inval)?;
        let bytes: usize = self.environment.iter().map(|e| e.len() + 1).sum();
        Ok((count, u32::try_from(bytes).map_err(|_| Errno::Inval)?))
    }

    fn environ_get(&mut self) -> Result<Vec<Vec<u8>>, HostError<Errno>> {
        Ok(self.environment.clone())
    }

    fn args_sizes_get(&mut self) -> Result<(u32, u32), HostError<Errno>> {
        Ok((0, 0))
    }

    fn args_get(&mut self) -> Result<Vec<Vec<u8>>, HostError<Errno>> {
        Ok(Vec::new())
    }

    fn poll_oneoff(
        &mut self,
        subscriptions: u32,
        events: u32,
        count: u32,
    ) -> Result<u32, HostError<Errno>> {
        // cpp-host: nothing to wait on, so no events, at once (virtual time does not move).
        let _ = (subscriptions, events, count);
        Ok(0)
    }

    fn sched_yield(&mut self) -> Result<(), HostError<Errno>> {
        Ok(())
    }

    // The rest of WASI preview 1 answers as proxy-wasm-cpp-host does (src/exports.cc, each
    // `wasi_unstable_<name>`): a host without files or sockets; stdout and stderr accept what
    // changes nothing.
    fn fd_read(&mut self, _: u32, _: u32, _: u32, _: u32) -> Result<(), HostError<Errno>> {
        Err(Errno::Nosys.into())
    }

    fn fd_seek(&mut self, _: u32, _: i64, _: u32, _: u32) -> Result<(), HostError<Errno>> {
        self.log("error", b"wasi_unstable fd_seek");
        Ok(())
    }

    fn fd_close(&mut self, _: u32) -> Result<(), HostError<Errno>> {
        self.log("error", b"wasi_unstable fd_close");
        Ok(())
    }

    fn fd_fdstat_get(&mut self, _: Fd) -> Result<Fdstat, HostError<Errno>> {
        Ok(Fdstat {
            fs_filetype: 0,
            fs_flags: 0,
            fs_rights_base: FD_WRITE_RIGHT,
            fs_rights_inheriting: 0,
        })
    }

    fn fd_fdstat_set_flags(&mut self, _: u32, _: u32) -> Result<(), HostError<Errno>> {
        Err(Errno::Nosys.into())
    }

    fn fd_fdstat_set_rights(&mut self, _: Fd, _: u64, _: u64) -> Result<(), HostError<Errno>> {
        Ok(())
    }

    fn clock_res_get(&mut self, _: ClockId) -> Result<u64, HostError<Errno>> {
        Ok(1)
    }

    fn fd_advise(&mut self, _: u32, _: u64, _: u64, _: u32) -> Result<(), HostError<Errno>> {
        Ok(())
    }

    fn fd_allocate(&mut self, _: Fd, _: u64, _: u64) -> Result<(), HostError<Errno>> {
        Ok(())
    }

    fn fd_datasync(&mut self, _: Fd) -> Result<(), HostError<Errno>> {
        Ok(())
    }

    fn fd_filestat_set_size(&mut self, _: Fd, _: u64) -> Result<(), HostError<Errno>> {
        Ok(())
    }

    fn fd_filestat_set_times(
        &mut self,
        _: Fd,
        _: u64,
        _: u64,
        _: u32,
    ) -> Result<(), HostError<Errno>> {
        Ok(())
    }

    fn fd_pread(&mut self, _: u32, _: u32, _: u32, _: u64, _: u32) -> Result<(), HostError<Errno>> {
        Err(Errno::Nosys.into())
    }

    fn fd_pwrite(&mut self, fd: Fd, iovs: &[&[u8]], _: u64) -> Result<u32, HostError<Errno>> {
        self.fd_write(fd, iovs)
    }

    fn fd_readdir(&mut self, _: u32, _: u32, _: u32, _: u64) -> Result<u32, HostError<Errno>> {
        Err(Errno::Notdir.into())
    }

    fn fd_renumber(&mut self, fd: u32, to: u32) -> Result<(), HostError<Errno>> {
        let known = |fd| fd == u32::from(Fd::Stdout) || fd == u32::from(Fd::Stderr);
        Err(if known(fd) && known(to) {
            Errno::Notsup
        } else {
            Errno::Badf
        }
        .into())
    }

    fn fd_sync(&mut self, _: Fd) -> Result<(), HostError<Errno>> {
        Ok(())
    }

    fn fd_tell(&mut self, _: Fd) -> Result<u64, HostError<Errno>> {
        Ok(0)
    }

    fn path_create_directory(&mut self, _: u32, _: u32, _: u32) -> Result<(), HostError<Errno>> {
        Err(Errno::Notsup.into())
    }

    fn path_filestat_set_times(
        &mut self,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
        _: u64,
        _: u64,
        _: u32,
    ) -> Result<(), HostError<Errno>> {
        Err(Errno::Notsup.into())
    }

    fn path_link(
        &mut self,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
    ) -> Result<(), HostError<Errno>> {
        Err(Errno::Notsup.into())
    }

    fn path_readlink(
        &mut self,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
    ) -> Result<u32, HostError<Errno>> {
        Err(Errno::Notsup.into())
    }

    fn path_remove_directory(&mut self, _: u32, _: u32, _: u32) -> Result<(), HostError<Errno>> {
        Err(Errno::Notsup.into())
    }

    fn path_rename(
        &mut self,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
    ) -> Result<(), HostError<Errno>> {
        Err(Errno::Notsup.into())
    }

    fn path_symlink(
        &mut self,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
    ) -> Result<(), HostError<Errno>> {
        Err(Errno::Notsup.into())
    }

    fn path_unlink_file(&mut self, _: u32, _: u32, _: u32) -> Result<(), HostError<Errno>> {
        Err(Errno::Notsup.into())
    }

    fn sock_accept(&mut self, _: u32, _: u32) -> Result<u64, HostError<Errno>> {
        Err(Errno::Notsup.into())
    }

    fn sock_recv(
        &mut self,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
    ) -> Result<(u32, u16), HostError<Errno>> {
        Err(Errno::Notsup.into())
    }

    fn sock_send(&mut self, _: u32, _: u32, _: u32, _: u32) -> Result<u32, HostError<Errno>> {
        Err(Errno::Notsup.into())
    }

    fn sock_shutdown(&mut self, _: u32, _: u32) -> Result<(), HostError<Errno>> {
        Err(Errno::Notsup.into())
    }

    fn path_open(
        &mut self,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
        _: u64,
        _: u64,
        _: u32,
        _: u32,
    ) -> Result<(), HostError<Errno>> {
        Err(Errno::Noent.into())
    }

    fn fd_prestat_get(&mut self, _: u32, _: u32) -> Result<(), HostError<Errno>> {
        Err(Errno::Badf.into())
    }

    fn fd_prestat_dir_name(&mut self, _: u32, _: u32, _: u32) -> Result<(), HostError<Errno>> {
        Err(Errno::Nosys.into())
    }

    fn path_filestat_get(
        &mut self,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
    ) -> Result<(), HostError<Errno>> {
        Err(Errno::Notsup.into())
    }

    fn fd_filestat_get(&mut self, _: u32, _: u32) -> Result<(), HostError<Errno>> {
        Err(Errno::Badf.into())
    }

    fn proc_exit(&mut self, exit_code: u32) -> Result<(), Trap> {
        // WASI's proc_exit does not return (wasi-libc declares it noreturn), so the instance ends
        // here, as wasmtime-wasi ends it with I32Exit; the driver calls it no more. The spec says
        // it is never called (spec v0.2.1 `wasi_snapshot_preview1.proc_exit` line 1921);
        // proxy-wasm-cpp-host logs it and returns (src/exports.cc wasi_unstable_proc_exit).
        Err(Trap::Exit(exit_code))
    }
}
