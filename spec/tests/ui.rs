//! Documents that must fail, each with its rendered errors pinned next to it: `tests/ui/*/X.witx`
//! → `X.witx.err`. `BLESS=1` updates the `.err` files. Files in `tests/ui/support/` are only
//! `use`d by the cases.

mod snapshot;

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::PathBuf;

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for dir in ["parse-fail", "validate-fail"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(format!("tests/ui/{dir}"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "witx"))
            .collect();
        files.sort();
        for path in files {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            trials.push(Trial::test(format!("{dir}::{stem}"), move || run(&path)));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

fn run(path: &std::path::Path) -> Result<(), Failed> {
    let name = path.to_string_lossy().into_owned();
    let rendered = match proxy_wasm_spec::load_file(&name) {
        Ok(_) => return Err(format!("{name} was accepted, but it is meant to fail").into()),
        Err(errors) => errors.to_string(),
    };
    let mut expected = path.as_os_str().to_owned();
    expected.push(".err");
    snapshot::check(&PathBuf::from(expected), &rendered).map_err(Failed::from)
}
