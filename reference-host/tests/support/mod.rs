//! Helpers the integration tests share.

use reference_host::{Scenario, run};
use serde_json::Value;

/// Runs `wasm` on `scenario` (JSON); the transcript as JSON. Fails the test on a bad scenario
/// or a module that does not load.
pub fn transcript(wasm: &[u8], scenario: Value) -> Value {
    let scenario: Scenario =
        serde_json::from_value(scenario).unwrap_or_else(|e| panic!("bad scenario: {e}"));
    let t = run(wasm, &scenario).unwrap_or_else(|e| panic!("load failed: {e}"));
    serde_json::to_value(t).unwrap_or_else(|e| panic!("{e}"))
}
