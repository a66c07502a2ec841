//! Runs one module against one scenario through `proxy-wasm-host`'s public API: compile, ABI
//! check and instantiation (`Guest::new`), the root context's start, the scenario's events in
//! the spec's lifecycle order, and the root's end. Failures inside the plugin become `trap` or
//! `error` event lines; only a module the library will not load is `Refused`.

use crate::embed::{
    GrpcPart, Owed, Phase, ScriptedCallouts, Sink, State, Stream, VirtualClock, lock,
};
use proxy_wasm_host::abi::v0_2_1::types::{Action, LogLevel};
use proxy_wasm_host::abi::v0_2_1::{
    CallScope, ContextId, GrpcStatus, Guest, GuestError, HeaderPairs, Host, HttpCallResponse,
    InMemoryStore, Invocation, PluginConfig, StreamKind, VmServices,
};
use proxy_wasm_host::{AbiVersion, Engine, EngineConfig, Error, Limits, Module};
use proxy_wasm_interchange::protocol::{self, Exchange, Failure, HttpMessage};
use proxy_wasm_interchange::scenario::{Event, HttpStream, LogLevelName, Message, Scenario};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a job ended, in protocol terms.
pub enum Outcome {
    /// The module loaded and the scenario ran (exit 0): the event lines.
    Ran(Vec<String>),
    /// The library would not load the module (exit 3): why, and any lines before that.
    Refused(String),
    /// The job itself is unusable (exit 2): unreadable files, a bad scenario.
    Bad(String),
}

/// Owed answers one callback may cause, directly or through the callbacks they run; past this
/// the plugin is feeding itself (re-enqueueing in `proxy_on_queue_ready`) and the rest is dropped.
const MAX_DELIVERIES: usize = 10_000;

/// The engine and linked host functions, made once per process and shared by `serve` jobs.
pub struct Runtime {
    engine: Engine,
    host: Host,
}

impl Runtime {
    pub fn new() -> Result<Self, String> {
        // Fuel on, so the scenario's per-call budget applies as on the reference host.
        let engine = EngineConfig::new()
            .with_fuel_enabled(true)
            .build()
            .map_err(|e| format!("cannot build the engine: {e}"))?;
        let host = Host::new(&engine).map_err(|e| format!("cannot link the host: {e}"))?;
        Ok(Runtime { engine, host })
    }

    /// Runs one job from the files the runner wrote.
    pub fn job(&self, module: &str, scenario: &str) -> Outcome {
        let wasm = match std::fs::read(module) {
            Ok(bytes) => bytes,
            Err(e) => return Outcome::Bad(format!("cannot read {module}: {e}")),
        };
        let text = match std::fs::read_to_string(scenario) {
            Ok(text) => text,
            Err(e) => return Outcome::Bad(format!("cannot read {scenario}: {e}")),
        };
        match serde_json::from_str::<Scenario>(&text) {
            Ok(parsed) => self.run(&wasm, &parsed),
            Err(e) => Outcome::Bad(format!("{scenario}:{}:{}: {e}", e.line(), e.column())),
        }
    }

