//! The runner's own flags; everything else goes to libtest-mimic.

use std::path::PathBuf;

/// The help text.
pub const USAGE: &str = "\
usage: conformance-runner [OPTIONS] [LIBTEST FLAGS] [FILTER]

options:
  --abi VERSION        0.1.0, 0.2.0, 0.2.1 or all (default: all); may be repeated
  --coverage           print, per version, the obligations the IR defines and how many are probed
  --emit-guests DIR    write every probe module (.wasm) and its scenario (.json) to DIR
  -h, --help           this text

libtest flags: --list, --exact, --skip FILTER, --ignored, --format pretty|terse|json,
--test-threads N, -q, --nocapture, ...
";

/// What the command line asks for.
#[derive(Debug, Default)]
pub struct Options {
    /// The ABI versions to run.
    pub versions: Vec<String>,
    /// Print coverage instead of running.
    pub coverage: bool,
    /// Write the probes here instead of running.
    pub emit_guests: Option<PathBuf>,
    /// Print the help text.
    pub help: bool,
    /// What goes to libtest-mimic.
    pub libtest: Vec<String>,
}

/// Splits the command line into the runner's options and libtest's.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut options = Options::default();
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
            "--emit-guests" => options.emit_guests = Some(PathBuf::from(value("--emit-guests")?)),
            "-h" | "--help" => options.help = true,
            _ => options.libtest.push(arg),
        }
    }
    if options.versions.is_empty() {
        options.versions = catalog_versions();
    }
    options.versions.dedup();
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
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(parse(args("--abi 0.3.0")).is_err());
        assert!(parse(args("--abi")).is_err());
        assert!(parse(args("--emit-guests")).is_err());
    }
}
