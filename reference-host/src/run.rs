//! Runs a scenario: loads the plugin, starts it, drives its contexts through the events in the
//! spec's lifecycle order (spec v0.2.1 `Context lifecycle` lines 146-208), and collects the
//! transcript.

use crate::callouts::Callouts;
use crate::load::{self, LoadError};
use crate::pairs;
use crate::scenario::{Event, HttpStream, Message, Scenario};
use crate::state::{HostState, MetricState, Phase, ROOT_ID, Stream};
use crate::transcript::{Failure, HttpOutcome, MessageOut, Metric, Transcript};
use proxy_wasm_host_abi::v0_2_1::{Action, BufferType, LogLevel, MetricType};
use proxy_wasm_host_abi::{CallError, Callbacks, Trap, add_to_linker, add_wasi_to_linker};
use wasmtime::{Config, Engine, Linker, Module, Store, StoreLimitsBuilder};

/// A wasmtime engine configured as runs need it (fuel metering). Make one and share it across
/// runs: [`run_with`] compiles each module on it.
pub fn engine() -> Result<Engine, LoadError> {
    let mut config = Config::new();
    config.consume_fuel(true);
    // Probes and test plugins are small and short-lived: compiling fast beats running fast.
    config.cranelift_opt_level(wasmtime::OptLevel::None);
    config.strategy(wasmtime::Strategy::Winch);
    config.cranelift_regalloc_algorithm(wasmtime::RegallocAlgorithm::SinglePass);
    config.native_unwind_info(false);
    config.memory_reservation(1 << 20);
    config.memory_guard_size(64 << 10);
    Engine::new(&config).map_err(|e| LoadError::Compile(format!("{e:#}")))
}

/// Loads `wasm`, runs `scenario` against it and returns what happened. Problems inside the
/// plugin (traps, refusals) are part of the transcript; only a plugin that cannot be loaded at
/// all is an `Err`.
pub fn run(wasm: &[u8], scenario: &Scenario) -> Result<Transcript, LoadError> {
    run_with(&engine()?, wasm, scenario)
}

/// [`run`] on an engine made by [`engine`].
pub fn run_with(
    engine: &Engine,
    wasm: &[u8],
    scenario: &Scenario,
) -> Result<Transcript, LoadError> {
    run_changed(engine, wasm, scenario, |_| Ok(()))
}

/// [`run_with`], letting `change` redefine host functions after the version's are linked (with
/// shadowing allowed): how tests build a deliberately broken host.
pub fn run_changed(
    engine: &Engine,
    wasm: &[u8],
    scenario: &Scenario,
    change: impl FnOnce(&mut Linker<HostState>) -> wasmtime::Result<()>,
) -> Result<Transcript, LoadError> {
    let version = load::detect(wasm)?;
    if let Some(expected) = &scenario.expect_abi
        && expected != version.as_str()
    {
        return Err(LoadError::WrongVersion {
            expected: expected.clone(),
            found: version,
        });
    }
    let module = Module::new(engine, wasm).map_err(|e| LoadError::Compile(format!("{e:#}")))?;
    // Without an allocator no result could ever reach the plugin; proxy-wasm-cpp-host refuses
    // such a module too (src/wasm.cc WasmBase::getFunctions, "missing malloc function").
    if !module
        .exports()
        .any(|e| matches!(e.name(), "proxy_on_memory_allocate" | "malloc"))
    {
        return Err(LoadError::Callback(
            "the module exports neither proxy_on_memory_allocate nor malloc, so the host could \
             never hand it a result"
                .to_string(),
        ));
    }
    let mut linker = Linker::new(engine);
    add_to_linker(version, &mut linker)
        .and_then(|()| add_wasi_to_linker(version, &mut linker))
        .map_err(|e| LoadError::Link(format!("{e:#}")))?;
    linker.allow_shadowing(true);
    change(&mut linker).map_err(|e| LoadError::Link(format!("{e:#}")))?;
    let pre = linker
        .instantiate_pre(&module)
        .map_err(|e| LoadError::Link(format!("{e:#}")))?;

    let limits = StoreLimitsBuilder::new()
        .memory_size(scenario.limits.memory_bytes)
        .build();
    let mut state = HostState::new(limits);
    state.transcript.abi_version = version.as_str().to_string();
    state.vm_configuration = scenario.vm_configuration.as_bytes().to_vec();
    state.plugin_configuration = scenario.plugin_configuration.as_bytes().to_vec();
    state.properties = scenario
        .properties
        .iter()
        .map(|(k, v)| (k.clone(), v.as_bytes().to_vec()))
        .collect();
    state.environment = scenario
        .environment
        .iter()
        .map(|e| e.as_bytes().to_vec())
        .collect();
    if let Some(level) = &scenario.log_level {
        state.log_level = parse_level(level).ok_or_else(|| {
            LoadError::Malformed(format!(
                "log_level `{level}` is not trace, debug, info, warn, error or critical"
            ))
        })?;
    }
    state.callouts = Callouts::new(scenario).map_err(LoadError::Malformed)?;
    let mut store = Store::new(engine, state);
    store.limiter(|s| &mut s.limits);
    let fuel = scenario.limits.fuel_per_call;
    let _ = store.set_fuel(fuel);
    let instance = match pre.instantiate(&mut store) {
        Ok(instance) => instance,
        Err(e) => {
            let mut transcript = std::mem::take(&mut store.data_mut().transcript);
            transcript.errors.push(Failure {
                context: None,
                callback: "instantiation".to_string(),
                message: format!("{e:#}"),
            });
            return Ok(transcript);
        }
    };
    let exports = Callbacks::new(version, &mut store, &instance)
        .map_err(|e| LoadError::Callback(e.to_string()))?;
    let mut driver = Driver {
        store,
        exports,
        fuel,
        next_stream: ROOT_ID + 1,
        next_tick_ns: None,
        tick_period_ms: 0,
        delivering: false,
        exited: false,
    };
    if driver.start() {
        for event in &scenario.events {
            match event {
                Event::Http(stream) => driver.http(stream),
                Event::Tcp(connection) => driver.tcp(connection),
                Event::Tick(ms) => driver.advance(ms.saturating_mul(1_000_000)),
                Event::Enqueue { queue, data } => driver.enqueue(queue, data),
                Event::ForeignFunction { id, data } => driver.foreign_function(*id, data),
            }
        }
        driver.shutdown();
    }
    Ok(driver.finish())
}

