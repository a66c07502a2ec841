//! Host support pages, from the stored conformance results: a page per host with its support
//! table per ABI version and its failing cases, and an index comparing every host.

use super::{Fact, PageLink, Table, code, has_item, inline, item_anchor, link, preamble_from};
use crate::results::{CaseResult, HostResults, Kind, Outcome};
use crate::{Inputs, names};
use askama::Template;
use proxy_wasm_spec::Abi;

/// The folder of the host pages, below `docs/`.
const DIR: &str = "hosts";
/// The index's file name in that folder.
const INDEX: &str = "index.md";
/// From a host page back to the version pages.
const UP: &str = "../";
/// What the cells mean, on every page that has them.
const CELLS: &str = "Cells: passed/run, then ✗ unexpected results (failures, and passes of \
                     cases expected to fail), ~ expected failures, − skipped.";

/// Every host page and the index, as (path below `docs/`, text); nothing without results.
pub(super) fn render(inputs: &Inputs) -> Result<Vec<(String, String)>, askama::Error> {
    if inputs.results.is_empty() {
        return Ok(Vec::new());
    }
    let mut pages = vec![(index_page(), HostsIndex::new(inputs).render()?)];
    for results in &inputs.results {
        pages.push((host_page(results), HostPage::new(inputs, results).render()?));
    }
    Ok(pages)
}

/// The table-of-contents entries: the index, with a section per host.
pub(super) fn summary(inputs: &Inputs) -> Vec<PageLink> {
    if inputs.results.is_empty() {
        return Vec::new();
    }
    let mut entries = vec![PageLink::new("Host support", &index_page())];
    entries.extend(inputs.results.iter().map(|r| PageLink {
        title: inline(&r.host.name),
        page: host_page(r),
        indent: "  ",
    }));
    entries
}

/// A link from the landing page to the index, when there are results.
pub(super) fn index_link(inputs: &Inputs) -> Option<String> {
    (!inputs.results.is_empty()).then(|| link("Host support", &index_page()))
}

/// The index's path below `docs/`.
fn index_page() -> String {
    format!("{DIR}/{INDEX}")
}

/// A host page's path below `docs/`.
fn host_page(results: &HostResults) -> String {
    format!("{DIR}/{}.md", results.slug())
}

/// The preamble of a page made from stored results.
fn results_preamble(what: &str) -> String {
    preamble_from(&format!("spec/abi and {what}"))
}

/// The ABI of a version the report names, if it is a built-in one.
fn abi<'a>(inputs: &'a Inputs, version: &str) -> Option<&'a Abi> {
    inputs.versions.iter().find(|abi| abi.name == version)
}

/// A version, linked to its reference page when it is a built-in one.
fn version_ref(inputs: &Inputs, version: &str) -> String {
    match abi(inputs, version) {
        Some(abi) => link(version, &format!("{UP}{}", names::doc_page(&abi.name))),
        None => inline(version),
    }
}

/// A host function, linked to its entry in the version's reference page when it has one.
fn function_ref(abi: Option<&Abi>, name: &str) -> String {
    match abi {
        Some(abi) if has_item(abi, name) => link(
            &code(name),
            &format!("{UP}{}#{}", names::doc_page(&abi.name), item_anchor(name)),
        ),
        _ => code(name),
    }
}

/// The ABI versions of some reports, built-in ones first in their order, then others as they come.
fn versions<'a>(
    inputs: &Inputs,
    reports: impl IntoIterator<Item = &'a HostResults>,
) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for case in reports.into_iter().flat_map(|r| &r.cases) {
        if !seen.contains(&case.version) {
            seen.push(case.version.clone());
        }
    }
    let position = |v: &String| {
        inputs
            .versions
            .iter()
            .position(|abi| abi.name == *v)
            .unwrap_or(inputs.versions.len())
    };
    // Stable: versions the spec does not know keep the order they came in.
    seen.sort_by_key(position);
    seen
}

/// How many cases came out each way.
#[derive(Clone, Copy, Default)]
struct Tally {
    pass: usize,
    fail: usize,
    xfail: usize,
    xpass: usize,
    skip: usize,
}

