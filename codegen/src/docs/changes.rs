//! The changes page: what changed from each ABI version to the next, as the spec crate's
//! [`Diff`] computes it.

use super::index::abi_summary;
use super::items::{context_text, level_text, page_ref, wasm_signature};
use super::markdown::{Table, code, first_sentence, inline, item_anchor, link, preamble};
use crate::{Inputs, names, signature};
use askama::Template;
use proxy_wasm_spec::Abi;
use proxy_wasm_spec::diff::{Diff, Member};
use proxy_wasm_spec::ir::{Function, StatusCase, TypeDefKind};

/// The changes page.
#[derive(Template)]
#[template(path = "docs/changes.md", escape = "none")]
pub(super) struct ChangesPage {
    preamble: String,
    summary: Table,
    sections: Vec<ChangeSection>,
}

/// The changes from one ABI to the next.
struct ChangeSection {
    heading: String,
    intro: String,
    groups: Vec<ChangeGroup>,
}

/// One kind of change, as a list.
struct ChangeGroup {
    title: String,
    items: Vec<String>,
}

impl ChangesPage {
    pub(super) fn new(inputs: &Inputs) -> Self {
        let summary = abi_summary([&inputs.envoy_2020].into_iter().chain(&inputs.versions));
        let mut sections: Vec<ChangeSection> = inputs
            .versions
            .windows(2)
            .map(|pair| change_section(&Diff::between(&pair[0], &pair[1]), true))
            .collect();
        if let Some(first) = inputs.versions.first() {
            sections.push(change_section(
                &Diff::between(&inputs.envoy_2020, first),
                false,
            ));
        }
        ChangesPage {
            preamble: preamble(),
            summary,
            sections,
        }
    }
}

/// The heading of the changes from one ABI to the next.
pub(super) fn changes_heading(old: &Abi, new: &Abi) -> String {
    format!("From {} to {}", old.name, new.name)
}

