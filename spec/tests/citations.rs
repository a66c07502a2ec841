//! Every citation of the published spec text in the built-in ABIs resolves in that text: the
//! texts are proxy-wasm/spec `abi-versions/vX.Y.Z/README.md`, stored as `spec-vX.Y.Z.md` in the
//! directory named by `PROXY_WASM_SPEC_TEXTS`, or else in `../shared/reference/proxy-wasm-spec/`
//! relative to the workspace root. A cited line must exist, be prose (not blank, not a heading, not
//! in a code block), stand under the cited section, and, for a status, name the status code as the
//! spec spells it. Every spec-level status and host function must carry a citation.

// Helpers outside `#[test]` functions fail the test the same way: by panicking.
#![allow(clippy::panic)]

use proxy_wasm_spec::ir::{Abi, Citation, Function, Level, Version};
use std::path::{Path, PathBuf};

/// The environment variable that names the directory of the spec texts.
const TEXTS_VAR: &str = "PROXY_WASM_SPEC_TEXTS";

/// The directory of the spec texts; fails, saying where it looked, when there is none.
fn texts_dir() -> PathBuf {
    let mut looked = Vec::new();
    if let Some(dir) = std::env::var_os(TEXTS_VAR) {
        let dir = PathBuf::from(dir);
        if dir.is_dir() {
            return dir;
        }
        looked.push(format!("{} (from {TEXTS_VAR})", dir.display()));
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or_else(|| Path::new(".."));
    let default = workspace.join("../shared/reference/proxy-wasm-spec");
    if default.is_dir() {
        return default;
    }
    looked.push(format!(
        "{} (../shared/reference/proxy-wasm-spec/ relative to the workspace root)",
        default.display()
    ));
    panic!(
        "the published spec texts (spec-vX.Y.Z.md) are needed to check citations, but no directory of them was found; looked in:\n  {}\nset {TEXTS_VAR} to the directory that holds them",
        looked.join("\n  ")
    );
}

/// One spec text, split into lines, with what each line is.
struct Text {
    version: String,
    lines: Vec<String>,
    /// Whether line `i` (0-based) is a code fence or lies inside a code block.
    code: Vec<bool>,
}

impl Text {
    fn load(dir: &Path, version: &str) -> Text {
        let path = dir.join(format!("spec-v{version}.md"));
        let body = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read the {version} spec text {}: {e}",
                path.display()
            )
        });
        let lines: Vec<String> = body.lines().map(str::to_string).collect();
        let mut code = Vec::with_capacity(lines.len());
        let mut inside = false;
        for l in &lines {
            let fence = l.trim_start().starts_with("```");
            code.push(inside || fence);
            if fence {
                inside = !inside;
            }
        }
        Text {
            version: version.to_string(),
            lines,
            code,
        }
    }

    fn is_heading(&self, i: usize) -> bool {
        !self.code[i] && self.lines[i].starts_with('#')
    }

    /// The heading the 0-based line `i` stands under, without `#`s and backticks.
    fn section_of(&self, i: usize) -> Option<String> {
        (0..i).rev().find(|&j| self.is_heading(j)).map(|j| {
            self.lines[j]
                .trim_start_matches('#')
                .trim()
                .replace('`', "")
        })
    }

    /// Checks a citation; returns the cited line, or what is wrong with it.
    fn resolve(&self, c: &Citation, what: &str) -> Result<&str, String> {
        let at = format!("{what} cites {} line {}", c.version, c.line);
        if c.version != self.version {
            return Err(format!("{at}, but it is in the IR of ABI {}", self.version));
        }
        let i = usize::try_from(c.line)
            .ok()
            .and_then(|l| l.checked_sub(1))
            .filter(|&i| i < self.lines.len())
            .ok_or_else(|| format!("{at}, but the text has {} lines", self.lines.len()))?;
        let line = self.lines[i].as_str();
        if line.trim().is_empty() {
            return Err(format!("{at}, which is blank"));
        }
        if self.code[i] {
            return Err(format!("{at}, which is code, not prose: {line:?}"));
        }
        if self.is_heading(i) {
            return Err(format!("{at}, which is a heading: {line:?}"));
        }
        match self.section_of(i) {
            Some(s) if s == c.section => Ok(line),
            found => Err(format!(
                "{at} in section `{}`, but that line stands under {}: {line:?}",
                c.section,
                found.map_or("no heading".to_string(), |s| format!("`{s}`"))
            )),
        }
    }
}

/// The built-in ABIs whose name is a version number, with their spec texts.
fn versioned() -> Vec<(Abi, Text)> {
    let dir = texts_dir();
    proxy_wasm_spec::builtin::names()
        .filter(|n| n.parse::<Version>().is_ok())
        .map(|n| {
            let abi = proxy_wasm_spec::builtin(n)
                .unwrap_or_else(|e| panic!("built-in ABI {n} does not validate:\n{e}"));
            (abi, Text::load(&dir, n))
        })
        .collect()
}

/// The heading a function stands under in the spec text.
fn section(f: &Function) -> String {
    if f.module == "env" {
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
            let expected = section(f);
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
                        let code = format!("`{}`", s.code.to_uppercase());
                        if !line.contains(&code) {
                            problems.push(format!(
                                "{what} cites {} line {}, which does not name {code}: {line:?}",
                                c.version, c.line
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
        for f in &abi.functions {
            if f.level == Level::Spec && f.spec.is_none() {
                problems.push(format!(
                    "{}: host function `{}` is spec-level but cites no line of the {} text",
                    abi.name, f.name, abi.name
                ));
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
