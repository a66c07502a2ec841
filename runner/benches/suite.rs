//! The embedded suite's wall time against the bare-wasmtime floor: the same probe modules
//! loaded, instantiated and called (`proxy_on_context_create`, `proxy_on_configure`) on the
//! same engine with every import a no-op returning 0, and no harness. Measured twice: cold
//! (every module compiled) and warm (every module loaded from the compiled-module cache, as in
//! every run of the runner after its first). Both run the cases on one thread per core; the
//! figures and their ratio are printed, with the time spent only loading modules.
//!
//! `cargo bench -p conformance-runner` (or `cargo xtask bench`); `BENCH_ROUNDS=N` repeats.

use conformance_guests::catalog::{self, Case};
use conformance_runner::{embedded, judge};
use proxy_wasm_interchange::Level;
use reference_host::Runtime;
use reference_host::wasmtime::{Engine, Linker, Module, Store};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

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
        .unwrap_or(3)
        .max(1);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();
    let mut cases = Vec::new();
    for v in proxy_wasm_spec::RELEASED {
        cases.extend(catalog::catalog(v).map_err(|e| e.to_string())?);
    }
    let catalog_time = started.elapsed();
    println!(
        "{} cases, {} probe bytes, {threads} threads, best of {rounds} rounds",
        cases.len(),
        cases.iter().map(|c| c.wasm.len()).sum::<usize>()
    );
    println!("catalog (build and validate every probe): {catalog_time:.2?}");
    let cold = reference_host::engine()
        .and_then(Runtime::new)
        .map_err(|e| e.to_string())?;
    let cold = measure(&cold, &cases, threads, rounds)?;
    cold.print("cold: every module compiled", &cases);
    // A cache of its own, filled by one untimed pass, so every timed load is a hit.
    let dir = std::env::temp_dir().join(format!("pwtck-bench-cache-{}", std::process::id()));
    let warm = reference_host::cached_engine(Some(&dir))
        .and_then(Runtime::new)
        .map_err(|e| e.to_string())
        .and_then(|host| {
            parallel(&cases, threads, |c| {
                Module::new(host.engine(), &c.wasm).is_err()
            });
            measure(&host, &cases, threads, rounds)
        });
    let removed = std::fs::remove_dir_all(&dir);
    warm?.print(
        "warm: every module loaded from the compiled-module cache",
        &cases,
    );
    removed.map_err(|e| format!("cannot remove {}: {e}", dir.display()))
}

struct Figures {
    suite: Duration,
    floor: Duration,
    load: Duration,
}

impl Figures {
    fn print(&self, title: &str, cases: &[Case]) {
        let n = cases.len().max(1) as u32;
        println!("{title}");
        println!("  suite, embedded host:           {:.2?}", self.suite);
        println!("  floor, bare wasmtime:           {:.2?}", self.floor);
        println!("    of which loading modules:     {:.2?}", self.load);
        println!(
            "  ratio:                          {:.2}",
            self.suite.as_secs_f64() / self.floor.as_secs_f64().max(f64::EPSILON)
        );
        println!(
            "  per case: suite {:.2?}, floor {:.2?}",
            self.suite / n,
            self.floor / n
        );
    }
}

/// The best of `rounds` of: loading every module, the suite, and the floor.
fn measure(
    host: &Runtime,
    cases: &[Case],
    threads: usize,
    rounds: usize,
) -> Result<Figures, String> {
    let mut best = Figures {
        suite: Duration::MAX,
        floor: Duration::MAX,
        load: Duration::MAX,
    };
    for _ in 0..rounds {
        let engine = host.engine();
        let (time, failed) = parallel(cases, threads, |c| Module::new(engine, &c.wasm).is_err());
        if failed > 0 {
            return Err(format!("{failed} modules failed to compile"));
        }
        best.load = best.load.min(time);
        let (time, failed) = parallel(cases, threads, |c| {
            judge::judge(c, embedded::run(host, c), Level::Reference)
                .failure
                .is_some()
        });
        if failed > 0 {
            return Err(format!("{failed} cases failed on the reference host"));
        }
        best.suite = best.suite.min(time);
        let (time, failed) = parallel(cases, threads, |c| bare(engine, c).is_err());
        if failed > 0 {
            return Err(format!("{failed} modules failed on bare wasmtime"));
        }
        best.floor = best.floor.min(time);
    }
    Ok(best)
}

/// Runs `job` on every case across `threads` threads; the wall time and how many returned true.
fn parallel(
    cases: &[Case],
    threads: usize,
    job: impl Fn(&Case) -> bool + Sync,
) -> (Duration, usize) {
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(case) = cases.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if job(case) {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    (started.elapsed(), failed.into_inner())
}

/// Compiles, instantiates and calls one probe with no host behind its imports. Modules a host
/// must refuse count as done once compiled.
fn bare(engine: &Engine, case: &Case) -> Result<(), String> {
    let module = Module::new(engine, &case.wasm).map_err(|e| e.to_string())?;
    let mut store = Store::new(engine, ());
    store.set_fuel(u64::MAX).map_err(|e| e.to_string())?;
    let mut linker = Linker::new(engine);
    linker
        .define_unknown_imports_as_default_values(&mut store, &module)
        .map_err(|e| e.to_string())?;
    let instance = linker
        .instantiate(&mut store, &module)
        .map_err(|e| e.to_string())?;
    for (name, args) in [
        ("proxy_on_context_create", (1, 0)),
        ("proxy_on_configure", (1, 0)),
    ] {
        if let Ok(f) = instance.get_typed_func::<(i32, i32), i32>(&mut store, name) {
            f.call(&mut store, args).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
