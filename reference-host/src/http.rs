//! HTTP streams as Envoy's filter manager runs them past one filter, the plugin, with
//! proxy-wasm-cpp-host's mapping of the plugin's answers: each part (headers, a body chunk,
//! trailers) arrives when the peer sends it, on virtual time, whether or not the plugin holds the
//! stream. A paused headers callback holds everything back from the plugin until it continues; a
//! paused body callback still gets the chunks that follow, with the held ones; a held direction
//! goes on once the plugin returns `Continue` for a later part or calls `proxy_continue_stream`
//! (source/common/http/filter_manager.cc `ActiveStreamFilterBase::commonHandleAfterDataCallback`
//! and `commonContinue`). A stream is a [`Flight`]; the driver's scheduler ([`crate::run`])
//! decides when its parts arrive.

use crate::attributes::http_to_grpc;
use crate::pairs::{self, Pairs};
use crate::run::Driver;
use crate::scenario::{HttpStream, Message, StreamPart};
use crate::state::{EPOCH_NS, LocalResponse, Phase, ROOT_ID, Stream};
use crate::transcript::{FailedStream, HttpOutcome, MessageOut};
use proxy_wasm_host_abi::v0_2_1::{Action, MapType};
use proxy_wasm_interchange::Bytes;
use std::borrow::Cow;

/// An HTTP stream in flight.
pub(crate) struct Flight<'a> {
    id: u32,
    gap_ns: u64,
    upstream_ns: u64,
    abort_after: Option<Phase>,
    request: Side<'a>,
    response: Side<'a>,
    /// The request until all of it has gone upstream (or the plugin answered), then the response.
    dir: Direction,
    /// The response is the plugin's local reply.
    local: bool,
}

/// One direction of a stream.
struct Side<'a> {
    message: Cow<'a, Message>,
    /// Parts that arrived from the peer: the headers, then each body chunk, then the trailers.
    arrived: usize,
    /// Parts the plugin has been offered.
    offered: usize,
    /// The plugin paused its headers callback and has not continued: what arrives since waits
    /// before the plugin.
    held_all: bool,
    /// Parts that went on past the plugin; fewer than offered while the plugin holds them.
    forwarded: usize,
    /// When the next part arrives; none before the direction starts or after its last part.
    next_at: Option<u64>,
    /// What went on: the headers as they left, the body so far, the trailers.
    out: Option<MessageOut>,
}

impl<'a> Side<'a> {
    fn new(message: Cow<'a, Message>) -> Self {
        Side {
            message,
            arrived: 0,
            offered: 0,
            held_all: false,
            forwarded: 0,
            next_at: None,
            out: None,
        }
    }

    fn parts(&self) -> usize {
        1 + self.message.body.len() + usize::from(!self.message.trailers.is_empty())
    }

    fn part(&self, index: usize) -> Part {
        match index {
            0 => Part::Headers,
            i if i <= self.message.body.len() => Part::Body(i - 1),
            _ => Part::Trailers,
        }
    }