    fn run(&self, wasm: &[u8], scenario: &Scenario) -> Outcome {
        let module = match Module::new(&self.engine, wasm) {
            Ok(module) => module,
            Err(e) => return Outcome::Refused(chain(&e)),
        };
        let version = match AbiVersion::detect(module.abi_exports()) {
            Ok(AbiVersion::V0_2_0) => "0.2.0",
            Ok(AbiVersion::V0_2_1) => "0.2.1",
            Ok(other) => return Outcome::Refused(format!("unknown ABI version {other}")),
            Err(e) => return Outcome::Refused(e.to_string()),
        };
        if let Some(expected) = &scenario.expect_abi
            && expected != version
        {
            return Outcome::Bad(format!(
                "the scenario expects ABI {expected}, the module declares {version}"
            ));
        }
        let log_level = scenario.log_level.map_or(LogLevel::Info, level);

        let sink = Arc::new(Sink::default());
        let clock = Arc::new(VirtualClock::default());
        let owed = Arc::new(Mutex::new(VecDeque::new()));
        let ready = Arc::clone(&owed);
        let store = InMemoryStore::new().with_enqueue_observer(Arc::new(move |item| {
            lock(&ready).push_back(Owed::QueueReady(item.queue));
        }));
        let environment = scenario
            .environment
            .iter()
            .map(|entry| {
                let (key, value) = entry.split_once('=').unwrap_or((entry, ""));
                (key.as_bytes().to_vec(), value.as_bytes().to_vec())
            })
            .collect();
        let services = VmServices::new(sink.clone())
            .with_clock(clock.clone())
            .with_environment(environment)
            .with_log_level(log_level)
            .with_vm_configuration(scenario.vm_configuration.as_bytes())
            .with_shared(Arc::new(store))
            .with_callouts(Arc::new(ScriptedCallouts::new(scenario, Arc::clone(&owed))));
        let limits = Limits::new()
            .with_fuel(scenario.limits.fuel_per_call)
            .with_memory_bytes(scenario.limits.memory_bytes)
            // Wall-clock budget per call; generous, since the runner has its own timeout.
            .with_cpu_time(Duration::from_secs(5));

        let mut events = Vec::new();
        let guest = match Guest::new(&self.host, &module, services, &limits) {
            Ok(guest) => Some(guest),
            // The start functions (`_initialize`/`main`, `_start`) ran and failed: the module
            // was loaded, the failure is the plugin's.
            Err(GuestError::Runtime(
                e @ (Error::Trap { .. } | Error::LimitExceeded { .. } | Error::GuestExit { .. }),
            )) => {
                events.push(event("trap", None, "_start", &chain(&e)));
                None
            }
            Err(e) => return Outcome::Refused(chain(&e)),
        };
        if let Some(guest) = guest {
            let state = State {
                stream: None,
                properties: (scenario.properties.iter())
                    .map(|(k, v)| (k.clone(), v.as_bytes().to_vec()))
                    .collect(),
                foreign_functions: (scenario.foreign_functions.iter())
                    .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
                    .collect(),
            };
            let mut driver = Driver {
                guest,
                state,
                root: None,
                clock,
                owed,
                events: Vec::new(),
                tick_period: None,
                next_tick_ns: None,
                delivering: false,
            };
            let delayed = (scenario.upstreams.values().flatten()).any(|r| r.delay_ms > 0)
                || (scenario.grpc_upstreams.values().flatten()).any(|r| r.delay_ms > 0);
            if delayed {
                let why =
                    "this adapter answers every call at once; it does not delay answers (delay_ms)";
                driver.fail(None, "upstreams", why.into());
            }
            if driver.start(scenario) {
                for event in &scenario.events {
                    if driver.guest.is_poisoned() {
                        break;
                    }
                    match event {
                        Event::Http(stream) => match undriven(stream) {
                            Some(what) => {
                                let why = format!("this adapter does not drive {what}");
                                driver.fail(None, "http", why)
                            }
                            None => driver.http(stream),
                        },
                        Event::Tcp(_) => driver.fail(
                            None,
                            "tcp",
                            "this adapter does not drive TCP connections".into(),
                        ),
                        Event::Tick(ms) => driver.advance(ms.saturating_mul(1_000_000)),
                        Event::Enqueue { queue, data } => driver.enqueue(queue, data),
                        Event::ForeignFunction { id, data } => driver.foreign_function(*id, data),
                    }
                }
                driver.shutdown();
            }
            events = driver.events;
        }
        let mut lines = std::mem::take(&mut *lock(&sink.lines));
        lines.extend(events);
        Outcome::Ran(lines)
    }
}

/// What of a stream this adapter cannot drive: it runs each stream to its end at once.
fn undriven(stream: &HttpStream) -> Option<&'static str> {
    if stream.client_abort.is_some() {
        Some("client aborts (client_abort)")
    } else if stream.concurrent {
        Some("concurrent streams (concurrent)")
    } else if stream.gap_ms > 0 || stream.upstream_ms > 0 {
        Some("parts spaced in time (gap_ms, upstream_ms)")
    } else {
        None
    }
}

