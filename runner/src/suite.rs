//! One run of the suite: cases to libtest-mimic trials on the embedded host or an adapter,
//! expectations applied, a record per case, then reports and the exit code.

use crate::adapter::Adapter;
use crate::args::{ModuleCache, Options};
use crate::embedded;
use crate::expectations::{self, Expectations, Expected};
use crate::judge::{self, Outcome};
use crate::report;
use conformance_guests::catalog::Case;
use libtest_mimic::{Arguments, Failed, Trial};
use proxy_wasm_interchange::report::{self as reports, Record, Report, Verdict};
use reference_host::Runtime;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Exit code: every case came out as expected.
pub const OK: u8 = 0;
/// Exit code: unexpected results.
pub const UNEXPECTED: u8 = 1;
/// Exit code: a harness or adapter error.
pub const HARNESS: u8 = 2;

/// Where cases run.
enum Host {
    Embedded(Box<Runtime>),
    Adapter { adapter: Box<Adapter>, dir: PathBuf },
}

impl Host {
    fn run(&self, case: &Case) -> Outcome {
        match self {
            Host::Embedded(runtime) => embedded::run(runtime, case),
            Host::Adapter { adapter, dir } => {
                let (module, scenario) = embedded::paths(dir, case);
                adapter.run(&module, &scenario)
            }
        }
    }

    fn repro(&self, case: &Case) -> String {
        match self {
            Host::Embedded(_) => format!(
                "cargo run --release -p conformance-runner -- --abi {} --exact {}",
                case.version, case.id
            ),
            Host::Adapter { adapter, dir } => {
                let (module, scenario) = embedded::paths(dir, case);
                adapter.repro(&module, &scenario)
            }
        }
    }

    /// Why the host cannot run a case, if it cannot.
    fn cannot(&self, case: &Case) -> Option<String> {
        let Host::Adapter { adapter, .. } = self else {
            return None;
        };
        if !adapter.info.abi_versions.contains(&case.version) {
            return Some(format!("the host does not run ABI {}", case.version));
        }
        adapter
            .missing(&case.needs)
            .map(|need| format!("the adapter lacks capability `{need}`"))
    }

    fn info(&self) -> reports::Host {
        match self {
            Host::Embedded(_) => {
                let mut info = reference_host::adapter::info();
                info.name = "reference-host (embedded)".into();
                reports::Host {
                    info,
                    serving: None,
                }
            }
            Host::Adapter { adapter, .. } => reports::Host {
                info: adapter.info.clone(),
                serving: Some(adapter.serving()),
            },
        }
    }
}

/// The embedded host, keeping compiled modules where `cache` says. Without a default cache
/// directory (no home) modules are compiled, with a warning.
fn embedded_host(cache: &ModuleCache) -> Result<Runtime, String> {
    let engine = match cache {
        ModuleCache::Off => reference_host::engine(),
        ModuleCache::Dir(dir) => reference_host::cached_engine(Some(dir)),
        ModuleCache::Default => reference_host::cached_engine(None).or_else(|e| {
            eprintln!("warning: compiling every module, no module cache: {e}");
            reference_host::engine()
        }),
    };
    engine
        .and_then(Runtime::new)
        .map_err(|e| format!("cannot start the embedded host: {e}"))
}

/// Runs `cases` as `options` say; the process exit code. Cases without a check at the judged
/// level or a more binding one are left out.
pub fn run(options: &Options, mut cases: Vec<Case>) -> u8 {
    cases.retain(|c| c.checks_at(options.level).next().is_some());
    match prepare_and_run(options, cases) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            HARNESS
        }
    }
}