    fn complete(&self) -> bool {
        self.forwarded == self.parts()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Headers,
    Body(usize),
    Trailers,
}

/// Why a stream ended before its response was through.
enum End {
    /// The plugin held it and nothing could resume it.
    Stalled,
    /// The plugin reset it.
    Reset,
    /// The client reset it (scenario `client_abort`).
    Aborted,
    /// The VM failed and the stream failed closed.
    Failed,
}

/// How a stream callback ended.
enum Flow {
    Continue,
    /// Paused and not resumed during the callback.
    Held,
    /// The plugin answered with a local response.
    Answered,
    /// The plugin reset or closed the stream.
    Closed,
    /// The VM failed and streams fail closed.
    Failed,
}

impl<'a> Driver<'a> {
    /// Starts one HTTP exchange: its request headers arrive now.
    pub(crate) fn http(&mut self, exchange: &'a HttpStream) -> Option<u32> {
        let id = self.next_stream;
        self.next_stream = self.next_stream.saturating_add(1);
        if let Some(why) = self.failed.clone() {
            let mut outcome = HttpOutcome::of(id);
            self.failed_stream(id, exchange, &why, &mut outcome);
            self.store.data_mut().transcript.http.push(outcome);
            return None;
        }
        let now = self.store.data().elapsed_ns;
        let mut stream = Stream::new(pairs::from_text(&exchange.request.headers));
        stream.started_ns = EPOCH_NS.saturating_add(now);
        stream.properties = (exchange.properties.iter())
            .map(|(k, v)| (k.clone(), v.as_bytes().to_vec()))
            .collect();
        stream.tls = exchange.tls.as_deref().cloned();
        self.store.data_mut().streams.insert(id, Box::new(stream));
        let mut request = Side::new(Cow::Borrowed(&exchange.request));
        request.next_at = Some(now);
        let ms = |ms: u64| ms.saturating_mul(1_000_000);
        self.flights.push(Flight {
            id,
            gap_ns: ms(exchange.gap_ms),
            upstream_ns: ms(exchange.upstream_ms),
            abort_after: exchange.client_abort.map(|part| match part {
                StreamPart::RequestHeaders => Phase::RequestHeaders,
                StreamPart::RequestBody => Phase::RequestBody,
                StreamPart::RequestTrailers => Phase::RequestTrailers,
                StreamPart::ResponseHeaders => Phase::ResponseHeaders,
                StreamPart::ResponseBody => Phase::ResponseBody,
            }),
            request,
            response: Side::new(Cow::Borrowed(&exchange.response)),
            dir: Direction::Request,
            local: false,
        });
        // A failure here fails the VM, and the stream's first part meets that.
        let _ = self.call(id, "proxy_on_context_create", |e, s| {
            e.proxy_on_context_create(s, id, ROOT_ID)
        });
        Some(id)
    }

    /// Whether the stream with context `id` is still in flight.
    pub(crate) fn in_flight(&self, id: u32) -> bool {
        self.flights.iter().any(|f| f.id == id)
    }

    /// When the next part of a stream arrives, and which stream's: the earliest, and of those
    /// due together the stream that started first. Parts that arrived while the plugin held
    /// everything back are due once it continues.
    pub(crate) fn next_part(&self) -> Option<(u64, usize)> {
        let now = self.store.data().elapsed_ns;
        (self.flights.iter().enumerate())
            .filter_map(|(at, f)| {
                let side = f.side();
                let waiting = side.offered < side.arrived && !side.held_all;
                let due = if waiting { Some(now) } else { side.next_at };
                due.map(|t| (t, at))
            })
            .min()
    }

    /// The stream at `at` moves on: the plugin is offered what arrived while its headers
    /// callback held everything back, else the next part arrives from its peer.
    pub(crate) fn arrive(&mut self, at: usize) {
        let Some(flight) = self.flights.get_mut(at) else {
            return;
        };
        let (id, dir, gap) = (flight.id, flight.dir, flight.gap_ns);
        let side = flight.side_mut();
        if side.offered < side.arrived && !side.held_all {
            self.offer(at);
            return;
        }
        let part = side.part(side.arrived);
        side.arrived += 1;
        side.next_at = (side.arrived < side.parts())
            .then(|| side.next_at.map(|t| t.saturating_add(gap)))
            .flatten();
        let (last, held_all) = (side.arrived == side.parts(), side.held_all);
        let message = side.message.clone();
        let local = flight.local;
        let now = self.store.data().elapsed_ns;
        if let Some(s) = self.stream(id) {
            if last && dir == Direction::Response && !local {
                s.upstream_received_ns = Some(now);
            }
            if let (Part::Body(i), Direction::Request) = (part, dir) {
                let len = i64::try_from(message.body[i].len()).unwrap_or(i64::MAX);
                s.request_bytes = s.request_bytes.saturating_add(len);
            }
        }
        if !held_all {
            self.offer(at);
        }
        if self
            .flights
            .get(at)
            .is_some_and(|f| f.id == id && f.aborts(dir))
        {
            self.end(at, End::Aborted);
        }
    }

