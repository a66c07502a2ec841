//! What an embedder lends `proxy-wasm-host`: the log sink, a virtual clock, the HTTP-call
//! service and the per-stream state. Where the library leaves a decision to the embedder (which
//! maps and buffers exist in which callback, properties, header-name case, what a local
//! response or a resume does) this adapter decides as the reference host does, so that a
//! failing case points at the library rather than at the adapter.

use proxy_wasm_host::abi::v0_2_1::types::{BufferType, LogLevel, MapType, Status, StreamType};
use proxy_wasm_host::abi::v0_2_1::{
    Access, CalloutId, Callouts, Clock, ForeignCall, GrpcCall, GrpcOpenRefusal, GrpcStream,
    HttpCall, HttpCallRefusal, Invocation, LocalResponse, LogContext, LogSink, QueueId,
    StreamState,
};
use proxy_wasm_host::{Buffer, HeaderMap, NotAllowed, PairVisitor, VecHeaderMap};
use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use proxy_wasm_interchange::protocol::Event;
use proxy_wasm_interchange::scenario::{GrpcReply, HttpReply, Scenario};

/// A lock that survives a panic elsewhere: the data are plain lists.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Collects the plugin's log (and WASI writes, which the library routes here) as protocol
/// `log` event lines; JSON keeps every message on one line whatever it contains.
#[derive(Default)]
pub struct Sink {
    pub lines: Mutex<Vec<String>>,
}

impl LogSink for Sink {
    fn log(&self, context: LogContext<'_>, level: LogLevel, message: &[u8]) {
        let line = Event::Log {
            level: Some(level_name(level).to_string()),
            context: context.call.map(|call| call.context.get()),
            message: String::from_utf8_lossy(message).into_owned(),
        };
        lock(&self.lines).push(line.line());
    }
}

fn level_name(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Trace => "trace",
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Warn => "warn",
        LogLevel::Error => "error",
        _ => "critical",
    }
}

/// The reference host's fixed epoch (2024-01-01T00:00:00Z), so time reads repeat exactly.
const EPOCH_NS: u64 = 1_704_067_200_000_000_000;

/// Virtual time: only `tick` events move it, so tick cases do not depend on machine load.
#[derive(Default)]
pub struct VirtualClock {
    pub elapsed_ns: AtomicU64,
}

impl Clock for VirtualClock {
    fn realtime_nanos(&self) -> u64 {
        EPOCH_NS.saturating_add(self.elapsed_ns.load(Ordering::Relaxed))
    }

    fn monotonic_nanos(&self) -> u64 {
        self.elapsed_ns.load(Ordering::Relaxed)
    }
}

/// An answer owed to the plugin, delivered right after the callback that caused it.
pub enum Owed {
    /// A `proxy_http_call` reply (`None`: the call failed).
    HttpResponse {
        caller: Invocation,
        callout: CalloutId,
        reply: Option<HttpReply>,
    },
    /// A part of a gRPC call's or stream's answer.
    Grpc {
        caller: Invocation,
        callout: CalloutId,
        part: GrpcPart,
    },
    /// An item arrived on a queue.
    QueueReady(QueueId),
}

/// What a gRPC upstream sends, in the order it arrives.
pub enum GrpcPart {
    InitialMetadata(Vec<(String, String)>),
    Message(proxy_wasm_interchange::Bytes),
    TrailingMetadata(Vec<(String, String)>),
    Close(u32, String),
}

impl GrpcPart {
    /// The callback that delivers it.
    pub fn callback(&self) -> &'static str {
        match self {
            GrpcPart::InitialMetadata(_) => "proxy_on_grpc_receive_initial_metadata",
            GrpcPart::Message(_) => "proxy_on_grpc_receive",
            GrpcPart::TrailingMetadata(_) => "proxy_on_grpc_receive_trailing_metadata",
            GrpcPart::Close(..) => "proxy_on_grpc_close",
        }
    }
}

