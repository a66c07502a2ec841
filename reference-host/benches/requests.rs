//! The reference host's cost per HTTP request for a plugin built with the proxy-wasm Rust SDK
//! (test-plugins `header_rewrite`, configured to replace one request header, which it logs),
//! beside the bare-wasmtime floor: the same module and callbacks (context create, request and
//! response headers, done, log, delete) on the same engine, every import a no-op returning 0
//! except `proxy_get_buffer_bytes`, which hands over the plugin configuration so the plugin does
//! the same work (replaces the header, formats the log line) as on the reference host.
//! Each request carries five headers. The per-request figure is the difference between runs of
//! two lengths divided by the extra requests, so start-up and shutdown drop out. Measured with
//! each way of compiling: optimized (what `reference-host run` uses; modules kept in an on-disk
//! cache, as there) and quick (the conformance suite's).
//!
//! `cargo bench -p reference-host --bench requests` (or `cargo xtask bench`); `BENCH_ROUNDS=N`
//! repeats (best of N). Both run with the allocator the `reference-host` binary uses.

use reference_host::wasmtime::{Caller, Engine, Extern, Linker, Module, Store};
use reference_host::{Compile, Runtime, Scenario};
use serde_json::json;
use std::time::{Duration, Instant};
use test_plugins::Plugin;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CONFIGURATION: &str = "request replace user-agent proxy-wasm\n";

const SHORT: usize = 1_000;
const LONG: usize = 11_000;

fn main() {
    if let Err(e) = bench() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

fn bench() -> Result<(), String> {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10)
        .max(1);
    let wasm = test_plugins::wasm(Plugin::HeaderRewrite).map_err(|e| e.to_string())?;
    let (short, long) = (scenario(SHORT)?, scenario(LONG)?);
    let cache = std::env::temp_dir().join("reference-host-bench-cache");
    println!(
        "per request (Rust SDK header plugin, 5 headers, 1 replaced and logged; best of {rounds}):"
    );
    for (compile, what) in [
        (Compile::Optimized, "optimized (reference-host run)"),
        (Compile::Quick, "quick (conformance suite)"),
    ] {
        let runtime = reference_host::cached_engine_for(compile, Some(&cache))
            .and_then(Runtime::new)
            .map_err(|e| e.to_string())?;
        let (host_ns, floor_ns) = measure(&runtime, &wasm, [&short, &long], rounds)?;
        println!("  {what}:");
        println!("    reference host: {:.2} µs", host_ns / 1000.0);
        println!("    bare wasmtime:  {:.2} µs", floor_ns / 1000.0);
        println!("    ratio:          {:.2}", host_ns / floor_ns);
    }
    Ok(())
}

/// Nanoseconds per request on the reference host and on the floor.
fn measure(
    runtime: &Runtime,
    wasm: &[u8],
    [short, long]: [&Scenario; 2],
    rounds: usize,
) -> Result<(f64, f64), String> {
    let module = Module::new(runtime.engine(), wasm).map_err(|e| e.to_string())?;
    // The fastest of each run length, then their difference: noise only ever adds time, and a
    // best-of of differences would pick a slow short run. Host and floor runs alternate, so
    // both see the machine at the same speed when it changes over time.
    let mut host = [Duration::MAX; 2];
    let mut floor = [Duration::MAX; 2];
    for _ in 0..rounds {
        host[0] = host[0].min(time(|| run(runtime, wasm, short, SHORT))?);
        floor[0] = floor[0].min(time(|| bare(runtime.engine(), &module, SHORT))?);
        host[1] = host[1].min(time(|| run(runtime, wasm, long, LONG))?);
        floor[1] = floor[1].min(time(|| bare(runtime.engine(), &module, LONG))?);
    }
    Ok((per_request(host), per_request(floor)))
}

fn per_request([short, long]: [Duration; 2]) -> f64 {
    long.saturating_sub(short).as_nanos() as f64 / (LONG - SHORT) as f64
}

fn time(job: impl FnOnce() -> Result<(), String>) -> Result<Duration, String> {
    let started = Instant::now();
    job()?;
    Ok(started.elapsed())
}

fn scenario(requests: usize) -> Result<Scenario, String> {
    let stream = json!({ "http": {
        "request": { "headers": [[":method", "GET"], [":path", "/items/7"],
                                 [":authority", "example.com"], ["user-agent", "bench/1"],
                                 ["accept", "*/*"]] },
        "response": { "headers": [[":status", "200"]] }
    }});
    serde_json::from_value(json!({
        "plugin_configuration": CONFIGURATION,
        "events": vec![stream; requests]
    }))
    .map_err(|e| e.to_string())
}