    /// Offers the plugin the next part that arrived: the headers, a body chunk (with the body it
    /// holds), the trailers; after a hold of everything, the body that arrived meanwhile in one
    /// callback, as Envoy hands over the data it buffered.
    fn offer(&mut self, at: usize) {
        let Some(flight) = self.flights.get_mut(at) else {
            return;
        };
        let (id, dir) = (flight.id, flight.dir);
        let side = flight.side_mut();
        let part = side.part(side.offered);
        let message = side.message.clone();
        // The body chunks that arrived and were not offered yet go together.
        let chunks = match part {
            Part::Body(i) => {
                let arrived = side.arrived.min(1 + message.body.len());
                i..arrived - 1
            }
            _ => 0..0,
        };
        side.offered = match part {
            Part::Body(_) => 1 + chunks.end,
            _ => side.offered + 1,
        };
        let (headers_phase, body_phase, trailers_phase) = dir.phases();
        let phase = match part {
            Part::Headers => headers_phase,
            Part::Body(_) => body_phase,
            Part::Trailers => trailers_phase,
        };
        let local = (self.flights.get(at)).is_some_and(|f| f.local);
        if let Some(s) = self.stream(id) {
            s.phase = phase;
            s.resumed = false;
            match (part, dir) {
                (Part::Headers, Direction::Response) => {
                    s.deliver(
                        MapType::HttpResponseHeaders,
                        pairs::from_text(&message.headers),
                    );
                    if !local {
                        // The router sets it as the upstream's headers arrive.
                        s.code_details = Some(Cow::Borrowed(b"via_upstream"));
                    }
                }
                (Part::Body(_), _) => {
                    // Envoy offers a held body again with each new chunk.
                    for chunk in &message.body[chunks.clone()] {
                        s.body.extend_from_slice(chunk.as_bytes());
                    }
                }
                (Part::Trailers, Direction::Request) => {
                    s.deliver(
                        MapType::HttpRequestTrailers,
                        pairs::from_text(&message.trailers),
                    );
                }
                (Part::Trailers, Direction::Response) => {
                    s.deliver(
                        MapType::HttpResponseTrailers,
                        pairs::from_text(&message.trailers),
                    );
                }
                (Part::Headers, Direction::Request) => {}
            }
        }
        let no_trailers = message.trailers.is_empty();
        let answer = if self.failed.is_some() {
            // A failed VM is not entered; the stream goes on as the failure mode says.
            Ok(None)
        } else {
            match part {
                Part::Headers => {
                    let n = count(&message.headers);
                    let eos = message.body.is_empty() && no_trailers;
                    self.call(id, dir.headers_callback(), |e, s| match dir {
                        Direction::Request => e.proxy_on_request_headers(s, id, n, eos),
                        Direction::Response => e.proxy_on_response_headers(s, id, n, eos),
                    })
                }
                Part::Body(_) => {
                    let last = chunks.end == message.body.len() && no_trailers;
                    let size = self.stream(id).map_or(0, |s| s.body.len());
                    let size = u32::try_from(size).unwrap_or(u32::MAX);
                    self.call(id, dir.body_callback(), |e, s| match dir {
                        Direction::Request => e.proxy_on_request_body(s, id, size, last),
                        Direction::Response => e.proxy_on_response_body(s, id, size, last),
                    })
                }
                Part::Trailers => {
                    let n = count(&message.trailers);
                    self.call(id, dir.trailers_callback(), |e, s| match dir {
                        Direction::Request => e.proxy_on_request_trailers(s, id, n),
                        Direction::Response => e.proxy_on_response_trailers(s, id, n),
                    })
                }
            }
        };
        // Envoy drops a headers or trailers map its callback continued past.
        if matches!(answer, Ok(None | Some(Action::Continue))) {
            let (headers, trailers) = dir.maps();
            let map = match part {
                Part::Headers => Some(headers),
                Part::Trailers => Some(trailers),
                Part::Body(_) => None,
            };
            if let (Some(map), Some(s)) = (map, self.stream(id)) {
                s.release(map);
            }
        }
        match self.flow(id, answer) {
            Flow::Continue => self.forward(at),
            // proxy-wasm-cpp-host turns a paused headers callback into Envoy's
            // StopAllIterationAndWatermark (src/context.cc
            // ContextBase::convertVmCallResultToFilterHeadersStatus, issue 143): nothing after
            // the headers reaches the plugin until it continues. A paused body is Envoy's
            // StopIterationAndBuffer: later chunks still come, with the held ones.
            Flow::Held => {
                if let (Part::Headers, Some(f)) = (part, self.flights.get_mut(at)) {
                    f.side_mut().held_all = true;
                }
            }
            Flow::Answered => self.answered(at),
            Flow::Closed => self.end(at, End::Reset),
            Flow::Failed => self.end(at, End::Failed),
        }
    }

