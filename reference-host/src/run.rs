//! Runs a scenario: loads the plugin, starts it, drives its contexts through the events in the
//! spec's lifecycle order (spec v0.2.1 `Context lifecycle` lines 146-208), and collects the
//! transcript.

use crate::attributes::http_to_grpc;
use crate::callouts::Callouts;
use crate::load::{self, LoadError};
use crate::pairs;
use crate::scenario::{Event, HttpStream, LogLevelName, Message, Scenario, StreamPart};
use crate::state::{EPOCH_NS, HostState, LocalResponse, MetricState, Phase, ROOT_ID, Stream};
use crate::transcript::{FailedStream, Failure, HttpOutcome, MessageOut, Metric, Transcript};
use proxy_wasm_host_abi::v0_2_1::{Action, BufferType, LogLevel, MetricType};
use proxy_wasm_host_abi::{
    AbiVersion, CallError, Callbacks, Trap, add_to_linker, add_wasi_to_linker,
};
use proxy_wasm_interchange::Bytes;
use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstancePre, Linker, Module, Store, StoreLimitsBuilder,
};

/// A wasmtime engine configured as runs need it (fuel metering). Make one and share it across
/// runs: [`run_with`] compiles each module on it.
pub fn engine() -> Result<Engine, LoadError> {
    Engine::new(&config()).map_err(|e| LoadError::Compile(format!("{e:#}")))
}

/// [`engine`] keeping compiled modules in wasmtime's on-disk cache, in `dir` or wasmtime's
/// default cache directory: a module compiled once (the same bytes on the same wasmtime with the
/// same settings) loads from disk after that, about twenty times faster than compiling it.
pub fn cached_engine(dir: Option<&std::path::Path>) -> Result<Engine, LoadError> {
    let mut cache = CacheConfig::new();
    if let Some(dir) = dir {
        let dir = std::path::absolute(dir)
            .map_err(|e| LoadError::Compile(format!("cache directory {}: {e}", dir.display())))?;
        cache.with_directory(dir);
    }
    let cache = Cache::new(cache).map_err(|e| LoadError::Compile(format!("cache: {e:#}")))?;
    let mut config = config();
    config.cache(Some(cache));
    Engine::new(&config).map_err(|e| LoadError::Compile(format!("{e:#}")))
}

fn config() -> Config {
    let mut config = Config::new();
    config.consume_fuel(true);
    // Probes and test plugins are small and short-lived: compiling fast beats running fast.
    config.cranelift_opt_level(wasmtime::OptLevel::None);
    config.strategy(wasmtime::Strategy::Winch);
    config.cranelift_regalloc_algorithm(wasmtime::RegallocAlgorithm::SinglePass);
    config.native_unwind_info(false);
    config.memory_reservation(1 << 20);
    config.memory_guard_size(64 << 10);
    config
}

/// Loads `wasm`, runs `scenario` against it and returns what happened. Problems inside the
/// plugin (traps, refusals) are part of the transcript; only a plugin that cannot be loaded at
/// all is an `Err`.
pub fn run(wasm: &[u8], scenario: &Scenario) -> Result<Transcript, LoadError> {
    Runtime::new(engine()?)?.run(wasm, scenario)
}

/// An engine and every ABI version's linker, made once and shared across runs and threads, so a
/// run only compiles (or loads) its module and instantiates it.
pub struct Runtime {
    engine: Engine,
    linkers: Vec<(AbiVersion, Linker<HostState>)>,
}

impl Runtime {
    /// Links every version's host functions on `engine` (made by [`engine`] or
    /// [`cached_engine`]).
    pub fn new(engine: Engine) -> Result<Self, LoadError> {
        let linkers = AbiVersion::ALL
            .into_iter()
            .map(|version| {
                let mut linker = Linker::new(&engine);
                add_to_linker(version, &mut linker)
                    .and_then(|()| add_wasi_to_linker(version, &mut linker))
                    .map_err(|e| LoadError::Link(format!("{e:#}")))?;
                Ok((version, linker))
            })
            .collect::<Result<_, LoadError>>()?;
        Ok(Self { engine, linkers })
    }

    /// The engine modules are compiled on.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Loads `wasm`, runs `scenario` against it and returns what happened (see [`run`]).
    pub fn run(&self, wasm: &[u8], scenario: &Scenario) -> Result<Transcript, LoadError> {
        let (version, module) = self.load(wasm, scenario)?;
        let pre = self
            .linker(version)?
            .instantiate_pre(&module)
            .map_err(|e| LoadError::Link(format!("{e:#}")))?;
        run_linked(&self.engine, version, &pre, scenario)
    }

