//! Runs a scenario: loads the plugin, starts it, drives its contexts through the events in the
//! spec's lifecycle order (spec v0.2.1 `Context lifecycle` lines 146-208), and collects the
//! transcript.

use crate::callouts::Callouts;
use crate::http::Flight;
use crate::load::{self, LoadError};
use crate::scenario::{Event, LogLevelName, Scenario};
use crate::state::{HostState, MetricState, Phase, ROOT_ID, Stream};
use crate::transcript::{Failure, Metric, Transcript};
use proxy_wasm_host_abi::v0_2_1::{BufferType, LogLevel, MetricType};
use proxy_wasm_host_abi::{
    AbiVersion, CallError, Callbacks, Trap, add_to_linker, add_wasi_to_linker,
};
use proxy_wasm_interchange::Bytes;
use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstancePre, Linker, Module, Store, StoreLimitsBuilder,
};

/// How modules are compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compile {
    /// Winch, wasmtime's baseline compiler: compiles fast, and the plugin runs about twice as
    /// slowly. For many short runs of small modules (the conformance suite's probes).
    Quick,
    /// Cranelift, optimizing: compiles several times more slowly, and the plugin runs about twice
    /// as fast. For a plugin taken through many requests (`reference-host run`).
    Optimized,
}

/// A wasmtime engine configured as runs need it (fuel metering), compiling [`Compile::Quick`].
/// Make one and share it across runs: [`Runtime::run`] compiles each module on it.
pub fn engine() -> Result<Engine, LoadError> {
    engine_for(Compile::Quick)
}

/// [`engine`] compiling as `compile` says.
pub fn engine_for(compile: Compile) -> Result<Engine, LoadError> {
    Engine::new(&config(compile)).map_err(|e| LoadError::Compile(format!("{e:#}")))
}

/// [`engine`] keeping compiled modules in wasmtime's on-disk cache, in `dir` or wasmtime's
/// default cache directory: a module compiled once (the same bytes on the same wasmtime with the
/// same settings) loads from disk after that, about twenty times faster than compiling it.
pub fn cached_engine(dir: Option<&std::path::Path>) -> Result<Engine, LoadError> {
    cached_engine_for(Compile::Quick, dir)
}

/// [`cached_engine`] compiling as `compile` says.
pub fn cached_engine_for(
    compile: Compile,
    dir: Option<&std::path::Path>,
) -> Result<Engine, LoadError> {
    let mut cache = CacheConfig::new();
    if let Some(dir) = dir {
        let dir = std::path::absolute(dir)
            .map_err(|e| LoadError::Compile(format!("cache directory {}: {e}", dir.display())))?;
        cache.with_directory(dir);
    }
    let cache = Cache::new(cache).map_err(|e| LoadError::Compile(format!("cache: {e:#}")))?;
    let mut config = config(compile);
    config.cache(Some(cache));
    Engine::new(&config).map_err(|e| LoadError::Compile(format!("{e:#}")))
}

fn config(compile: Compile) -> Config {
    let mut config = Config::new();
    config.consume_fuel(true);
    match compile {
        Compile::Quick => {
            config.cranelift_opt_level(wasmtime::OptLevel::None);
            config.strategy(wasmtime::Strategy::Winch);
            config.cranelift_regalloc_algorithm(wasmtime::RegallocAlgorithm::SinglePass);
        }
        Compile::Optimized => {
            config.strategy(wasmtime::Strategy::Cranelift);
            config.cranelift_opt_level(wasmtime::OptLevel::Speed);
        }
    }
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
    let streams = (scenario.events.iter()).filter(|e| matches!(e, Event::Http(_)));
    state.transcript.http.reserve(streams.count());
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
    state.tls.clone_from(&scenario.tls);
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
        flights: Vec::new(),
    };
    // A plugin that did not start is a failed VM: the events still come, and get what a failed
    // VM gives them.
    driver.start();
    for event in &scenario.events {
        match event {
            Event::Http(stream) => {
                if let Some(id) = driver.http(stream)
                    && !stream.concurrent
                {
                    driver.run_while(|d| d.in_flight(id));
                    driver.stall(Some(id));
                }
            }
            Event::Tcp(connection) => driver.tcp(connection),
            Event::Tick(ms) => driver.advance(ms.saturating_mul(1_000_000)),
            Event::Enqueue { queue, data } => driver.enqueue(queue, data),
            Event::ForeignFunction { id, data } => driver.foreign_function(*id, data),
        }
        // What the event made due now happens now.
        driver.advance(0);
    }
    driver.run_while(|_| true);
    driver.stall(None);
    driver.shutdown();
    Ok(driver.finish())
}