fn parse_level(level: &str) -> Option<LogLevel> {
    Some(match level {
        "trace" => LogLevel::Trace,
        "debug" => LogLevel::Debug,
        "info" => LogLevel::Info,
        "warn" => LogLevel::Warn,
        "error" => LogLevel::Error,
        "critical" => LogLevel::Critical,
        _ => return None,
    })
}

/// Drives one plugin instance through a scenario.
pub(crate) struct Driver {
    pub(crate) store: Store<HostState>,
    pub(crate) exports: Callbacks,
    fuel: u64,
    pub(crate) next_stream: u32,
    next_tick_ns: Option<u64>,
    tick_period_ms: u64,
    /// Set while owed answers are being delivered, so deliveries do not nest.
    pub(crate) delivering: bool,
    /// Set once the plugin called `proc_exit`: the instance has ended.
    exited: bool,
}

/// How a stream callback ended.
pub(crate) enum Flow {
    Continue,
    /// Paused and not resumed during the callback.
    Stalled,
    /// The plugin answered with a local response.
    Answered,
    /// The plugin reset or closed the stream.
    Closed,
}

impl Driver {
    /// Calls into the plugin for `context`: fresh fuel, the effective context reset, and any
    /// failure recorded rather than returned. Once the plugin has exited nothing is called.
    pub(crate) fn call<T>(
        &mut self,
        context: u32,
        callback: &str,
        f: impl FnOnce(&Callbacks, &mut Store<HostState>) -> Result<Option<T>, CallError>,
    ) -> Result<Option<T>, ()> {
        if self.exited {
            return Err(());
        }
        let _ = self.store.set_fuel(self.fuel);
        {
            let state = self.store.data_mut();
            state.current = context;
            state.effective = None;
        }
        let result = f(&self.exports, &mut self.store);
        self.store.data_mut().effective = None;
        self.sync_timer();
        let outcome = result.map_err(|e| {
            let message = match &e {
                CallError::Trap { .. } if self.store.get_fuel().is_ok_and(|fuel| fuel == 0) => {
                    format!("{e} (its fuel of {} ran out)", self.fuel)
                }
                CallError::Trap { error, .. } => format!("trapped: {error:#}"),
                CallError::Host {
                    trap: Trap::Exit(_),
                    ..
                } => {
                    self.exited = true;
                    e.to_string()
                }
                _ => e.to_string(),
            };
            self.fail(Some(context), callback, message);
        });
        self.deliver_pending();
        outcome
    }

