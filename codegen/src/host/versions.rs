//! What spans the versions: the version enum with its detection from the marker exports, linking
//! a version's host functions, and `Callbacks`, a caller for a plugin of any version.

use super::{Conversions, Error, callback_result, named_def};
use crate::names;
use askama::Template;
use proxy_wasm_spec::ir::{Abi, Param, Side, TypeDefKind, TypeRef};

#[derive(Template)]
#[template(path = "host/versions.rs", escape = "none")]
struct Versions {
    versions: Vec<VersionRef>,
    /// The newest version's variant.
    latest: String,
    /// What every marker starts with: `proxy_abi_version_`.
    marker_prefix: String,
    /// `a, b or c`.
    markers_or: String,
    /// `a, b and c`.
    markers_and: String,
    /// `0.1.0, 0.2.0 and 0.2.1`.
    names_and: String,
    linkers: Vec<Linker>,
    callers: Vec<String>,
}

struct VersionRef {
    /// `V0_2_1`.
    variant: String,
    /// `v0_2_1`.
    module: String,
    /// `0.2.1`.
    name: String,
}

/// `add_to_linker(version, linker)` for one host module.
struct Linker {
    /// `add_to_linker`.
    name: String,
    /// `Host`.
    trait_name: String,
    /// `env`.
    import_module: String,
    /// `v0_1_0::Host + v0_2_0::Host + ...`.
    bounds: String,
    /// One match arm per version.
    arms: Vec<String>,
}

/// `versions.rs` for the released versions, oldest first, each with its conversions to the
/// newest (none for the newest itself).
pub(super) fn render(versions: &[(&Abi, Option<Conversions>)]) -> Result<String, Error> {
    let Some((latest, _)) = versions.last() else {
        return Err(Error::Unsupported("there is no released version".into()));
    };
    let mut markers = Vec::new();
    let mut prefixes = Vec::new();
    for (abi, _) in versions {
        let Some(marker) = &abi.marker else {
            return Err(Error::Unsupported(format!(
                "ABI {} has no marker export, so a plugin cannot declare it",
                abi.name
            )));
        };
        let digits = names::rust_module(&abi.name);
        let digits = digits.trim_start_matches('v');
        let Some(prefix) = marker.strip_suffix(digits) else {
            return Err(Error::Unsupported(format!(
                "marker `{marker}` does not end with the version `{digits}`"
            )));
        };
        markers.push(marker.clone());
        if !prefixes.contains(&prefix) {
            prefixes.push(prefix);
        }
    }
    let [marker_prefix] = prefixes[..] else {
        return Err(Error::Unsupported(format!(
            "the markers start differently: {prefixes:?}"
        )));
    };
    Ok(Versions {
        versions: versions
            .iter()
            .map(|(abi, _)| VersionRef {
                variant: names::rust_version_variant(&abi.name),
                module: names::rust_module(&abi.name),
                name: abi.name.clone(),
            })
            .collect(),
        latest: names::rust_version_variant(&latest.name),
        marker_prefix: marker_prefix.to_string(),
        markers_or: listing(&markers, "or"),
        markers_and: listing(&markers, "and"),
        names_and: listing(
            &versions
                .iter()
                .map(|(abi, _)| abi.name.clone())
                .collect::<Vec<_>>(),
            "and",
        ),
        linkers: linkers(versions),
        callers: union(versions, |abi| {
            abi.callbacks
                .iter()
                .filter(|f| !f.marker)
                .map(|f| f.name.clone())
                .collect()
        })
        .iter()
        .map(|name| caller(versions, latest, name))
        .collect::<Result<_, _>>()?,
    }
    .render()?)
}

/// `a, b or c`.
fn listing(items: &[String], last: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., end] => format!("{} {last} {end}", init.join(", ")),
    }
}

/// What `names` gives for each version, newest first, each name once.
fn union(
    versions: &[(&Abi, Option<Conversions>)],
    names: impl Fn(&Abi) -> Vec<String>,
) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for (abi, _) in versions.iter().rev() {
        for name in names(abi) {
            if !all.contains(&name) {
                all.push(name);
            }
        }
    }
    all
}

fn linkers(versions: &[(&Abi, Option<Conversions>)]) -> Vec<Linker> {
    let modules = union(versions, |abi| {
        abi.modules
            .iter()
            .filter(|m| m.side == Side::Host)
            .map(|m| m.name.clone())
            .collect()
    });
    modules
        .iter()
        .map(|module| {
            let trait_name = names::host_trait(module);
            let name = names::linker_fn(module);
            let mut bounds = Vec::new();
            let mut arms = Vec::new();
            let mut import_module = module.clone();
            for (abi, _) in versions {
                let variant = names::rust_version_variant(&abi.name);
                let rust = names::rust_module(&abi.name);
                match abi.modules.iter().find(|m| &m.name == module) {
                    Some(m) => {
                        import_module = m.import_module.clone();
                        bounds.push(format!("{rust}::{trait_name}"));
                        arms.push(format!("AbiVersion::{variant} => {rust}::{name}(linker),"));
                    }
                    None => arms.push(format!("AbiVersion::{variant} => Ok(()),")),
                }
            }
            Linker {
                name,
                trait_name,
                import_module,
                bounds: bounds.join(" + "),
                arms,
            }
        })
        .collect()
}

/// The type a value has in its version's module when it is that version's own (an enum, flags
/// or a struct), not a builtin or an alias of one.
fn own_type(abi: &Abi, t: &TypeRef) -> Option<String> {
    match (abi.resolve(t), named_def(abi, abi.resolve(t))) {
        (
            TypeRef::Named { name },
            Some(TypeDefKind::Enum { .. } | TypeDefKind::Flags { .. } | TypeDefKind::Struct { .. }),
        ) => Some(names::rust_type(name)),
        _ => None,
    }
}