/// An error with its sources, on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text.replace('\n', " ")
}

fn level(level: LogLevelName) -> LogLevel {
    match level {
        LogLevelName::Trace => LogLevel::Trace,
        LogLevelName::Debug => LogLevel::Debug,
        LogLevelName::Info => LogLevel::Info,
        LogLevelName::Warn => LogLevel::Warn,
        LogLevelName::Error => LogLevel::Error,
        LogLevelName::Critical => LogLevel::Critical,
    }
}

fn event(kind: &str, context: Option<ContextId>, callback: &str, message: &str) -> String {
    let failure = Failure {
        context: context.map(ContextId::get),
        callback: Some(callback.to_string()),
        message: message.to_string(),
    };
    match kind {
        "trap" => protocol::Event::Trap(failure),
        _ => protocol::Event::Error(failure),
    }
    .line()
}

/// How a stream callback ended.
enum Flow {
    Continue,
    /// Paused and not resumed, or failed: the stream cannot go on.
    Stalled,
    /// The plugin sent a local response.
    Answered,
    /// The plugin closed the stream.
    Closed,
}

/// Drives one guest through a scenario.
struct Driver {
    guest: Guest,
    /// Lent to every scope and taken back after it.
    state: State,
    root: Option<ContextId>,
    clock: Arc<VirtualClock>,
    owed: Arc<Mutex<VecDeque<Owed>>>,
    /// Event lines other than logs: failures and what reached the upstream and the client.
    events: Vec<String>,
    tick_period: Option<Duration>,
    next_tick_ns: Option<u64>,
    /// Set while owed answers are delivered, so deliveries do not nest.
    delivering: bool,
}

