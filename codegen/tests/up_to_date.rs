//! `generated/` is exactly what the generator makes from the spec documents and the stored
//! conformance results (`runner/results`, when it exists, as `cargo xtask codegen` reads them).
#![allow(clippy::panic)] // test helpers fail loudly

use proxy_wasm_codegen::{Inputs, RESULTS_DIR, disk, generate};
use std::path::Path;

fn inputs() -> Inputs {
    let inputs = Inputs::builtin().expect("the built-in spec documents validate");
    let results = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(RESULTS_DIR);
    if results.is_dir() {
        inputs
            .with_results(&results)
            .unwrap_or_else(|e| panic!("the stored results load:\n{e}"))
    } else {
        inputs
    }
}

#[test]
fn generated_files_are_up_to_date() {
    let files = generate(&inputs()).expect("generation succeeds");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../generated");
    let drift = disk::check(&root, &files).expect("generated/ is readable");
    assert!(
        drift.is_empty(),
        "generated/ is stale; run `cargo xtask codegen`:\n{drift:#?}"
    );
}

#[test]
fn generation_is_deterministic() {
    let inputs = inputs();
    let first = generate(&inputs).expect("generation succeeds");
    let second = generate(&inputs).expect("generation succeeds");
    assert_eq!(first, second);
}
