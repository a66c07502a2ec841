//! The C++ SDK cross-reference: its data, the checks of that data against every ABI it names,
//! and its page.

use super::items::{abi_title, has_item, page_ref};
use super::markdown::{Table, code, inline, link, preamble};
use crate::{Inputs, names};
use askama::Template;
use proxy_wasm_spec::Abi;
use proxy_wasm_spec::ir::TypeDefKind;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Where the cross-reference data lives, for messages.
const SDK_DATA_PATH: &str = "spec/abi/sdk-cross-reference.toml";
/// The cross-reference data.
pub(super) const SDK_DATA: &str = include_str!("../../../spec/abi/sdk-cross-reference.toml");

/// `spec/abi/sdk-cross-reference.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CrossReference {
    /// The ABIs every entry is checked against, in page order.
    versions: Vec<String>,
    /// The SDK's APIs, in the order of its documentation.
    api: Vec<SdkApi>,
}

/// One API of the C++ SDK.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SdkApi {
    name: String,
    section: String,
    kind: SdkKind,
    notes: String,
    #[serde(default)]
    version_notes: BTreeMap<String, String>,
    #[serde(default)]
    abi: Vec<SdkAbiRef>,
}

/// How an SDK API meets the ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SdkKind {
    /// The SDK runs it when the host calls the listed callbacks.
    Callback,
    /// The SDK calls the listed host functions.
    Host,
    /// Plugin-side only.
    Guest,
}

/// A callback or host function implementing an SDK API.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SdkAbiRef {
    name: String,
    #[serde(default)]
    args: Vec<SdkArg>,
    only_in: Option<Vec<String>>,
    note: Option<String>,
}

/// An argument worth showing: an enum member, or free text.
#[derive(Debug, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
enum SdkArg {
    Member {
        #[serde(rename = "type")]
        ty: String,
        value: String,
    },
    Text {
        text: String,
    },
}

impl SdkAbiRef {
    /// Whether the entry applies to an ABI.
    fn applies_to(&self, abi: &str) -> bool {
        self.only_in
            .as_ref()
            .is_none_or(|only| only.iter().any(|v| v == abi))
    }
}