/// A type as `versions.rs` spells it: the IR's named types (UpperCamel in Rust) in their
/// version's module, builtins as they are.
fn qualified(abi: &Abi, ty: String) -> String {
    if ty.starts_with(|c: char| c.is_ascii_uppercase()) {
        format!("crate::{}::{ty}", names::rust_module(&abi.name))
    } else {
        ty
    }
}

/// How a value of the callback in `home` (the newest version that has it) reaches `abi`'s
/// callback (`up` false) or comes back from it (`up` true); `None` if it does not convert.
fn conversion(
    abi: &Abi,
    conversions: Option<&Conversions>,
    mine: &TypeRef,
    home: &Abi,
    theirs: &TypeRef,
    latest: &Abi,
    up: bool,
) -> Option<&'static str> {
    if abi.name == home.name {
        return Some("");
    }
    match (own_type(abi, mine), own_type(home, theirs)) {
        (None, None) if abi.resolve(mine) == home.resolve(theirs) => Some(""),
        (Some(a), Some(b)) if a == b && home.name == latest.name => {
            let set = conversions.map(|c| if up { &c.up } else { &c.down })?;
            set.contains(&a).then_some(".into()")
        }
        _ => None,
    }
}

/// The `Callbacks` method for the callback `name`: the newest version's parameters (and any an
/// older version adds), each version called with those it has.
fn caller(
    versions: &[(&Abi, Option<Conversions>)],
    latest: &Abi,
    name: &str,
) -> Result<String, Error> {
    let unsupported = |what: String| Error::Unsupported(format!("callback `{name}`: {what}"));
    let Some((home, home_f)) = versions
        .iter()
        .rev()
        .find_map(|(abi, _)| abi.callback(name).map(|f| (*abi, f)))
    else {
        return Err(unsupported("no version has it".into()));
    };
    let mut params: Vec<(&Abi, &Param)> = Vec::new();
    for (abi, _) in versions.iter().rev() {
        for p in abi.callback(name).map_or(&[][..], |f| &f.params[..]) {
            if !params.iter().any(|(_, q)| q.name == p.name) {
                params.push((*abi, p));
            }
        }
    }
    let mut notes = Vec::new();
    let mut arms = Vec::new();
    for (abi, conversions) in versions {
        let variant = names::rust_version_variant(&abi.name);
        let Some(f) = abi.callback(name) else {
            notes.push(format!("a {} plugin has no such callback", abi.name));
            arms.push(format!("Callbacks::{variant}(_) => Ok(None),"));
            continue;
        };
        let mut args = vec!["store".to_string()];
        for p in &f.params {
            let Some((param_home, theirs)) = params.iter().find(|(_, q)| q.name == p.name) else {
                continue;
            };
            let into = conversion(
                abi,
                conversions.as_ref(),
                &p.ty,
                param_home,
                &theirs.ty,
                latest,
                false,
            )
            .ok_or_else(|| unsupported(format!("`{}` does not convert to {}", p.name, abi.name)))?;
            args.push(format!("{}{into}", names::rust_ident(&p.name)));
        }
        let dropped: Vec<String> = params
            .iter()
            .filter(|(_, q)| !f.params.iter().any(|p| p.name == q.name))
            .map(|(_, q)| format!("`{}`", names::rust_ident(&q.name)))
            .collect();
        if !dropped.is_empty() {
            notes.push(format!(
                "a {} plugin is not passed {}",
                abi.name,
                dropped.join(", ")
            ));
        }
        let back = match (f.results.first(), home_f.results.first()) {
            (None, None) => "",
            (Some(r), Some(hr)) => {
                match conversion(abi, conversions.as_ref(), &r.ty, home, &hr.ty, latest, true) {
                    Some("") => "",
                    Some(_) => ".map(|r| r.map(Into::into))",
                    None => {
                        return Err(unsupported(format!(
                            "the result of {} does not convert",
                            abi.name
                        )));
                    }
                }
            }
            _ => return Err(unsupported(format!("{} returns something else", abi.name))),
        };
        arms.push(format!(
            "Callbacks::{variant}(c) => c.{}({}){back},",
            names::rust_ident(name),
            args.join(", ")
        ));
    }
    let (ok, _) = callback_result(home, home_f);
    let signature: Vec<String> = ["&self".to_string(), "store: impl AsContextMut".to_string()]
        .into_iter()
        .chain(params.iter().map(|(abi, p)| {
            let ty = super::value_type(abi, &p.ty);
            format!("{}: {}", names::rust_ident(&p.name), qualified(abi, ty))
        }))
        .collect();
    let mut docs = home_f.docs.clone();
    docs.push_str(&format!(
        "\n\nCalls the export `{name}`; `Ok(None)` if the plugin does not export it."
    ));
    for note in notes {
        docs.push_str(&format!("\n\nWhere the versions differ: {note}."));
    }
    let docs: String = crate::guest::doc_lines(&docs)
        .iter()
        .map(|line| format!("///{line}\n"))
        .collect();
    Ok(format!(
        "{docs}pub fn {}({}) -> Result<Option<{}>, CallError> {{ match self {{ {} }} }}",
        names::rust_ident(name),
        signature.join(", "),
        qualified(home, ok),
        arms.join(" ")
    ))
}

#[cfg(test)]
mod tests {
    use super::listing;

    #[test]
    fn listings() {
        let items = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(listing(&items(&["a"]), "or"), "a");
        assert_eq!(listing(&items(&["a", "b"]), "or"), "a or b");
        assert_eq!(listing(&items(&["a", "b", "c"]), "and"), "a, b and c");
    }
}