    pub(crate) fn fail(&mut self, context: Option<u32>, callback: &str, message: String) {
        self.store.data_mut().transcript.errors.push(Failure {
            context,
            callback: callback.to_string(),
            message,
        });
    }

    /// Start functions (spec: `_initialize` then `main`, else `_start`) and the root context's
    /// creation, VM start and configuration. False if the plugin did not come up.
    fn start(&mut self) -> bool {
        let exports = &self.exports;
        let started = if exports.has("_initialize") {
            let main = if exports.has("main") {
                Some("main")
            } else if exports.has("__main_void") {
                // cpp-host also runs `__main_void` when `main` is absent (src/wasm.cc
                // WasmBase::startVm).
                Some("__main_void")
            } else {
                None
            };
            self.call(0, "_initialize", |e, s| e._initialize(s)).is_ok()
                && match main {
                    Some("main") => self.call(0, "main", |e, s| e.main(s, 0, 0)).is_ok(),
                    Some(_) => self.call(0, "__main_void", |e, s| e.__main_void(s)).is_ok(),
                    None => true,
                }
        } else {
            self.call(0, "_start", |e, s| e._start(s)).is_ok()
        };
        if !started {
            return false;
        }
        if self
            .call(ROOT_ID, "proxy_on_context_create", |e, s| {
                e.proxy_on_context_create(s, ROOT_ID, 0)
            })
            .is_err()
        {
            return false;
        }
        let vm = u32::try_from(self.store.data().vm_configuration.len()).unwrap_or(u32::MAX);
        self.store.data_mut().configuration_visible = Some(BufferType::VmConfiguration);
        let ok = self.call(ROOT_ID, "proxy_on_vm_start", |e, s| {
            e.proxy_on_vm_start(s, ROOT_ID, vm)
        });
        self.store.data_mut().configuration_visible = None;
        if !self.accepted(ok, "proxy_on_vm_start") {
            return false;
        }
        let plugin =
            u32::try_from(self.store.data().plugin_configuration.len()).unwrap_or(u32::MAX);
        self.store.data_mut().configuration_visible = Some(BufferType::PluginConfiguration);
        let ok = self.call(ROOT_ID, "proxy_on_configure", |e, s| {
            e.proxy_on_configure(s, ROOT_ID, plugin)
        });
        self.store.data_mut().configuration_visible = None;
        self.accepted(ok, "proxy_on_configure")
    }

    /// A bool answer: absent or true accepts; false is recorded (cpp-host fails the plugin).
    fn accepted(&mut self, answer: Result<Option<bool>, ()>, callback: &str) -> bool {
        match answer {
            Ok(Some(true) | None) => true,
            Ok(Some(false)) => {
                self.fail(
                    Some(ROOT_ID),
                    callback,
                    "returned false: the plugin refused to start".into(),
                );
                false
            }
            Err(()) => false,
        }
    }

    /// Notices a new tick period: the next tick is one period from now.
    fn sync_timer(&mut self) {
        let period = self.store.data().tick_period_ms;
        if period != self.tick_period_ms {
            self.tick_period_ms = period;
            self.next_tick_ns = (period > 0).then(|| {
                self.store
                    .data()
                    .elapsed_ns
                    .saturating_add(period.saturating_mul(1_000_000))
            });
        }
    }

    /// Moves virtual time forward, calling `proxy_on_tick` for every period that ends on the way.
    fn advance(&mut self, by_ns: u64) {
        let target = self.store.data().elapsed_ns.saturating_add(by_ns);
        while let Some(due) = self.next_tick_ns.filter(|due| *due <= target) {
            self.store.data_mut().elapsed_ns = due;
            self.next_tick_ns =
                Some(due.saturating_add(self.tick_period_ms.saturating_mul(1_000_000)));
            if self
                .call(ROOT_ID, "proxy_on_tick", |e, s| e.proxy_on_tick(s, ROOT_ID))
                .is_err()
            {
                break;
            }
        }
        self.store.data_mut().elapsed_ns = target;
    }

    fn stream(&mut self, id: u32) -> Option<&mut Stream> {
        self.store.data_mut().streams.get_mut(&id)
    }

    /// The action a stream callback returned, and what the plugin did meanwhile.
    fn flow(&mut self, id: u32, answer: Result<Option<Action>, ()>) -> Flow {
        let Some(stream) = self.stream(id) else {
            return Flow::Stalled;
        };
        if stream.local_response.is_some() {
            return Flow::Answered;
        }
        if stream.reset {
            return Flow::Closed;
        }
        let resumed = stream.resumed;
        match answer {
            // Not exported: the stream goes on (spec: callbacks are optional).
            Ok(None) => Flow::Continue,
            Ok(Some(Action::Continue)) => Flow::Continue,
            Ok(Some(_)) if resumed => Flow::Continue,
            // Paused, or failed: the stream cannot go on.
            Ok(Some(_)) | Err(()) => Flow::Stalled,
        }
    }