fn prepare_and_run(options: &Options, cases: Vec<Case>) -> Result<u8, String> {
    let arguments = options.libtest.clone();
    let expectations = match &options.expectations {
        Some(path) => Expectations::load(path)?,
        None => Expectations::default(),
    };
    // Entries for versions or levels this run leaves out are not stale.
    let every_version = options.versions.len() == proxy_wasm_spec::RELEASED.len()
        && options.level >= proxy_wasm_interchange::Level::Reference;
    let unused = if every_version {
        expectations.unused(cases.iter().map(|c| c.id.as_str()))
    } else {
        Vec::new()
    };
    for unused in unused {
        eprintln!(
            "warning: expectation for {:?} matches no case of this run",
            unused.case
        );
    }
    let mut temp_dir = None;
    let host = match &options.host {
        None => Host::Embedded(Box::new(embedded_host(&options.cache)?)),
        Some(cmd) => {
            let adapter = Adapter::start(cmd, options.timeout, options.serve)?;
            let dir = match &options.work_dir {
                Some(dir) => dir.clone(),
                None => {
                    let dir = std::env::temp_dir().join(format!("pwtck-{}", std::process::id()));
                    temp_dir = Some(dir.clone());
                    dir
                }
            };
            if !arguments.list {
                embedded::emit(&dir, &cases)?;
                let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
                return finish(
                    options,
                    &arguments,
                    cases,
                    &expectations,
                    Host::Adapter {
                        adapter: Box::new(adapter),
                        dir,
                    },
                    temp_dir,
                );
            }
            Host::Adapter {
                adapter: Box::new(adapter),
                dir,
            }
        }
    };
    finish(options, &arguments, cases, &expectations, host, temp_dir)
}

