//! The verdict lines a probe logs, and their parser. Format version 1 (`VERDICTS.md`):
//!
//! ```text
//! pwtck:1 PASS <check-id>
//! pwtck:1 FAIL <check-id> expected=<value> got=<value>
//! pwtck:1 END <probe-id>
//! ```
//!
//! Each line is one `proxy_log` message at level info. A probe logs one `PASS` or `FAIL` line per
//! check it reaches and, as its last line, `END`: without it the probe did not run to its end
//! (a trap, a host that stopped calling it). Ids are 1 to [`MAX_ID_LEN`] characters from
//! `A-Z a-z 0-9 . _ - / : +`, such as `v0.2.1/proxy_get_header_map_value/status/not_found`.
//!
//! A value is one of (see [`Value`]):
//! - a number: unsigned decimal (`6`; a 32-bit value is shown as u32, so -1 is `4294967295`);
//! - bytes: `bytes:<len>:<hex>`, the length in decimal and the first [`BYTES_SHOWN`] bytes in
//!   lowercase hex (`bytes:1:2f` is "/", `bytes:0:` is empty);
//! - a range outside guest memory: `oob:<ptr>+<len>`, both decimal;
//! - (expected only) any of several numbers: `any:<n>+<n>...`.
//!
//! Hosts add prefixes (time, level, plugin name) and sometimes suffixes (nginx appends
//! `, client: ...`), so the parser finds the marker anywhere in a line and reads each field only
//! as far as its characters allow.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What every verdict line contains: the kit's name and the format version.
pub const MARKER: &str = "pwtck:1";
/// The kit's name, in lines of any format version.
const KIT: &str = "pwtck:";
/// The longest check or probe id.
pub const MAX_ID_LEN: usize = 128;
/// How many bytes a `bytes:` value shows; longer values show their length and this many bytes.
pub const BYTES_SHOWN: usize = 64;

/// One parsed verdict line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// The check held.
    Pass {
        /// The check id.
        check: String,
    },
    /// The check did not hold.
    Fail {
        /// The check id.
        check: String,
        /// What the probe expected.
        expected: Value,
        /// What it found.
        got: Value,
    },
    /// The probe ran to its end.
    End {
        /// The probe id.
        probe: String,
    },
}

/// A value in a `FAIL` line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Value {
    /// A status code or another integer, unsigned.
    Number {
        /// The number.
        value: u64,
    },
    /// Bytes in guest memory.
    Bytes {
        /// How many bytes there are.
        len: u32,
        /// The first [`BYTES_SHOWN`] of them (all, if there are no more).
        head: Vec<u8>,
    },
    /// Any one of these numbers (an expectation only).
    AnyOf {
        /// The numbers accepted.
        values: Vec<u64>,
    },
    /// A pointer and length the host wrote that do not lie inside guest memory.
    OutOfBounds {
        /// The pointer.
        ptr: u32,
        /// The length.
        len: u32,
    },
}

impl Verdict {
    /// The check id of a `PASS` or `FAIL`.
    pub fn check(&self) -> Option<&str> {
        match self {
            Verdict::Pass { check } | Verdict::Fail { check, .. } => Some(check),
            Verdict::End { .. } => None,
        }
    }
}

impl Value {
    /// A number.
    pub fn number(value: u64) -> Value {
        Value::Number { value }
    }

    /// Bytes, keeping the first [`BYTES_SHOWN`].
    pub fn bytes(bytes: &[u8]) -> Value {
        Value::Bytes {
            len: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
            head: bytes.iter().take(BYTES_SHOWN).copied().collect(),
        }
    }

    fn parse(s: &str) -> Option<Value> {
        if let Some(rest) = s.strip_prefix("bytes:") {
            let (len, hex) = rest.split_once(':')?;
            let head = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
                .collect::<Option<Vec<u8>>>()?;
            return Some(Value::Bytes {
                len: decimal(len)?,
                head,
            });
        }
        if let Some(rest) = s.strip_prefix("any:") {
            let values = rest.split('+').map(decimal).collect::<Option<Vec<u64>>>()?;
            return Some(Value::AnyOf { values });
        }
        if let Some(rest) = s.strip_prefix("oob:") {
            let (ptr, len) = rest.split_once('+')?;
            return Some(Value::OutOfBounds {
                ptr: decimal(ptr)?,
                len: decimal(len)?,
            });
        }
        Some(Value::number(decimal(s)?))
    }
}