    /// One HTTP exchange through the plugin.
    fn http(&mut self, exchange: &HttpStream) {
        let id = self.next_stream;
        self.next_stream = self.next_stream.saturating_add(1);
        let mut outcome = HttpOutcome {
            context: id,
            ..HttpOutcome::default()
        };
        let request = &exchange.request;
        self.store
            .data_mut()
            .streams
            .insert(id, Stream::new(pairs::from_text(&request.headers)));
        let created = self.call(id, "proxy_on_context_create", |e, s| {
            e.proxy_on_context_create(s, id, ROOT_ID)
        });
        if created.is_ok() {
            match self.direction(id, request, Direction::Request) {
                Ok(sent) => {
                    outcome.upstream_request = Some(sent);
                    match self.direction(id, &exchange.response, Direction::Response) {
                        Ok(received) => outcome.downstream_response = Some(received),
                        Err(end) => self.end(id, end, &mut outcome),
                    }
                }
                Err(end) => self.end(id, end, &mut outcome),
            }
        }
        self.finish_stream(id);
        self.store.data_mut().transcript.http.push(outcome);
    }

    fn end(&mut self, id: u32, end: End, outcome: &mut HttpOutcome) {
        match end {
            End::Stalled(phase) => outcome.stalled_in = Some(phase.to_string()),
            End::Reset => outcome.reset = true,
            End::Answered => {
                let local = self.stream(id).and_then(|s| s.local_response.clone());
                if let Some(local) = local {
                    let mut headers = vec![(":status".to_string(), local.status.to_string())];
                    headers.extend(pairs::to_text(&local.headers));
                    outcome.local_response = true;
                    outcome.downstream_response = Some(MessageOut {
                        headers,
                        body: String::from_utf8_lossy(&local.body).into_owned(),
                        trailers: Vec::new(),
                    });
                }
            }
        }
    }

    /// Headers, body chunks and trailers of one direction; what leaves the host, or why the
    /// stream stopped.
    fn direction(&mut self, id: u32, message: &Message, dir: Direction) -> Result<MessageOut, End> {
        let (headers_phase, body_phase, trailers_phase) = dir.phases();
        let no_body = message.body.is_empty();
        let no_trailers = message.trailers.is_empty();
        if let Some(s) = self.stream(id) {
            s.phase = headers_phase;
            s.resumed = false;
            if dir == Direction::Response {
                s.response_headers = pairs::from_text(&message.headers);
            }
        }
        let n = count(&message.headers);
        let eos = no_body && no_trailers;
        let answer = self.call(id, dir.headers_callback(), |e, s| match dir {
            Direction::Request => e.proxy_on_request_headers(s, id, n, eos),
            Direction::Response => e.proxy_on_response_headers(s, id, n, eos),
        });
        self.check(id, answer, headers_phase)?;

        let mut body_out = Vec::new();
        let mut buffered: Vec<u8> = Vec::new();
        for (i, chunk) in message.body.iter().enumerate() {
            let last = i + 1 == message.body.len() && no_trailers;
            let size = {
                let Some(s) = self.stream(id) else {
                    return Err(End::Stalled(body_phase.name()));
                };
                s.phase = body_phase;
                s.resumed = false;
                buffered.extend_from_slice(chunk.as_bytes());
                s.body = std::mem::take(&mut buffered);
                u32::try_from(s.body.len()).unwrap_or(u32::MAX)
            };
            let answer = self.call(id, dir.body_callback(), |e, s| match dir {
                Direction::Request => e.proxy_on_request_body(s, id, size, last),
                Direction::Response => e.proxy_on_response_body(s, id, size, last),
            });
            match self.flow(id, answer) {
                Flow::Continue => {
                    if let Some(s) = self.stream(id) {
                        body_out.append(&mut s.body);
                    }
                }
                // Envoy buffers a paused body and offers it again with the next chunk.
                Flow::Stalled if !last => {
                    if let Some(s) = self.stream(id) {
                        buffered = std::mem::take(&mut s.body);
                    }
                }
                Flow::Stalled => return Err(End::Stalled(body_phase.name())),
                Flow::Answered => return Err(End::Answered),
                Flow::Closed => return Err(End::Reset),
            }
        }

        if !no_trailers {
            if let Some(s) = self.stream(id) {
                s.phase = trailers_phase;
                s.resumed = false;
                match dir {
                    Direction::Request => s.request_trailers = pairs::from_text(&message.trailers),
                    Direction::Response => {
                        s.response_trailers = pairs::from_text(&message.trailers)
                    }
                }
            }
            let n = count(&message.trailers);
            let answer = self.call(id, dir.trailers_callback(), |e, s| match dir {
                Direction::Request => e.proxy_on_request_trailers(s, id, n),
                Direction::Response => e.proxy_on_response_trailers(s, id, n),
            });
            self.check(id, answer, trailers_phase)?;
        }
        let Some(s) = self.stream(id) else {
            return Err(End::Stalled(trailers_phase.name()));
        };
        let (headers, trailers) = match dir {
            Direction::Request => (&s.request_headers, &s.request_trailers),
            Direction::Response => (&s.response_headers, &s.response_trailers),
        };
        Ok(MessageOut {
            headers: pairs::to_text(headers),
            body: String::from_utf8_lossy(&body_out).into_owned(),
            trailers: pairs::to_text(trailers),
        })
    }

