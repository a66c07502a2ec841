//! Host support pages, from the stored conformance results: a page per host with its spec
//! conformance and reference compatibility, its support table per ABI version and its failing
//! cases with their failed checks, and an index comparing every host.

use super::index::PageLink;
use super::items::has_item;
use super::markdown::{Fact, Table, code, inline, item_anchor, link, preamble_from};
use crate::results::HostResults;
use crate::{Inputs, names};
use askama::Template;
use proxy_wasm_interchange::report::{CELLS, FailedCheck, Figure, Record, Totals, Verdict};
use proxy_wasm_interchange::{Basis, Kind, Level};
use proxy_wasm_spec::Abi;

/// The folder of the host pages, below `docs/`.
const DIR: &str = "hosts";
/// The index's file name in that folder.
const INDEX: &str = "index.md";
/// From a host page back to the version pages.
const UP: &str = "../";
/// What the figures per level mean, on every page that has them.
const FIGURES: &str = "Each figure counts the checks at one level that passed, of those run, \
                       and the cases with checks at that level whose checks there all passed; \
                       skipped cases are left out. Spec conformance counts the `required` \
                       checks (a sentence of the published spec text requires them), reference \
                       compatibility the `reference` checks (what proxy-wasm-cpp-host or Envoy \
                       does where the spec is silent); `advisory` checks (robustness) are not \
                       judged by default.";