impl Driver {
    /// Runs `f` in a scope lent the adapter's state, records a failure as an event, then
    /// notices a new tick period and delivers what the callback made owed.
    fn call<R>(
        &mut self,
        context: Option<ContextId>,
        callback: &str,
        f: impl FnOnce(&mut CallScope<'_, State>) -> Result<R, GuestError>,
    ) -> Option<R> {
        // After a trap every call would fail the same way; the trap is already reported.
        if self.guest.is_poisoned() {
            return None;
        }
        let state = std::mem::take(&mut self.state);
        let (result, state) = self.guest.with(state, f);
        self.state = state;
        let answer = match result {
            Ok(answer) => Some(answer),
            Err(e) => {
                self.report(context, callback, &e);
                None
            }
        };
        self.sync_timer();
        self.deliver_owed();
        answer
    }

    fn report(&mut self, context: Option<ContextId>, callback: &str, error: &GuestError) {
        let kind = match error {
            GuestError::Runtime(Error::Trap { .. } | Error::LimitExceeded { .. }) => "trap",
            _ => "error",
        };
        self.events
            .push(event(kind, context, callback, &chain(error)));
    }

    fn fail(&mut self, context: Option<ContextId>, callback: &str, message: String) {
        self.events
            .push(event("error", context, callback, &message));
    }

    /// The root context's creation, VM start and configuration. False if the plugin did not
    /// come up.
    fn start(&mut self, scenario: &Scenario) -> bool {
        let Some(root) = self.call(None, "proxy_on_context_create", |s| {
            s.on_context_create(None)
        }) else {
            return false;
        };
        self.root = Some(root);
        match self.call(Some(root), "proxy_on_vm_start", |s| s.on_vm_start(root)) {
            Some(true) => {}
            Some(false) => {
                self.fail(Some(root), "proxy_on_vm_start", "returned false".into());
                return false;
            }
            None => return false,
        }
        let plugin = PluginConfig::new()
            .with_name("pwtck")
            .with_configuration(scenario.plugin_configuration.as_bytes());
        match self.call(Some(root), "proxy_on_configure", |s| {
            s.on_configure(root, plugin)
        }) {
            Some(true) => true,
            Some(false) => {
                self.fail(Some(root), "proxy_on_configure", "returned false".into());
                false
            }
            None => false,
        }
    }

    /// Notices a new tick period of the root: the next tick is one period from now.
    fn sync_timer(&mut self) {
        let Some(root) = self.root else { return };
        let period = self.guest.tick_period(root).filter(|p| !p.is_zero());
        if period != self.tick_period {
            self.tick_period = period;
            let now = self.clock.elapsed_ns.load(Ordering::Relaxed);
            self.next_tick_ns = period.map(|p| now.saturating_add(nanos(p)));
        }
    }

    /// Moves virtual time forward, calling `proxy_on_tick` for every period that ends on the way.
    fn advance(&mut self, by_ns: u64) {
        let Some(root) = self.root else { return };
        let target = self
            .clock
            .elapsed_ns
            .load(Ordering::Relaxed)
            .saturating_add(by_ns);
        while let Some(due) = self.next_tick_ns.filter(|due| *due <= target) {
            self.clock.elapsed_ns.store(due, Ordering::Relaxed);
            self.next_tick_ns = self.tick_period.map(|p| due.saturating_add(nanos(p)));
            if self
                .call(Some(root), "proxy_on_tick", |s| s.on_tick(root))
                .is_none()
            {
                break;
            }
        }
        self.clock.elapsed_ns.store(target, Ordering::Relaxed);
    }

    /// Delivers everything owed, oldest first, including what the deliveries cause.
    fn deliver_owed(&mut self) {
        if self.delivering {
            return;
        }
        self.delivering = true;
        let mut delivered = 0;
        loop {
            let Some(next) = lock(&self.owed).pop_front() else {
                break;
            };
            if delivered == MAX_DELIVERIES || self.guest.is_poisoned() {
                lock(&self.owed).clear();
                if delivered == MAX_DELIVERIES {
                    self.fail(
                        self.root,
                        "deliveries",
                        format!("more than {MAX_DELIVERIES} answers owed in a row; rest dropped"),
                    );
                }
                break;
            }
            delivered += 1;
            match next {
                Owed::HttpResponse {
                    caller,
                    callout,
                    reply,
                } => {
                    let context = caller.context;
                    self.call(Some(context), "proxy_on_http_call_response", |s| {
                        let response = match &reply {
                            None => HttpCallResponse::failed(),
                            Some(r) => HttpCallResponse::received(pairs(&r.headers))
                                .with_body(r.body.as_bytes())
                                .with_trailers(pairs(&r.trailers)),
                        };
                        s.on_http_call_response(context, callout, response)
                    });
                }
                Owed::Grpc {
                    caller,
                    callout,
                    part,
                } => {
                    let context = caller.context;
                    let name = part.callback();
                    self.call(Some(context), name, |s| match part {
                        GrpcPart::InitialMetadata(m) => {
                            s.on_grpc_receive_initial_metadata(context, callout, pairs(&m))
                        }
                        GrpcPart::Message(m) => {
                            s.on_grpc_receive(context, callout, Cow::Borrowed(m.as_bytes()))
                        }
                        GrpcPart::TrailingMetadata(m) => {
                            s.on_grpc_receive_trailing_metadata(context, callout, pairs(&m))
                        }
                        GrpcPart::Close(code, message) => {
                            s.on_grpc_close(context, callout, GrpcStatus::new(code, message))
                        }
                    });
                }
                Owed::QueueReady(queue) => {
                    for root in self.guest.queue_registrants(queue) {
                        self.call(Some(root), "proxy_on_queue_ready", |s| {
                            s.on_queue_ready(root, queue)
                        });
                    }
                }
            }
        }
        self.delivering = false;
    }

    /// Another producer enqueues `data` on the plugin's queue `name`.
    fn enqueue(&mut self, name: &str, data: &[u8]) {
        let Some(root) = self.root else { return };
        let shared = Arc::clone(self.guest.services().shared());
        let call = Invocation::new(self.guest.id(), root);
        let vm_id = self.guest.services().vm_id().to_vec();
        let queued = shared
            .resolve_shared_queue(call, &vm_id, name.as_bytes())
            .and_then(|queue| shared.enqueue_shared_queue(call, queue, data));
        match queued {
            Ok(()) => self.deliver_owed(),
            Err(status) => self.fail(
                None,
                "enqueue",
                format!("cannot enqueue on `{name}`: {status:?} (has the plugin registered it?)"),
            ),
        }
    }

    /// The host calls the plugin's foreign function `id` with `data` as its arguments.
    fn foreign_function(&mut self, id: u32, data: &[u8]) {
        let Some(root) = self.root else { return };
        self.call(Some(root), "proxy_on_foreign_function", |s| {
            s.on_foreign_function(root, id, Cow::Borrowed(data))
        });
    }

    fn stream(&mut self) -> Option<&mut Stream> {
        self.state.stream.as_mut()
    }

    /// What a stream callback's answer and the plugin's calls meanwhile mean for the stream.
    fn flow(&mut self, answer: Option<Action>) -> Flow {
        let Some(s) = self.stream() else {
            return Flow::Stalled;
        };
        if s.local_response.is_some() {
            return Flow::Answered;
        }
        if s.reset {
            return Flow::Closed;
        }
        match answer {
            Some(Action::Continue) => Flow::Continue,
            Some(_) if s.resumed => Flow::Continue,
            _ => Flow::Stalled,
        }
    }

    /// One HTTP exchange through the plugin, then its end.
    fn http(&mut self, exchange: &HttpStream) {
        let Some(root) = self.root else { return };
        self.state.stream = Some(Stream::new(&exchange.request.headers));
        let created = self.call(None, "proxy_on_context_create", |s| {
            let id = s.on_context_create(Some(root))?;
            s.expect_stream_kind(id, StreamKind::Http)?;
            Ok(id)
        });
        if let Some(id) = created {
            if let Some(s) = self.stream() {
                s.id = Some(id.get());
            }
            if self.direction(id, &exchange.request, true) {
                self.exchanged(id, true);
                if self.direction(id, &exchange.response, false) {
                    self.exchanged(id, false);
                }
            }
            if let Some(reply) = self.stream().and_then(|s| s.local_response.take()) {
                let response = protocol::Event::HttpResponse(Exchange {
                    context: Some(id.get()),
                    message: HttpMessage {
                        status: u16::try_from(reply.status).ok(),
                        headers: reply.headers,
                        body: reply.body.into(),
                        trailers: Vec::new(),
                    },
                });
                self.events.push(response.line());
            }
            self.finish_stream(id);
        }
        self.state.stream = None;
    }

    /// Reports what one direction let through: the request that reached the upstream, or the
    /// response that reached the client.
    fn exchanged(&mut self, id: ContextId, request: bool) {
        let Some(s) = self.stream() else { return };
        let (headers, trailers) = if request {
            (&s.request_headers, &s.request_trailers)
        } else {
            (&s.response_headers, &s.response_trailers)
        };
        let headers = headers.to_text();
        let status = (!request)
            .then(|| headers.iter().find(|(k, _)| k == ":status"))
            .flatten()
            .and_then(|(_, v)| v.parse::<u16>().ok());
        let exchange = Exchange {
            context: Some(id.get()),
            message: HttpMessage {
                status,
                headers,
                body: std::mem::take(&mut s.forwarded).into(),
                trailers: trailers.to_text(),
            },
        };
        let line = if request {
            protocol::Event::UpstreamRequest(exchange)
        } else {
            protocol::Event::HttpResponse(exchange)
        };
        self.events.push(line.line());
    }

    /// Headers, body chunks and trailers of one direction; false if the stream stopped.
    fn direction(&mut self, id: ContextId, message: &Message, request: bool) -> bool {
        let phases = if request {
            [
                Phase::RequestHeaders,
                Phase::RequestBody,
                Phase::RequestTrailers,
            ]
        } else {
            [
                Phase::ResponseHeaders,
                Phase::ResponseBody,
                Phase::ResponseTrailers,
            ]
        };
        let no_body = message.body.is_empty();
        let no_trailers = message.trailers.is_empty();
        if let Some(s) = self.stream() {
            s.phase = phases[0];
            s.resumed = false;
            if !request {
                s.response_headers = crate::embed::Headers::from_text(&message.headers);
            }
        }
        let n = count(message.headers.len());
        let eos = no_body && no_trailers;
        let answer = if request {
            self.call(Some(id), "proxy_on_request_headers", |s| {
                s.on_request_headers(id, n, eos)
            })
        } else {
            self.call(Some(id), "proxy_on_response_headers", |s| {
                s.on_response_headers(id, n, eos)
            })
        };
        if !matches!(self.flow(answer), Flow::Continue) {
            return false;
        }

        let mut buffered: Vec<u8> = Vec::new();
        for (i, chunk) in message.body.iter().enumerate() {
            let last = i + 1 == message.body.len() && no_trailers;
            let size = {
                let Some(s) = self.stream() else { return false };
                s.phase = phases[1];
                s.resumed = false;
                buffered.extend_from_slice(chunk.as_bytes());
                s.body = std::mem::take(&mut buffered);
                count(s.body.len())
            };
            let answer = if request {
                self.call(Some(id), "proxy_on_request_body", |s| {
                    s.on_request_body(id, size, last)
                })
            } else {
                self.call(Some(id), "proxy_on_response_body", |s| {
                    s.on_response_body(id, size, last)
                })
            };
            match self.flow(answer) {
                Flow::Continue => {
                    if let Some(s) = self.stream() {
                        let chunk = std::mem::take(&mut s.body);
                        s.forwarded.extend(chunk);
                    }
                }
                // Envoy buffers a paused body and offers it again with the next chunk.
                Flow::Stalled if !last => {
                    if let Some(s) = self.stream() {
                        buffered = std::mem::take(&mut s.body);
                    }
                }
                _ => return false,
            }
        }

        if !no_trailers {
            let n = count(message.trailers.len());
            if let Some(s) = self.stream() {
                s.phase = phases[2];
                s.resumed = false;
                let trailers = crate::embed::Headers::from_text(&message.trailers);
                if request {
                    s.request_trailers = trailers;
                } else {
                    s.response_trailers = trailers;
                }
            }
            let answer = if request {
                self.call(Some(id), "proxy_on_request_trailers", |s| {
                    s.on_request_trailers(id, n)
                })
            } else {
                self.call(Some(id), "proxy_on_response_trailers", |s| {
                    s.on_response_trailers(id, n)
                })
            };
            if !matches!(self.flow(answer), Flow::Continue) {
                return false;
            }
        }
        true
    }

    /// The end of a stream in the spec's order: `proxy_on_done`, then, if it agrees,
    /// `proxy_on_log` and `proxy_on_delete`.
    fn finish_stream(&mut self, id: ContextId) {
        if let Some(s) = self.stream() {
            s.phase = Phase::Done;
        }
        match self.call(Some(id), "proxy_on_done", |s| s.on_done(id)) {
            Some(true) => {
                self.call(Some(id), "proxy_on_log", |s| s.on_log(id));
                self.call(Some(id), "proxy_on_delete", |s| s.on_delete(id));
            }
            Some(false) => self.fail(
                Some(id),
                "proxy_on_done",
                "returned false for a stream; proxy_on_log/proxy_on_delete are not called".into(),
            ),
            None => {}
        }
    }

    /// The root context's end: `proxy_on_done`, and `proxy_on_delete` once it agrees.
    fn shutdown(&mut self) {
        let Some(root) = self.root else { return };
        if self.guest.is_poisoned() {
            return;
        }
        match self.call(Some(root), "proxy_on_done", |s| s.on_done(root)) {
            Some(true) => {
                self.call(Some(root), "proxy_on_delete", |s| s.on_delete(root));
            }
            Some(false) => self.fail(
                Some(root),
                "proxy_on_done",
                "returned false and no later callback called proxy_done".into(),
            ),
            None => {}
        }
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn pairs(list: &[(String, String)]) -> HeaderPairs<'_> {
    list.iter()
        .map(|(k, v)| (Cow::Borrowed(k.as_bytes()), Cow::Borrowed(v.as_bytes())))
        .collect()
}