    fn check(
        &mut self,
        id: u32,
        answer: Result<Option<Action>, ()>,
        phase: Phase,
    ) -> Result<(), End> {
        match self.flow(id, answer) {
            Flow::Continue => Ok(()),
            Flow::Stalled => Err(End::Stalled(phase.name())),
            Flow::Answered => Err(End::Answered),
            Flow::Closed => Err(End::Reset),
        }
    }

    /// The end of a stream or connection in the spec's order: `proxy_on_done`, then, if it
    /// agrees, `proxy_on_log` and `proxy_on_delete`.
    pub(crate) fn finish_stream(&mut self, id: u32) {
        if let Some(s) = self.stream(id) {
            s.phase = Phase::Done;
        }
        let done = self.call(id, "proxy_on_done", |e, s| e.proxy_on_done(s, id));
        match done {
            Ok(Some(true) | None) => {
                let _ = self.call(id, "proxy_on_log", |e, s| e.proxy_on_log(s, id));
                let _ = self.call(id, "proxy_on_delete", |e, s| e.proxy_on_delete(s, id));
            }
            Ok(Some(false)) => self.fail(
                Some(id),
                "proxy_on_done",
                "returned false for a stream; this host never calls proxy_on_log/proxy_on_delete for it".into(),
            ),
            Err(()) => {}
        }
        let state = self.store.data_mut();
        state.streams.remove(&id);
        state.connections.remove(&id);
    }

    /// The root context's end as cpp-host's src/wasm.cc WasmBase::startShutdown: `proxy_on_done`,
    /// and `proxy_on_delete` once it agrees; no `proxy_on_log` for the root.
    fn shutdown(&mut self) {
        let done = self.call(ROOT_ID, "proxy_on_done", |e, s| e.proxy_on_done(s, ROOT_ID));
        match done {
            Ok(Some(true) | None) => {
                let _ = self.call(ROOT_ID, "proxy_on_delete", |e, s| {
                    e.proxy_on_delete(s, ROOT_ID)
                });
            }
            Ok(Some(false)) => {
                self.store.data_mut().root_done_pending = true;
                self.fail(
                    Some(ROOT_ID),
                    "proxy_on_done",
                    "returned false and no later callback called proxy_done".into(),
                );
            }
            Err(()) => {}
        }
    }

    fn finish(mut self) -> Transcript {
        let state = self.store.data_mut();
        let mut transcript = std::mem::take(&mut state.transcript);
        transcript.queues = (state.callouts.queues.iter())
            .map(|q| {
                let items = q
                    .items
                    .iter()
                    .map(|i| String::from_utf8_lossy(i).into_owned());
                (
                    String::from_utf8_lossy(&q.name).into_owned(),
                    items.collect(),
                )
            })
            .collect();
        transcript.metrics = state.metrics.iter().map(metric).collect();
        transcript.shared_data = state
            .shared
            .iter()
            .map(|(k, (v, _))| {
                (
                    String::from_utf8_lossy(k).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
            .collect();
        transcript
    }
}

/// Why a direction did not complete.
enum End {
    Stalled(&'static str),
    Answered,
    Reset,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Request,
    Response,
}

impl Direction {
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

fn metric(m: &MetricState) -> Metric {
    Metric {
        name: m.name.clone(),
        kind: match m.kind {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
        }
        .to_string(),
        value: m.value,
    }
}
