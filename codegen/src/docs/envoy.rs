//! The page of the Envoy-era ABI, in the layout of the documentation the witx tools generated.

use super::CHANGES;
use super::items::{abi_title, convention, ir_type, linked, named_type_of};
use super::markdown::{code, inline, item_anchor, link, preamble, prose};
use crate::signature;
use askama::Template;
use proxy_wasm_spec::Abi;
use proxy_wasm_spec::ir::{Param, Role, Side, TypeDefKind, TypeRef};

/// The Envoy-era page.
#[derive(Template)]
#[template(path = "docs/envoy.md", escape = "none")]
pub(super) struct EnvoyPage {
    preamble: String,
    title: String,
    intro: String,
    layout: String,
    types: Vec<EnvoyType>,
    modules: Vec<EnvoyModule>,
}

/// A type in the witx-docs layout.
struct EnvoyType {
    name: String,
    docs: String,
    representation: String,
    members_heading: String,
    members: Vec<EnvoyMember>,
}

/// An enum variant or a flag.
struct EnvoyMember {
    name: String,
    docs: String,
    value: String,
}

/// A module in the witx-docs layout.
struct EnvoyModule {
    name: String,
    docs: String,
    imports: Vec<String>,
    functions: Vec<EnvoyFunction>,
}

/// A function in the witx-docs layout.
struct EnvoyFunction {
    name: String,
    docs: String,
    c_declaration: String,
    params: Vec<EnvoyParam>,
    results: Vec<EnvoyParam>,
}

/// A parameter or result in the witx-docs layout.
struct EnvoyParam {
    name: String,
    ty: String,
    docs: String,
}

impl EnvoyPage {
    pub(super) fn new(abi: &Abi) -> Self {
        let types = abi
            .types
            .iter()
            .map(|t| {
                let (representation, heading, values, flags) = match &t.def {
                    TypeDefKind::Enum { repr, values } => (
                        format!("Enum represented by {}", code(repr.keyword())),
                        "Variants:",
                        values.as_slice(),
                        false,
                    ),
                    TypeDefKind::Flags { repr, values } => (
                        format!("Flags represented by {}", code(repr.keyword())),
                        "Flags:",
                        values.as_slice(),
                        true,
                    ),
                    TypeDefKind::Alias { target } => match target {
                        TypeRef::Builtin { name } => (
                            format!("Builtin type {}", code(name.keyword())),
                            "",
                            &[][..],
                            false,
                        ),
                        other => (
                            format!("Alias to {}", code(&ir_type(other))),
                            "",
                            &[][..],
                            false,
                        ),
                    },
                    TypeDefKind::Struct { .. } => ("Struct".to_string(), "", &[][..], false),
                    TypeDefKind::Handle => ("Handle".to_string(), "", &[][..], false),
                    TypeDefKind::Variant { .. } | TypeDefKind::Union { .. } => {
                        (String::new(), "", &[][..], false)
                    }
                };
                EnvoyType {
                    name: t.name.clone(),
                    docs: prose(&t.docs),
                    representation,
                    members_heading: heading.to_string(),
                    members: values
                        .iter()
                        .map(|v| EnvoyMember {
                            name: v.name.clone(),
                            docs: prose(&v.docs),
                            value: if flags {
                                format!("`{:#x}`", v.value)
                            } else {
                                code(&v.value.to_string())
                            },
                        })
                        .collect(),
                }
            })
            .collect();
        // The type as the witx wrote it, linked to the type's entry when it names one.
        let ty = |t: &TypeRef| match named_type_of(t) {
            Some(name) if abi.type_def(name).is_some() => {
                link(&code(&ir_type(t)), &format!("#{}", item_anchor(name)))
            }
            _ => code(&ir_type(t)),
        };
        let param = |p: &Param| {
            let mut docs = linked(abi, &inline(&p.docs), &[]);
            if p.role != Role::Value {
                docs.push_str(&format!(" ({})", convention(p)));
            }
            EnvoyParam {
                name: p.name.clone(),
                ty: ty(&p.ty),
                docs,
            }
        };
        let modules = abi
            .modules
            .iter()
            .map(|m| {
                let items = match m.side {
                    Side::Host => &abi.functions,
                    Side::Guest => &abi.callbacks,
                };
                let mut docs = prose(&m.docs);
                if m.side == Side::Host && m.import_module != m.name {
                    docs.push_str(&format!(
                        " The plugin imports them from wasm module {}.",
                        code(&m.import_module)
                    ));
                }
                EnvoyModule {
                    name: m.name.clone(),
                    docs,
                    imports: if m.imports_memory {
                        vec!["memory: Memory".to_string()]
                    } else {
                        Vec::new()
                    },
                    functions: items
                        .iter()
                        .filter(|f| f.module == m.import_module || f.module == m.name)
                        .map(|f| EnvoyFunction {
                            name: f.name.clone(),
                            docs: prose(&f.docs),
                            // The names as the witx wrote them, as in the headings below it.
                            c_declaration: signature::c_declaration_with(f, str::to_string),
                            params: f.params.iter().map(param).collect(),
                            results: f.results.iter().map(param).collect(),
                        })
                        .collect(),
                }
            })
            .collect();
        EnvoyPage {
            preamble: preamble(),
            title: abi_title(abi),
            intro: prose(&abi.docs),
            layout: format!(
                "This page keeps the layout of the documentation the witx tools generated for \
                 that description: the types first, then each module with its functions, their \
                 parameters and their results. The numbered versions that followed are described \
                 on their own pages; {} lists what changed on the way to 0.1.0.",
                link("the changes page", CHANGES)
            ),
            types,
            modules,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::docs::tests::{inputs, page};
    use crate::names;

    #[test]
    fn every_item_appears_in_its_page() {
        let envoy = &inputs().envoy_2020;
        let text = page(&names::doc_page(&envoy.name));
        for f in envoy.functions.iter().chain(&envoy.callbacks) {
            assert!(text.contains(&format!("\n### {}\n", f.name)), "{}", f.name);
            for p in f.params.iter().chain(&f.results) {
                let has_type = format!("`{}` has type ", p.name);
                assert!(text.contains(&has_type), "{}: {}", f.name, p.name);
            }
        }
        for t in &envoy.types {
            assert!(text.contains(&format!("\n## `{}`\n", t.name)), "{}", t.name);
        }
    }
}
