//! The IR of every built-in ABI, pinned as JSON in `tests/snapshots/ir/`. `BLESS=1` updates them.

mod snapshot;

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::Path;

fn main() {
    let args = Arguments::from_args();
    let trials = proxy_wasm_spec::builtin::names()
        .map(|name| {
            Trial::test(format!("ir::{name}"), move || {
                let abi =
                    proxy_wasm_spec::builtin(name).map_err(|e| Failed::from(e.to_string()))?;
                let json = serde_json::to_string_pretty(&abi).map_err(|e| e.to_string())? + "\n";
                let file = Path::new("tests/snapshots/ir").join(format!("{name}.json"));
                snapshot::check(&file, &json).map_err(Failed::from)
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