/// The most characters of an expected or found value a page shows.
const SHOWN_CHARS: usize = 120;

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
        title: inline(&r.report.host.info.name),
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
    for case in reports.into_iter().flat_map(|r| &r.report.cases) {
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

/// A sentence: `12 cases: 9 passed, 1 failed, 2 skipped.`, leaving out what did not happen.
fn sentence(t: &Totals) -> String {
    let mut parts = vec![format!("{} passed", t.passed)];
    for (n, what) in [
        (t.failed, "failed"),
        (t.xfailed, "failed as expected"),
        (t.xpassed, "passed though expected to fail"),
        (t.skipped, "skipped"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    let noun = if t.cases == 1 { "case" } else { "cases" };
    format!("{} {noun}: {}.", t.cases, parts.join(", "))
}

/// The figure of a level, named for people.
fn figure_label(level: Level, judged: Level) -> String {
    match level {
        Level::Required => "Spec conformance (`required` checks)".to_string(),
        Level::Reference => "Reference compatibility (`reference` checks)".to_string(),
        Level::Advisory if judged == Level::Advisory => {
            "Advisory (`advisory` checks, judged in this run)".to_string()
        }
        Level::Advisory => "Advisory (`advisory` checks, not judged by default)".to_string(),
    }
}

/// A figure for a cell or a fact: `12/13 checks, 4/5 cases`, or `no checks`.
fn figure_text(figure: Figure) -> String {
    if figure.checks.total() == 0 {
        "no checks run".to_string()
    } else {
        figure.describe()
    }
}

/// What the judged level means, for a fact.
fn judged_text(results: &HostResults) -> String {
    let level = results.report.level;
    let which = match level {
        Level::Required => "only `required` checks decide a case's outcome",
        Level::Reference => "`required` and `reference` checks decide a case's outcome",
        Level::Advisory => "every check decides a case's outcome",
    };
    let default = if level == Level::default() {
        " (the default)"
    } else {
        ""
    };
    format!("`{}`{default}: {which}", level.name())
}

/// A value a probe expected or found, as a code span cut to [`SHOWN_CHARS`] characters.
fn value_span(value: &str) -> String {
    let mut shown: String = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if shown.chars().count() > SHOWN_CHARS {
        shown = shown.chars().take(SHOWN_CHARS).collect();
        shown.push('…');
    }
    if shown.is_empty() {
        return "(empty)".to_string();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in shown.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if shown.starts_with('`') || shown.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{shown}{pad}{fence}")
}

/// A failed check of `case` for a nested list item: its id (without the case's id in front),
/// level (marked when it was not judged) and citation or source, then what was expected and found.
fn check_item(case: &Record, check: &FailedCheck, judged: Level) -> String {
    let level = check.basis.level();
    let not_judged = if level > judged { ", not judged" } else { "" };
    let basis = match &check.basis {
        Basis::Required { spec, requires } => format!(
            "spec v{} line {}, {}: {}",
            inline(&spec.version),
            spec.line,
            value_span(&spec.section),
            inline(requires)
        ),
        Basis::Reference { source } => inline(source),
        Basis::Advisory { why } => inline(why),
    };
    let id = check
        .id
        .strip_prefix(case.id.as_str())
        .and_then(|rest| rest.strip_prefix('/'))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(&check.id);
    let found = match &check.expected {
        Some(expected) => format!(
            "expected {}, got {}",
            value_span(expected),
            value_span(&check.got)
        ),
        None => inline(&check.got),
    };
    format!(
        "{} ({}{not_judged}; {basis}): {found}",
        value_span(id),
        level.name()
    )
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
    levels: LevelsView,
    cells: &'static str,
    kinds: Vec<Fact>,
    versions: Vec<VersionView>,
    unexpected: Vec<String>,
    expected: Vec<String>,
    not_judged: Vec<String>,
    skipped: Vec<String>,
}

/// Spec conformance, reference compatibility and advisory checks, per version and in all.
struct LevelsView {
    /// What the figures mean.
    note: String,
    /// A row per level, a column per version.
    table: Table,
}

/// The support table of one ABI version.
struct VersionView {
    heading: String,
    summary: String,
    table: Table,
}

impl HostPage {
    fn new(inputs: &Inputs, results: &HostResults) -> Self {
        let host = &results.report.host.info;
        let name = inline(&host.name);
        let claimed: Vec<String> = host
            .abi_versions
            .iter()
            .map(|v| version_ref(inputs, v))
            .collect();
        let capabilities: Vec<String> = host.capabilities.iter().map(|c| code(c.name())).collect();
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
                    inline(&results.report.tool),
                    inline(&results.report.tool_version)
                ),
            ),
            Fact::new("Cases", sentence(&results.report.totals)),
            Fact::new("Judged at", judged_text(results)),
        ];
        let kinds = Kind::ALL
            .into_iter()
            .filter(|k| results.report.cases.iter().any(|c| c.kind == *k))
            .map(|k| Fact::new(k.name(), k.description().to_string()))
            .collect();
        let version_names = versions(inputs, [results]);
        let levels = levels_view(results, &version_names);
        let versions = version_names
            .iter()
            .map(|v| version_view(inputs, results, v))
            .collect();
        let judged = results.report.level;
        let listed = |pick: &dyn Fn(&Record) -> bool| {
            results
                .report
                .cases
                .iter()
                .filter(|c| pick(c))
                .map(|c| case_item(c, judged))
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
            levels,
            cells: CELLS,
            kinds,
            versions,
            unexpected: listed(&|c| c.outcome.unexpected()),
            expected: listed(&|c| c.outcome == Verdict::Xfail),
            // Cases that passed at the judged level with failed checks below it.
            not_judged: listed(&|c| c.outcome == Verdict::Pass && !c.failed_checks.is_empty()),
            skipped: skipped(results),
        }
    }
}

/// The figures per level: a row per level, a column for the whole run and one per version.
fn levels_view(results: &HostResults, versions: &[String]) -> LevelsView {
    let mut head = vec!["Level".to_string(), "All versions".to_string()];
    head.extend(versions.iter().map(|v| format!("ABI {}", inline(v))));
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    let mut table = Table::new(&head);
    for level in Level::ALL {
        let mut cells = vec![
            figure_label(level, results.report.level),
            figure_text(results.report.figure(level)),
        ];
        cells.extend(versions.iter().map(|v| {
            figure_text(Figure::of(
                results.report.cases.iter().filter(|c| c.version == *v),
                level,
            ))
        }));
        table.row(cells);
    }
    LevelsView {
        note: FIGURES.to_string(),
        table,
    }
}

/// The table of one version: a row per host function in catalog order, then a row per kind of
/// the cases that cover none; a column per kind the version's cases have.
fn version_view(inputs: &Inputs, results: &HostResults, version: &str) -> VersionView {
    let abi = abi(inputs, version);
    let cases: Vec<&Record> = results
        .report
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
        Totals::of(
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
    let mut summary = sentence(&Totals::of(cases.iter().copied()));
    if !results
        .report
        .host
        .info
        .abi_versions
        .iter()
        .any(|v| v == version)
    {
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

/// A failing case: its id, level, outcome and the first line of its message (if it has none, and
/// failed checks to show, nothing), then its failed checks as a nested list.
fn case_item(case: &Record, judged: Level) -> String {
    let failed = &case.failed_checks;
    let mut item = format!(
        "{} ({}, {})",
        code(&case.id),
        case.level.name(),
        case.outcome.name()
    );
    if case.message.is_some() || failed.is_empty() {
        item.push_str(": ");
        item.push_str(&first_line(case.message.as_deref(), "no message"));
    }
    if let Some(target) = &case.link {
        item.push_str(&format!("; see {}", external_link(target)));
    }
    for check in failed {
        item.push_str("\n  - ");
        item.push_str(&check_item(case, check, judged));
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
    for case in results
        .report
        .cases
        .iter()
        .filter(|c| c.outcome == Verdict::Skip)
    {
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
    figures: &'static str,
    levels: Table,
    cells: &'static str,
    table: Table,
}

impl HostsIndex {
    fn new(inputs: &Inputs) -> Self {
        let versions = versions(inputs, &inputs.results);
        let mut levels = Table::new(&[
            "Host",
            "Judged at",
            &figure_label(Level::Required, Level::default()),
            &figure_label(Level::Reference, Level::default()),
            &figure_label(Level::Advisory, Level::default()),
        ]);
        for results in &inputs.results {
            let host = link(
                &inline(&results.report.host.info.name),
                &format!("{}.md", results.slug()),
            );
            let mut cells = vec![host, code(results.report.level.name())];
            cells.extend(Level::ALL.map(|l| figure_text(results.report.figure(l))));
            levels.row(cells);
        }
        let mut head = vec!["Host".to_string(), "Version".to_string()];
        head.extend(versions.iter().map(|v| format!("ABI {}", inline(v))));
        let head: Vec<&str> = head.iter().map(String::as_str).collect();
        let mut table = Table::new(&head);
        for results in &inputs.results {
            let mut cells = vec![
                link(
                    &inline(&results.report.host.info.name),
                    &format!("{}.md", results.slug()),
                ),
                inline(&results.report.host.info.version),
            ];
            cells.extend(versions.iter().map(|v| {
                Totals::of(results.report.cases.iter().filter(|c| c.version == *v)).cell()
            }));
            table.row(cells);
        }
        HostsIndex {
            preamble: results_preamble("the stored conformance results"),
            figures: FIGURES,
            levels,
            cells: CELLS,
            table,
        }
    }
}
