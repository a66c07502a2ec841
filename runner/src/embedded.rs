//! Running a case on the embedded reference host, and writing cases to disk.

use crate::judge::Outcome;
use conformance_guests::catalog::Case;
use conformance_guests::effects::Exchanges;
use proxy_wasm_interchange::protocol::HttpMessage;
use reference_host::state::HostState;
use reference_host::wasmtime::Linker;
use reference_host::{LoadError, Runtime, Transcript};
use std::path::{Path, PathBuf};

/// Runs `case` on the reference host.
pub fn run(runtime: &Runtime, case: &Case) -> Outcome {
    outcome(runtime.run(&case.wasm, &case.scenario))
}

/// [`run`] on a reference host whose linker `change` alters (see
/// [`Runtime::run_changed`]): a deliberately broken host, in tests.
pub fn run_changed(
    runtime: &Runtime,
    case: &Case,
    change: impl FnOnce(&mut Linker<HostState>) -> reference_host::wasmtime::Result<()>,
) -> Outcome {
    outcome(runtime.run_changed(&case.wasm, &case.scenario, change))
}

fn outcome(run: Result<Transcript, LoadError>) -> Outcome {
    match run {
        Ok(transcript) => Outcome::Ran {
            lines: log_lines(&transcript),
            exchanges: exchanges(&transcript),
        },
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

/// The transcript's HTTP exchanges as an adapter reports them.
fn exchanges(t: &Transcript) -> Exchanges {
    let message = |m: &reference_host::transcript::MessageOut| HttpMessage {
        status: None,
        headers: reference_host::pairs::to_text(&m.headers),
        body: m.body.clone(),
        trailers: reference_host::pairs::to_text(&m.trailers),
    };
    Exchanges {
        upstream: t
            .http
            .iter()
            .filter_map(|h| h.upstream_request.as_ref())
            .map(message)
            .collect(),
        responses: t
            .http
            .iter()
            .filter_map(|h| h.downstream_response.as_ref())
            .map(message)
            .collect(),
        unreadable: Vec::new(),
    }
}

/// Where [`emit`] writes a case's module and scenario under `dir`.
pub fn paths(dir: &Path, case: &Case) -> (PathBuf, PathBuf) {
    let stem = case.id.replace('/', "__");
    (
        dir.join(format!("{stem}.wasm")),
        dir.join(format!("{stem}.scenario.json")),
    )
}

/// Writes each case's module, scenario and description under `dir`: `<id>.wasm`,
/// `<id>.scenario.json` (what an adapter runs) and `<id>.case.json`, with `/` in ids as `__`.
pub fn emit(dir: &Path, cases: &[Case]) -> Result<usize, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for case in cases {
        let (module, scenario) = paths(dir, case);
        let described = scenario.with_file_name(
            module
                .file_name()
                .map(|n| n.to_string_lossy().replace(".wasm", ".case.json"))
                .unwrap_or_default(),
        );
        let write = |path: &Path, bytes: &[u8]| {
            std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
        };
        write(&module, &case.wasm)?;
        let pretty = serde_json::to_vec_pretty(&case.scenario).map_err(|e| e.to_string())?;
        write(&scenario, &pretty)?;
        let pretty = serde_json::to_vec_pretty(case).map_err(|e| e.to_string())?;
        write(&described, &pretty)?;
    }
    Ok(cases.len())
}