    /// Applies what the plugin did to streams from other callbacks (a call's answer resuming,
    /// answering or resetting a stream it holds), and moves finished directions on.
    pub(crate) fn settle(&mut self) {
        let mut at = 0;
        while at < self.flights.len() {
            let id = self.flights[at].id;
            let Some(s) = self.store.data().streams.get(&id) else {
                at += 1;
                continue;
            };
            let (answered, reset, resumed) = (s.local_response.is_some(), s.reset, s.resumed);
            if self.failed.is_none() {
                if answered {
                    self.answered(at);
                } else if reset {
                    self.end(at, End::Reset);
                } else if resumed {
                    if let Some(s) = self.stream(id) {
                        s.resumed = false;
                    }
                    self.forward(at);
                }
            }
            if self.flights.get(at).is_some_and(|f| f.id == id) {
                at += 1;
            }
        }
    }

    /// Ends every stream in flight that nothing can move on any more (or only `id`'s).
    pub(crate) fn stall(&mut self, only: Option<u32>) {
        let mut at = 0;
        while at < self.flights.len() {
            if only.is_none_or(|id| self.flights[at].id == id) {
                self.end(at, End::Stalled);
            } else {
                at += 1;
            }
        }
    }

    /// The action a stream callback returned, and what the plugin did meanwhile.
    fn flow(&mut self, id: u32, answer: Result<Option<Action>, ()>) -> Flow {
        // cpp-host src/context.cc CHECK_FAIL_HTTP, after the call too: a failed VM's answer and
        // any local response it asked for are dropped.
        if self.failed.is_some() {
            return if self.fail_open {
                Flow::Continue
            } else {
                Flow::Failed
            };
        }
        let Some(stream) = self.stream(id) else {
            return Flow::Held;
        };
        if stream.local_response.is_some() {
            return Flow::Answered;
        }
        if stream.reset {
            return Flow::Closed;
        }
        let resumed = std::mem::take(&mut stream.resumed);
        match answer {
            // Not exported: the stream goes on (spec: callbacks are optional).
            Ok(None) => Flow::Continue,
            Ok(Some(Action::Continue)) => Flow::Continue,
            Ok(Some(_)) if resumed => Flow::Continue,
            // Paused, or failed: the stream waits.
            Ok(Some(_)) | Err(()) => Flow::Held,
        }
    }

    /// Everything offered in the running direction goes on (Envoy `commonContinue`: held
    /// headers, the buffered body, trailers); a direction all through moves the stream on.
    fn forward(&mut self, at: usize) {
        let Some(flight) = self.flights.get(at) else {
            return;
        };
        let (id, dir) = (flight.id, flight.dir);
        let side = flight.side();
        let (from, to) = (side.forwarded, side.offered);
        if from == to {
            return;
        }
        let has_trailers = side.part(to - 1) == Part::Trailers;
        let now = self.store.data().elapsed_ns;
        let Some(s) = self.store.data_mut().streams.get_mut(&id) else {
            return;
        };
        // The maps are the transcript's at the stream's end (`Stream::take_sent`).
        let (headers, trailers) = dir.maps();
        if from == 0 {
            s.send(headers);
        }
        if has_trailers {
            s.send(trailers);
        }
        let body = std::mem::take(&mut s.body);
        match dir {
            Direction::Request => {
                s.upstream = true;
                s.upstream_sent_ns.get_or_insert(now);
            }
            Direction::Response => {
                let len = i64::try_from(body.len()).unwrap_or(i64::MAX);
                s.response_bytes = s.response_bytes.saturating_add(len);
            }
        }
        let flight = &mut self.flights[at];
        let side = flight.side_mut();
        side.forwarded = to;
        side.held_all = false;
        let out = side.out.get_or_insert_with(MessageOut::default);
        if !body.is_empty() {
            out.body = Bytes::concat(&[std::mem::take(&mut out.body), body.into()]);
        }
        if !side.complete() {
            return;
        }
        match dir {
            Direction::Request => {
                flight.dir = Direction::Response;
                flight.response.next_at = Some(now.saturating_add(flight.upstream_ns));
            }
            Direction::Response => {
                let flight = self.flights.remove(at);
                let mut outcome = HttpOutcome::of(id);
                outcome.local_response = flight.local;
                self.close_stream(id, outcome, [flight.request.out, flight.response.out]);
            }
        }
    }

