//! The reference page of one released ABI version: its types, host functions and callbacks,
//! lifecycle, serialization formats and hosts.

use super::CHANGES;
use super::changes::changes_heading;
use super::formats::{self, FormatView};
use super::items::{
    abi_title, c_type_ref, context_text, convention, direction_text, format_ref, host_heading,
    host_ref, ir_type, level_text, linked, local_ref, local_type_ref, page_ref,
};
use super::lifecycle::{self, LifecycleView};
use super::markdown::{Fact, Table, code, inline, link, preamble, prose};
use crate::{Inputs, names, signature};
use askama::Template;
use proxy_wasm_spec::Abi;
use proxy_wasm_spec::ir::{
    Access, EnumValue, Function, Module, Side, TypeDef, TypeDefKind, TypeRef,
};

/// The page of one released version.
#[derive(Template)]
#[template(path = "docs/version.md", escape = "none")]
pub(super) struct VersionPage {
    preamble: String,
    title: String,
    docs: String,
    facts: Vec<Fact>,
    overview: Vec<String>,
    types: Vec<TypeView>,
    host_modules: Vec<ModuleView>,
    guest_modules: Vec<ModuleView>,
    lifecycle: LifecycleView,
    formats: Vec<FormatView>,
    hosts: Vec<HostView>,
}

/// A named type.
struct TypeView {
    heading: String,
    docs: String,
    facts: Vec<Fact>,
    table: Option<Table>,
}

/// A module and its functions.
struct ModuleView {
    heading: String,
    docs: String,
    facts: Vec<Fact>,
    functions: Vec<FunctionView>,
}

/// A host function or a callback.
struct FunctionView {
    heading: String,
    docs: String,
    c_declaration: String,
    rust_declaration: String,
    params: Option<Table>,
    returns: String,
    statuses: Option<Table>,
    facts: Vec<Fact>,
    aliases: Option<Table>,
    deviations: Option<Table>,
    errata: Vec<String>,
}

/// A host named by the annotations.
struct HostView {
    heading: String,
    title: String,
    source: String,
    docs: String,
}

/// The heading of a module.
fn module_heading(name: &str) -> String {
    format!("Module {}", code(name))
}

