//! What changed from one ABI to another: the version marker, host functions and callbacks added
//! and removed, the differences of those both have, types added and removed, and enum and flags
//! members added, renumbered and removed. Items are matched by name.

use crate::ir::{Abi, EnumValue, Function, StatusCase, TypeDef, TypeDefKind, TypeRef};

/// The changes from [`Diff::old`] to [`Diff::new`], each list in the order of the ABI that has
/// the items.
#[derive(Clone, Debug, PartialEq)]
pub struct Diff<'a> {
    /// The ABI compared from.
    pub old: &'a Abi,
    /// The ABI compared to.
    pub new: &'a Abi,
    /// The version marker exports, when they differ.
    pub marker: Option<MarkerChange<'a>>,
    /// Host functions, markers left out.
    pub functions: AddedRemoved<'a, Function>,
    /// Callbacks, markers left out.
    pub callbacks: AddedRemoved<'a, Function>,
    /// Functions and callbacks both ABIs have that differ, in `old`'s order, host functions
    /// first. One may be a host function in `old` and a callback in `new`.
    pub changed: Vec<FunctionChange<'a>>,
    /// Named types.
    pub types: AddedRemoved<'a, TypeDef>,
    /// Members of the enum and flags types both ABIs have, type by type in `new`'s order.
    pub members: Vec<MemberChange<'a>>,
}

/// The version marker export of each ABI, when they differ.
#[derive(Clone, Debug, PartialEq)]
pub struct MarkerChange<'a> {
    /// `old`'s marker.
    pub old: Option<&'a str>,
    /// `new`'s marker.
    pub new: Option<&'a str>,
}

/// Items only one of the ABIs has.
#[derive(Clone, Debug, PartialEq)]
pub struct AddedRemoved<'a, T> {
    /// Only in `new`, in its order.
    pub added: Vec<&'a T>,
    /// Only in `old`, in its order.
    pub removed: Vec<&'a T>,
}

/// A function or callback both ABIs have, and how it differs.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionChange<'a> {
    /// As `old` describes it.
    pub old: &'a Function,
    /// As `new` describes it.
    pub new: &'a Function,
    /// The wasm parameter or result types differ: a module built against one does not link
    /// against the other.
    pub wasm_signature: bool,
    /// A parameter's name or type, or a result's type, differs.
    pub typed_signature: bool,
    /// Status cases only `new` lists, matched by code and condition.
    pub statuses_added: Vec<&'a StatusCase>,
    /// Status cases only `old` lists.
    pub statuses_removed: Vec<&'a StatusCase>,
    /// Whether, or why, it is deprecated differs.
    pub deprecated: bool,
    /// Where it may be called, or which contexts it receives, differs.
    pub contexts: bool,
}

/// A change to one member of an enum or flags type.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberChange<'a> {
    /// The type, as `new` defines it.
    pub ty: &'a TypeDef,
    /// What happened to the member.
    pub change: Member<'a>,
}