    /// The plugin's local response, as Envoy's source/common/http/filter_manager.cc
    /// `sendLocalReply` delivers it: answered before any response, it goes through the filter
    /// chain, so the plugin's own response callbacks see it; answered in the response before
    /// its headers went out, it goes to the client directly; after, Envoy can only reset.
    fn answered(&mut self, at: usize) {
        let Some(flight) = self.flights.get(at) else {
            return;
        };
        let (id, dir) = (flight.id, flight.dir);
        let Some((local, request)) = self.stream(id).and_then(|s| {
            s.local_response
                .take()
                .map(|local| (local, s.request_headers.clone()))
        }) else {
            return;
        };
        let reply = envoy_local_reply(&local, &request);
        let now = self.store.data().elapsed_ns;
        if let Some(s) = self.stream(id) {
            s.code_details = Some(Cow::Owned(local.details));
            // What the plugin held is dropped with the request.
            s.body.clear();
        }
        let flight = &mut self.flights[at];
        if dir == Direction::Request {
            flight.request.next_at = None;
            flight.dir = Direction::Response;
            flight.local = true;
            flight.response = Side::new(Cow::Owned(reply));
            flight.response.next_at = Some(now);
            // Parts of the reply come at once.
            flight.gap_ns = 0;
            return;
        }
        let flight = self.flights.remove(at);
        let mut outcome = HttpOutcome::of(id);
        if flight.response.out.is_some() {
            outcome.reset = true;
        } else {
            outcome.local_response = true;
            outcome.downstream_response = Some(MessageOut {
                headers: pairs::text_entries(reply.headers),
                body: Bytes::concat(&reply.body),
                trailers: Vec::new(),
            });
        }
        self.close_stream(id, outcome, [flight.request.out, flight.response.out]);
    }

    /// A stream that ended early: what it had forwarded stays in the outcome.
    fn end(&mut self, at: usize, end: End) {
        if at >= self.flights.len() {
            return;
        }
        let flight = self.flights.remove(at);
        let side = flight.side();
        let (headers, body, trailers) = flight.dir.phases();
        let held = match side.part(side.forwarded) {
            Part::Headers => headers,
            Part::Body(_) => body,
            Part::Trailers => trailers,
        };
        let id = flight.id;
        let mut outcome = HttpOutcome::of(id);
        outcome.local_response = flight.local;
        match end {
            End::Failed => outcome.downstream_response = Some(fail_closed_response()),
            End::Stalled => outcome.stalled_in = Some(held.name().to_string()),
            End::Reset => outcome.reset = true,
            End::Aborted => outcome.client_aborted = true,
        }
        self.close_stream(id, outcome, [flight.request.out, flight.response.out]);
    }