impl VersionPage {
    pub(super) fn new(inputs: &Inputs, index: usize) -> Self {
        let abi = &inputs.versions[index];
        let first = inputs
            .versions
            .first()
            .map_or(abi.name.as_str(), |a| a.name.as_str());
        let previous = index.checked_sub(1).map(|i| &inputs.versions[i]);
        let next = inputs.versions.get(index + 1);

        let mut facts = Vec::new();
        if let Some(released) = &abi.released {
            facts.push(Fact::new("Released", released.clone()));
        }
        if let Some(marker) = &abi.marker {
            facts.push(Fact::new(
                "Marker export",
                format!(
                    "{} (a module exports it to declare this version)",
                    local_ref(abi, marker)
                ),
            ));
        }
        let imports: Vec<String> = abi
            .modules
            .iter()
            .filter(|m| m.side == Side::Host)
            .flat_map(|m| {
                std::iter::once(code(&m.import_module)).chain(
                    m.aliases
                        .iter()
                        .map(|a| format!("{} (reference)", code(&a.name))),
                )
            })
            .collect();
        facts.push(Fact::new("Import modules", imports.join(", ")));
        if let Some(p) = previous {
            facts.push(Fact::new(
                "Previous version",
                format!(
                    "{} ({})",
                    link(&abi_title(p), &names::doc_page(&p.name)),
                    link(
                        "what changed",
                        &format!("{CHANGES}#{}", names::doc_anchor(&changes_heading(p, abi)))
                    )
                ),
            ));
        }
        if let Some(n) = next {
            facts.push(Fact::new(
                "Next version",
                format!(
                    "{} ({})",
                    link(&abi_title(n), &names::doc_page(&n.name)),
                    link(
                        "what changed",
                        &format!("{CHANGES}#{}", names::doc_anchor(&changes_heading(abi, n)))
                    )
                ),
            ));
        }

        let host_functions = abi
            .functions
            .iter()
            .filter(|f| signature::is_import(abi, f))
            .count();
        let overview = vec![
            format!(
                "{} named types, {} host functions the plugin imports, and {} exports the host \
                 looks for (callbacks, start functions, the allocator and the version marker).",
                abi.types.len(),
                host_functions,
                abi.callbacks.len()
            ),
            "Every parameter and result is a wasm `i32`, except 64-bit values, which are `i64`; \
             pointers and lengths are 32-bit offsets into the plugin's linear memory."
                .to_string(),
            "Host functions return a status code and hand results back through out-pointers. \
             Where the host allocates the memory for a result, it calls the plugin's allocator \
             export, and the plugin owns (and frees) that memory."
                .to_string(),
            "Facts marked *spec* come from the published specification text; facts marked \
             *reference* are what the named implementation does where the text is silent or \
             wrong."
                .to_string(),
            format!(
                "Version gates: items added after {first} say which version added them; items \
                 removed later say which version removed them and what replaced them."
            ),
        ];

        let types = abi.types.iter().map(|t| type_view(abi, t)).collect();
        let module_view = |m: &Module, items: &[Function]| ModuleView {
            heading: module_heading(&m.name),
            docs: linked(abi, &prose(&m.docs), &[]),
            facts: module_facts(abi, m),
            functions: items
                .iter()
                .filter(|f| f.module == m.import_module || f.module == m.name)
                .map(|f| function_view(inputs, abi, first, f))
                .collect(),
        };
        let host_modules = abi
            .modules
            .iter()
            .filter(|m| m.side == Side::Host)
            .map(|m| module_view(m, &abi.functions))
            .collect();
        let guest_modules = abi
            .modules
            .iter()
            .filter(|m| m.side == Side::Guest)
            .map(|m| module_view(m, &abi.callbacks))
            .collect();

        VersionPage {
            preamble: preamble(),
            title: format!("Proxy-Wasm {}", abi_title(abi)),
            docs: prose(&abi.docs),
            facts,
            overview,
            types,
            host_modules,
            guest_modules,
            lifecycle: lifecycle::view(abi),
            formats: abi.formats.iter().map(|f| formats::view(abi, f)).collect(),
            hosts: abi
                .hosts
                .iter()
                .map(|h| HostView {
                    heading: host_heading(&h.name),
                    title: inline(&h.title),
                    source: code(&h.source),
                    docs: prose(&h.docs),
                })
                .collect(),
        }
    }
}

/// What a module's header says besides its docs.
fn module_facts(abi: &Abi, m: &Module) -> Vec<Fact> {
    let mut facts = Vec::new();
    match m.side {
        Side::Host => facts.push(Fact::new(
            "Implemented by",
            format!(
                "the host; the plugin imports these from wasm module {}",
                code(&m.import_module)
            ),
        )),
        Side::Guest => facts.push(Fact::new(
            "Implemented by",
            "the plugin, as exports; the host calls those it finds".to_string(),
        )),
    }
    for alias in &m.aliases {
        facts.push(Fact::new(
            "Also served as",
            format!(
                "wasm module {} (reference: {})",
                code(&alias.name),
                alias.reference
            ),
        ));
    }
    if let Some(status) = &m.status_type {
        facts.push(Fact::new(
            "Status type",
            format!(
                "{}, the result of every function in the module",
                local_type_ref(abi, status)
            ),
        ));
    }
    if m.imports_memory {
        facts.push(Fact::new(
            "Memory",
            "works on the plugin's exported linear memory".to_string(),
        ));
    }
    facts
}

