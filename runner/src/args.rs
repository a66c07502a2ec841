//! The command line: the runner's own flags and libtest's (libtest-mimic's `Arguments`,
//! flattened in), parsed by clap into one help and one error style.

use clap::{CommandFactory, FromArgMatches, Parser};
use libtest_mimic::Arguments;
use proxy_wasm_interchange::Level;
use proxy_wasm_spec::RELEASED;
use std::path::PathBuf;
use std::time::Duration;

/// What follows the options in `--help`.
const AFTER_HELP: &str = "\
Exit codes: 0 every case came out as expected; 1 unexpected results (failures, passes of
expected failures); 2 a harness error (bad command line, adapter missing or broken info,
unreadable expectations, unwritable report).";

/// The layout of `--help`; libtest-mimic's own template, which comes with its flattened
/// arguments, is replaced.
const HELP: &str = "\
{name} {version}: {about}

{usage-heading} {usage}

{all-args}{after-help}";

/// The command line as clap reads it.
#[derive(Parser, Debug)]
#[command(
    name = "conformance-runner",
    version,
    about = "The Proxy-Wasm conformance suite: probe modules run on the embedded reference host \
             or on any host through its adapter (runner/ADAPTERS.md).",
    after_help = AFTER_HELP
)]
struct Cli {
    /// ABI version to run: 0.1.0, 0.2.0, 0.2.1 or all (default: all); may be repeated
    #[arg(long, value_name = "VERSION", value_parser = abi)]
    abi: Vec<Vec<String>>,
    /// Judge checks at this level and the more binding ones: required (what the spec text
    /// requires; cases without a required check are not run), reference (also reference-host
    /// behaviour) or advisory (all)
    #[arg(long, value_name = "LEVEL", value_parser = level, default_value = "reference")]
    level: Level,
    /// Run the cases on a third-party host through its adapter command (runner/ADAPTERS.md);
    /// default: the embedded reference host
    #[arg(long, value_name = "CMD")]
    host: Option<String>,
    /// Seconds per case with --host, and for `info`
    #[arg(long, value_name = "SECS", value_parser = seconds, default_value = "10")]
    timeout: Duration,
    /// Use the adapter's `serve` mode (default: when it offers it)
    #[arg(long, overrides_with = "no_serve")]
    serve: bool,
    /// Start the adapter once per case even when it offers `serve`
    #[arg(long, overrides_with = "serve")]
    no_serve: bool,
    /// Where --host cases' modules and scenarios are written (default: a new directory under
    /// the temp dir, kept when something failed)
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// Keep the embedded host's compiled probe modules in DIR (default: wasmtime's cache
    /// directory, ~/.cache/wasmtime on Linux), so later runs load them instead of compiling
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Compile every probe module afresh and write no cache
    #[arg(long, conflicts_with = "cache_dir")]
    no_cache: bool,
    /// Expected failures and skips of this host (TOML, version = 1)
    #[arg(long, value_name = "FILE")]
    expectations: Option<PathBuf>,
    /// Write this run's failures to FILE as expected failures
    #[arg(long, value_name = "FILE")]
    update_expectations: Option<PathBuf>,
    /// Write a JUnit XML report
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write a JSON report (generated/schemas/report.schema.json)
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write a Markdown matrix
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Leave wall times out of --json and --report, for reports kept in version control (a
    /// re-run then changes them only where results change)
    #[arg(long)]
    no_timings: bool,
    /// Print, per version, the obligations the IR defines and how many are probed
    #[arg(long)]
    coverage: bool,
    /// Write every probe module, scenario and description to DIR
    #[arg(long, value_name = "DIR")]
    emit_guests: Option<PathBuf>,
    #[command(flatten)]
    libtest: Arguments,
}

/// What the command line asks for.
#[derive(Debug)]
pub struct Options {
    /// The ABI versions to run, each once.
    pub versions: Vec<String>,
    /// The least binding level judged.
    pub level: Level,
    /// Print coverage instead of running.
    pub coverage: bool,
    /// Write the probes here instead of running.
    pub emit_guests: Option<PathBuf>,
    /// The adapter command of a third-party host.
    pub host: Option<String>,
    /// Per-case timeout with `--host`.
    pub timeout: Duration,
    /// Serve mode: forced on, off, or as the adapter offers.
    pub serve: Option<bool>,
    /// Where `--host` cases' files go.
    pub work_dir: Option<PathBuf>,
    /// Where the embedded host keeps compiled modules.
    pub cache: ModuleCache,
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
    /// libtest's flags and filter.
    pub libtest: Arguments,
    /// Flags given that do nothing in this run, with why.
    pub ignored: Vec<String>,
}

/// Where the embedded host keeps compiled modules.
#[derive(Debug, PartialEq, Eq)]
pub enum ModuleCache {
    /// Nowhere: every module is compiled.
    Off,
    /// wasmtime's default cache directory; without one, nowhere.
    Default,
    /// This directory.
    Dir(PathBuf),
}

/// Reads the command line (without the program name). A clap error carries its own exit
/// code: 0 for `--help` and `--version`, 2 for a mistake.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, clap::Error> {
    let command = Cli::command()
        .help_template(HELP)
        .after_help(AFTER_HELP)
        .disable_version_flag(false);
    let matches = command
        .try_get_matches_from(std::iter::once("conformance-runner".to_string()).chain(args))?;
    let cli = Cli::from_arg_matches(&matches)?;
    // `--abi 0.2.1 --abi all` runs 0.2.1 once: each version keeps its first place.
    let mut versions: Vec<String> = Vec::new();
    for v in cli.abi.into_iter().flatten() {
        if !versions.contains(&v) {
            versions.push(v);
        }
    }
    if versions.is_empty() {
        versions = RELEASED.iter().map(|v| v.to_string()).collect();
    }
    let serve = match (cli.serve, cli.no_serve) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let mut ignored = Vec::new();
    if cli.host.is_none() {
        let given = [
            ("--timeout", cli.timeout != Duration::from_secs(10)),
            ("--serve/--no-serve", serve.is_some()),
            ("--work-dir", cli.work_dir.is_some()),
        ];
        for (flag, _) in given.iter().filter(|(_, on)| *on) {
            ignored.push(format!("{flag} does nothing without --host"));
        }
    } else if cli.cache_dir.is_some() || cli.no_cache {
        ignored.push("--cache-dir/--no-cache do nothing with --host".to_string());
    }
    let cache = match (cli.cache_dir, cli.no_cache) {
        (_, true) => ModuleCache::Off,
        (Some(dir), false) => ModuleCache::Dir(dir),
        (None, false) => ModuleCache::Default,
    };
    Ok(Options {
        versions,
        level: cli.level,
        coverage: cli.coverage,
        emit_guests: cli.emit_guests,
        host: cli.host,
        timeout: cli.timeout,
        serve,
        work_dir: cli.work_dir,
        cache,
        expectations: cli.expectations,
        update_expectations: cli.update_expectations,
        junit: cli.junit,
        json: cli.json,
        report: cli.report,
        no_timings: cli.no_timings,
        libtest: cli.libtest,
        ignored,
    })
}