/// Steps the scheduler may take while the scenario waits (for a stream's end, or for its own
/// end); past this the plugin keeps making new work (a call per tick, say) and the wait ends.
const MAX_WAIT_STEPS: usize = 100_000;

/// Drives one plugin instance through a scenario.
pub(crate) struct Driver<'a> {
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
    /// HTTP streams in flight, in the order they started.
    pub(crate) flights: Vec<Flight<'a>>,
}

impl Driver<'_> {
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

    /// Moves virtual time forward by `by_ns`, and runs in time order everything that falls due
    /// on the way: ticks, owed answers, parts of streams in flight.
    fn advance(&mut self, by_ns: u64) {
        let target = self.store.data().elapsed_ns.saturating_add(by_ns);
        while self.step(target) {}
        self.store.data_mut().elapsed_ns = target;
    }

    /// Runs what is due, time moving on to it, while `waiting` holds and something other than a
    /// tick is still to come: ticks alone never end a wait, so they fire only on the way to
    /// the next answer or stream part.
    fn run_while(&mut self, waiting: impl Fn(&Self) -> bool) {
        let mut steps = 0;
        self.settle();
        while waiting(self) {
            let Some(next) = self.next_work() else {
                return;
            };
            while self.step(next) {
                steps += 1;
                if steps == MAX_WAIT_STEPS {
                    self.fail(
                        None,
                        "scheduler",
                        format!(
                            "still busy after {MAX_WAIT_STEPS} steps while the scenario waited \
                             (the plugin keeps making new work); what is left was not run"
                        ),
                    );
                    return;
                }
                if !waiting(self) {
                    return;
                }
            }
        }
    }

    /// When the next owed answer or stream part is due, whichever is first.
    fn next_work(&self) -> Option<u64> {
        let part = self.next_part().map(|(at, _)| at);
        [self.next_due(), part].into_iter().flatten().min()
    }

    /// Runs the first thing due by `limit`: a tick (first among those due together, as a timer
    /// fires before the work of the same instant), an owed answer, or the next part of a
    /// stream. Returns whether something ran.
    fn step(&mut self, limit: u64) -> bool {
        if self.failed.is_some() {
            self.next_tick_ns = None;
        }
        let now = self.store.data().elapsed_ns;
        let tick = self.next_tick_ns.filter(|t| *t <= limit);
        let owed = self.next_due().filter(|t| *t <= limit);
        let part = self.next_part().filter(|(t, _)| *t <= limit);
        let first = [tick, owed, part.map(|(t, _)| t)]
            .into_iter()
            .flatten()
            .min();
        let Some(at) = first else {
            return false;
        };
        self.store.data_mut().elapsed_ns = at.max(now);
        if tick == Some(at) {
            self.next_tick_ns =
                Some(at.saturating_add(self.tick_period_ms.saturating_mul(1_000_000)));
            let _ = self.call(ROOT_ID, "proxy_on_tick", |e, s| e.proxy_on_tick(s, ROOT_ID));
        } else if owed == Some(at) {
            self.deliver_pending();
        } else if let Some((_, flight)) = part {
            self.arrive(flight);
        }
        self.settle();
        true
    }

    pub(crate) fn stream(&mut self, id: u32) -> Option<&mut Stream> {
        self.store.data_mut().streams.get_mut(&id).map(|s| &mut **s)
    }

    /// The end of a stream or connection in the spec's order: `proxy_on_done`, then, if it
    /// agrees, `proxy_on_log` and `proxy_on_delete`. Returns the stream, if it was one.
    pub(crate) fn finish_stream(&mut self, id: u32) -> Option<Box<Stream>> {
        if let Some(s) = self.stream(id) {
            s.phase = Phase::Done;
        }
        // On a failed VM this records `proxy_on_done` as not called, and nothing follows it.
        let done = self.call(id, "proxy_on_done", |e, s| e.proxy_on_done(s, id));
        match done {
            Ok(Some(true) | None) => {
                self.store.data_mut().logging = true;
                let _ = self.call(id, "proxy_on_log", |e, s| e.proxy_on_log(s, id));
                self.store.data_mut().logging = false;
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
        state.connections.remove(&id);
        state.streams.remove(&id)
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
        // Streams end in any order once several are open; they are listed as they started.
        transcript.http.sort_by_key(|h| h.context);
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

/// The `plugin_name` property when the scenario gives none.
const PLUGIN_NAME: &str = "reference-plugin";

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