fn finish(
    options: &Options,
    arguments: &Arguments,
    cases: Vec<Case>,
    expectations: &Expectations,
    host: Host,
    temp_dir: Option<PathBuf>,
) -> Result<u8, String> {
    let host = Arc::new(host);
    let records: Arc<Mutex<Vec<Option<Record>>>> = Arc::new(Mutex::new(vec![None; cases.len()]));
    let harness_failed = Arc::new(AtomicBool::new(false));
    let mut skips: Vec<(usize, String)> = Vec::new();
    let started = Instant::now();
    let timed = !options.no_timings;
    let mut trials = Vec::with_capacity(cases.len());
    for (index, case) in cases.iter().enumerate() {
        let expected = expectations.lookup(&case.id);
        let skip = match expected {
            Some((e, Expected::Skip)) => Some(format!("skipped by expectation: {}", e.reason)),
            _ => host.cannot(case),
        };
        let mut kind = case.level.name().to_string();
        if matches!(expected, Some((_, Expected::Fail))) {
            kind.push_str(", xfail");
        }
        if let Some(reason) = &skip {
            skips.push((index, reason.clone()));
        }
        let fail = match expected {
            Some((e, Expected::Fail)) => Some((e.reason.clone(), e.link.clone())),
            _ => None,
        };
        let (host, records, harness_failed) = (
            Arc::clone(&host),
            Arc::clone(&records),
            Arc::clone(&harness_failed),
        );
        let case = case.clone();
        let judged = options.level;
        trials.push(
            Trial::test(case.id.clone(), move || -> Result<(), Failed> {
                let start = Instant::now();
                let outcome = host.run(&case);
                if matches!(outcome, Outcome::Harness(_)) {
                    harness_failed.store(true, Ordering::Relaxed);
                }
                let judgement = judge::judge(&case, outcome, judged);
                let repro = host.repro(&case);
                let (verdict, message) = match (&fail, judgement.failure) {
                    (None, None) => (Verdict::Pass, None),
                    (None, Some(m)) => (Verdict::Fail, Some(m)),
                    (Some((reason, _)), None) => (
                        Verdict::Xpass,
                        Some(format!(
                            "stale expectation: expected to fail ({reason}), but it passed"
                        )),
                    ),
                    (Some((reason, _)), Some(m)) => (
                        Verdict::Xfail,
                        Some(format!("expected failure: {reason}\n{m}")),
                    ),
                };
                let record = Record {
                    id: case.id.clone(),
                    version: case.version.clone(),
                    function: case.function.clone(),
                    kind: case.kind,
                    level: case.level,
                    outcome: verdict,
                    checks: judgement.counts,
                    failed_checks: judgement.failed,
                    duration_ms: timed.then(|| start.elapsed().as_secs_f64() * 1000.0),
                    message: message.clone(),
                    link: fail.as_ref().and_then(|(_, l)| l.clone()),
                    repro: verdict.unexpected().then(|| repro.clone()),
                };
                if let Ok(mut r) = records.lock()
                    && let Some(slot) = r.get_mut(index)
                {
                    *slot = Some(record);
                }
                match verdict {
                    Verdict::Fail | Verdict::Xpass => Err(Failed::from(format!(
                        "{}\nreproduce: {repro}",
                        message.unwrap_or_default()
                    ))),
                    _ => Ok(()),
                }
            })
            .with_kind(kind)
            .with_ignored_flag(skip.is_some()),
        );
    }
    let conclusion = libtest_mimic::run(arguments, trials);
    if arguments.list {
        return Ok(OK);
    }
    let mut records: Vec<Option<Record>> = records.lock().map(|r| r.clone()).unwrap_or_default();
    for (index, reason) in skips {
        let (Some(slot), Some(case)) = (records.get_mut(index), cases.get(index)) else {
            continue;
        };
        if slot.is_none() && selected(arguments, &case.id) {
            *slot = Some(Record {
                id: case.id.clone(),
                version: case.version.clone(),
                function: case.function.clone(),
                kind: case.kind,
                level: case.level,
                outcome: Verdict::Skip,
                checks: Default::default(),
                failed_checks: Vec::new(),
                duration_ms: timed.then_some(0.0),
                message: Some(reason),
                link: None,
                repro: None,
            });
        }
    }
    let run = Report::new(
        env!("CARGO_PKG_VERSION"),
        host.info(),
        options.level,
        timed.then(|| started.elapsed().as_secs_f64()),
        records.into_iter().flatten().collect(),
    );
    let mut code = if run.cases.iter().any(|r| r.outcome.unexpected()) || conclusion.has_failed() {
        UNEXPECTED
    } else {
        OK
    };
    write_reports(options, &run)?;
    if let Some(path) = &options.update_expectations {
        let failures: Vec<(String, Option<expectations::Entry>)> = run
            .cases
            .iter()
            .filter(|r| matches!(r.outcome, Verdict::Fail | Verdict::Xfail))
            .map(|r| {
                (
                    r.id.clone(),
                    expectations.lookup(&r.id).map(|(e, _)| e.clone()),
                )
            })
            .collect();
        let skips = expectations.skips().cloned().collect();
        expectations::write(path, &run.host.info.name, skips, &failures)?;
        eprintln!(
            "wrote {} expected failures to {}",
            failures.len(),
            path.display()
        );
        code = OK;
    }
    if let Host::Adapter { dir, .. } = host.as_ref() {
        keep_or_clean(dir, temp_dir.as_deref(), code == OK);
    }
    if harness_failed.load(Ordering::Relaxed) {
        eprintln!("error: the adapter could not be run for some cases (see their messages)");
        code = HARNESS;
    }
    Ok(code)
}

/// Whether libtest's filter and `--skip` select `id`.
fn selected(arguments: &Arguments, id: &str) -> bool {
    let matches = |pattern: &str| {
        if arguments.exact {
            id == pattern
        } else {
            id.contains(pattern)
        }
    };
    arguments.filter.as_deref().is_none_or(matches) && !arguments.skip.iter().any(|s| matches(s))
}

fn write_reports(options: &Options, run: &Report) -> Result<(), String> {
    if let Some(path) = &options.junit {
        report::write(path, &report::junit(run)?)?;
    }
    if let Some(path) = &options.json {
        let text = serde_json::to_string_pretty(&report::json(run)).map_err(|e| e.to_string())?;
        report::write(path, &text)?;
    }
    if let Some(path) = &options.report {
        report::write(path, &report::markdown(run))?;
    }
    Ok(())
}

/// Removes a temporary work dir after a clean run; otherwise says where the files are.
fn keep_or_clean(dir: &Path, temp: Option<&Path>, clean: bool) {
    match temp {
        Some(temp) if clean => {
            let _ = std::fs::remove_dir_all(temp);
        }
        _ => eprintln!(
            "probe modules and scenarios for the reproduce commands are in {}",
            dir.display()
        ),
    }
}