/// One named type of a version page.
fn type_view(abi: &Abi, t: &TypeDef) -> TypeView {
    let mut facts = Vec::new();
    let named = TypeRef::Named {
        name: t.name.clone(),
    };
    let spellings = format!(
        "C {}, Rust FFI {}",
        code(&names::c_type(&t.name)),
        code(&signature::rust_type(abi, &named))
    );
    let values_table = |values: &[EnumValue], flags: bool| {
        let with_availability = values.iter().any(|v| !v.available_in.is_empty());
        let mut head = vec!["Name", "Value", "C constant", "Meaning", "Level"];
        if with_availability {
            head.push("Available in");
        }
        let mut table = Table::new(&head);
        for v in values {
            let mut level = level_text(v.level, v.reference.as_deref());
            if let Some(since) = &v.since {
                level.push_str(&format!(", since {since}"));
            }
            let available: Vec<String> = v
                .available_in
                .iter()
                .map(|a| {
                    let access = match a.access {
                        Access::Read => "read",
                        Access::ReadWrite => "read and write",
                    };
                    format!("{access} in {}", local_ref(abi, &a.callback))
                })
                .collect();
            let mut row = vec![
                code(&v.name),
                if flags {
                    format!("`{:#x}`", v.value)
                } else {
                    code(&v.value.to_string())
                },
                code(&names::c_const(&t.name, &v.name)),
                linked(abi, &inline(&v.docs), &[]),
                level,
            ];
            if with_availability {
                row.push(available.join("; "));
            }
            table.row(row);
        }
        table
    };
    let table = match &t.def {
        TypeDefKind::Alias { target } => {
            facts.push(Fact::new(
                "Kind",
                format!("another name for {}", code(&ir_type(target))),
            ));
            None
        }
        TypeDefKind::Enum { repr, values } => {
            facts.push(Fact::new(
                "Kind",
                format!("enum carried as {}", code(repr.keyword())),
            ));
            Some(values_table(values, false))
        }
        TypeDefKind::Flags { repr, values } => {
            facts.push(Fact::new(
                "Kind",
                format!("bit flags carried as {}", code(repr.keyword())),
            ));
            Some(values_table(values, true))
        }
        TypeDefKind::Struct { fields } => {
            facts.push(Fact::new(
                "Kind",
                "record in the plugin's memory, fields in order".to_string(),
            ));
            let mut table = Table::new(&["Field", "Type", "Meaning"]);
            for f in fields {
                table.row(vec![
                    code(&f.name),
                    c_type_ref(abi, &f.ty),
                    linked(abi, &inline(&f.docs), &[&f.name]),
                ]);
            }
            Some(table)
        }
        TypeDefKind::Handle => {
            facts.push(Fact::new(
                "Kind",
                "opaque handle carried as a 32-bit integer".to_string(),
            ));
            None
        }
        TypeDefKind::Variant { .. } | TypeDefKind::Union { .. } => None,
    };
    facts.push(Fact::new("Spelled", spellings));
    facts.push(Fact::new(
        "Level",
        level_text(t.level, t.reference.as_deref()),
    ));
    if let Some(since) = &t.since {
        facts.push(Fact::new("Since", since.clone()));
    }
    TypeView {
        heading: code(&t.name),
        docs: linked(abi, &prose(&t.docs), &[&t.name]),
        facts,
        table,
    }
}

