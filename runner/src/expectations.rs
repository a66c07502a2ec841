//! Expectations files (`--expectations FILE.toml`, schema `generated/schemas/expectations.schema.json`):
//! which cases a host is known to fail or cannot run, each with a reason. An expected failure
//! that passes is a failure too (a stale expectation); `--update-expectations` writes the
//! failures of a run.

pub use proxy_wasm_interchange::expectations::Entry;
use proxy_wasm_interchange::expectations::File;
use std::path::Path;

/// What an entry says about a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// It fails on this host.
    Fail,
    /// It is not run.
    Skip,
}

/// A loaded, checked expectations file.
#[derive(Debug, Default)]
pub struct Expectations {
    entries: Vec<Entry>,
}

impl Expectations {
    /// Reads and checks `path`; every mistake is named with its entry.
    pub fn load(path: &Path) -> Result<Expectations, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses and checks the text of a file.
    pub fn parse(text: &str) -> Result<Expectations, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
        if file.version != 1 {
            return Err(format!(
                "version = {} is not supported (only 1)",
                file.version
            ));
        }
        let mut problems = Vec::new();
        for (i, e) in file.expect.iter().enumerate() {
            let at = format!("[[expect]] #{} (case = {:?})", i + 1, e.case);
            match (e.expected.as_deref(), e.skip) {
                (Some("fail"), None | Some(false)) | (None, Some(true)) => {}
                (Some("fail"), Some(true)) => {
                    problems.push(format!("{at}: both expected = \"fail\" and skip = true"))
                }
                (Some(other), _) => problems.push(format!(
                    "{at}: expected = {other:?}; the only expectation is \"fail\""
                )),
                (None, _) => {
                    problems.push(format!("{at}: needs expected = \"fail\" or skip = true"))
                }
            }
            if e.reason.trim().is_empty() {
                problems.push(format!("{at}: reason is empty"));
            }
            if e.case.trim().is_empty() {
                problems.push(format!("{at}: case is empty"));
            }
        }
        if problems.is_empty() {
            Ok(Expectations {
                entries: file.expect,
            })
        } else {
            Err(problems.join("\n"))
        }
    }

    /// The first entry matching case `id`, and what it says.
    pub fn lookup(&self, id: &str) -> Option<(&Entry, Expected)> {
        let e = self.entries.iter().find(|e| glob(&e.case, id))?;
        let what = if e.skip == Some(true) {
            Expected::Skip
        } else {
            Expected::Fail
        };
        Some((e, what))
    }

    /// Entries that match none of `ids`.
    pub fn unused<'i>(&self, ids: impl Iterator<Item = &'i str> + Clone) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| !ids.clone().any(|id| glob(&e.case, id)))
            .collect()
    }
}

/// Whether `text` matches `pattern`: `*` any run of characters (`/` included), `?` one.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '?' || *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

impl Expectations {
    /// The `skip = true` entries, which a rewritten file keeps.
    pub fn skips(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.skip == Some(true))
    }
}

/// Writes an expectations file: the `skips` kept, then `failures` (id, entry kept from an
/// older file if any) for `host`, replacing `path` only once the whole file is written.
pub fn write(
    path: &Path,
    host: &str,
    skips: Vec<Entry>,
    failures: &[(String, Option<Entry>)],
) -> Result<(), String> {
    let failed = failures.iter().map(|(id, kept)| match kept {
        Some(e) if e.expected.as_deref() == Some("fail") && e.case == *id => e.clone(),
        Some(e) => Entry {
            case: id.clone(),
            expected: Some("fail".into()),
            skip: None,
            reason: e.reason.clone(),
            link: e.link.clone(),
        },
        None => Entry {
            case: id.clone(),
            expected: Some("fail".into()),
            skip: None,
            reason: "recorded by --update-expectations; explain".into(),
            link: None,
        },
    });
    let file = File {
        version: 1,
        host: Some(host.to_string()),
        measured: Some(true),
        expect: skips.into_iter().chain(failed).collect(),
    };
    let text = toml::to_string(&file).map_err(|e| e.to_string())?;
    let text = format!(
        "# Written by conformance-runner --update-expectations; give every entry a real reason.\n{text}"
    );
    let temp = path.with_extension("toml.partial");
    std::fs::write(&temp, text)
        .and_then(|()| std::fs::rename(&temp, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("v*/detection/no_marker", "v0.2.1/detection/no_marker"));
        assert!(glob("v0.2.?/*", "v0.2.0/proxy_log/status/ok"));
        assert!(glob("*", ""));
        assert!(!glob("v0.1.0/*", "v0.2.1/x"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
    }

    #[test]
    fn files_are_checked() {
        let ok = Expectations::parse(
            "version = 1\n[[expect]]\ncase = \"v*/a\"\nexpected = \"fail\"\nreason = \"r\"\n\
             [[expect]]\ncase = \"v0.2.1/b\"\nskip = true\nreason = \"s\"\nlink = \"https://x\"\n",
        )
        .unwrap_or_default();
        assert_eq!(ok.lookup("v0.1.0/a").map(|(_, w)| w), Some(Expected::Fail));
        assert_eq!(ok.lookup("v0.2.1/b").map(|(_, w)| w), Some(Expected::Skip));
        assert!(ok.lookup("v0.2.1/c").is_none());
        let err = |text: &str| Expectations::parse(text).err().unwrap_or_default();
        assert!(err("version = 2").contains("version = 2 is not supported"));
        assert!(
            err("version = 1\n[[expect]]\ncase = \"x\"\nreason = \"\"\nexpected = \"pass\"")
                .contains("#1 (case = \"x\"): expected = \"pass\"")
        );
        assert!(
            err("version = 1\n[[expect]]\ncase = \"x\"\nreason = \"\"\nskip = true")
                .contains("reason is empty")
        );
        assert!(err("version = 1\n[[expect]]\ncase = \"x\"\nskip = true").contains("reason"));
        assert!(
            err("version = 1\n[[expect]]\ncase = \"x\"\nreason = \"r\"").contains("needs expected")
        );
        assert!(err("version = 1\nbogus = 3").contains("bogus"));
        assert!(err("version = ").contains("line 1"));
    }
}