impl Tally {
    fn of<'a>(cases: impl IntoIterator<Item = &'a CaseResult>) -> Self {
        let mut tally = Tally::default();
        for case in cases {
            tally.add(case.outcome);
        }
        tally
    }

    fn add(&mut self, outcome: Outcome) {
        *match outcome {
            Outcome::Pass => &mut self.pass,
            Outcome::Fail => &mut self.fail,
            Outcome::Xfail => &mut self.xfail,
            Outcome::Xpass => &mut self.xpass,
            Outcome::Skip => &mut self.skip,
        } += 1;
    }

    fn cases(&self) -> usize {
        self.run() + self.skip
    }

    fn run(&self) -> usize {
        self.pass + self.fail + self.xfail + self.xpass
    }

    /// A table cell: `passed/run` and the marks of `CELLS`; empty when there are no cases.
    fn cell(&self) -> String {
        if self.cases() == 0 {
            return String::new();
        }
        let mut cell = format!("{}/{}", self.pass, self.run());
        for (mark, n) in [
            ("✗", self.fail + self.xpass),
            ("~", self.xfail),
            ("−", self.skip),
        ] {
            if n > 0 {
                cell.push_str(&format!(" {mark}{n}"));
            }
        }
        cell
    }

    /// A sentence: `12 cases: 9 passed, 1 failed, 2 skipped.`, leaving out what did not happen.
    fn sentence(&self) -> String {
        let mut parts = vec![format!("{} passed", self.pass)];
        for (n, what) in [
            (self.fail, "failed"),
            (self.xfail, "failed as expected"),
            (self.xpass, "passed though expected to fail"),
            (self.skip, "skipped"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        let cases = self.cases();
        let noun = if cases == 1 { "case" } else { "cases" };
        format!("{cases} {noun}: {}.", parts.join(", "))
    }
}

// ---------------------------------------------------------------------------------------------
// The page of one host

#[derive(Template)]
#[template(path = "docs/host.md", escape = "none")]
struct HostPage {
    preamble: String,
    title: String,
    intro: String,
    facts: Vec<Fact>,
    cells: &'static str,
    kinds: Vec<Fact>,
    versions: Vec<VersionView>,
    unexpected: Vec<String>,
    expected: Vec<String>,
    skipped: Vec<String>,
}

/// The support table of one ABI version.
struct VersionView {
    heading: String,
    summary: String,
    table: Table,
}

impl HostPage {
    fn new(inputs: &Inputs, results: &HostResults) -> Self {
        let host = &results.host;
        let name = inline(&host.name);
        let claimed: Vec<String> = host
            .abi_versions
            .iter()
            .map(|v| version_ref(inputs, v))
            .collect();
        let capabilities: Vec<String> = host.capabilities.iter().map(|c| code(c)).collect();
        let or_none = |list: Vec<String>| {
            if list.is_empty() {
                "none".to_string()
            } else {
                list.join(", ")
            }
        };
        let facts = vec![
            Fact::new("Version", inline(&host.version)),
            Fact::new("ABI versions claimed", or_none(claimed)),
            Fact::new("Capabilities", or_none(capabilities)),
            Fact::new(
                "Runner",
                format!(
                    "{} {}",
                    inline(&results.tool),
                    inline(&results.tool_version)
                ),
            ),
            Fact::new("Cases", Tally::of(&results.cases).sentence()),
        ];
        let kinds = Kind::ALL
            .into_iter()
            .filter(|k| results.cases.iter().any(|c| c.kind == *k))
            .map(|k| Fact::new(k.name(), k.description().to_string()))
            .collect();
        let versions = versions(inputs, [results])
            .iter()
            .map(|v| version_view(inputs, results, v))
            .collect();
        let listed = |pick: &dyn Fn(Outcome) -> bool| {
            results
                .cases
                .iter()
                .filter(|c| pick(c.outcome))
                .map(case_item)
                .collect()
        };
        HostPage {
            preamble: results_preamble(&format!("the conformance results {}", results.source)),
            title: format!("Host support: {name}"),
            intro: format!(
                "How {name} did in the conformance suite, from the report `conformance-runner \
                 --json` wrote (`{}`). {} compares every host.",
                results.source,
                link("Host support", INDEX)
            ),
            facts,
            cells: CELLS,
            kinds,
            versions,
            unexpected: listed(&Outcome::unexpected),
            expected: listed(&|o| o == Outcome::Xfail),
            skipped: skipped(results),
        }
    }
}

/// The table of one version: a row per host function in catalog order, then a row per kind of
/// the cases that cover none; a column per kind the version's cases have.
fn version_view(inputs: &Inputs, results: &HostResults, version: &str) -> VersionView {
    let abi = abi(inputs, version);
    let cases: Vec<&CaseResult> = results
        .cases
        .iter()
        .filter(|c| c.version == version)
        .collect();
    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| cases.iter().any(|c| c.kind == *k))
        .collect();
    let mut rows: Vec<Option<&str>> = Vec::new();
    for case in &cases {
        let row = case.function.as_deref();
        if row.is_some() && !rows.contains(&row) {
            rows.push(row);
        }
    }
    let mut head = vec!["Function"];
    head.extend(kinds.iter().map(|k| k.name()));
    let mut table = Table::new(&head);
    let tally = |function: Option<&str>, kind: Kind| {
        Tally::of(
            cases
                .iter()
                .copied()
                .filter(|c| c.function.as_deref() == function && c.kind == kind),
        )
    };
    for function in rows.into_iter().flatten() {
        let mut cells = vec![function_ref(abi, function)];
        cells.extend(kinds.iter().map(|k| tally(Some(function), *k).cell()));
        table.row(cells);
    }
    for kind in &kinds {
        if cases
            .iter()
            .any(|c| c.function.is_none() && c.kind == *kind)
        {
            let mut cells = vec![format!("({})", kind.name())];
            cells.extend(kinds.iter().map(|k| {
                if k == kind {
                    tally(None, *k).cell()
                } else {
                    String::new()
                }
            }));
            table.row(cells);
        }
    }
    let mut summary = Tally::of(cases.iter().copied()).sentence();
    if !results.host.abi_versions.iter().any(|v| v == version) {
        summary.push_str(" The host does not claim this version.");
    }
    if let Some(abi) = abi {
        summary.push_str(&format!(
            " Functions link to the {}.",
            link(
                &format!("ABI {version} reference"),
                &format!("{UP}{}", names::doc_page(&abi.name))
            )
        ));
    }
    VersionView {
        heading: format!("ABI {}", inline(version)),
        summary,
        table,
    }
}

