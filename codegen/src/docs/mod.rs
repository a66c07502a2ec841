//! The reference documentation: Markdown pages for mdBook, readable on GitHub too.
//!
//! One page per released ABI version (`version`, with its `lifecycle` and `formats` sections),
//! the Envoy-era ABI in the layout of witx-generated docs (`envoy`), the changes between versions
//! as the spec crate's diff computes them (`changes`), and a cross-reference from the Envoy C++
//! SDK's API to the ABI, kept as data in `spec/abi/sdk-cross-reference.toml` and checked against
//! every ABI it names (`sdk`). With stored conformance results, a support page per host
//! (`hosts`). Everything a page shows is prepared as strings, from the Markdown helpers in
//! `markdown` and the wording of ABI items in `items`; the templates in `templates/docs/` only lay
//! them out. Apart from these pages, [`witx`] renders any document set in the layout of the witx
//! 0.6 Markdown generator (`cargo xtask spec docs`).

mod changes;
mod envoy;
mod formats;
mod hosts;
mod index;
mod items;
mod lifecycle;
mod markdown;
mod sdk;
mod version;
pub mod witx;

use crate::{Files, Inputs, names};
use askama::Template;
use changes::ChangesPage;
use envoy::EnvoyPage;
use index::{IndexPage, SummaryPage};
use markdown::tidy;
use sdk::{CrossReference, SDK_DATA, SdkPage};
use version::VersionPage;

/// The landing page.
const INDEX: &str = "index.md";
/// mdBook's table of contents.
const SUMMARY: &str = "SUMMARY.md";
/// The changes between versions.
const CHANGES: &str = "changes.md";
/// The C++ SDK cross-reference.
const SDK: &str = "sdk-cross-reference.md";

/// Renders every page under `docs/`. Fails when the cross-reference data names something an ABI
/// does not have.
pub fn render(inputs: &Inputs) -> Result<Files, askama::Error> {
    let sdk = CrossReference::parse(SDK_DATA, inputs).map_err(askama::Error::custom)?;
    let mut files = Files::new();
    let mut add = |page: &str, text: String| {
        files.insert(format!("docs/{page}"), tidy(&text));
    };
    add(SUMMARY, SummaryPage::new(inputs).render()?);
    add(INDEX, IndexPage::new(inputs).render()?);
    for index in 0..inputs.versions.len() {
        let page = VersionPage::new(inputs, index);
        add(
            &names::doc_page(&inputs.versions[index].name),
            page.render()?,
        );
    }
    let envoy = &inputs.envoy_2020;
    add(
        &names::doc_page(&envoy.name),
        EnvoyPage::new(envoy).render()?,
    );
    add(CHANGES, ChangesPage::new(inputs).render()?);
    add(SDK, SdkPage::new(inputs, &sdk).render()?);
    for (page, text) in hosts::render(inputs)? {
        add(&page, text);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use markdown::{preamble, preamble_from};
    use std::collections::BTreeMap;
    use std::sync::OnceLock;

    /// The built-in ABIs, with the fixture results so the host pages are checked too.
    pub(super) fn inputs() -> &'static Inputs {
        static INPUTS: OnceLock<Inputs> = OnceLock::new();
        INPUTS.get_or_init(|| {
            let results =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results");
            Inputs::builtin()
                .expect("the built-in ABIs load")
                .with_results(&results)
                .unwrap_or_else(|e| panic!("{e}"))
        })
    }

    /// Every page, rendered once.
    pub(super) fn files() -> &'static Files {
        static FILES: OnceLock<Files> = OnceLock::new();
        FILES.get_or_init(|| render(inputs()).expect("the docs render"))
    }

    /// A page by its path below `docs/`.
    pub(super) fn page(name: &str) -> &'static str {
        files()
            .get(&format!("docs/{name}"))
            .unwrap_or_else(|| panic!("no page {name}"))
    }

    #[test]
    fn every_page_has_the_preamble_and_no_todo() {
        assert_eq!(files().len(), 8 + 1 + inputs().results.len());
        for (path, text) in files() {
            let first = text.lines().next().unwrap_or_default();
            if path.starts_with("docs/hosts/") {
                let template = preamble_from("spec/abi and {}");
                let (head, tail) = template.split_once("{}").unwrap_or_default();
                assert!(first.starts_with(head) && first.ends_with(tail), "{path}");
            } else {
                assert_eq!(first, preamble(), "{path}");
            }
            assert!(!text.to_uppercase().contains("TODO"), "{path}");
            assert!(text.ends_with('\n') && !text.ends_with("\n\n"), "{path}");
        }
    }

    /// The anchors mdBook and GitHub give a page's headings, numbering repeated ones.
    fn anchors(text: &str) -> Vec<String> {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut out = Vec::new();
        let mut fenced = false;
        for line in text.lines() {
            if line.starts_with("```") {
                fenced = !fenced;
            }
            if fenced || !line.starts_with('#') {
                continue;
            }
            let anchor = names::doc_anchor(line.trim_start_matches('#').trim());
            let n = seen.entry(anchor.clone()).or_insert(0);
            out.push(if *n == 0 {
                anchor.clone()
            } else {
                format!("{anchor}-{n}")
            });
            *n += 1;
        }
        out
    }

    /// The path a relative link from the page `from` leads to.
    fn relative_to(from: &str, target: &str) -> String {
        let mut parts: Vec<&str> = from.split('/').collect();
        parts.pop();
        for part in target.split('/') {
            match part {
                ".." => {
                    parts.pop();
                }
                _ => parts.push(part),
            }
        }
        parts.join("/")
    }

    #[test]
    fn links_resolve() {
        let mut checked = 0;
        for (path, text) in files() {
            let mut rest = text.as_str();
            while let Some(at) = rest.find("](") {
                rest = &rest[at + 2..];
                let end = rest.find(')').expect("a closed link");
                let target = &rest[..end];
                let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
                let file = if file.is_empty() {
                    path.clone()
                } else {
                    relative_to(path, file)
                };
                let linked = files()
                    .get(&file)
                    .unwrap_or_else(|| panic!("{path}: no page {target}"));
                if !anchor.is_empty() {
                    assert!(
                        anchors(linked).iter().any(|a| a == anchor),
                        "{path}: no anchor {target}"
                    );
                }
                checked += 1;
            }
        }
        assert!(checked > 1000, "{checked} links");
        for abi in &inputs().versions {
            let all = anchors(page(&names::doc_page(&abi.name)));
            let mut unique = all.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(all.len(), unique.len(), "repeated headings in {}", abi.name);
        }
    }

    #[test]
    fn tables_are_well_formed() {
        for (path, text) in files() {
            let mut columns = None;
            for line in text.lines() {
                if !line.starts_with('|') {
                    columns = None;
                    continue;
                }
                let cells = line.replace("\\|", "").matches('|').count();
                let expected = *columns.get_or_insert(cells);
                assert_eq!(cells, expected, "{path}: {line}");
            }
        }
    }

    #[test]
    fn output_is_deterministic() {
        assert_eq!(&render(inputs()).expect("renders"), files());
    }
}