/// An `--abi` value: one version, or every version for `all`.
fn abi(v: &str) -> Result<Vec<String>, String> {
    match v {
        "all" => Ok(RELEASED.iter().map(|v| v.to_string()).collect()),
        _ if RELEASED.contains(&v) => Ok(vec![v.to_string()]),
        _ => Err(format!("one of {} or all", RELEASED.join(", "))),
    }
}

/// A `--level` value.
fn level(v: &str) -> Result<Level, String> {
    Level::parse(v).ok_or_else(|| {
        let names: Vec<&str> = Level::ALL.iter().map(|l| l.name()).collect();
        format!("one of {}", names.join(", "))
    })
}

/// A `--timeout` value: seconds, more than 0 and at most a day.
fn seconds(v: &str) -> Result<Duration, String> {
    v.parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| "give seconds, more than 0 and at most 86400".to_string())
}

#[cfg(test)]
mod tests {
    use super::{ModuleCache, parse};

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn own_flags_and_libtest_flags_are_read() {
        let o = parse(args("--abi 0.2.1 --list --exact x --abi=0.1.0")).expect("valid");
        assert_eq!(o.versions, ["0.2.1", "0.1.0"]);
        assert!(o.libtest.list && o.libtest.exact);
        assert_eq!(o.libtest.filter.as_deref(), Some("x"));
        let o = parse(args("--emit-guests out --coverage")).expect("valid");
        assert_eq!(o.versions.len(), 3);
        assert!(o.coverage);
        assert_eq!(o.emit_guests.as_deref(), Some(std::path::Path::new("out")));
        let o = parse(args("--host h --timeout 2.5 --no-serve --junit j.xml")).expect("valid");
        assert_eq!(o.host.as_deref(), Some("h"));
        assert_eq!(o.timeout, std::time::Duration::from_millis(2500));
        assert_eq!(o.serve, Some(false));
        assert_eq!(o.junit.as_deref(), Some(std::path::Path::new("j.xml")));
        assert_eq!(o.level, proxy_wasm_interchange::Level::Reference);
        assert!(o.ignored.is_empty());
        let o = parse(args("--level required --no-timings -q --skip y")).expect("valid");
        assert_eq!(o.level, proxy_wasm_interchange::Level::Required);
        assert!(o.no_timings && o.libtest.quiet);
        assert_eq!(o.libtest.skip, ["y"]);
    }

    #[test]
    fn each_version_runs_once() {
        let o = parse(args("--abi 0.2.1 --abi all --abi 0.2.1")).expect("valid");
        assert_eq!(o.versions, ["0.2.1", "0.1.0", "0.2.0"]);
    }

    #[test]
    fn flags_that_need_a_host_say_so_without_one() {
        let o = parse(args("--timeout 3 --work-dir w --serve")).expect("valid");
        assert_eq!(o.ignored.len(), 3, "{:?}", o.ignored);
        let o = parse(args("--host h --no-cache")).expect("valid");
        assert_eq!(o.ignored.len(), 1, "{:?}", o.ignored);
    }

    #[test]
    fn the_module_cache_is_on_unless_turned_off() {
        assert_eq!(parse(args("")).expect("valid").cache, ModuleCache::Default);
        assert_eq!(
            parse(args("--cache-dir c")).expect("valid").cache,
            ModuleCache::Dir("c".into())
        );
        assert_eq!(
            parse(args("--no-cache")).expect("valid").cache,
            ModuleCache::Off
        );
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for line in [
            "--abi 0.3.0",
            "--abi",
            "--emit-guests",
            "--timeout 0",
            "--timeout x",
            "--host",
            "--level spec",
            "--no-cache --cache-dir c",
            "--no-such-flag",
        ] {
            let e = parse(args(line)).expect_err(line);
            assert_eq!(e.exit_code(), 2, "{line}");
        }
    }
}
