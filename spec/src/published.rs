//! The published spec texts (proxy-wasm/spec `abi-versions/vX.Y.Z/README.md`), read only to
//! check that citations resolve. They are not part of this repository: they are looked for in
//! the directory named by `PROXY_WASM_SPEC_TEXTS`, or else in
//! `../shared/reference/proxy-wasm-spec/` beside the workspace, as `spec-vX.Y.Z.md`.

use crate::ir::Citation;
use std::path::{Path, PathBuf};

/// The environment variable that names the directory of the spec texts.
pub const TEXTS_VAR: &str = "PROXY_WASM_SPEC_TEXTS";

/// The directory of the spec texts for the workspace at `workspace`, or where it looked.
pub fn locate(workspace: &Path) -> Result<PathBuf, String> {
    let mut looked = Vec::new();
    if let Some(dir) = std::env::var_os(TEXTS_VAR) {
        let dir = PathBuf::from(dir);
        if dir.is_dir() {
            return Ok(dir);
        }
        looked.push(format!("{} (from {TEXTS_VAR})", dir.display()));
    }
    let default = workspace.join("../shared/reference/proxy-wasm-spec");
    if default.is_dir() {
        return Ok(default);
    }
    looked.push(format!(
        "{} (../shared/reference/proxy-wasm-spec/ relative to the workspace root)",
        default.display()
    ));
    Err(format!(
        "the published spec texts (spec-vX.Y.Z.md) are needed to check citations, but no \
         directory of them was found; looked in:\n  {}\nset {TEXTS_VAR} to the directory that \
         holds them",
        looked.join("\n  ")
    ))
}

/// Whether a line of the text names status `code` (our snake case) as the spec spells it:
/// `` `NOT_FOUND` ``.
pub fn names_status(line: &str, code: &str) -> bool {
    line.contains(&format!("`{}`", code.to_uppercase()))
}

/// One spec text, split into lines, with what each line is.
pub struct Text {
    version: String,
    lines: Vec<String>,
    /// Whether line `i` (0-based) is a code fence or lies inside a code block.
    code: Vec<bool>,
}

impl Text {
    /// Reads the text of `version` from `dir`.
    pub fn load(dir: &Path, version: &str) -> Result<Text, String> {
        let path = dir.join(format!("spec-v{version}.md"));
        let body = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "cannot read the {version} spec text {}: {e}",
                path.display()
            )
        })?;
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
        Ok(Text {
            version: version.to_string(),
            lines,
            code,
        })
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
    pub fn resolve(&self, c: &Citation, what: &str) -> Result<&str, String> {
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