/// A gRPC stream the plugin has not half-closed or cancelled yet.
struct OpenStream {
    caller: Invocation,
    callout: CalloutId,
    reply: GrpcReply,
}

/// Scripts not used yet, and the open gRPC streams.
#[derive(Default)]
struct Scripts {
    http: BTreeMap<Vec<u8>, VecDeque<HttpReply>>,
    grpc: BTreeMap<Vec<u8>, VecDeque<GrpcReply>>,
    streams: Vec<OpenStream>,
}

/// Answers `proxy_http_call`, `proxy_grpc_call` and `proxy_grpc_stream` from the scenario's
/// scripts, as the reference host does; the answers are queued in `owed`.
pub struct ScriptedCallouts {
    scripts: Mutex<Scripts>,
    owed: Arc<Mutex<VecDeque<Owed>>>,
}

fn scripts<T: Clone>(named: &BTreeMap<String, Vec<T>>) -> BTreeMap<Vec<u8>, VecDeque<T>> {
    named
        .iter()
        .map(|(name, replies)| (name.as_bytes().to_vec(), replies.iter().cloned().collect()))
        .collect()
}

/// gRPC's UNAVAILABLE: what a scripted upstream with no reply left answers.
fn unavailable() -> GrpcReply {
    GrpcReply {
        status: 14,
        status_message: "no scripted reply left".into(),
        ..GrpcReply::default()
    }
}

impl ScriptedCallouts {
    pub fn new(scenario: &Scenario, owed: Arc<Mutex<VecDeque<Owed>>>) -> Self {
        ScriptedCallouts {
            scripts: Mutex::new(Scripts {
                http: scripts(&scenario.upstreams),
                grpc: scripts(&scenario.grpc_upstreams),
                streams: Vec::new(),
            }),
            owed,
        }
    }

    fn owe(&self, caller: Invocation, callout: CalloutId, part: GrpcPart) {
        lock(&self.owed).push_back(Owed::Grpc {
            caller,
            callout,
            part,
        });
    }

    /// Queues the rest of a stream's answer, through its close.
    fn finish(&self, stream: OpenStream) {
        let OpenStream {
            caller,
            callout,
            reply,
        } = stream;
        for message in reply.messages {
            self.owe(caller, callout, GrpcPart::Message(message));
        }
        if !reply.trailing_metadata.is_empty() {
            self.owe(
                caller,
                callout,
                GrpcPart::TrailingMetadata(reply.trailing_metadata),
            );
        }
        self.owe(
            caller,
            callout,
            GrpcPart::Close(reply.status.cast_unsigned(), reply.status_message),
        );
    }

    fn take_stream(&self, callout: CalloutId) -> Option<OpenStream> {
        let mut scripts = lock(&self.scripts);
        let at = scripts.streams.iter().position(|s| s.callout == callout)?;
        Some(scripts.streams.remove(at))
    }
}

impl Callouts for ScriptedCallouts {
    fn http_call(
        &self,
        call: Invocation,
        callout: CalloutId,
        request: HttpCall<'_>,
    ) -> Result<(), HttpCallRefusal> {
        // An upstream the scenario does not name is unknown (BAD_ARGUMENT); one whose script is
        // used up fails the call, as on the reference host.
        let reply = lock(&self.scripts)
            .http
            .get_mut(request.upstream.as_ref())
            .ok_or(HttpCallRefusal::UnknownUpstream)?
            .pop_front()
            .filter(|reply| !reply.fail);
        lock(&self.owed).push_back(Owed::HttpResponse {
            caller: call,
            callout,
            reply,
        });
        Ok(())
    }

