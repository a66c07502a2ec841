//! The reports written from a run's [`Report`]: JUnit XML (`--junit`), JSON
//! (`--json`, schema `generated/schemas/report.schema.json`) and a Markdown matrix (`--report`).

mod junit;
mod markdown;

pub use junit::junit;
pub use markdown::markdown;

use proxy_wasm_interchange::report::Report;

/// The `--json` report, keys sorted so a stored report changes only where the run did.
pub fn json(report: &Report) -> serde_json::Value {
    serde_json::to_value(report).unwrap_or_default()
}

/// Writes `text` to `path`, replacing it only once complete.
pub fn write(path: &std::path::Path, text: &str) -> Result<(), String> {
    let temp = path.with_extension("partial");
    std::fs::write(&temp, text)
        .and_then(|()| std::fs::rename(&temp, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
