//! Running a case on the embedded reference host, and writing cases to disk.

use conformance_guests::catalog::Case;
use reference_host::state::HostState;
use reference_host::wasmtime::{Engine, Linker};
use reference_host::{LoadError, Scenario, Transcript};
use std::path::Path;

/// What became of one run.
pub enum Outcome {
    /// The host loaded and ran the module; its plugin log, in order.
    Ran(Vec<String>),
    /// The host refused the module.
    Refused(String),
    /// The case's scenario was not one the host can run (a catalog bug).
    BadScenario(String),
}

/// Runs `case` on the reference host with a shared engine.
pub fn run(engine: &Engine, case: &Case) -> Outcome {
    run_changed(engine, case, |_| Ok(()))
}

/// [`run`] on a reference host whose linker `change` alters (see
/// [`reference_host::run_changed`]): a deliberately broken host, in tests.
pub fn run_changed(
    engine: &Engine,
    case: &Case,
    change: impl FnOnce(&mut Linker<HostState>) -> reference_host::wasmtime::Result<()>,
) -> Outcome {
    let scenario: Scenario = match serde_json::from_value(case.scenario.clone()) {
        Ok(s) => s,
        Err(e) => return Outcome::BadScenario(e.to_string()),
    };
    match reference_host::run_changed(engine, &case.wasm, &scenario, change) {
        Ok(transcript) => Outcome::Ran(log_lines(&transcript)),
        Err(e @ (LoadError::Malformed(_) | LoadError::WrongVersion { .. })) => {
            Outcome::BadScenario(e.to_string())
        }
        Err(e) => Outcome::Refused(e.to_string()),
    }
}

/// The transcript as an adapter would print it: log messages, then errors.
fn log_lines(t: &Transcript) -> Vec<String> {
    let logs = t
        .logs
        .iter()
        .map(|l| format!("[{}] {}", l.level, l.message));
    let errors = t
        .errors
        .iter()
        .map(|e| format!("[host error] {}: {}", e.callback, e.message));
    logs.chain(errors).collect()
}

/// Writes each case's module and scenario under `dir`, named after its id.
pub fn emit(dir: &Path, cases: &[Case]) -> Result<usize, String> {
    for case in cases {
        let stem = case.id.replace('/', "__");
        let write = |ext: &str, bytes: &[u8]| {
            let path = dir.join(format!("{stem}.{ext}"));
            std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(&path, bytes))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))
        };
        write("wasm", &case.wasm)?;
        let json = serde_json::to_vec_pretty(&serde_json::json!({
            "case": case,
            "scenario": case.scenario,
        }))
        .map_err(|e| e.to_string())?;
        write("json", &json)?;
    }
    Ok(cases.len())
}