/// A failing case: its id, level, outcome and the first line of its message.
fn case_item(case: &CaseResult) -> String {
    let mut item = format!(
        "{} ({}, {}): {}",
        code(&case.id),
        case.level.name(),
        case.outcome.name(),
        first_line(case.message.as_deref(), "no message")
    );
    if let Some(target) = &case.link {
        item.push_str(&format!("; see {}", external_link(target)));
    }
    item
}

/// The first line of a message, for a list item.
fn first_line(message: Option<&str>, otherwise: &str) -> String {
    let line = message.and_then(|m| m.lines().next()).unwrap_or_default();
    if line.trim().is_empty() {
        otherwise.to_string()
    } else {
        inline(line)
    }
}

/// A link from an expectations file: an autolink when it is a plain web address, else text.
fn external_link(target: &str) -> String {
    let plain = (target.starts_with("https://") || target.starts_with("http://"))
        && !target.contains(|c: char| c.is_whitespace() || matches!(c, '<' | '>'));
    if plain {
        format!("<{target}>")
    } else {
        inline(target)
    }
}

/// The skipped cases grouped by reason: most common first, then by reason.
fn skipped(results: &HostResults) -> Vec<String> {
    let mut reasons: Vec<(String, usize)> = Vec::new();
    for case in results.cases.iter().filter(|c| c.outcome == Outcome::Skip) {
        let reason = first_line(case.message.as_deref(), "no reason given");
        match reasons.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => reasons.push((reason, 1)),
        }
    }
    reasons.sort_by(|(a, m), (b, n)| n.cmp(m).then_with(|| a.cmp(b)));
    reasons
        .into_iter()
        .map(|(reason, n)| format!("{n} × {reason}"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The index

#[derive(Template)]
#[template(path = "docs/hosts.md", escape = "none")]
struct HostsIndex {
    preamble: String,
    cells: &'static str,
    table: Table,
}

impl HostsIndex {
    fn new(inputs: &Inputs) -> Self {
        let versions = versions(inputs, &inputs.results);
        let mut head = vec!["Host".to_string(), "Version".to_string()];
        head.extend(versions.iter().map(|v| format!("ABI {}", inline(v))));
        let head: Vec<&str> = head.iter().map(String::as_str).collect();
        let mut table = Table::new(&head);
        for results in &inputs.results {
            let mut cells = vec![
                link(
                    &inline(&results.host.name),
                    &format!("{}.md", results.slug()),
                ),
                inline(&results.host.version),
            ];
            cells.extend(
                versions
                    .iter()
                    .map(|v| Tally::of(results.cases.iter().filter(|c| c.version == *v)).cell()),
            );
            table.row(cells);
        }
        HostsIndex {
            preamble: results_preamble("the stored conformance results"),
            cells: CELLS,
            table,
        }
    }
}