/// The changes of a diff as lists. Between eras (`detailed` false) parameter names and status
/// tables are not compared: the Envoy-era description names parameters differently and records
/// no status codes.
fn change_section(diff: &Diff, detailed: bool) -> ChangeSection {
    let (old, new) = (diff.old, diff.new);
    let mut intro = Vec::new();
    if let Some(released) = &new.released {
        intro.push(format!("{} was released on {released}.", new.name));
    }
    match diff.marker.as_ref().map(|m| (m.old, m.new)) {
        Some((Some(a), Some(b))) => intro.push(format!(
            "The version marker export changes from {} to {}.",
            page_ref(old, a),
            page_ref(new, b)
        )),
        Some((None, Some(b))) => intro.push(format!(
            "{} introduces the version marker export {}.",
            new.name,
            page_ref(new, b)
        )),
        _ => {}
    }
    if !detailed {
        intro.push(
            "The Envoy-era description names most parameters differently and records no status \
             codes, so only added and removed items and wasm-level signature changes are listed. \
             An item that was renamed shows up twice, as removed under its old name and added \
             under its new one."
                .to_string(),
        );
    }

    let mut groups = Vec::new();
    let mut group = |title: &str, items: Vec<String>| {
        if !items.is_empty() {
            groups.push(ChangeGroup {
                title: title.to_string(),
                items,
            });
        }
    };

    for (what, items) in [
        ("Host functions", &diff.functions),
        ("Callbacks", &diff.callbacks),
    ] {
        group(
            &format!("{what} added"),
            items
                .added
                .iter()
                .map(|f| format!("{}: {}", page_ref(new, &f.name), first_sentence(&f.docs)))
                .collect(),
        );
        group(
            &format!("{what} removed"),
            items
                .removed
                .iter()
                .map(|f| {
                    let replacement = match &f.replaced_by {
                        Some(r) => format!(
                            "replaced by {}: {}",
                            page_ref(new, &r.function),
                            inline(&r.how)
                        ),
                        None if detailed => "no replacement".to_string(),
                        None => format!("not in {}", new.name),
                    };
                    format!("{}: {replacement}", page_ref(old, &f.name))
                })
                .collect(),
        );
    }

    group(
        "Changed signatures",
        diff.changed
            .iter()
            .filter(|c| c.wasm_signature || (detailed && c.typed_signature))
            .map(|c| {
                let (o, n) = (c.old, c.new);
                let wasm = if c.wasm_signature {
                    format!(
                        "the wasm signature changes from {} to {}, so a module built for one \
                         version does not match the other",
                        code(&wasm_signature(o)),
                        code(&wasm_signature(n))
                    )
                } else {
                    format!("the wasm signature stays {}", code(&wasm_signature(n)))
                };
                format!(
                    "{}: {} becomes {}; {wasm}.",
                    page_ref(new, &n.name),
                    code(&signature::c_declaration(o)),
                    code(&signature::c_declaration(n))
                )
            })
            .collect(),
    );

    if detailed {
        let cases = |cases: &[&StatusCase]| {
            cases
                .iter()
                .map(|s| {
                    format!(
                        "{} ({}) when {} [{}]",
                        code(&s.code),
                        s.value,
                        inline(&s.condition),
                        level_text(s.level, s.reference.as_deref())
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        group(
            "Status codes",
            diff.changed
                .iter()
                .filter_map(|c| {
                    let mut parts = Vec::new();
                    if !c.statuses_added.is_empty() {
                        parts.push(format!("now returns {}", cases(&c.statuses_added)));
                    }
                    if !c.statuses_removed.is_empty() {
                        parts.push(format!("no longer returns {}", cases(&c.statuses_removed)));
                    }
                    (!parts.is_empty())
                        .then(|| format!("{}: {}.", page_ref(new, &c.new.name), parts.join("; ")))
                })
                .collect(),
        );
        group(
            "Other changes",
            diff.changed
                .iter()
                .flat_map(|c| {
                    let n = c.new;
                    let mut items = Vec::new();
                    if c.deprecated {
                        items.push(match &n.deprecated {
                            Some(why) => format!(
                                "{} is deprecated: {}.",
                                page_ref(new, &n.name),
                                inline(why)
                            ),
                            None => format!("{} is no longer deprecated.", page_ref(new, &n.name)),
                        });
                    }
                    if c.contexts {
                        let list = |f: &Function| {
                            f.contexts
                                .iter()
                                .map(|c| context_text(*c))
                                .collect::<Vec<_>>()
                                .join("; ")
                        };
                        items.push(format!(
                            "{}: contexts change from {} to {}.",
                            page_ref(new, &n.name),
                            list(c.old),
                            list(n)
                        ));
                    }
                    items
                })
                .collect(),
        );
    }

    let type_link = |abi: &Abi, name: &str| {
        link(
            &code(name),
            &format!("{}#{}", names::doc_page(&abi.name), item_anchor(name)),
        )
    };
    group(
        "Types added",
        diff.types
            .added
            .iter()
            .map(|t| {
                let values = match &t.def {
                    TypeDefKind::Enum { values, .. } | TypeDefKind::Flags { values, .. } => {
                        let list: Vec<String> = values
                            .iter()
                            .map(|v| format!("{} = {}", code(&v.name), v.value))
                            .collect();
                        format!(" (values {})", list.join(", "))
                    }
                    _ => String::new(),
                };
                format!(
                    "{}{values}: {}",
                    type_link(new, &t.name),
                    first_sentence(&t.docs)
                )
            })
            .collect(),
    );
    group(
        "Types removed",
        diff.types
            .removed
            .iter()
            .map(|t| format!("{}: {}", type_link(old, &t.name), first_sentence(&t.docs)))
            .collect(),
    );
    group(
        "Enum and flags values",
        diff.members
            .iter()
            .map(|m| {
                let ty = type_link(new, &m.ty.name);
                match &m.change {
                    Member::Added(v) => format!(
                        "{ty}: added {} = {} ({}).",
                        code(&v.name),
                        v.value,
                        code(&names::c_const(&m.ty.name, &v.name))
                    ),
                    Member::Renumbered { old: was, new: now } => format!(
                        "{ty}: {} is renumbered from {} to {}.",
                        code(&now.name),
                        was.value,
                        now.value
                    ),
                    Member::Removed(v) => {
                        format!("{ty}: {} = {} is removed.", code(&v.name), v.value)
                    }
                }
            })
            .collect(),
    );

    ChangeSection {
        heading: changes_heading(old, new),
        intro: intro.join(" "),
        groups,
    }
}

#[cfg(test)]
mod tests {
    use crate::docs::CHANGES;
    use crate::docs::tests::page;

    #[test]
    fn changes_list_every_difference() {
        let text = page(CHANGES);
        let section = |heading: &str| {
            let start = text
                .find(&format!("## {heading}\n"))
                .unwrap_or_else(|| panic!("{heading}"));
            let rest = &text[start + 3..];
            &rest[..rest.find("\n## ").unwrap_or(rest.len())]
        };
        let to_020 = section("From 0.1.0 to 0.2.0");
        let line_with =
            |text: &str, words: &[&str]| text.lines().any(|l| words.iter().all(|w| l.contains(w)));
        for f in [
            "proxy_continue_stream",
            "proxy_close_stream",
            "proxy_on_foreign_function",
        ] {
            assert!(
                line_with(to_020, &[&format!("[`{f}`]"), "v0.2.0.md"]),
                "{f} added"
            );
        }
        assert!(line_with(
            to_020,
            &[
                "`proxy_get_configuration`",
                "replaced by",
                "`proxy_get_buffer_bytes`"
            ]
        ));
        for f in ["proxy_continue_request", "proxy_continue_response"] {
            assert!(line_with(
                to_020,
                &[&format!("`{f}`"), "replaced by", "`proxy_continue_stream`"]
            ));
        }
        assert!(line_with(
            to_020,
            &["`proxy_clear_route_cache`", "no replacement"]
        ));
        for f in ["proxy_on_request_headers", "proxy_on_response_headers"] {
            assert!(
                line_with(
                    to_020,
                    &[
                        &format!("[`{f}`]"),
                        "end_of_stream",
                        "`(i32, i32) -> i32`",
                        "`(i32, i32, i32) -> i32`"
                    ]
                ),
                "{f}"
            );
        }
        assert!(line_with(
            to_020,
            &[
                "`proxy_get_header_map_value`",
                "now returns `not_found` (1)"
            ]
        ));
        for v in [
            "vm_configuration` = 6",
            "plugin_configuration` = 7",
            "foreign_function_arguments` = 8",
        ] {
            assert!(line_with(to_020, &["`buffer_type`", v]), "{v}");
        }
        assert!(line_with(to_020, &["`stream_type`", "`http_request` = 0"]));
        assert!(line_with(
            to_020,
            &["`proxy_abi_version_0_1_0`", "`proxy_abi_version_0_2_0`"]
        ));
        let to_021 = section("From 0.2.0 to 0.2.1");
        assert!(line_with(to_021, &["[`proxy_get_log_level`]", "v0.2.1.md"]));
        assert!(!to_021.contains("removed"), "0.2.1 removes nothing");
        let envoy = section("From envoy-2020 to 0.1.0");
        assert!(
            line_with(envoy, &["`proxy_on_start`"]) && line_with(envoy, &["`proxy_on_vm_start`"])
        );
    }
}