/// What happened to an enum or flags member.
#[derive(Clone, Debug, PartialEq)]
pub enum Member<'a> {
    /// Only `new` has it.
    Added(&'a EnumValue),
    /// Both have it, with different numbers.
    Renumbered {
        /// As `old` numbers it.
        old: &'a EnumValue,
        /// As `new` numbers it.
        new: &'a EnumValue,
    },
    /// Only `old` has it.
    Removed(&'a EnumValue),
}

impl<'a> Diff<'a> {
    /// Compares two ABIs.
    pub fn between(old: &'a Abi, new: &'a Abi) -> Self {
        let marker = (old.marker != new.marker).then_some(MarkerChange {
            old: old.marker.as_deref(),
            new: new.marker.as_deref(),
        });
        let changed = old
            .functions
            .iter()
            .chain(&old.callbacks)
            .filter(|f| !f.marker)
            .filter_map(|o| {
                new.function(&o.name)
                    .or_else(|| new.callback(&o.name))
                    .map(|n| FunctionChange::between(o, n))
            })
            .filter(FunctionChange::differs)
            .collect();
        let members = new
            .types
            .iter()
            .filter_map(|t| {
                old.types
                    .iter()
                    .find(|o| same_name(&o.name, &t.name))
                    .map(|o| (o, t))
            })
            .flat_map(|(o, t)| member_changes(o, t))
            .collect();
        Diff {
            old,
            new,
            marker,
            functions: added_removed(&old.functions, &new.functions),
            callbacks: added_removed(&old.callbacks, &new.callbacks),
            changed,
            types: AddedRemoved {
                added: only_in(&new.types, &old.types, |t| &t.name),
                removed: only_in(&old.types, &new.types, |t| &t.name),
            },
            members,
        }
    }
}

impl<'a> FunctionChange<'a> {
    /// Compares two descriptions of one function.
    fn between(old: &'a Function, new: &'a Function) -> Self {
        let same_case =
            |a: &StatusCase, b: &StatusCase| a.code == b.code && a.condition == b.condition;
        let only = |these: &'a [StatusCase], those: &'a [StatusCase]| {
            these
                .iter()
                .filter(|s| !those.iter().any(|x| same_case(s, x)))
                .collect()
        };
        FunctionChange {
            old,
            new,
            wasm_signature: old.wasm_params() != new.wasm_params()
                || old.wasm_results() != new.wasm_results(),
            typed_signature: typed_signature(old) != typed_signature(new),
            statuses_added: only(&new.statuses, &old.statuses),
            statuses_removed: only(&old.statuses, &new.statuses),
            deprecated: old.deprecated != new.deprecated,
            contexts: old.contexts != new.contexts,
        }
    }

    /// Whether anything differs.
    fn differs(&self) -> bool {
        self.wasm_signature
            || self.typed_signature
            || !self.statuses_added.is_empty()
            || !self.statuses_removed.is_empty()
            || self.deprecated
            || self.contexts
    }
}

/// A function's parameter names and types and its result types, for comparing signatures.
fn typed_signature(f: &Function) -> (Vec<(&str, &TypeRef)>, Vec<&TypeRef>) {
    let params = f.params.iter().map(|p| (p.name.as_str(), &p.ty)).collect();
    let results = f.results.iter().map(|p| &p.ty).collect();
    (params, results)
}

/// The functions only one of two lists has, markers left out.
fn added_removed<'a>(old: &'a [Function], new: &'a [Function]) -> AddedRemoved<'a, Function> {
    let name = |f: &'a Function| &f.name;
    let not_marker = |list: Vec<&'a Function>| list.into_iter().filter(|f| !f.marker).collect();
    AddedRemoved {
        added: not_marker(only_in(new, old, name)),
        removed: not_marker(only_in(old, new, name)),
    }
}

/// The items of `these` whose name none of `those` has.
fn only_in<'a, T>(
    these: &'a [T],
    those: &'a [T],
    name: impl Fn(&'a T) -> &'a String,
) -> Vec<&'a T> {
    these
        .iter()
        .filter(|t| !those.iter().any(|x| same_name(name(x), name(t))))
        .collect()
}

/// Whether two names of a type or member are one name: the Envoy-era description, like witx 0.6,
/// wrote them as one lowercase word (`wasmresult`, `endofstream`) where the numbered versions
/// split them (`wasm_result`, `end_of_stream`).
fn same_name(a: &str, b: &str) -> bool {
    fn word(s: &str) -> impl Iterator<Item = char> + '_ {
        s.chars()
            .filter(|c| *c != '_')
            .map(|c| c.to_ascii_lowercase())
    }
    word(a).eq(word(b))
}

/// The members of an enum or flags type; none for other kinds.
fn members(t: &TypeDef) -> &[EnumValue] {
    match &t.def {
        TypeDefKind::Enum { values, .. } | TypeDefKind::Flags { values, .. } => values,
        _ => &[],
    }
}