/// Digits only: `str::parse` would also take a sign.
fn decimal<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number { value } => write!(f, "{value}"),
            Value::Bytes { len, head } => {
                write!(f, "bytes:{len}:")?;
                head.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
            Value::OutOfBounds { ptr, len } => write!(f, "oob:{ptr}+{len}"),
            Value::AnyOf { values } => {
                let shown: Vec<String> = values.iter().map(u64::to_string).collect();
                write!(f, "any:{}", shown.join("+"))
            }
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Pass { check } => write!(f, "{MARKER} PASS {check}"),
            Verdict::Fail {
                check,
                expected,
                got,
            } => write!(f, "{}{got}", fail_prefix(check, expected)),
            Verdict::End { probe } => write!(f, "{MARKER} END {probe}"),
        }
    }
}

/// A `FAIL` line up to its `got` value, which the probe formats at run time.
pub fn fail_prefix(check: &str, expected: &Value) -> String {
    format!("{MARKER} FAIL {check} expected={expected} got=")
}

/// Whether `id` may be a check or probe id.
pub fn valid_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len()) && id.chars().all(is_id_char)
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-/:+".contains(c)
}

fn is_value_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ":+".contains(c)
}

/// Splits `s` after its longest prefix of characters that `keep` accepts.
fn take(s: &str, keep: fn(char) -> bool) -> (&str, &str) {
    s.split_at(s.find(|c| !keep(c)).unwrap_or(s.len()))
}

/// The verdict in a log line, wherever the marker stands in it; `None` if the line has none or
/// it is malformed.
pub fn parse_line(line: &str) -> Option<Verdict> {
    let start = line.find(MARKER)? + MARKER.len();
    let (kind, rest) = line.get(start..)?.strip_prefix(' ')?.split_once(' ')?;
    let (id, rest) = take(rest, is_id_char);
    if !valid_id(id) {
        return None;
    }
    let id = id.to_string();
    match kind {
        "PASS" => Some(Verdict::Pass { check: id }),
        "END" => Some(Verdict::End { probe: id }),
        "FAIL" => {
            let (expected, rest) = take(rest.strip_prefix(" expected=")?, is_value_char);
            let (got, _) = take(rest.strip_prefix(" got=")?, is_value_char);
            Some(Verdict::Fail {
                check: id,
                expected: Value::parse(expected)?,
                got: Value::parse(got)?,
            })
        }
        _ => None,
    }
}

/// What one run of a probe reported.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeResult {
    /// The first `PASS` or `FAIL` of each check, in the order they came.
    pub checks: Vec<Verdict>,
    /// The probe id of the `END` line, if one came.
    pub end: Option<String>,
    /// Lines that should not be there: malformed verdicts (any line containing `pwtck:` that
    /// does not parse), a check reported again, anything after `END`.
    pub unexpected: Vec<String>,
}

impl ProbeResult {
    /// The verdict of a check, if it was reported.
    pub fn verdict(&self, check: &str) -> Option<&Verdict> {
        self.checks.iter().find(|v| v.check() == Some(check))
    }
}