    /// The end of a stream: `proxy_on_done`, `proxy_on_log`, `proxy_on_delete`, and its outcome
    /// in the transcript. `went` is what went on upstream and downstream; the maps in it are
    /// filled in from the stream once the plugin is done with it. A message the outcome already
    /// has (a local reply sent past the plugin, the 503 of a failed VM) is the one the peer got.
    fn close_stream(&mut self, id: u32, mut outcome: HttpOutcome, went: [Option<MessageOut>; 2]) {
        if self.failed.is_some() {
            outcome.vm_failed = Some(self.failed_mode());
        }
        let stream = self.finish_stream(id);
        let [mut request, mut response] = went;
        if let Some(mut s) = stream {
            for (out, dir) in [
                (&mut request, Direction::Request),
                (&mut response, Direction::Response),
            ] {
                let Some(out) = out else { continue };
                let (headers, trailers) = dir.maps();
                out.headers = s.take_sent(headers).unwrap_or_default();
                out.trailers = s.take_sent(trailers).unwrap_or_default();
            }
        }
        outcome.upstream_request = outcome.upstream_request.take().or(request);
        outcome.downstream_response = outcome.downstream_response.take().or(response);
        self.store.data_mut().transcript.http.push(outcome);
    }

    fn failed_mode(&self) -> FailedStream {
        if self.fail_open {
            FailedStream::Open
        } else {
            FailedStream::Closed
        }
    }

    /// A stream that starts on a failed VM: the plugin is not entered; the client gets 503, or
    /// with `fail_open` the stream passes unchanged.
    fn failed_stream(&mut self, id: u32, exchange: &HttpStream, why: &str, out: &mut HttpOutcome) {
        let mode = self.failed_mode();
        out.vm_failed = Some(mode);
        let what = match mode {
            FailedStream::Closed => {
                out.downstream_response = Some(fail_closed_response());
                "the client got 503"
            }
            FailedStream::Open => {
                // As any stream's maps come out: names lower-cased.
                let unchanged = |m: &Message| MessageOut {
                    headers: pairs::into_entries(pairs::from_text(&m.headers)),
                    body: Bytes::concat(&m.body),
                    trailers: pairs::into_entries(pairs::from_text(&m.trailers)),
                };
                out.upstream_request = Some(unchanged(&exchange.request));
                out.downstream_response = Some(unchanged(&exchange.response));
                "it passed unchanged (fail_open)"
            }
        };
        let message = format!("stream not run: the VM failed earlier ({why}); {what}");
        self.fail(Some(id), "proxy_on_context_create", message);
    }
}

impl<'a> Flight<'a> {
    fn side(&self) -> &Side<'a> {
        match self.dir {
            Direction::Request => &self.request,
            Direction::Response => &self.response,
        }
    }

    fn side_mut(&mut self) -> &mut Side<'a> {
        match self.dir {
            Direction::Request => &mut self.request,
            Direction::Response => &mut self.response,
        }
    }

    /// Whether the client resets the stream now, the last part up to `client_abort` in `dir`
    /// having arrived.
    fn aborts(&self, dir: Direction) -> bool {
        let Some(after) = self.abort_after else {
            return false;
        };
        let (headers, body, trailers) = dir.phases();
        if !(headers..=trailers).contains(&after) {
            return false;
        }
        let side = match dir {
            Direction::Request => &self.request,
            Direction::Response => &self.response,
        };
        if side.arrived == 0 {
            return false;
        }
        let next = (side.arrived < side.parts()).then(|| match side.part(side.arrived) {
            Part::Headers => headers,
            Part::Body(_) => body,
            Part::Trailers => trailers,
        });
        next.is_none_or(|phase| phase > after)
    }
}

