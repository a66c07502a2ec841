//! The runner's own flags; everything else goes to libtest-mimic.

use conformance_guests::Level;
use std::path::PathBuf;
use std::time::Duration;

/// The help text.
pub const USAGE: &str = "\
usage: conformance-runner [OPTIONS] [LIBTEST FLAGS] [FILTER]

options:
  --abi VERSION        0.1.0, 0.2.0, 0.2.1 or all (default: all); may be repeated
  --level LEVEL        judge checks at this level and the more binding ones: required (what
                       the spec text requires; cases without a required check are not run),
                       reference (default: also reference-host behaviour) or advisory (all)
  --host \"CMD\"         run the cases on a third-party host through its adapter command
                       (runner/ADAPTERS.md); default: the embedded reference host
  --timeout SECS       per case with --host, and for `info` (default 10)
  --serve, --no-serve  use the adapter's `serve` mode or not (default: when it offers it)
  --work-dir DIR       where --host cases' modules and scenarios are written (default: a new
                       directory under the temp dir, kept when something failed)
  --expectations FILE  expected failures and skips of this host (TOML, version = 1)
  --update-expectations FILE
                       write this run's failures to FILE as expected failures
  --junit FILE         write a JUnit XML report
  --json FILE          write a JSON report (runner/schemas/report.schema.json)
  --report FILE        write a Markdown matrix
  --no-timings         leave wall times out of --json and --report, for reports kept in
                       version control (a re-run then changes them only where results change)
  --coverage           print, per version, the obligations the IR defines and how many are probed
  --emit-guests DIR    write every probe module, scenario and description to DIR
  -h, --help           this text

exit codes: 0 every case came out as expected; 1 unexpected results (failures, passes of
expected failures); 2 a harness error (bad command line, adapter missing or broken info,
unreadable expectations, unwritable report).

libtest flags: --list, --exact, --skip FILTER, --ignored, --format pretty|terse|json,
--test-threads N, -q, --nocapture, ...
";

/// What the command line asks for.
#[derive(Debug, Default)]
pub struct Options {
    /// The ABI versions to run.
    pub versions: Vec<String>,
    /// The least binding level judged.
    pub level: Level,
    /// Print coverage instead of running.
    pub coverage: bool,
    /// Write the probes here instead of running.
    pub emit_guests: Option<PathBuf>,
    /// Print the help text.
    pub help: bool,
    /// The adapter command of a third-party host.
    pub host: Option<String>,
    /// Per-case timeout with `--host`.
    pub timeout: Duration,
    /// Serve mode: forced on, off, or as the adapter offers.
    pub serve: Option<bool>,
    /// Where `--host` cases' files go.
    pub work_dir: Option<PathBuf>,
    /// The expectations file.
    pub expectations: Option<PathBuf>,
    /// Where to write this run's failures as expectations.
    pub update_expectations: Option<PathBuf>,
    /// JUnit report path.
    pub junit: Option<PathBuf>,
    /// JSON report path.
    pub json: Option<PathBuf>,
    /// Markdown report path.
    pub report: Option<PathBuf>,
    /// Leave timings out of the JSON and Markdown reports.
    pub no_timings: bool,
    /// What goes to libtest-mimic.
    pub libtest: Vec<String>,
}

/// Splits the command line into the runner's options and libtest's.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        timeout: Duration::from_secs(10),
        ..Options::default()
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--abi" => {
                let v = value("--abi")?;
                match v.as_str() {
                    "all" => options.versions.extend(catalog_versions()),
                    _ if catalog_versions().contains(&v) => options.versions.push(v),
                    _ => {
                        return Err(format!(
                            "unknown ABI version `{v}` (0.1.0, 0.2.0, 0.2.1 or all)"
                        ));
                    }
                }
            }
            "--coverage" => options.coverage = true,
            "--level" => {
                let v = value("--level")?;
                options.level = Level::parse(&v).ok_or_else(|| {
                    format!("unknown level `{v}` (required, reference or advisory)")
                })?;
            }
            "--host" => options.host = Some(value("--host")?),
            "--timeout" => {
                let v = value("--timeout")?;
                let secs: f64 = v
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
                    .ok_or_else(|| format!("--timeout {v}: give seconds, more than 0"))?;
                options.timeout = Duration::from_secs_f64(secs);
            }
            "--serve" => options.serve = Some(true),
            "--no-serve" => options.serve = Some(false),
            "--work-dir" => options.work_dir = Some(PathBuf::from(value("--work-dir")?)),
            "--expectations" => {
                options.expectations = Some(PathBuf::from(value("--expectations")?))
            }
            "--update-expectations" => {
                options.update_expectations = Some(PathBuf::from(value("--update-expectations")?))
            }
            "--junit" => options.junit = Some(PathBuf::from(value("--junit")?)),
            "--json" => options.json = Some(PathBuf::from(value("--json")?)),
            "--report" => options.report = Some(PathBuf::from(value("--report")?)),
            "--no-timings" => options.no_timings = true,
            "--emit-guests" => options.emit_guests = Some(PathBuf::from(value("--emit-guests")?)),
            "-h" | "--help" => options.help = true,
            _ => options.libtest.push(arg),
        }
    }
    if options.versions.is_empty() {
        options.versions = catalog_versions();
    }
    // `--abi 0.2.1 --abi all` runs 0.2.1 once: keep each version's first place.
    let mut seen = Vec::new();
    options.versions.retain(|v| {
        let first = !seen.contains(v);
        seen.push(v.clone());
        first
    });
    Ok(options)
}

fn catalog_versions() -> Vec<String> {
    conformance_guests::catalog::VERSIONS
        .iter()
        .map(|v| v.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn own_flags_are_taken_and_the_rest_passed_on() {
        let o = parse(args("--abi 0.2.1 --list --exact x --abi=0.1.0")).expect("valid");
        assert_eq!(o.versions, ["0.2.1", "0.1.0"]);
        assert_eq!(o.libtest, ["--list", "--exact", "x"]);
        let o = parse(args("--emit-guests out --coverage")).expect("valid");
        assert_eq!(o.versions.len(), 3);
        assert!(o.coverage);
        assert_eq!(o.emit_guests.as_deref(), Some(std::path::Path::new("out")));
        let o = parse(args("--host h --timeout 2.5 --no-serve --junit j.xml")).expect("valid");
        assert_eq!(o.host.as_deref(), Some("h"));
        assert_eq!(o.timeout, std::time::Duration::from_millis(2500));
        assert_eq!(o.serve, Some(false));
        assert_eq!(o.junit.as_deref(), Some(std::path::Path::new("j.xml")));
        assert_eq!(o.level, conformance_guests::Level::Reference);
        let o = parse(args("--level required --no-timings")).expect("valid");
        assert_eq!(o.level, conformance_guests::Level::Required);
        assert!(o.no_timings);
        let o = parse(args("--abi 0.2.1 --abi all --abi 0.2.1")).expect("valid");
        assert_eq!(o.versions, ["0.2.1", "0.1.0", "0.2.0"]);
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(parse(args("--abi 0.3.0")).is_err());
        assert!(parse(args("--abi")).is_err());
        assert!(parse(args("--emit-guests")).is_err());
        assert!(parse(args("--timeout 0")).is_err());
        assert!(parse(args("--timeout x")).is_err());
        assert!(parse(args("--host")).is_err());
        assert!(parse(args("--level spec")).is_err());
    }
}