/// Collects the verdicts of one probe run from a host's log lines; lines without the marker
/// are other logging and are skipped.
pub fn collect<'l>(lines: impl IntoIterator<Item = &'l str>) -> ProbeResult {
    let mut result = ProbeResult::default();
    for line in lines {
        if !line.contains(KIT) {
            continue;
        }
        match parse_line(line) {
            Some(Verdict::End { probe }) if result.end.is_none() => result.end = Some(probe),
            Some(v)
                if result.end.is_none()
                    && v.check().is_some_and(|c| result.verdict(c).is_none()) =>
            {
                result.checks.push(v)
            }
            _ => result.unexpected.push(line.to_string()),
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(check: &str, expected: Value, got: Value) -> Verdict {
        Verdict::Fail {
            check: check.into(),
            expected,
            got,
        }
    }

    #[test]
    fn lines_round_trip() {
        let verdicts = [
            Verdict::Pass {
                check: "v0.2.1/proxy_log/status/ok".into(),
            },
            fail("a/b", Value::number(1), Value::number(u64::MAX)),
            fail("a", Value::bytes(b"/"), Value::bytes(b"")),
            fail(
                "a",
                Value::bytes(&[7; 100]),
                Value::OutOfBounds { ptr: 1, len: 2 },
            ),
            Verdict::End {
                probe: "probe-1".into(),
            },
        ];
        for v in verdicts {
            let line = v.to_string();
            assert_eq!(parse_line(&line), Some(v), "{line}");
        }
        assert_eq!(
            fail("c", Value::bytes(b"/"), Value::number(6)).to_string(),
            "pwtck:1 FAIL c expected=bytes:1:2f got=6"
        );
        let long = Value::bytes(&[0xab; 100]).to_string();
        assert_eq!(long, format!("bytes:100:{}", "ab".repeat(BYTES_SHOWN)));
    }

    #[test]
    fn host_prefixes_and_suffixes_are_ignored() {
        let nginx =
            "2026/01/01 [info] 7#0: *1 [proxy-wasm][probe] pwtck:1 PASS x/y, client: 1.2.3.4";
        assert_eq!(
            parse_line(nginx),
            Some(Verdict::Pass {
                check: "x/y".into()
            })
        );
        let envoy = "[info][wasm] wasm log probe root: pwtck:1 FAIL x expected=0 got=oob:9+4, end";
        assert_eq!(
            parse_line(envoy),
            Some(fail(
                "x",
                Value::number(0),
                Value::OutOfBounds { ptr: 9, len: 4 }
            ))
        );
    }

    #[test]
    fn malformed_lines_are_refused() {
        for line in [
            "hello",
            "pwtck:1",
            "pwtck:1 PASS",
            "pwtck:1 PASS ,x",
            "pwtck:1 SKIP x",
            "pwtck:1 FAIL x",
            "pwtck:1 FAIL x expected=1",
            "pwtck:1 FAIL x expected=1 got=",
            "pwtck:1 FAIL x expected=-1 got=1",
            "pwtck:1 FAIL x expected=1 got=bytes:2:abc",
            "pwtck:1 FAIL x expected=1 got=bytes:x:",
            "pwtck:1 FAIL x expected=1 got=oob:1",
            "pwtck:1 FAIL x expected=1 got=99999999999999999999",
            "pwtck:2 PASS x",
        ] {
            assert_eq!(parse_line(line), None, "{line}");
        }
        assert!(!valid_id(&"a".repeat(MAX_ID_LEN + 1)));
        assert!(!valid_id("has space"));
        assert!(valid_id("v0.2.1/proxy_log/level:6+x-y_z"));
    }

    #[test]
    fn the_documented_example_reads_back() {
        let doc = include_str!("../VERDICTS.md");
        let example = doc.split("## Example").nth(1).expect("an example");
        let result = collect(example.lines());
        assert_eq!(result.checks.len(), 3, "{result:#?}");
        assert!(result.unexpected.is_empty(), "{result:#?}");
        assert_eq!(
            result.end.as_deref(),
            Some("v0.2.1/proxy_get_header_map_value")
        );
    }

    #[test]
    fn collect_keeps_order_and_flags_what_does_not_belong() {
        let lines = [
            "unrelated",
            "pwtck:1 PASS a",
            "pwtck:1 FAIL b expected=1 got=2",
            "pwtck:1 PASS a",
            "pwtck:1 BROKEN",
            "pwtck:1 END p",
            "pwtck:1 PASS c",
            "pwtck:1 END p",
        ];
        let result = collect(lines);
        assert_eq!(
            result.checks,
            [
                Verdict::Pass { check: "a".into() },
                fail("b", Value::number(1), Value::number(2))
            ]
        );
        assert_eq!(result.end.as_deref(), Some("p"));
        assert_eq!(
            result.unexpected,
            [
                "pwtck:1 PASS a",
                "pwtck:1 BROKEN",
                "pwtck:1 PASS c",
                "pwtck:1 END p"
            ]
        );
        assert!(matches!(result.verdict("b"), Some(Verdict::Fail { .. })));
        assert_eq!(result.verdict("c"), None);
        assert_eq!(collect([]).end, None);
    }
}