/// One host function or callback of a version page.
fn function_view(inputs: &Inputs, abi: &Abi, first: &str, f: &Function) -> FunctionView {
    let is_callback = abi.callback(&f.name).is_some();
    let own: Vec<&str> = std::iter::once(f.name.as_str())
        .chain(f.params.iter().chain(&f.results).map(|p| p.name.as_str()))
        .collect();
    let params = (!f.params.is_empty()).then(|| {
        let mut table = Table::new(&[
            "Name",
            "Type",
            "Direction",
            "Convention",
            "Format",
            "Meaning",
        ]);
        for p in &f.params {
            let mut meaning = linked(abi, &inline(&p.docs), &own);
            if let Some(since) = &p.since {
                meaning.push_str(&format!(" (since {since})"));
            }
            table.row(vec![
                code(&p.name),
                c_type_ref(abi, &p.ty),
                direction_text(p.direction).to_string(),
                convention(p),
                p.format
                    .as_deref()
                    .map_or(String::new(), |name| format_ref(abi, name)),
                meaning,
            ]);
        }
        table
    });
    let returns = if f.results.is_empty() {
        "Nothing.".to_string()
    } else {
        f.results
            .iter()
            .map(|r| {
                format!(
                    "{} ({}): {}",
                    code(&r.name),
                    c_type_ref(abi, &r.ty),
                    linked(abi, &inline(&r.docs), &own)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    // One row per code: a code returned in several situations lists each, with its own level.
    let statuses = (!f.statuses.is_empty()).then(|| {
        let mut rows: Vec<(&str, i64, Vec<String>)> = Vec::new();
        for s in &f.statuses {
            let mut when = linked(abi, &inline(&s.condition), &own);
            if let Some(since) = &s.since {
                when.push_str(&format!(" (since {since})"));
            }
            when.push_str(&format!(
                " — *{}*",
                level_text(s.level, s.reference.as_deref())
            ));
            match rows.iter_mut().find(|(code, _, _)| *code == s.code) {
                Some((_, _, conditions)) => conditions.push(when),
                None => rows.push((&s.code, s.value, vec![when])),
            }
        }
        let mut table = Table::new(&["Code", "Value", "Returned when"]);
        for (name, value, conditions) in rows {
            table.row(vec![
                code(name),
                code(&value.to_string()),
                conditions.join("<br>"),
            ]);
        }
        table
    });

    let mut facts = Vec::new();
    if f.marker {
        facts.push(Fact::new(
            "Called",
            "never: hosts only look for its name".to_string(),
        ));
    } else if !f.contexts.is_empty() {
        let contexts: Vec<&str> = f.contexts.iter().map(|c| context_text(*c)).collect();
        let label = if is_callback {
            "Receives"
        } else {
            "May be called from"
        };
        facts.push(Fact::new(label, contexts.join("; ")));
    }
    facts.push(Fact::new(
        "Level",
        level_text(f.level, f.reference.as_deref()),
    ));
    let since = f.since.as_deref().unwrap_or(first);
    let mut availability = format!("since {since}");
    if let Some(until) = &f.until {
        availability.push_str(&format!("; removed in {until}"));
        match &f.replaced_by {
            Some(r) => {
                let target = inputs
                    .versions
                    .iter()
                    .find(|v| &v.name == until)
                    .map_or_else(|| local_ref(abi, &r.function), |v| page_ref(v, &r.function));
                availability.push_str(&format!(", replaced by {target}: {}", inline(&r.how)));
            }
            None => availability.push_str(", without a replacement"),
        }
    }
    facts.push(Fact::new("Available", availability));
    if let Some(why) = &f.deprecated {
        facts.push(Fact::new("Deprecated", inline(why)));
    }

    let aliases = (!f.aliases.is_empty()).then(|| {
        let mut table = Table::new(&["Other name", "Host", "Note"]);
        for a in &f.aliases {
            table.row(vec![code(&a.name), host_ref(abi, &a.host), inline(&a.note)]);
        }
        table
    });
    let deviations = (!f.deviations.is_empty()).then(|| {
        let mut table = Table::new(&["Host", "Behaviour"]);
        for d in &f.deviations {
            table.row(vec![
                host_ref(abi, &d.host),
                linked(abi, &inline(&d.text), &own),
            ]);
        }
        table
    });

    FunctionView {
        heading: code(&f.name),
        docs: linked(abi, &prose(&f.docs), &own),
        c_declaration: signature::c_declaration(f),
        rust_declaration: signature::rust_declaration(abi, f),
        params,
        returns,
        statuses,
        facts,
        aliases,
        deviations,
        errata: f
            .errata
            .iter()
            .map(|e| linked(abi, &inline(e), &own))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::tests::{inputs, page};

    #[test]
    fn every_item_appears_in_its_page() {
        for abi in &inputs().versions {
            let text = page(&names::doc_page(&abi.name));
            for f in abi.functions.iter().chain(&abi.callbacks) {
                assert!(
                    text.contains(&format!("\n#### `{}`\n", f.name)),
                    "{} in {}",
                    f.name,
                    abi.name
                );
                assert!(
                    text.contains(&signature::c_declaration(f)),
                    "C of {}",
                    f.name
                );
                assert!(
                    text.contains(&signature::rust_declaration(abi, f)),
                    "Rust of {}",
                    f.name
                );
            }
            for t in &abi.types {
                assert!(
                    text.contains(&format!("\n### `{}`\n", t.name)),
                    "{} in {}",
                    t.name,
                    abi.name
                );
                if let TypeDefKind::Enum { values, .. } | TypeDefKind::Flags { values, .. } = &t.def
                {
                    for v in values {
                        assert!(text.contains(&code(&names::c_const(&t.name, &v.name))));
                    }
                }
            }
        }
    }
}
