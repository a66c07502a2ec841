//! Documents that must load, each with its IR pinned as JSON next to it: `tests/accept/X.witx` →
//! `X.witx.json`. `BLESS=1` updates the `.json` files. Folders in `tests/accept/` hold the
//! documents the cases `use`.

mod snapshot;

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};

fn main() {
    let args = Arguments::from_args();
    let mut files: Vec<PathBuf> = std::fs::read_dir("tests/accept")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "witx"))
        .collect();
    files.sort();
    let trials = files
        .into_iter()
        .map(|path| {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Trial::test(format!("accept::{stem}"), move || run(&path))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn run(path: &Path) -> Result<(), Failed> {
    let name = path.to_string_lossy().into_owned();
    let abi = proxy_wasm_spec::load_file(&name).map_err(|e| format!("{name} was refused:\n{e}"))?;
    let json = serde_json::to_string_pretty(&abi).map_err(|e| e.to_string())? + "\n";
    let mut expected = path.as_os_str().to_owned();
    expected.push(".json");
    snapshot::check(&PathBuf::from(expected), &json).map_err(Failed::from)
}
