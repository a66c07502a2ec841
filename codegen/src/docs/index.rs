//! The landing page (`index.md`) and mdBook's table of contents (`SUMMARY.md`).

use super::items::{abi_title, released_text};
use super::markdown::{Table, code, inline, link, preamble};
use super::{CHANGES, INDEX, SDK, hosts};
use crate::{Inputs, names};
use askama::Template;
use proxy_wasm_spec::Abi;

/// A page of the book.
pub(super) struct PageLink {
    pub(super) title: String,
    pub(super) page: String,
    /// Indentation in the table of contents: empty for chapters, two spaces for their sections.
    pub(super) indent: &'static str,
}

impl PageLink {
    pub(super) fn new(title: &str, page: &str) -> Self {
        PageLink {
            title: title.to_string(),
            page: page.to_string(),
            indent: "",
        }
    }
}

/// mdBook's table of contents.
#[derive(Template)]
#[template(path = "docs/summary.md", escape = "none")]
pub(super) struct SummaryPage {
    preamble: String,
    intro: PageLink,
    chapters: Vec<PageLink>,
}

impl SummaryPage {
    pub(super) fn new(inputs: &Inputs) -> Self {
        let mut chapters: Vec<PageLink> = inputs
            .versions
            .iter()
            .map(|abi| PageLink::new(&abi_title(abi), &names::doc_page(&abi.name)))
            .collect();
        chapters.push(PageLink::new("Changes between versions", CHANGES));
        chapters.push(PageLink::new(
            &abi_title(&inputs.envoy_2020),
            &names::doc_page(&inputs.envoy_2020.name),
        ));
        chapters.push(PageLink::new("C++ SDK cross-reference", SDK));
        chapters.extend(hosts::summary(inputs));
        SummaryPage {
            preamble: preamble(),
            intro: PageLink::new("Proxy-Wasm ABI reference", INDEX),
            chapters,
        }
    }
}

/// One row per ABI: link, release date, marker and item counts.
pub(super) fn abi_summary<'a>(abis: impl Iterator<Item = &'a Abi>) -> Table {
    let mut table = Table::new(&[
        "ABI",
        "Released",
        "Marker export",
        "Host functions",
        "Callbacks",
        "Types",
    ]);
    for abi in abis {
        table.row(vec![
            link(&abi_title(abi), &names::doc_page(&abi.name)),
            released_text(abi),
            abi.marker.as_deref().map_or("none".to_string(), code),
            abi.functions.len().to_string(),
            abi.callbacks.len().to_string(),
            abi.types.len().to_string(),
        ]);
    }
    table
}

/// The landing page.
#[derive(Template)]
#[template(path = "docs/index.md", escape = "none")]
pub(super) struct IndexPage {
    preamble: String,
    versions: Table,
    changes: String,
    envoy: String,
    sdk: String,
    hosts: String,
    /// A link to the host support pages, when there are results.
    support: Option<String>,
}

impl IndexPage {
    pub(super) fn new(inputs: &Inputs) -> Self {
        let versions = abi_summary(inputs.versions.iter().chain([&inputs.envoy_2020]));
        IndexPage {
            preamble: preamble(),
            versions,
            changes: link("Changes between versions", CHANGES),
            envoy: link(
                &abi_title(&inputs.envoy_2020),
                &names::doc_page(&inputs.envoy_2020.name),
            ),
            sdk: link("C++ SDK cross-reference", SDK),
            support: hosts::index_link(inputs),
            hosts: inputs
                .versions
                .last()
                .map(|abi| {
                    let titles: Vec<String> = abi.hosts.iter().map(|h| inline(&h.title)).collect();
                    titles.join(", ")
                })
                .unwrap_or_default(),
        }
    }
}