    /// [`Runtime::run`], letting `change` redefine host functions after the version's are linked
    /// (with shadowing allowed): how tests build a deliberately broken host.
    pub fn run_changed(
        &self,
        wasm: &[u8],
        scenario: &Scenario,
        change: impl FnOnce(&mut Linker<HostState>) -> wasmtime::Result<()>,
    ) -> Result<Transcript, LoadError> {
        let (version, module) = self.load(wasm, scenario)?;
        let mut linker = self.linker(version)?.clone();
        linker.allow_shadowing(true);
        change(&mut linker).map_err(|e| LoadError::Link(format!("{e:#}")))?;
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| LoadError::Link(format!("{e:#}")))?;
        run_linked(&self.engine, version, &pre, scenario)
    }

    fn linker(&self, version: AbiVersion) -> Result<&Linker<HostState>, LoadError> {
        self.linkers
            .iter()
            .find(|(v, _)| *v == version)
            .map(|(_, linker)| linker)
            .ok_or_else(|| LoadError::Link(format!("no linker for ABI {}", version.as_str())))
    }

    /// Detects the module's version, checks it against the scenario's, and compiles it.
    fn load(&self, wasm: &[u8], scenario: &Scenario) -> Result<(AbiVersion, Module), LoadError> {
        let version = load::detect(wasm)?;
        if let Some(expected) = &scenario.expect_abi
            && expected != version.as_str()
        {
            return Err(LoadError::WrongVersion {
                expected: expected.clone(),
                found: version,
            });
        }
        let module =
            Module::new(&self.engine, wasm).map_err(|e| LoadError::Compile(format!("{e:#}")))?;
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
        Ok((version, module))
    }
}

/// Instantiates a linked module and drives it through `scenario`.
fn run_linked(
    engine: &Engine,
    version: AbiVersion,
    pre: &InstancePre<HostState>,
    scenario: &Scenario,
) -> Result<Transcript, LoadError> {
    let limits = StoreLimitsBuilder::new()
        .memory_size(scenario.limits.memory_bytes)
        .build();
    let mut state = HostState::new(limits);
    state.transcript.abi_version = version.as_str().to_string();
    state.vm_configuration = scenario.vm_configuration.as_bytes().to_vec();
    state.plugin_configuration = scenario.plugin_configuration.as_bytes().to_vec();
    // Envoy's plugin attributes (source/extensions/common/wasm/context.cc Context::findValue),
    // unless the scenario's properties name them.
    let plugin = [
        (
            "plugin_name",
            scenario.plugin_name.as_deref().unwrap_or(PLUGIN_NAME),
        ),
        ("plugin_root_id", scenario.root_id.as_str()),
        ("plugin_vm_id", scenario.vm_id.as_str()),
    ];
    state.properties = plugin
        .iter()
        .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
        .chain((scenario.properties.iter()).map(|(k, v)| (k.clone(), v.as_bytes().to_vec())))
        .collect();
    state.environment = scenario
        .environment
        .iter()
        .map(|e| e.as_bytes().to_vec())
        .collect();
    if let Some(level) = scenario.log_level {
        state.log_level = match level {
            LogLevelName::Trace => LogLevel::Trace,
            LogLevelName::Debug => LogLevel::Debug,
            LogLevelName::Info => LogLevel::Info,
            LogLevelName::Warn => LogLevel::Warn,
            LogLevelName::Error => LogLevel::Error,
            LogLevelName::Critical => LogLevel::Critical,
        };
    }
    state.callouts = Callouts::new(scenario).map_err(LoadError::Scenario)?;
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
        failed: None,
        fail_open: scenario.fail_open,
        abort_after: None,
    };
    // A plugin that did not start is a failed VM: the events still come, and get what a failed
    // VM gives them.
    driver.start();
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
    Ok(driver.finish())
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
    /// Why the VM failed, once it has: a trap, exhausted fuel or `proc_exit` in a callback, or
    /// a refused start. A failed VM is never entered again (proxy-wasm-cpp-host src/context.cc:
    /// every `ContextBase::on*` checks `isFailed()` first).
    pub(crate) failed: Option<String>,
    /// What streams get from a failed VM: passed unchanged, or 503 (scenario `fail_open`).
    pub(crate) fail_open: bool,
    /// The phase after which the client of the running stream resets it.
    abort_after: Option<Phase>,
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
    /// The VM failed and streams fail closed.
    Failed,
}

