//! `generated/` is exactly what the generator makes from the spec documents.

use proxy_wasm_codegen::{Inputs, disk, generate};
use std::path::Path;

#[test]
fn generated_files_are_up_to_date() {
    let inputs = Inputs::builtin().expect("the built-in spec documents validate");
    let files = generate(&inputs).expect("generation succeeds");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../generated");
    let drift = disk::check(&root, &files).expect("generated/ is readable");
    assert!(
        drift.is_empty(),
        "generated/ is stale; run `cargo xtask codegen`:\n{drift:#?}"
    );
}

#[test]
fn generation_is_deterministic() {
    let inputs = Inputs::builtin().expect("the built-in spec documents validate");
    let first = generate(&inputs).expect("generation succeeds");
    let second = generate(&inputs).expect("generation succeeds");
    assert_eq!(first, second);
}