impl CrossReference {
    /// Parses the data and checks every name in it against the ABIs it is listed for.
    pub(super) fn parse(text: &str, inputs: &Inputs) -> Result<Self, String> {
        let data: CrossReference =
            basic_toml::from_str(text).map_err(|e| format!("{SDK_DATA_PATH}: {e}"))?;
        let mut errors = Vec::new();
        let mut seen = Vec::new();
        let known = |name: &str| abi_named(inputs, name).is_some();
        for v in &data.versions {
            if !known(v) {
                errors.push(format!(
                    "`versions` names `{v}`, which is not an ABI the generator has"
                ));
            }
        }
        for api in &data.api {
            let what = format!("API `{}`", api.name);
            if seen.contains(&&api.name) {
                errors.push(format!("{what} is listed twice"));
            }
            seen.push(&api.name);
            for v in api.version_notes.keys() {
                if !data.versions.contains(v) {
                    errors.push(format!(
                        "{what}: `version_notes` names `{v}`, which `versions` does not list"
                    ));
                }
            }
            if api.kind == SdkKind::Guest && !api.abi.is_empty() {
                errors.push(format!("{what} is of kind \"guest\" but lists ABI names"));
            }
            for entry in &api.abi {
                for v in entry.only_in.iter().flatten() {
                    if !data.versions.contains(v) {
                        errors.push(format!(
                            "{what}: `{}` is limited to `{v}`, which `versions` does not list",
                            entry.name
                        ));
                    }
                }
            }
            for v in &data.versions {
                let Some(abi) = abi_named(inputs, v) else {
                    continue;
                };
                let entries: Vec<&SdkAbiRef> = api.abi.iter().filter(|e| e.applies_to(v)).collect();
                if api.kind != SdkKind::Guest
                    && entries.is_empty()
                    && !api.version_notes.contains_key(v)
                {
                    errors.push(format!(
                        "{what} lists nothing for ABI {v}; add an entry or a `version_notes` \
                         entry saying why there is none"
                    ));
                }
                for entry in entries {
                    if !has_item(abi, &entry.name) {
                        errors.push(format!(
                            "{what} names `{}`, which ABI {v} does not have; limit the entry \
                             with `only_in` to the versions that have it",
                            entry.name
                        ));
                    }
                    for arg in &entry.args {
                        let SdkArg::Member { ty, value } = arg else {
                            continue;
                        };
                        let found = abi.type_def(ty).is_some_and(|t| match &t.def {
                            TypeDefKind::Enum { values, .. }
                            | TypeDefKind::Flags { values, .. } => {
                                values.iter().any(|m| &m.name == value)
                            }
                            _ => false,
                        });
                        if !found {
                            errors.push(format!(
                                "{what}: the argument `{ty}.{value}` of `{}` is not a member of \
                                 a type of ABI {v}",
                                entry.name
                            ));
                        }
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(data)
        } else {
            Err(format!("{SDK_DATA_PATH}:\n  {}", errors.join("\n  ")))
        }
    }
}

/// The ABI of a name: a released version or the Envoy-era description.
fn abi_named<'a>(inputs: &'a Inputs, name: &str) -> Option<&'a Abi> {
    inputs
        .versions
        .iter()
        .chain([&inputs.envoy_2020])
        .find(|a| a.name == name)
}

/// The cross-reference page.
#[derive(Template)]
#[template(path = "docs/sdk.md", escape = "none")]
pub(super) struct SdkPage {
    preamble: String,
    intro: String,
    apis: Table,
    versions: Vec<SdkVersion>,
}

/// The cross-reference table for one ABI.
struct SdkVersion {
    heading: String,
    page: String,
    table: Table,
}

impl SdkPage {
    pub(super) fn new(inputs: &Inputs, data: &CrossReference) -> Self {
        let mut apis = Table::new(&["API", "Section", "Kind", "What it does"]);
        for api in &data.api {
            apis.row(vec![
                code(&api.name),
                inline(&api.section),
                match api.kind {
                    SdkKind::Callback => "callback",
                    SdkKind::Host => "calls the host",
                    SdkKind::Guest => "plugin only",
                }
                .to_string(),
                inline(&api.notes),
            ]);
        }
        let versions = data
            .versions
            .iter()
            .filter_map(|v| abi_named(inputs, v))
            .map(|abi| {
                let mut table = Table::new(&["API", "ABI", "Notes for this version"]);
                for api in &data.api {
                    let entries: Vec<String> = api
                        .abi
                        .iter()
                        .filter(|e| e.applies_to(&abi.name))
                        .map(|e| sdk_entry(abi, e))
                        .collect();
                    table.row(vec![
                        code(&api.name),
                        if entries.is_empty() {
                            match api.kind {
                                SdkKind::Guest => "none: plugin-side only".to_string(),
                                SdkKind::Callback | SdkKind::Host => "none".to_string(),
                            }
                        } else {
                            entries.join("<br>")
                        },
                        api.version_notes
                            .get(&abi.name)
                            .map(|n| inline(n))
                            .unwrap_or_default(),
                    ]);
                }
                SdkVersion {
                    heading: abi_title(abi),
                    page: link(
                        &format!("the {} page", abi_title(abi)),
                        &names::doc_page(&abi.name),
                    ),
                    table,
                }
            })
            .collect();
        SdkPage {
            preamble: preamble(),
            intro: format!(
                "The data behind this page is kept in `{SDK_DATA_PATH}`; the generator checks \
                 that every function, callback and enum member it names exists in each ABI it \
                 is listed for."
            ),
            apis,
            versions,
        }
    }
}

/// One ABI function or callback in the cross-reference, with the arguments worth showing.
fn sdk_entry(abi: &Abi, entry: &SdkAbiRef) -> String {
    let f = abi
        .function(&entry.name)
        .or_else(|| abi.callback(&entry.name));
    let mut args: Vec<String> = entry
        .args
        .iter()
        .map(|a| match a {
            SdkArg::Member { value, .. } => names::spec_const(value),
            SdkArg::Text { text } => text.clone(),
        })
        .collect();
    let mut text = String::new();
    if abi.callback(&entry.name).is_some() {
        text.push_str("callback ");
    }
    text.push_str(&page_ref(abi, &entry.name));
    if !args.is_empty() {
        if f.is_some_and(|f| f.params.len() > args.len()) {
            args.push("…".to_string());
        }
        text.push_str(&code(&format!("({})", args.join(", "))));
    }
    if let Some(note) = &entry.note {
        text.push_str(&format!(": {}", inline(note)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::SDK;
    use crate::docs::tests::{inputs, page};

    #[test]
    fn cross_reference_validates() {
        let data = CrossReference::parse(SDK_DATA, inputs()).expect("the data validates");
        let rst = [
            "onConfigure",
            "onStart",
            "onCreate",
            "onRequestHeaders",
            "onRequestBody",
            "onRequestTrailers",
            "onResponseHeaders",
            "onResponseBody",
            "onResponseTrailers",
            "onDone",
            "onLog",
            "onDelete",
            "onTick",
            "httpCall",
            "grpcSimpleCall",
            "grpcCallHandler",
            "grpcStreamHandler",
            "getRequestHeader",
            "addRequestHeader",
            "replaceRequestHeader",
            "removeRequestHeader",
            "getRequestHeaderPairs",
            "setRequestHeaderPairs",
            "getResponseTrailerPairs",
            "getRequestBodyBufferBytes",
            "getResponseBodyBufferBytes",
            "getProtocol",
            "setTickPeriodMilliseconds",
            "getCurrentTimeNanoseconds",
            "Counter::increment",
            "Counter::get",
            "Gauge::record",
            "Histogram::record",
        ];
        for name in rst {
            assert!(data.api.iter().any(|a| a.name == name), "{name}");
        }
        let sdk = page(SDK);
        assert!(sdk.contains("`(HTTP_REQUEST_HEADERS, …)`"));
        assert!(sdk.contains("`(\"request\\0protocol\", …)`"));

        let bad = |toml: &str| CrossReference::parse(toml, inputs()).expect_err(toml);
        let head = "versions = [\"envoy-2020\", \"0.1.0\", \"0.2.0\", \"0.2.1\"]\n";
        let api = "[[api]]\nname = \"x\"\nsection = \"s\"\nkind = \"host\"\nnotes = \"n\"\n";
        let err = bad(&format!(
            "{head}{api}[[api.abi]]\nname = \"proxy_continue_stream\"\n"
        ));
        assert!(
            err.contains("ABI envoy-2020 does not have") && err.contains("ABI 0.1.0 does not have"),
            "{err}"
        );
        let err = bad(&format!(
            "{head}{api}[[api.abi]]\nname = \"proxy_log\"\nargs = [{{ type = \"map_type\", value = \"nope\" }}]\n"
        ));
        assert!(err.contains("`map_type.nope`"), "{err}");
        let err = bad(&format!(
            "{head}{api}[[api.abi]]\nname = \"proxy_continue_stream\"\nonly_in = [\"0.2.0\"]\n"
        ));
        assert!(err.contains("lists nothing for ABI 0.2.1"), "{err}");
        let err = bad(&format!("versions = [\"0.3.0\"]\n{api}"));
        assert!(err.contains("`0.3.0`"), "{err}");
        let err = bad(&format!("{head}{api}unknown = 1\n"));
        assert!(err.contains("unknown"), "{err}");
    }
}