/// The member changes of one type: added and renumbered in `new`'s order, then removed.
fn member_changes<'a>(old: &'a TypeDef, new: &'a TypeDef) -> Vec<MemberChange<'a>> {
    let (old_values, new_values) = (members(old), members(new));
    let mut changes = Vec::new();
    for v in new_values {
        match old_values.iter().find(|x| same_name(&x.name, &v.name)) {
            None => changes.push(Member::Added(v)),
            Some(x) if x.value != v.value => changes.push(Member::Renumbered { old: x, new: v }),
            Some(_) => {}
        }
    }
    for v in old_values {
        if !new_values.iter().any(|x| same_name(&x.name, &v.name)) {
            changes.push(Member::Removed(v));
        }
    }
    changes
        .into_iter()
        .map(|change| MemberChange { ty: new, change })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin;
    use crate::ir::ContextKind;

    fn abi(name: &str) -> Abi {
        builtin(name).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn names<T>(items: &[&T], name: impl Fn(&T) -> &str) -> Vec<String> {
        items.iter().map(|t| name(t).to_string()).collect()
    }

    fn function_names(items: &[&Function]) -> Vec<String> {
        names(items, |f| &f.name)
    }

    #[test]
    fn from_0_1_0_to_0_2_0() {
        let (old, new) = (abi("0.1.0"), abi("0.2.0"));
        let diff = Diff::between(&old, &new);
        assert_eq!(
            diff.marker,
            Some(MarkerChange {
                old: Some("proxy_abi_version_0_1_0"),
                new: Some("proxy_abi_version_0_2_0"),
            })
        );
        let added = function_names(&diff.functions.added);
        for f in ["proxy_continue_stream", "proxy_close_stream"] {
            assert!(added.iter().any(|a| a == f), "{f} in {added:?}");
        }
        assert!(
            function_names(&diff.callbacks.added).contains(&"proxy_on_foreign_function".into())
        );
        let removed = &diff.functions.removed;
        let get_configuration = removed
            .iter()
            .find(|f| f.name == "proxy_get_configuration")
            .expect("proxy_get_configuration is removed");
        assert_eq!(
            get_configuration
                .replaced_by
                .as_ref()
                .map(|r| r.function.as_str()),
            Some("proxy_get_buffer_bytes")
        );
        assert!(function_names(removed).contains(&"proxy_clear_route_cache".into()));

        let change = |name: &str| {
            diff.changed
                .iter()
                .find(|c| c.new.name == name)
                .unwrap_or_else(|| panic!("{name} changes"))
        };
        let headers = change("proxy_on_request_headers");
        assert!(headers.wasm_signature && headers.typed_signature);
        let header_value = change("proxy_get_header_map_value");
        assert!(!header_value.wasm_signature);
        assert!(
            header_value
                .statuses_added
                .iter()
                .any(|s| s.code == "not_found" && s.value == 1)
        );

        let added_member = |ty: &str, name: &str, value: i64| {
            diff.members.iter().any(|m| {
                m.ty.name == ty
                    && matches!(m.change, Member::Added(v) if v.name == name && v.value == value)
            })
        };
        assert!(added_member("buffer_type", "vm_configuration", 6));
        assert!(added_member("buffer_type", "plugin_configuration", 7));
        assert!(names(&diff.types.added, |t| &t.name).contains(&"stream_type".into()));
    }

    #[test]
    fn from_0_2_0_to_0_2_1() {
        let (old, new) = (abi("0.2.0"), abi("0.2.1"));
        let diff = Diff::between(&old, &new);
        assert!(function_names(&diff.functions.added).contains(&"proxy_get_log_level".into()));
        assert!(diff.functions.removed.is_empty() && diff.callbacks.removed.is_empty());
        assert!(diff.types.removed.is_empty());
        assert!(
            !diff
                .members
                .iter()
                .any(|m| matches!(m.change, Member::Removed(_)))
        );
    }

    #[test]
    fn envoy_era_one_word_names_match_their_split_spellings() {
        let (envoy, first) = (abi("envoy-2020"), abi("0.1.0"));
        let diff = Diff::between(&envoy, &first);
        let added = names(&diff.types.added, |t| &t.name);
        assert!(!added.contains(&"buffer_type".into()), "{added:?}");
        assert!(!added.contains(&"log_level".into()), "{added:?}");
        assert!(same_name("endofstream", "end_of_stream"));
        assert!(!same_name("token", "tokens"));
    }

    #[test]
    fn nothing_changes_from_an_abi_to_itself() {
        let abi = abi("0.2.1");
        let diff = Diff::between(&abi, &abi);
        let empty = AddedRemoved {
            added: Vec::new(),
            removed: Vec::new(),
        };
        assert_eq!(diff.marker, None);
        assert_eq!(diff.functions, empty);
        assert_eq!(diff.callbacks, empty);
        assert!(diff.changed.is_empty());
        assert!(diff.types.added.is_empty() && diff.types.removed.is_empty());
        assert!(diff.members.is_empty());
    }

    #[test]
    fn members_and_function_details() {
        let old = abi("0.2.1");
        let mut new = old.clone();
        new.marker = None;
        let Some(TypeDefKind::Enum { values, .. }) = new
            .types
            .iter_mut()
            .find(|t| t.name == "log_level")
            .map(|t| &mut t.def)
        else {
            panic!("log_level is an enum");
        };
        let removed = values.remove(0);
        values[0].value = 99;
        let renamed = values[0].name.clone();
        let log = new
            .functions
            .iter_mut()
            .find(|f| f.name == "proxy_log")
            .expect("proxy_log");
        log.deprecated = Some("use something else".into());
        log.contexts = vec![ContextKind::Root];
        log.params[0].name = "renamed".into();

        let diff = Diff::between(&old, &new);
        assert_eq!(
            diff.marker,
            Some(MarkerChange {
                old: Some("proxy_abi_version_0_2_1"),
                new: None,
            })
        );
        let changes: Vec<_> = diff.members.iter().map(|m| &m.change).collect();
        assert!(
            matches!(changes.as_slice(), [
                Member::Renumbered { old, new },
                Member::Removed(gone),
            ] if old.name == renamed && new.value == 99 && gone.name == removed.name),
            "{changes:?}"
        );
        let [log] = diff.changed.as_slice() else {
            panic!("only proxy_log changes: {:?}", diff.changed);
        };
        assert_eq!(log.new.name, "proxy_log");
        assert!(log.deprecated && log.contexts && log.typed_signature);
        assert!(!log.wasm_signature);
        assert!(log.statuses_added.is_empty() && log.statuses_removed.is_empty());
    }
}