/// A local response as Envoy builds it (source/common/http/utility.cc `prepareLocalReply` and
/// `encodeLocalReply`): `:status`, then the plugin's headers. A body brings `content-length`
/// and, unless the plugin set one, `content-type: text/plain`; without a body both go. To a gRPC
/// request (`content-type: application/grpc...`) the reply is trailers-only: `:status` 200,
/// `content-type: application/grpc`, `grpc-status` (the plugin's header, else the status it
/// passed, else `Grpc::Utility::httpToGrpcStatus` of the HTTP status) and the body as a
/// percent-encoded `grpc-message`. A HEAD request gets the headers alone.
fn envoy_local_reply(local: &LocalResponse, request: &Pairs) -> Message {
    let mut headers: Vec<(String, String)> = vec![(":status".into(), local.status.to_string())];
    headers.extend(pairs::to_text(&local.headers));
    let set = |headers: &mut Vec<(String, String)>, name: &str, value: String| match headers
        .iter_mut()
        .find(|(n, _)| n == name)
    {
        Some((_, v)) => *v = value,
        None => headers.push((name.to_string(), value)),
    };
    let has = |headers: &[(String, String)], name: &str| headers.iter().any(|(n, _)| n == name);
    let request_header = |name: &str| {
        request
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.as_slice())
    };
    let grpc = request_header("content-type").is_some_and(|t| {
        t == b"application/grpc"
            || t.starts_with(b"application/grpc+")
            || t.starts_with(b"application/grpc;")
    });
    let head = request_header(":method") == Some(b"HEAD");
    let body = String::from_utf8_lossy(&local.body).into_owned();
    if grpc {
        set(&mut headers, ":status", "200".into());
        set(&mut headers, "content-type", "application/grpc".into());
        if !has(&headers, "grpc-status") {
            let code = (local.grpc_status).unwrap_or_else(|| http_to_grpc(local.status));
            headers.push(("grpc-status".into(), code.to_string()));
        }
        if !body.is_empty() && !head {
            set(&mut headers, "grpc-message", percent_encode(&local.body));
        }
        headers.retain(|(n, _)| n != "content-length");
        return Message {
            headers,
            body: Vec::new(),
            trailers: Vec::new(),
        };
    }
    if body.is_empty() {
        headers.retain(|(n, _)| n != "content-length" && n != "content-type");
    } else {
        set(&mut headers, "content-length", local.body.len().to_string());
        if !has(&headers, "content-type") {
            headers.push(("content-type".into(), "text/plain".into()));
        }
    }
    Message {
        headers,
        body: if body.is_empty() || head {
            Vec::new()
        } else {
            vec![body.into()]
        },
        trailers: Vec::new(),
    }
}

/// Envoy's `PercentEncoding::encode` for `grpc-message`: bytes outside printable ASCII, and `%`.
fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..=0x7e).contains(&b) && b != b'%' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What the client gets from a stream failed closed: Envoy's
/// source/extensions/common/wasm/context.cc `Context::failStream` sends a local reply with 503,
/// an empty body and the details `wasm_fail_stream`.
fn fail_closed_response() -> MessageOut {
    MessageOut {
        headers: vec![(":status".into(), "503".into())],
        body: Bytes::default(),
        trailers: Vec::new(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Request,
    Response,
}

impl Direction {
    /// The stream's header and trailer maps in this direction.
    fn maps(self) -> (MapType, MapType) {
        match self {
            Direction::Request => (MapType::HttpRequestHeaders, MapType::HttpRequestTrailers),
            Direction::Response => (MapType::HttpResponseHeaders, MapType::HttpResponseTrailers),
        }
    }

    fn phases(self) -> (Phase, Phase, Phase) {
        match self {
            Direction::Request => (
                Phase::RequestHeaders,
                Phase::RequestBody,
                Phase::RequestTrailers,
            ),
            Direction::Response => (
                Phase::ResponseHeaders,
                Phase::ResponseBody,
                Phase::ResponseTrailers,
            ),
        }
    }

    fn headers_callback(self) -> &'static str {
        match self {
            Direction::Request => "proxy_on_request_headers",
            Direction::Response => "proxy_on_response_headers",
        }
    }

    fn body_callback(self) -> &'static str {
        match self {
            Direction::Request => "proxy_on_request_body",
            Direction::Response => "proxy_on_response_body",
        }
    }

    fn trailers_callback(self) -> &'static str {
        match self {
            Direction::Request => "proxy_on_request_trailers",
            Direction::Response => "proxy_on_response_trailers",
        }
    }
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::RequestHeaders => "request_headers",
            Phase::RequestBody => "request_body",
            Phase::RequestTrailers => "request_trailers",
            Phase::ResponseHeaders => "response_headers",
            Phase::ResponseBody => "response_body",
            Phase::ResponseTrailers => "response_trailers",
            Phase::Done => "done",
        }
    }
}

fn count(pairs: &[(String, String)]) -> u32 {
    u32::try_from(pairs.len()).unwrap_or(u32::MAX)
}