/// A whole run; checks that every request went through with its header replaced.
fn run(host: &Runtime, wasm: &[u8], scenario: &Scenario, requests: usize) -> Result<(), String> {
    let t = host.run(wasm, scenario).map_err(|e| e.to_string())?;
    let replaced = t.http.iter().filter(|h| {
        h.upstream_request.as_ref().is_some_and(|r| {
            r.headers
                .iter()
                .any(|(k, v)| k == "user-agent" && v == "proxy-wasm")
        })
    });
    if replaced.count() != requests || !t.errors.is_empty() {
        return Err(format!(
            "the plugin did not replace the header: {:?}",
            t.errors
        ));
    }
    Ok(())
}

/// The same callbacks with no host: instantiate, start, then per request the stream's calls.
fn bare(engine: &Engine, module: &Module, requests: usize) -> Result<(), String> {
    let e = |e: reference_host::wasmtime::Error| e.to_string();
    let mut store = Store::new(engine, ());
    store.set_fuel(u64::MAX).map_err(e)?;
    let mut linker = Linker::new(engine);
    linker
        .func_wrap("env", "proxy_get_buffer_bytes", configuration)
        .map_err(e)?;
    linker
        .define_unknown_imports_as_default_values(&mut store, module)
        .map_err(e)?;
    let instance = linker.instantiate(&mut store, module).map_err(e)?;
    if let Ok(init) = instance.get_typed_func::<(), ()>(&mut store, "_initialize") {
        init.call(&mut store, ()).map_err(e)?;
    }
    let pair =
        |store: &mut Store<()>, name| instance.get_typed_func::<(i32, i32), i32>(store, name);
    let create = instance
        .get_typed_func::<(i32, i32), ()>(&mut store, "proxy_on_context_create")
        .map_err(e)?;
    let headers =
        |store: &mut Store<()>, name| instance.get_typed_func::<(i32, i32, i32), i32>(store, name);
    let request = headers(&mut store, "proxy_on_request_headers").map_err(e)?;
    let response = headers(&mut store, "proxy_on_response_headers").map_err(e)?;
    let done = instance
        .get_typed_func::<i32, i32>(&mut store, "proxy_on_done")
        .map_err(e)?;
    let log = instance
        .get_typed_func::<i32, ()>(&mut store, "proxy_on_log")
        .map_err(e)?;
    let delete = instance
        .get_typed_func::<i32, ()>(&mut store, "proxy_on_delete")
        .map_err(e)?;
    create.call(&mut store, (1, 0)).map_err(e)?;
    pair(&mut store, "proxy_on_vm_start")
        .and_then(|f| f.call(&mut store, (1, 0)))
        .map_err(e)?;
    pair(&mut store, "proxy_on_configure")
        .and_then(|f| f.call(&mut store, (1, 0)))
        .map_err(e)?;
    for id in 2..2 + requests as i32 {
        create.call(&mut store, (id, 1)).map_err(e)?;
        request.call(&mut store, (id, 5, 1)).map_err(e)?;
        response.call(&mut store, (id, 1, 1)).map_err(e)?;
        done.call(&mut store, id).map_err(e)?;
        log.call(&mut store, id).map_err(e)?;
        delete.call(&mut store, id).map_err(e)?;
    }
    Ok(())
}

/// The floor's `proxy_get_buffer_bytes`: the plugin configuration, whole, in a buffer from the
/// plugin's allocator; any other buffer is absent (NOT_FOUND, 1).
fn configuration(
    mut caller: Caller<'_, ()>,
    buffer: i32,
    _start: i32,
    _max: i32,
    data_ptr: i32,
    size_ptr: i32,
) -> reference_host::wasmtime::Result<i32> {
    const PLUGIN_CONFIGURATION: i32 = 7;
    let bytes = CONFIGURATION.as_bytes();
    let allocator = ["proxy_on_memory_allocate", "malloc"]
        .into_iter()
        .find_map(|name| caller.get_export(name).and_then(Extern::into_func));
    let memory = caller.get_export("memory").and_then(Extern::into_memory);
    let (Some(allocator), Some(memory), PLUGIN_CONFIGURATION) = (allocator, memory, buffer) else {
        return Ok(1);
    };
    let len = i32::try_from(bytes.len())?;
    let ptr = allocator
        .typed::<i32, i32>(&caller)?
        .call(&mut caller, len)?;
    let at = |p: i32| usize::try_from(p);
    memory.write(&mut caller, at(ptr)?, bytes)?;
    memory.write(&mut caller, at(data_ptr)?, &ptr.to_le_bytes())?;
    memory.write(&mut caller, at(size_ptr)?, &len.to_le_bytes())?;
    Ok(0)
}
