//! Every citation of the published spec text in the built-in ABIs resolves in that text: the
//! texts are proxy-wasm/spec `abi-versions/vX.Y.Z/README.md`, stored as `spec-vX.Y.Z.md` in the
//! directory named by `PROXY_WASM_SPEC_TEXTS`, or else in `../shared/reference/proxy-wasm-spec/`
//! relative to the workspace root. A cited line must exist, be prose (not blank, not a heading, not
//! in a code block), stand under the cited section, and, for a status, name the status code as the
//! spec spells it. Every spec-level status, host function and callback must carry a citation,
//! and the lines each lifecycle phase rests on must resolve the same way.

// Helpers outside `#[test]` functions fail the test the same way: by panicking.
#![allow(clippy::panic)]

use proxy_wasm_spec::ir::{Abi, Function, Level, Version};
use proxy_wasm_spec::lifecycle::Lifecycle;
use proxy_wasm_spec::published::{self, Text};
use std::path::Path;

/// The built-in ABIs whose name is a version number, with their spec texts.
fn versioned() -> Vec<(Abi, Text)> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or_else(|| Path::new(".."));
    let dir = published::locate(workspace).unwrap_or_else(|e| panic!("{e}"));
    proxy_wasm_spec::builtin::names()
        .filter(|n| n.parse::<Version>().is_ok())
        .map(|n| {
            let abi = proxy_wasm_spec::builtin(n)
                .unwrap_or_else(|e| panic!("built-in ABI {n} does not validate:\n{e}"));
            let text = Text::load(&dir, n).unwrap_or_else(|e| panic!("{e}"));
            (abi, text)
        })
        .collect()
}

/// The heading a host function or callback stands under in the spec text.
fn section(abi: &Abi, f: &Function) -> String {
    if f.module == "env" || abi.callback(&f.name).is_some() {
        f.name.clone()
    } else {
        format!("{}.{}", f.module, f.name)
    }
}

fn fail_with(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn citations_resolve_in_the_spec_texts() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (abi, text) in versioned() {
        for f in abi.functions.iter().chain(&abi.callbacks) {
            let expected = section(&abi, f);
            if let Some(c) = &f.spec {
                checked += 1;
                let what = format!("{}: `{}`", abi.name, f.name);
                if c.section != expected {
                    problems.push(format!(
                        "{what} cites section `{}`, not its own `{expected}`",
                        c.section
                    ));
                }
                if let Err(e) = text.resolve(c, &what) {
                    problems.push(e);
                }
            }
            for s in &f.statuses {
                let Some(c) = &s.spec else { continue };
                checked += 1;
                let what = format!(
                    "{}: `{}` status `{}` ({})",
                    abi.name, f.name, s.code, s.condition
                );
                if c.section != expected {
                    problems.push(format!(
                        "{what} cites section `{}`, not its function's `{expected}`",
                        c.section
                    ));
                }
                match text.resolve(c, &what) {
                    Ok(line) => {
                        if !published::names_status(line, &s.code) {
                            problems.push(format!(
                                "{what} cites {} line {}, which does not name `{}`: {line:?}",
                                c.version,
                                c.line,
                                s.code.to_uppercase()
                            ));
                        }
                    }
                    Err(e) => problems.push(e),
                }
            }
        }
    }
    fail_with(&problems);
    assert!(checked > 0, "no citations found in the built-in ABIs");
}

#[test]
fn every_spec_level_fact_is_cited() {
    let mut problems = Vec::new();
    for (abi, _) in versioned() {
        for (kind, functions) in [
            ("host function", &abi.functions),
            ("callback", &abi.callbacks),
        ] {
            for f in functions {
                if f.level == Level::Spec && f.spec.is_none() {
                    problems.push(format!(
                        "{}: {kind} `{}` is spec-level but cites no line of the {} text",
                        abi.name, f.name, abi.name
                    ));
                }
            }
        }
        for f in abi.functions.iter().chain(&abi.callbacks) {
            for s in &f.statuses {
                if s.level == Level::Spec && s.spec.is_none() {
                    problems.push(format!(
                        "{}: `{}` status `{}` ({}) is spec-level but cites no line of the {} text",
                        abi.name, f.name, s.code, s.condition, abi.name
                    ));
                }
            }
        }
    }
    fail_with(&problems);
}

#[test]
fn lifecycle_citations_resolve_in_the_spec_texts() {
    let mut problems = Vec::new();
    for (abi, text) in versioned() {
        for phase in Lifecycle::of(&abi).phases {
            for c in &phase.spec {
                let what = format!("{}: lifecycle step {:?}", abi.name, phase.step);
                if let Err(e) = text.resolve(c, &what) {
                    problems.push(e);
                }
            }
        }
    }
    fail_with(&problems);
}
