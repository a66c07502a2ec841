//! `--coverage`: per version, the obligations the IR defines (function × status, parameter ×
//! enum value, pointer faults, allocation) and how many a case probes; what is not probed is
//! listed, with the reason when no probe can reach it.

use conformance_guests::catalog::{self, Case};
use proxy_wasm_interchange::Kind;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// The coverage table and the gaps, as printed.
pub fn report(versions: &[String], cases: &[Case]) -> String {
    let mut out = String::new();
    for version in versions {
        let covered: BTreeSet<String> = cases
            .iter()
            .filter(|c| &c.version == version)
            .flat_map(|c| {
                let function = c.function.as_deref().unwrap_or_default();
                c.covers.iter().map(move |k| format!("{function}/{k}"))
            })
            .collect();
        let obligations = catalog::obligations(version);
        let mut table: BTreeMap<Kind, (usize, usize, usize)> = BTreeMap::new();
        let mut exceptions = Vec::new();
        let mut missing = Vec::new();
        for o in &obligations {
            let entry = table.entry(o.kind).or_default();
            entry.0 += 1;
            if covered.contains(&o.key) {
                entry.1 += 1;
            } else if let Some(why) = o.exception {
                entry.2 += 1;
                exceptions.push(format!("{}: {why}", o.key));
            } else {
                missing.push(o.key.clone());
            }
        }
        let total = obligations.len();
        let probed: usize = table.values().map(|t| t.1).sum();
        let excepted: usize = table.values().map(|t| t.2).sum();
        let _ = writeln!(
            out,
            "ABI {version}: {probed} of {total} obligations probed, {excepted} exceptions, {} missing",
            missing.len()
        );
        let _ = writeln!(
            out,
            "  {:<14} {:>6} {:>7} {:>10}",
            "kind", "total", "probed", "exception"
        );
        for (kind, (n, p, e)) in &table {
            let _ = writeln!(out, "  {:<14} {n:>6} {p:>7} {e:>10}", kind.name());
        }
        for m in &missing {
            let _ = writeln!(out, "  missing: {m}");
        }
        for e in &exceptions {
            let _ = writeln!(out, "  exception: {e}");
        }
    }
    out
}
