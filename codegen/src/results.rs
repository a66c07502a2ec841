//! Stored conformance results: the reports `conformance-runner --json FILE` writes
//! ([`proxy_wasm_interchange::report::Report`]), read for the host support pages. The pages show
//! no timings, so they never change unless a report's results do.

use crate::names;
use proxy_wasm_interchange::report::Report;
use std::fmt;
use std::path::{Path, PathBuf};

/// The page stem no host may take: it is the hosts' index.
const RESERVED_SLUG: &str = "index";

/// One host's stored run.
#[derive(Clone, Debug)]
pub struct HostResults {
    /// The name of the file it was read from, for page preambles.
    pub source: String,
    /// The report.
    pub report: Report,
}

impl HostResults {
    /// The stem of the host's page: its name in kebab case.
    pub fn slug(&self) -> String {
        names::host_slug(&self.report.host.info.name)
    }
}

/// A results file that cannot be used.
#[derive(Debug)]
pub struct Error {
    /// The file (or the directory, if it cannot be listed).
    pub file: PathBuf,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

impl std::error::Error for Error {}

/// Every results file that cannot be used, one per line.
#[derive(Debug)]
pub struct Errors(pub Vec<Error>);

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.0 {
            writeln!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

/// Reads a report; `source` is the file's name. Fails when it is not a runner report or its host
/// name gives no usable page name.
pub fn parse(source: &str, text: &str) -> Result<HostResults, String> {
    let results = HostResults {
        source: source.to_string(),
        report: Report::parse(text)?,
    };
    let slug = results.slug();
    if slug.is_empty() || slug == RESERVED_SLUG {
        return Err(format!(
            "host name `{}` gives no usable page name",
            results.report.host.info.name.escape_debug()
        ));
    }
    Ok(results)
}

/// Reads every `*.json` file directly in `dir`, sorted by host page. Reports every file that
/// fails, and hosts whose pages would overwrite each other.
pub fn load_dir(dir: &Path) -> Result<Vec<HostResults>, Errors> {
    let listing_error = |e: std::io::Error| {
        Errors(vec![Error {
            file: dir.to_path_buf(),
            message: format!("cannot list the results directory: {e}"),
        }])
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(listing_error)? {
        let path = entry.map_err(listing_error)?.path();
        if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    let mut loaded: Vec<(PathBuf, HostResults)> = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        let source = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parsed = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read: {e}"))
            .and_then(|text| parse(&source, &text));
        match parsed {
            Ok(results) => match loaded.iter().find(|(_, r)| r.slug() == results.slug()) {
                Some((other, _)) => errors.push(Error {
                    message: format!(
                        "host `{}` would have the same page as the host of {}",
                        results.report.host.info.name.escape_debug(),
                        other.display()
                    ),
                    file,
                }),
                None => loaded.push((file, results)),
            },
            Err(message) => errors.push(Error { file, message }),
        }
    }
    if !errors.is_empty() {
        return Err(Errors(errors));
    }
    let mut results: Vec<HostResults> = loaded.into_iter().map(|(_, r)| r).collect();
    results.sort_by_key(HostResults::slug);
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#""tool": "conformance-runner", "tool_version": "0.1.0", "protocol": 1,
        "level": "reference", "seconds": 1.5,
        "totals": { "cases": 0, "passed": 0, "failed": 0, "xfailed": 0, "xpassed": 0, "skipped": 0 },
        "levels": {}"#;

    fn report(name: &str, case: &str) -> String {
        format!(
            r#"{{ {HEAD}, "host": {{ "protocol": 1, "name": "{name}", "version": "1",
            "abi_versions": ["0.2.1"], "capabilities": ["http", "teleport"], "serve": true }},
            "cases": [{case}] }}"#
        )
    }

    #[test]
    fn reads_a_report_and_ignores_timings() {
        let case = r#"{ "id": "v0.2.1/proxy_log/status/ok", "version": "0.2.1",
            "function": "proxy_log", "kind": "out_pointer", "level": "reference",
            "outcome": "xpass", "duration_ms": 3.5, "message": null, "link": null, "repro": null,
            "checks": { "required": { "passed": 1, "failed": 0 },
                        "reference": { "passed": 0, "failed": 0 },
                        "advisory": { "passed": 0, "failed": 0 } },
            "failed_checks": [] }"#;
        let r = parse("x.json", &report("Some Host", case)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.source, "x.json");
        assert_eq!(r.slug(), "some-host");
        assert!(r.report.cases[0].outcome.unexpected());
    }

    #[test]
    fn rejects_what_is_not_a_report() {
        let err = |text: &str| parse("x.json", text).err().unwrap_or_default();
        assert!(err("{").contains("line 1 column 1"), "{}", err("{"));
        let bad_outcome = report(
            "h",
            r#"{ "id": "a", "version": "0.2.1", "function": null, "kind": "status",
               "level": "required", "outcome": "maybe", "message": null, "link": null,
               "checks": { "required": { "passed": 0, "failed": 0 },
                           "reference": { "passed": 0, "failed": 0 },
                           "advisory": { "passed": 0, "failed": 0 } },
               "failed_checks": [] }"#,
        );
        assert!(err(&bad_outcome).contains("unknown variant `maybe`"));
        assert!(err(&report("h", "").replace("conformance-runner", "other")).contains("`other`"));
        assert!(err(&report("index", "")).contains("no usable page name"));
        assert!(err(&report("--", "")).contains("no usable page name"));
    }

    #[test]
    fn hosts_sharing_a_page_are_refused() -> std::io::Result<()> {
        let dir = std::env::temp_dir().join(format!("codegen-results-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("a.json"), report("Same Host", ""))?;
        std::fs::write(dir.join("b.json"), report("same-host", ""))?;
        std::fs::write(dir.join("notes.txt"), "not read")?;
        let errors = load_dir(&dir).err().map(|e| e.0).unwrap_or_default();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].file, dir.join("b.json"));
        assert!(errors[0].message.contains("a.json"), "{}", errors[0]);
        std::fs::remove_file(dir.join("b.json"))?;
        let loaded = load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded.len(), 1);
        std::fs::remove_dir_all(&dir)
    }
}