    fn grpc_call(
        &self,
        call: Invocation,
        callout: CalloutId,
        request: GrpcCall<'_>,
    ) -> Result<(), GrpcOpenRefusal> {
        let reply = lock(&self.scripts)
            .grpc
            .get_mut(request.upstream.as_ref())
            .ok_or(GrpcOpenRefusal::UnknownUpstream)?
            .pop_front()
            .unwrap_or_else(unavailable);
        if !reply.initial_metadata.is_empty() {
            self.owe(
                call,
                callout,
                GrpcPart::InitialMetadata(reply.initial_metadata.clone()),
            );
        }
        // The library ends a unary call with its response message, so a call that has one
        // gets that and nothing after it; one without closes with its status.
        match reply.messages.first() {
            Some(message) => self.owe(call, callout, GrpcPart::Message(message.clone())),
            None => self.finish(OpenStream {
                caller: call,
                callout,
                reply,
            }),
        }
        Ok(())
    }

    fn grpc_stream(
        &self,
        call: Invocation,
        callout: CalloutId,
        request: GrpcStream<'_>,
    ) -> Result<(), GrpcOpenRefusal> {
        let mut scripts = lock(&self.scripts);
        let reply = scripts
            .grpc
            .get_mut(request.upstream.as_ref())
            .ok_or(GrpcOpenRefusal::UnknownUpstream)?
            .pop_front()
            .unwrap_or_else(unavailable);
        if !reply.initial_metadata.is_empty() {
            self.owe(
                call,
                callout,
                GrpcPart::InitialMetadata(reply.initial_metadata.clone()),
            );
        }
        scripts.streams.push(OpenStream {
            caller: call,
            callout,
            reply,
        });
        Ok(())
    }

    fn grpc_send(
        &self,
        _call: Invocation,
        callout: CalloutId,
        _message: &[u8],
        end_of_stream: bool,
    ) -> Result<(), Status> {
        // The upstream answers each message with its next scripted one.
        let mut stream = self.take_stream(callout).ok_or(Status::NotFound)?;
        if !stream.reply.messages.is_empty() {
            let answer = stream.reply.messages.remove(0);
            self.owe(stream.caller, callout, GrpcPart::Message(answer));
        }
        if end_of_stream {
            self.finish(stream);
        } else {
            lock(&self.scripts).streams.push(stream);
        }
        Ok(())
    }

    fn grpc_cancel(&self, _call: Invocation, callout: CalloutId) {
        self.take_stream(callout);
        lock(&self.owed)
            .retain(|owed| !matches!(owed, Owed::Grpc { callout: c, .. } if *c == callout));
    }

    fn grpc_close(&self, _call: Invocation, callout: CalloutId) {
        // Half-closes a stream: the upstream sends the rest of its answer.
        if let Some(stream) = self.take_stream(callout) {
            self.finish(stream);
        }
    }
}

/// Where an HTTP stream is; decides which maps and buffers the plugin can reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    RequestHeaders,
    RequestBody,
    RequestTrailers,
    ResponseHeaders,
    ResponseBody,
    ResponseTrailers,
    Done,
}