impl Driver {
    /// Calls into the plugin for `context`: fresh fuel, the effective context reset, and any
    /// failure recorded rather than returned. A trap (exhausted fuel included) or a host
    /// function ending the call fails the VM, as in proxy-wasm-cpp-host (src/wasm_vm.h
    /// `WasmVm::fail` with `FailState::RuntimeError`); once it has failed, nothing is called
    /// and the call is recorded as not made.
    pub(crate) fn call<T>(
        &mut self,
        context: u32,
        callback: &str,
        f: impl FnOnce(&Callbacks, &mut Store<HostState>) -> Result<Option<T>, CallError>,
    ) -> Result<Option<T>, ()> {
        if let Some(why) = &self.failed {
            let message = format!("not called: the VM failed earlier ({why})");
            self.fail(Some(context), callback, message);
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
            let fuel_out = self.store.get_fuel().is_ok_and(|fuel| fuel == 0);
            let (message, failure) = match &e {
                CallError::Trap { .. } if fuel_out => (
                    format!("{e} (its fuel of {} ran out)", self.fuel),
                    Some("ran out of fuel"),
                ),
                CallError::Trap { error, .. } => (format!("trapped: {error:#}"), Some("trapped")),
                CallError::Host {
                    trap: Trap::Exit(_),
                    ..
                } => (e.to_string(), Some("called proc_exit")),
                CallError::Host { .. } => (e.to_string(), Some("was ended by a host function")),
                _ => (e.to_string(), None),
            };
            if let Some(failure) = failure {
                self.failed = Some(format!("{callback} of context {context} {failure}"));
            }
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
    /// creation, VM start and configuration. A plugin that does not come up leaves the VM
    /// failed, as cpp-host's `WasmBase::start` and `configure` failing leave the plugin unusable.
    fn start(&mut self) {
        if !self.started() && self.failed.is_none() {
            self.failed = Some("the plugin did not start".into());
        }
    }

    fn started(&mut self) -> bool {
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
                self.failed = Some(format!("{callback} returned false"));
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
        if let Some(why) = self.failed.clone() {
            self.failed_stream(id, exchange, &why, &mut outcome);
            self.store.data_mut().transcript.http.push(outcome);
            return;
        }
        let mut stream = Stream::new(pairs::from_text(&request.headers));
        stream.started_ns = EPOCH_NS.saturating_add(self.store.data().elapsed_ns);
        stream.properties = (exchange.properties.iter())
            .map(|(k, v)| (k.clone(), v.as_bytes().to_vec()))
            .collect();
        self.store.data_mut().streams.insert(id, stream);
        self.abort_after = exchange.client_abort.map(|part| match part {
            StreamPart::RequestHeaders => Phase::RequestHeaders,
            StreamPart::RequestBody => Phase::RequestBody,
            StreamPart::RequestTrailers => Phase::RequestTrailers,
            StreamPart::ResponseHeaders => Phase::ResponseHeaders,
            StreamPart::ResponseBody => Phase::ResponseBody,
        });
        let created = self.call(id, "proxy_on_context_create", |e, s| {
            e.proxy_on_context_create(s, id, ROOT_ID)
        });
        if created.is_ok() {
            match self.direction(id, request, Direction::Request) {
                Ok(sent) => {
                    outcome.upstream_request = Some(sent);
                    // The router sets it as the upstream's headers arrive.
                    if let Some(s) = self.stream(id) {
                        s.code_details = Some(b"via_upstream".to_vec());
                    }
                    match self.direction(id, &exchange.response, Direction::Response) {
                        Ok(received) => outcome.downstream_response = Some(received),
                        Err(ended) => self.end(id, ended, Direction::Response, &mut outcome),
                    }
                }
                Err(ended) => self.end(id, ended, Direction::Request, &mut outcome),
            }
        }
        if self.failed.is_some() {
            outcome.vm_failed = Some(self.failed_mode());
        }
        self.finish_stream(id);
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
                    headers: pairs::to_text(&pairs::from_text(&m.headers)),
                    body: Bytes::concat(&m.body),
                    trailers: pairs::to_text(&pairs::from_text(&m.trailers)),
                };
                out.upstream_request = Some(unchanged(&exchange.request));
                out.downstream_response = Some(unchanged(&exchange.response));
                "it passed unchanged (fail_open)"
            }
        };
        let message = format!("stream not run: the VM failed earlier ({why}); {what}");
        self.fail(Some(id), "proxy_on_context_create", message);
    }

    /// A direction that ended early: what it had forwarded stays in the outcome.
    fn end(&mut self, id: u32, ended: Ended, dir: Direction, outcome: &mut HttpOutcome) {
        match dir {
            Direction::Request => outcome.upstream_request = ended.forwarded,
            Direction::Response => outcome.downstream_response = ended.forwarded,
        }
        match ended.end {
            End::Failed => outcome.downstream_response = Some(fail_closed_response()),
            End::Stalled(phase) => outcome.stalled_in = Some(phase.to_string()),
            End::Reset => outcome.reset = true,
            End::Aborted => outcome.client_aborted = true,
            End::Answered => self.answer(id, dir, outcome),
        }
    }

    /// The plugin's local response, as Envoy's source/common/http/filter_manager.cc
    /// `sendLocalReply` delivers it: answered before any response, it goes through the filter
    /// chain, so the plugin's own response callbacks see it; answered in the response before
    /// its headers went out, it goes to the client directly; after, Envoy can only reset.
    fn answer(&mut self, id: u32, dir: Direction, outcome: &mut HttpOutcome) {
        let Some((local, request)) = self.stream(id).and_then(|s| {
            s.local_response
                .take()
                .map(|local| (local, s.request_headers.clone()))
        }) else {
            return;
        };
        let reply = envoy_local_reply(&local, &request);
        if let Some(s) = self.stream(id) {
            s.code_details = Some(local.details.clone());
        }
        if dir == Direction::Response {
            if outcome.downstream_response.is_some() {
                outcome.reset = true;
            } else {
                outcome.local_response = true;
                outcome.downstream_response = Some(MessageOut {
                    headers: reply.headers,
                    body: Bytes::concat(&reply.body),
                    trailers: Vec::new(),
                });
            }
            return;
        }
        outcome.local_response = true;
        match self.direction(id, &reply, Direction::Response) {
            Ok(received) => outcome.downstream_response = Some(received),
            Err(ended) => self.end(id, ended, Direction::Response, outcome),
        }
    }

    /// Headers, body chunks and trailers of one direction; what leaves the host, or why the
    /// stream stopped.
    fn direction(
        &mut self,
        id: u32,
        message: &Message,
        dir: Direction,
    ) -> Result<MessageOut, Ended> {
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
        let answer = self.live(|d| {
            d.call(id, dir.headers_callback(), |e, s| match dir {
                Direction::Request => e.proxy_on_request_headers(s, id, n, eos),
                Direction::Response => e.proxy_on_response_headers(s, id, n, eos),
            })
        });
        self.check(id, answer, headers_phase)
            .map_err(Ended::before)?;
        // The headers went out now; they cannot change after their phase, so an early end
        // reads them from the stream then.
        let partial = |d: &Self, body: &[u8]| MessageOut {
            headers: (d.store.data().streams.get(&id))
                .map(|s| {
                    pairs::to_text(match dir {
                        Direction::Request => &s.request_headers,
                        Direction::Response => &s.response_headers,
                    })
                })
                .unwrap_or_default(),
            body: body.into(),
            trailers: Vec::new(),
        };
        if dir == Direction::Request
            && let Some(s) = self.stream(id)
        {
            s.upstream = true;
        }
        if self.aborts(headers_phase) {
            return Err(Ended::after(End::Aborted, partial(self, &[])));
        }

        let mut body_out = Vec::new();
        let mut buffered: Vec<u8> = Vec::new();
        for (i, chunk) in message.body.iter().enumerate() {
            let last = i + 1 == message.body.len() && no_trailers;
            let size = {
                let Some(s) = self.stream(id) else {
                    return Err(Ended::after(
                        End::Stalled(body_phase.name()),
                        partial(self, &body_out),
                    ));
                };
                s.phase = body_phase;
                s.resumed = false;
                if dir == Direction::Request {
                    let len = i64::try_from(chunk.len()).unwrap_or(i64::MAX);
                    s.request_bytes = s.request_bytes.saturating_add(len);
                }
                buffered.extend_from_slice(chunk.as_bytes());
                s.body = std::mem::take(&mut buffered);
                u32::try_from(s.body.len()).unwrap_or(u32::MAX)
            };
            let answer = self.live(|d| {
                d.call(id, dir.body_callback(), |e, s| match dir {
                    Direction::Request => e.proxy_on_request_body(s, id, size, last),
                    Direction::Response => e.proxy_on_response_body(s, id, size, last),
                })
            });
            match self.flow(id, answer) {
                Flow::Continue => {
                    if let Some(s) = self.stream(id) {
                        if dir == Direction::Response {
                            let len = i64::try_from(s.body.len()).unwrap_or(i64::MAX);
                            s.response_bytes = s.response_bytes.saturating_add(len);
                        }
                        body_out.append(&mut s.body);
                    }
                }
                // Envoy buffers a paused body and offers it again with the next chunk.
                Flow::Stalled if !last => {
                    if let Some(s) = self.stream(id) {
                        buffered = std::mem::take(&mut s.body);
                    }
                }
                Flow::Stalled => {
                    let end = End::Stalled(body_phase.name());
                    return Err(Ended::after(end, partial(self, &body_out)));
                }
                Flow::Answered => {
                    return Err(Ended::after(End::Answered, partial(self, &body_out)));
                }
                Flow::Closed => return Err(Ended::after(End::Reset, partial(self, &body_out))),
                Flow::Failed => return Err(Ended::after(End::Failed, partial(self, &body_out))),
            }
        }

        if self.aborts(body_phase) {
            return Err(Ended::after(End::Aborted, partial(self, &body_out)));
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
            let answer = self.live(|d| {
                d.call(id, dir.trailers_callback(), |e, s| match dir {
                    Direction::Request => e.proxy_on_request_trailers(s, id, n),
                    Direction::Response => e.proxy_on_response_trailers(s, id, n),
                })
            });
            self.check(id, answer, trailers_phase)
                .map_err(|end| Ended::after(end, partial(self, &body_out)))?;
        }
        let Some(s) = self.stream(id) else {
            let end = End::Stalled(trailers_phase.name());
            return Err(Ended::after(end, partial(self, &body_out)));
        };
        let (headers, trailers) = match dir {
            Direction::Request => (&s.request_headers, &s.request_trailers),
            Direction::Response => (&s.response_headers, &s.response_trailers),
        };
        let out = MessageOut {
            headers: pairs::to_text(headers),
            body: body_out.into(),
            trailers: pairs::to_text(trailers),
        };
        if self.aborts(trailers_phase) {
            return Err(Ended::after(End::Aborted, out));
        }
        Ok(out)
    }

    /// Whether the client resets the stream once `phase` is through.
    fn aborts(&self, phase: Phase) -> bool {
        self.abort_after.is_some_and(|after| after <= phase)
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
            Flow::Failed => Err(End::Failed),
        }
    }

    /// A stream callback, unless the VM failed during the stream: then the stream goes on as
    /// the failure mode says without entering the plugin (see [`Driver::flow`]).
    fn live(
        &mut self,
        call: impl FnOnce(&mut Self) -> Result<Option<Action>, ()>,
    ) -> Result<Option<Action>, ()> {
        if self.failed.is_some() {
            Ok(None)
        } else {
            call(self)
        }
    }

    /// The end of a stream or connection in the spec's order: `proxy_on_done`, then, if it
    /// agrees, `proxy_on_log` and `proxy_on_delete`.
    pub(crate) fn finish_stream(&mut self, id: u32) {
        if let Some(s) = self.stream(id) {
            s.phase = Phase::Done;
        }
        // On a failed VM this records `proxy_on_done` as not called, and nothing follows it.
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
                let items = q.items.iter().map(|i| Bytes::from(i.as_slice()));
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
                    Bytes::from(v.as_slice()),
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
    /// The client reset the stream (scenario `client_abort`).
    Aborted,
    /// The VM failed and the stream failed closed.
    Failed,
}

