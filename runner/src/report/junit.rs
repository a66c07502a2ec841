//! JUnit XML: one `<testsuite>` per ABI version, one `<testcase>` per case; unexpected
//! outcomes are `<failure>`s, skips and expected failures `<skipped>` with the reason.

use proxy_wasm_interchange::report::{Record, Report as Run, Verdict};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

/// The report as a JUnit XML document.
pub fn junit(run: &Run) -> Result<String, String> {
    let mut versions: Vec<&str> = run.cases.iter().map(|r| r.version.as_str()).collect();
    versions.dedup();
    let mut report = Report::new(format!("proxy-wasm conformance: {}", run.host.info.name));
    if let Some(seconds) = run.seconds {
        report.set_time(Duration::from_secs_f64(seconds));
    }
    for version in versions {
        let mut suite = TestSuite::new(format!("ABI {version}"));
        let records = run.cases.iter().filter(|r| r.version == version);
        suite.add_test_cases(records.map(case));
        report.add_test_suite(suite);
    }
    report
        .to_string()
        .map_err(|e| format!("cannot write the JUnit report: {e}"))
}

/// One case: a failure for an unexpected outcome, skipped for a skip or an expected failure.
fn case(r: &Record) -> TestCase {
    let message = r.message.as_deref().unwrap_or_default();
    let first = message.lines().next().unwrap_or_default();
    let status = match r.outcome {
        Verdict::Pass => TestCaseStatus::success(),
        Verdict::Fail | Verdict::Xpass => {
            let mut body = message.to_string();
            if let Some(repro) = &r.repro {
                body.push_str(&format!("\nreproduce: {repro}"));
            }
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(first);
            status.set_type(r.outcome.name());
            status.set_description(body);
            status
        }
        Verdict::Skip | Verdict::Xfail => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(format!("{}: {first}", r.outcome.name()));
            status
        }
    };
    let mut case = TestCase::new(r.id.as_str(), status);
    let owner = r.function.as_deref().unwrap_or(r.kind.name());
    case.set_classname(format!("v{}.{owner}", r.version));
    if let Some(ms) = r.duration_ms {
        case.set_time(Duration::from_secs_f64(ms / 1000.0));
    }
    case
}

#[cfg(test)]
mod tests {
    use super::*;
    use proxy_wasm_interchange::Level;
    use proxy_wasm_interchange::protocol::Info;
    use proxy_wasm_interchange::report::{Counts, Host, Kind};

    fn record(id: &str, outcome: Verdict, message: &str) -> Record {
        Record {
            id: id.into(),
            version: "0.2.1".into(),
            function: Some("proxy_log".into()),
            kind: Kind::Status,
            level: Level::Required,
            outcome,
            checks: Counts::default(),
            failed_checks: Vec::new(),
            duration_ms: None,
            message: Some(message.into()),
            link: None,
            repro: Some("adapter run m.wasm s.json".into()),
        }
    }

    #[test]
    fn what_a_host_printed_cannot_break_the_document() {
        let host = Host {
            info: Info {
                protocol: 1,
                name: "h<&>".into(),
                version: "1".into(),
                abi_versions: Vec::new(),
                capabilities: Vec::new(),
                serve: false,
            },
            serving: None,
        };
        let records = vec![
            record("a", Verdict::Fail, "got \u{1}\u{1b}[31m<&>\"'\r\nmore"),
            record("b", Verdict::Xfail, "known"),
            record("c", Verdict::Pass, ""),
        ];
        let run = Run::new("0", host, Level::Reference, None, records);
        let xml = junit(&run).unwrap_or_else(|e| panic!("{e}"));
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        let tag = |t: &str| doc.descendants().filter(|n| n.has_tag_name(t)).count();
        assert_eq!((tag("testcase"), tag("failure"), tag("skipped")), (3, 1, 1));
        assert!(
            xml.contains("reproduce: adapter run m.wasm s.json"),
            "{xml}"
        );
    }
}
