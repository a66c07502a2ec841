//! The reference host as a conformance-runner adapter (protocol v1, `runner/ADAPTERS.md`):
//! `info`, `run MODULE SCENARIO` (JSON event lines; exit 3 when the module is refused) and
//! `serve` (JSON-lines jobs on stdin, one result line each on stdout).

use crate::Runtime;
use crate::pairs;
use crate::{LoadError, Scenario, Transcript};
use proxy_wasm_interchange::protocol::{
    Capability, Event, Exchange, Failure, HttpMessage, Info, Job, JobResult, PROTOCOL, exit,
};
use std::io::{BufRead, Write};

/// What `info` says.
pub fn info() -> Info {
    Info {
        protocol: PROTOCOL,
        name: "reference-host".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        abi_versions: proxy_wasm_spec::RELEASED.map(String::from).to_vec(),
        capabilities: Capability::KNOWN.to_vec(),
        serve: true,
    }
}

/// Runs one job: the exit code `run` ends with and the lines it prints.
pub fn job(runtime: &Runtime, module: &str, scenario: &str) -> (i32, Vec<String>) {
    let (wasm, parsed) = match read_job(module, scenario) {
        Ok(job) => job,
        Err(e) => return (exit::BAD_JOB, vec![format!("error: {e}")]),
    };
    match runtime.run(&wasm, &parsed) {
        Ok(transcript) => (exit::RAN, events(&transcript)),
        Err(e) if is_bad_job(&e) => (exit::BAD_JOB, vec![format!("error: {scenario}: {e}")]),
        Err(e) => {
            let event = Event::Refused {
                message: e.to_string(),
            };
            (exit::REFUSED, vec![event.line()])
        }
    }
}

/// The module's bytes and the parsed scenario of a job. A scenario that does not parse is named
/// with the field at fault (`events[0].http.request.headers[0][1]`) and the line and column.
pub fn read_job(module: &str, scenario: &str) -> Result<(Vec<u8>, Scenario), String> {
    let wasm = std::fs::read(module).map_err(|e| format!("cannot read {module}: {e}"))?;
    let text =
        std::fs::read_to_string(scenario).map_err(|e| format!("cannot read {scenario}: {e}"))?;
    let mut json = serde_json::Deserializer::from_str(&text);
    let parsed = serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let inner = e.inner();
        let (line, column) = (inner.line(), inner.column());
        let field = e.path().to_string();
        // serde_json ends its message with the position, which leads here.
        let message = inner.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        format!("{scenario}:{line}:{column}: field `{field}`: {message}")
    })?;
    Ok((wasm, parsed))
}

/// Whether a run failed because of the job (the scenario), not the plugin.
pub fn is_bad_job(e: &LoadError) -> bool {
    matches!(e, LoadError::WrongVersion { .. } | LoadError::Scenario(_))
}

/// The transcript as protocol event lines: logs in order, then refused calls, host errors, and
/// what reached each stream's upstream and client.
pub fn events(t: &Transcript) -> Vec<String> {
    let logs = t.logs.iter().map(|l| Event::Log {
        level: Some(l.level.to_string()),
        context: Some(l.context),
        message: l.message.clone(),
    });
    let errors = t.errors.iter().map(|e| {
        Event::Error(Failure {
            context: e.context,
            callback: Some(e.callback.clone()),
            message: e.message.clone(),
        })
    });
    // What the transcript counted instead of listing is said, so no line goes missing unseen.
    let uncounted = [
        (
            t.logs_not_listed,
            "proxy_log",
            "log lines past the first 16 MiB of messages",
        ),
        (
            t.refusals_not_listed,
            "refusals",
            "refused calls past the first 10,000",
        ),
    ];
    let unlisted = (uncounted.into_iter().filter(|(n, ..)| *n > 0)).map(|(n, callback, what)| {
        Event::Error(Failure {
            context: None,
            callback: Some(callback.to_string()),
            message: format!("{n} {what} were not kept"),
        })
    });
    let exchange =
        |context: u32, m: &crate::transcript::MessageOut, status: Option<u16>| Exchange {
            context: Some(context),
            message: HttpMessage {
                status,
                headers: pairs::to_text(&m.headers),
                body: m.body.clone(),
                trailers: pairs::to_text(&m.trailers),
            },
        };
    let upstream = t.http.iter().filter_map(|h| {
        let r = h.upstream_request.as_ref()?;
        Some(Event::UpstreamRequest(exchange(h.context, r, None)))
    });
    let responses = t.http.iter().filter_map(|h| {
        let r = h.downstream_response.as_ref()?;
        let status = r
            .headers
            .iter()
            .find(|(k, _)| k == ":status")
            .and_then(|(_, v)| std::str::from_utf8(v).ok()?.parse::<u16>().ok());
        Some(Event::HttpResponse(exchange(h.context, r, status)))
    });
    let refusals = t.refusals.iter().map(|r| Event::Refusal {
        context: r.context,
        function: r.function.to_string(),
        status: r.status.clone(),
        reason: r.reason.clone(),
    });
    logs.chain(refusals)
        .chain(errors)
        .chain(unlisted)
        .chain(upstream)
        .chain(responses)
        .map(|e| e.line())
        .collect()
}

/// Serves jobs from `input` until it ends; a line that is not a job gets a result with
/// `exit` 2 (and the id, when it has one) so the runner never waits for nothing.
pub fn serve(
    runtime: &Runtime,
    input: impl BufRead,
    mut output: impl Write,
) -> std::io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let result = match serde_json::from_str::<Job>(&line) {
            Ok(j) => {
                let (exit, lines) = job(runtime, &j.module, &j.scenario);
                JobResult {
                    id: Some(j.id),
                    exit,
                    lines,
                }
            }
            Err(e) => JobResult {
                id: serde_json::from_str::<serde_json::Value>(&line)
                    .ok()
                    .and_then(|v| v.get("id").and_then(serde_json::Value::as_u64)),
                exit: exit::BAD_JOB,
                lines: vec![format!("error: bad job: {e}")],
            },
        };
        writeln!(
            output,
            "{}",
            serde_json::to_string(&result).unwrap_or_default()
        )?;
        output.flush()?;
    }
    Ok(())
}