/// How a direction ended early, with what it had forwarded (its headers, once they passed the
/// plugin, and the body so far).
struct Ended {
    end: End,
    forwarded: Option<MessageOut>,
}

impl Ended {
    fn before(end: End) -> Self {
        Ended {
            end,
            forwarded: None,
        }
    }

    fn after(end: End, forwarded: MessageOut) -> Self {
        Ended {
            end,
            forwarded: Some(forwarded),
        }
    }
}

/// The `plugin_name` property when the scenario gives none.
const PLUGIN_NAME: &str = "reference-plugin";

/// A local response as Envoy builds it (source/common/http/utility.cc `prepareLocalReply` and
/// `encodeLocalReply`): `:status`, then the plugin's headers. A body brings `content-length`
/// and, unless the plugin set one, `content-type: text/plain`; without a body both go. To a gRPC
/// request (`content-type: application/grpc...`) the reply is trailers-only: `:status` 200,
/// `content-type: application/grpc`, `grpc-status` (the plugin's header, else the status it
/// passed, else `Grpc::Utility::httpToGrpcStatus` of the HTTP status) and the body as a
/// percent-encoded `grpc-message`. A HEAD request gets the headers alone.
fn envoy_local_reply(local: &LocalResponse, request: &pairs::Pairs) -> Message {
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
        headers: vec![(":status".to_string(), "503".to_string())],
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
