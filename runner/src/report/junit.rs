//! JUnit XML: one `<testsuite>` per ABI version, one `<testcase>` per case; unexpected
//! outcomes are `<failure>`s, skips and expected failures `<skipped>` with the reason.

use super::{Record, Run, Verdict};
use std::fmt::Write as _;

/// The report as a JUnit XML document.
pub fn junit(run: &Run) -> String {
    let mut versions: Vec<&str> = run.records.iter().map(|r| r.version.as_str()).collect();
    versions.dedup();
    let failures = run
        .records
        .iter()
        .filter(|r| r.outcome.unexpected())
        .count();
    let skipped = run
        .records
        .iter()
        .filter(|r| matches!(r.outcome, Verdict::Skip | Verdict::Xfail))
        .count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{:.3}\">",
        escape(&format!("proxy-wasm conformance: {}", run.host_name())),
        run.records.len(),
        run.seconds.unwrap_or(0.0)
    );
    for version in versions {
        let records: Vec<&Record> = run
            .records
            .iter()
            .filter(|r| r.version == version)
            .collect();
        let count = |f: fn(Verdict) -> bool| records.iter().filter(|r| f(r.outcome)).count();
        let time: f64 = records.iter().filter_map(|r| r.duration_ms).sum::<f64>() / 1000.0;
        let _ = writeln!(
            x,
            "  <testsuite name=\"ABI {}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{time:.3}\">",
            escape(version),
            records.len(),
            count(Verdict::unexpected),
            count(|v| matches!(v, Verdict::Skip | Verdict::Xfail)),
        );
        for r in records {
            let class = format!(
                "v{}.{}",
                r.version,
                r.function.as_deref().unwrap_or(r.kind.name())
            );
            let _ = write!(
                x,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                escape(&r.id),
                escape(&class),
                r.duration_ms.unwrap_or(0.0) / 1000.0
            );
            let message = r.message.as_deref().unwrap_or_default();
            let first = message.lines().next().unwrap_or_default();
            match r.outcome {
                Verdict::Pass => x.push_str("/>\n"),
                Verdict::Fail | Verdict::Xpass => {
                    let mut body = message.to_string();
                    if let Some(repro) = &r.repro {
                        let _ = write!(body, "\nreproduce: {repro}");
                    }
                    let _ = writeln!(
                        x,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                        escape(first),
                        r.outcome.name(),
                        escape(&body)
                    );
                }
                Verdict::Skip | Verdict::Xfail => {
                    let _ = writeln!(
                        x,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        escape(&format!("{}: {first}", r.outcome.name()))
                    );
                }
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

/// Text as XML character data or attribute value: markup escaped, characters XML 1.0 forbids
/// (most control characters) shown as `\u{..}`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}
