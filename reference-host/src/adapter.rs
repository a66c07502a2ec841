//! The reference host as a conformance-runner adapter (protocol v1, `runner/ADAPTERS.md`):
//! `info`, `run MODULE SCENARIO` (JSON event lines; exit 3 when the module is refused) and
//! `serve` (JSON-lines jobs on stdin, one result line each on stdout).

use crate::{LoadError, Scenario, Transcript};
use serde::Deserialize;
use serde_json::{Value, json};
use std::io::{BufRead, Write};
use wasmtime::Engine;

/// The protocol version spoken.
pub const PROTOCOL: u32 = 1;
/// The exit code (and serve `exit`) for a module the host refuses to load.
pub const REFUSED: i32 = 3;
/// The exit code for an unusable job: unreadable files, a scenario that does not parse.
pub const BAD_JOB: i32 = 2;

/// What `info` prints.
pub fn info() -> Value {
    json!({
        "protocol": PROTOCOL,
        "name": "reference-host",
        "version": env!("CARGO_PKG_VERSION"),
        "abi_versions": ["0.1.0", "0.2.0", "0.2.1"],
        "capabilities": [
            "http", "http_events", "tcp", "ticks", "http_calls", "grpc", "shared_data", "shared_queues",
            "metrics", "properties", "foreign_functions", "refusal"
        ],
        "serve": true,
    })
}

/// Runs one job: the exit code `run` ends with and the lines it prints.
pub fn job(engine: &Engine, module: &str, scenario: &str) -> (i32, Vec<String>) {
    let wasm = match std::fs::read(module) {
        Ok(bytes) => bytes,
        Err(e) => return (BAD_JOB, vec![format!("error: cannot read {module}: {e}")]),
    };
    let text = match std::fs::read_to_string(scenario) {
        Ok(text) => text,
        Err(e) => return (BAD_JOB, vec![format!("error: cannot read {scenario}: {e}")]),
    };
    let parsed: Scenario = match serde_json::from_str(&text) {
        Ok(s) => s,
        Err(e) => {
            let at = format!("{scenario}:{}:{}", e.line(), e.column());
            return (BAD_JOB, vec![format!("error: {at}: {e}")]);
        }
    };
    match crate::run_with(engine, &wasm, &parsed) {
        Ok(transcript) => (0, events(&transcript)),
        Err(e @ LoadError::WrongVersion { .. }) => (BAD_JOB, vec![format!("error: {e}")]),
        Err(e) => {
            let event = json!({ "event": "refused", "message": e.to_string() });
            (REFUSED, vec![event.to_string()])
        }
    }
}

/// The transcript as protocol event lines: logs in order, then host errors, then what reached
/// each stream's upstream and client.
pub fn events(t: &Transcript) -> Vec<String> {
    let logs = t.logs.iter().map(
        |l| json!({ "event": "log", "level": l.level, "context": l.context, "message": l.message }),
    );
    let errors = t.errors.iter().map(|e| {
        json!({ "event": "error", "context": e.context, "callback": e.callback, "message": e.message })
    });
    let responses = t.http.iter().filter_map(|h| {
        let r = h.downstream_response.as_ref()?;
        let status = r
            .headers
            .iter()
            .find(|(k, _)| k == ":status")
            .and_then(|(_, v)| v.parse::<u16>().ok());
        Some(json!({
            "event": "http_response", "context": h.context, "status": status,
            "headers": r.headers, "body": r.body, "trailers": r.trailers,
        }))
    });
    let upstream = t.http.iter().filter_map(|h| {
        let r = h.upstream_request.as_ref()?;
        Some(json!({
            "event": "upstream_request", "context": h.context,
            "headers": r.headers, "body": r.body, "trailers": r.trailers,
        }))
    });
    logs.chain(errors)
        .chain(upstream)
        .chain(responses)
        .map(|v| v.to_string())
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Job {
    id: Value,
    module: String,
    scenario: String,
}

/// Serves jobs from `input` until it ends; a line that is not a job gets a result with
/// `exit` 2 (and the id, when it has one) so the runner never waits for nothing.
pub fn serve(engine: &Engine, input: impl BufRead, mut output: impl Write) -> std::io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let result = match serde_json::from_str::<Job>(&line) {
            Ok(j) => {
                let (exit, lines) = job(engine, &j.module, &j.scenario);
                json!({ "id": j.id, "exit": exit, "lines": lines })
            }
            Err(e) => {
                let id = serde_json::from_str::<Value>(&line)
                    .ok()
                    .and_then(|v| v.get("id").cloned())
                    .unwrap_or(Value::Null);
                json!({ "id": id, "exit": BAD_JOB, "lines": [format!("error: bad job: {e}")] })
            }
        };
        writeln!(output, "{result}")?;
        output.flush()?;
    }
    Ok(())
}
