//! Every link in the generated reference resolves: relative links name a page of the book (or a
//! file beside it) and every `#anchor` names a heading or an `id` on the target page. Anchors are
//! computed here the way mdBook and GitHub compute them, independently of the generator, so a
//! heading the generator renames breaks this test rather than a reader's link.

#![allow(clippy::panic)] // test helpers fail loudly

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../generated/docs")
}

/// The Markdown pages under `dir`, as paths relative to it.
fn pages(dir: &Path, under: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir.join(under))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.join(under).display()));
    for entry in entries {
        let entry =
            entry.unwrap_or_else(|e| panic!("cannot read an entry of {}: {e}", dir.display()));
        let relative = under.join(entry.file_name());
        if entry.path().is_dir() {
            pages(dir, &relative, out);
        } else if relative.extension().is_some_and(|e| e == "md") {
            out.push(relative);
        }
    }
}

/// mdBook's heading ids (GitHub's are the same for these pages): the heading's text, lowercased,
/// spaces to `-`, only letters, digits, `_` and `-` kept; a repeated id gets `-1`, `-2`, ...
fn heading_id(text: &str, seen: &mut BTreeMap<String, usize>) -> String {
    let id: String = text
        .trim()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect();
    let count = seen.entry(id.clone()).or_insert(0);
    let unique = if *count == 0 {
        id
    } else {
        format!("{id}-{count}")
    };
    *count += 1;
    unique
}

/// `id="..."` attributes in raw HTML.
fn html_ids(html: &str, out: &mut BTreeSet<String>) {
    for part in html.split("id=\"").skip(1) {
        if let Some(end) = part.find('"') {
            out.insert(part[..end].to_string());
        }
    }
}

struct Page {
    anchors: BTreeSet<String>,
    links: Vec<String>,
}

fn read_page(path: &Path) -> Page {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut anchors = BTreeSet::new();
    let mut links = Vec::new();
    let mut seen = BTreeMap::new();
    let mut heading: Option<String> = None;
    for event in Parser::new_ext(&text, Options::all()) {
        match event {
            Event::Start(Tag::Heading { id, .. }) => {
                if let Some(id) = id {
                    anchors.insert(id.to_string());
                }
                heading = Some(String::new());
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(text) = heading.take() {
                    anchors.insert(heading_id(&text, &mut seen));
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => html_ids(&html, &mut anchors),
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                links.push(dest_url.to_string());
            }
            _ => {}
        }
    }
    Page { anchors, links }
}

/// `base/relative` with `.` and `..` resolved; `None` when it climbs out of the book.
fn resolve(base: &Path, relative: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in base.join(relative).components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

#[test]
fn every_link_and_anchor_in_the_reference_resolves() {
    let dir = docs_dir();
    let mut paths = Vec::new();
    pages(&dir, Path::new(""), &mut paths);
    assert!(
        paths.len() >= 5,
        "only {} pages under {}",
        paths.len(),
        dir.display()
    );
    let read: BTreeMap<PathBuf, Page> = paths
        .iter()
        .map(|p| (p.clone(), read_page(&dir.join(p))))
        .collect();

    let mut broken = Vec::new();
    let mut checked = 0;
    for (path, page) in &read {
        let base = path.parent().unwrap_or(Path::new(""));
        for link in &page.links {
            if link.starts_with("http://") || link.starts_with("https://") {
                continue;
            }
            checked += 1;
            let (file, anchor) = match link.split_once('#') {
                Some((file, anchor)) => (file, Some(anchor)),
                None => (link.as_str(), None),
            };
            let target = if file.is_empty() {
                Some(path.clone())
            } else {
                resolve(base, file)
            };
            let Some(target) = target else {
                broken.push(format!(
                    "{}: `{link}` leaves the book (generated/docs)",
                    path.display()
                ));
                continue;
            };
            if !dir.join(&target).exists() {
                broken.push(format!(
                    "{}: `{link}`: no file {}",
                    path.display(),
                    target.display()
                ));
                continue;
            }
            if let Some(anchor) = anchor {
                match read.get(&target) {
                    Some(page) if page.anchors.contains(anchor) => {}
                    Some(_) => broken.push(format!(
                        "{}: `{link}`: {} has no heading or id `{anchor}`",
                        path.display(),
                        target.display()
                    )),
                    None => broken.push(format!(
                        "{}: `{link}`: an anchor into a file that is not a page",
                        path.display()
                    )),
                }
            }
        }
    }
    assert!(checked > 1000, "only {checked} internal links checked");
    assert!(
        broken.is_empty(),
        "{} of {checked} links do not resolve:\n{}",
        broken.len(),
        broken.join("\n")
    );
}

#[test]
fn heading_ids_follow_mdbook() {
    let mut seen = BTreeMap::new();
    assert_eq!(heading_id("Host envoy", &mut seen), "host-envoy");
    assert_eq!(
        heading_id("Format header_map_pairs", &mut seen),
        "format-header_map_pairs"
    );
    assert_eq!(heading_id("Parameters:", &mut seen), "parameters");
    assert_eq!(heading_id("Parameters:", &mut seen), "parameters-1");
}

#[test]
fn a_broken_anchor_is_found() {
    let page = read_page(&docs_dir().join("v0.2.1.md"));
    assert!(page.anchors.contains("proxy_get_buffer_bytes"));
    assert!(!page.anchors.contains("proxy_get_buffer_byte"));
    assert!(page.links.iter().any(|l| l == "#buffer_type"));
}