/// A response for the client, as the `http_response` event reports it.
pub struct Reply {
    pub status: u32,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Bytes as event text (the protocol's bodies are UTF-8; what is not is replaced).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Header names lower-cased on the way in, as Envoy and the reference host store them.
#[derive(Default)]
pub struct Headers(VecHeaderMap);

fn lower(key: &[u8]) -> Vec<u8> {
    key.to_ascii_lowercase()
}

impl Headers {
    pub fn from_text(pairs: &[(String, String)]) -> Self {
        Headers(
            pairs
                .iter()
                .map(|(k, v)| (lower(k.as_bytes()), v.as_bytes().to_vec()))
                .collect(),
        )
    }

    /// Its pairs in order, as event text.
    pub fn to_text(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let _ = self.0.for_each_pair(&mut |k, v| {
            out.push((text(k), text(v)));
            ControlFlow::Continue(())
        });
        out
    }
}

impl HeaderMap for Headers {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        self.0.get(&lower(key))
    }

    fn for_each_pair(&self, f: &mut PairVisitor<'_>) -> ControlFlow<()> {
        self.0.for_each_pair(f)
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> Result<(), NotAllowed> {
        self.0.set(&lower(key), value)
    }

    fn add(&mut self, key: &[u8], value: &[u8]) -> Result<(), NotAllowed> {
        self.0.add(&lower(key), value)
    }

    fn remove(&mut self, key: &[u8]) -> Result<(), NotAllowed> {
        self.0.remove(&lower(key))
    }

    fn replace_all(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<(), NotAllowed> {
        let lowered: Vec<(Vec<u8>, &[u8])> = pairs.iter().map(|(k, v)| (lower(k), *v)).collect();
        let borrowed: Vec<(&[u8], &[u8])> =
            lowered.iter().map(|(k, v)| (k.as_slice(), *v)).collect();
        self.0.replace_all(&borrowed)
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

/// One HTTP stream's host side.
pub struct Stream {
    /// Its context, once created; calls for any other (effective) context do not see it.
    pub id: Option<u32>,
    pub phase: Phase,
    pub request_headers: Headers,
    pub request_trailers: Headers,
    pub response_headers: Headers,
    pub response_trailers: Headers,
    /// The chunk (or buffered chunks) the running body callback sees.
    pub body: Vec<u8>,
    /// The body the current direction has let through so far.
    pub forwarded: Vec<u8>,
    /// The local response the plugin sent: status, headers and body.
    pub local_response: Option<Reply>,
    /// The plugin resumed the current direction.
    pub resumed: bool,
    /// The plugin closed (reset) the stream.
    pub reset: bool,
}

impl Stream {
    pub fn new(request_headers: &[(String, String)]) -> Self {
        Stream {
            id: None,
            phase: Phase::RequestHeaders,
            request_headers: Headers::from_text(request_headers),
            request_trailers: Headers::default(),
            response_headers: Headers::default(),
            response_trailers: Headers::default(),
            body: Vec::new(),
            forwarded: Vec::new(),
            local_response: None,
            resumed: false,
            reset: false,
        }
    }
}

/// The state lent to every scope: the current stream, if any, plus what outlives streams.
#[derive(Default)]
pub struct State {
    pub stream: Option<Stream>,
    /// Scenario properties and the ones the plugin set, by dotted path.
    pub properties: BTreeMap<String, Vec<u8>>,
    pub foreign_functions: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl State {
    /// The stream the call is for: the plugin may have made another context effective.
    fn stream_for(&mut self, call: Invocation) -> Option<&mut Stream> {
        self.stream
            .as_mut()
            .filter(|s| s.id == Some(call.context.get()))
    }

    /// A built-in property, encoded as Envoy does (strings raw, integers 8 bytes LE).
    fn builtin(&mut self, path: &str, call: Invocation) -> Option<Vec<u8>> {
        let context = call.context.get();
        let s = self.stream_for(call)?;
        let request = |name: &[u8]| s.request_headers.get(name).map(Cow::into_owned);
        match path {
            "request.path" => request(b":path"),
            "request.method" => request(b":method"),
            "request.protocol" => Some(b"HTTP/1.1".to_vec()),
            "response.code" => s
                .response_headers
                .get(b":status")
                .and_then(|v| std::str::from_utf8(&v).ok()?.parse::<i64>().ok())
                .map(|code| code.to_le_bytes().to_vec()),
            "source.address" => Some(b"127.0.0.1:40000".to_vec()),
            "connection_id" => Some(u64::from(context).to_le_bytes().to_vec()),
            _ => None,
        }
    }
}

fn dotted(path: &[&[u8]]) -> String {
    path.iter().map(|s| text(s)).collect::<Vec<_>>().join(".")
}

impl StreamState for State {
    fn header_map(
        &mut self,
        call: Invocation,
        access: Access,
        map: MapType,
    ) -> Result<&mut dyn HeaderMap, Status> {
        // The library's convention: a map that is not available is BAD_ARGUMENT.
        let s = self.stream_for(call).ok_or(Status::BadArgument)?;
        let (reached, writable) = match map {
            MapType::HttpRequestHeaders => (true, s.phase == Phase::RequestHeaders),
            MapType::HttpRequestTrailers => (
                s.phase >= Phase::RequestTrailers,
                s.phase == Phase::RequestTrailers,
            ),
            MapType::HttpResponseHeaders => (
                s.phase >= Phase::ResponseHeaders,
                s.phase == Phase::ResponseHeaders,
            ),
            MapType::HttpResponseTrailers => (
                s.phase >= Phase::ResponseTrailers,
                s.phase == Phase::ResponseTrailers,
            ),
            _ => (false, false),
        };
        // Writes only in the callback that delivers the map (Envoy refuses later changes).
        if !reached || (access == Access::Write && !writable) {
            return Err(Status::BadArgument);
        }
        Ok(match map {
            MapType::HttpRequestHeaders => &mut s.request_headers,
            MapType::HttpRequestTrailers => &mut s.request_trailers,
            MapType::HttpResponseHeaders => &mut s.response_headers,
            _ => &mut s.response_trailers,
        })
    }

    fn buffer(
        &mut self,
        call: Invocation,
        _access: Access,
        buffer: BufferType,
    ) -> Result<&mut dyn Buffer, Status> {
        let s = self.stream_for(call).ok_or(Status::NotFound)?;
        let want = match buffer {
            BufferType::HttpRequestBody => Phase::RequestBody,
            BufferType::HttpResponseBody => Phase::ResponseBody,
            _ => return Err(Status::NotFound),
        };
        if s.phase != want {
            return Err(Status::NotFound);
        }
        Ok(&mut s.body)
    }

    fn continue_stream(&mut self, call: Invocation, stream: StreamType) -> Result<(), Status> {
        match stream {
            StreamType::HttpRequest | StreamType::HttpResponse => {
                if let Some(s) = self.stream_for(call) {
                    s.resumed = true;
                }
                Ok(())
            }
            // Envoy cannot resume upstream data; a downstream resume on HTTP is a no-op.
            StreamType::Upstream => Err(Status::Unimplemented),
            _ => Ok(()),
        }
    }

    fn close_stream(&mut self, call: Invocation, stream: StreamType) -> Result<(), Status> {
        if let (StreamType::HttpRequest | StreamType::HttpResponse, Some(s)) =
            (stream, self.stream_for(call))
        {
            s.reset = true;
        }
        Ok(())
    }

    fn send_local_response(
        &mut self,
        call: Invocation,
        response: LocalResponse<'_>,
    ) -> Result<(), Status> {
        // Only a stream can be answered.
        let s = self.stream_for(call).ok_or(Status::BadArgument)?;
        s.local_response = Some(Reply {
            status: response.status_code,
            headers: (response.headers.iter())
                .map(|(k, v)| (text(k), text(v)))
                .collect(),
            body: text(&response.body),
        });
        Ok(())
    }

    fn property(
        &mut self,
        call: Invocation,
        path: &[&[u8]],
        out: &mut Vec<u8>,
    ) -> Result<(), Status> {
        let path = dotted(path);
        let value = match self.properties.get(&path) {
            Some(value) => Some(value.clone()),
            None => self.builtin(&path, call),
        };
        out.extend_from_slice(&value.ok_or(Status::NotFound)?);
        Ok(())
    }

    fn set_property(
        &mut self,
        _call: Invocation,
        path: &[&[u8]],
        value: &[u8],
    ) -> Result<(), Status> {
        self.properties.insert(dotted(path), value.to_vec());
        Ok(())
    }

    fn call_foreign_function(
        &mut self,
        _call: Invocation,
        request: ForeignCall<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), Status> {
        let result = self
            .foreign_functions
            .get(request.name.as_ref())
            .ok_or(Status::NotFound)?;
        out.extend_from_slice(result);
        Ok(())
    }
}
