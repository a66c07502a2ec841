#![allow(clippy::panic)] // test helpers fail loudly
//! The Envoy-era ABI (`spec/abi/envoy-2020/`) rendered in the witx 0.6 layout has the structure of
//! the documentation witx 0.6 generated from the original description: the same types in the same
//! order with the same representations and members, then the same modules, functions, parameters
//! and results, with the same names and type names.
//!
//! The original is `envoy-abi/v1alpha/docs/envoy_abi_v1alpha.md` of yskopets/envoy-wasm-rust-sdk
//! at commit ca46a15 (2020-01-04), generated from that commit's witx files. Its facts were
//! extracted once into `tests/fixtures/envoy-2020-seed-structure.txt` by [`structure`], the
//! function this test applies to our rendering; with `SEED` naming a copy of that file,
//! `SEED=... cargo test -p proxy-wasm-codegen --test seed_structure` extracts them again. The
//! original is not read otherwise: a clean checkout has no copy.
//!
//! Where the rewrite departs from the original on purpose, and says so in its documents, the
//! departure is listed in [`EXCEPTIONS`]; every other difference fails the test with a diff.

use proxy_wasm_codegen::docs::witx;
use std::path::Path;

/// The facts of the original, one per line.
const FIXTURE: &str = "tests/fixtures/envoy-2020-seed-structure.txt";

/// A documented departure of the rewrite: the rendered fact `ours` stands for the original's `seed`.
struct Exception {
    ours: &'static str,
    seed: &'static str,
}

const EXCEPTIONS: &[Exception] = &[
    // typenames.witx: witx 0.6 could not give `invalidcode` its real value, -1, so the original
    // declared `enum u32`; the rewrite says `enum s32` with `(@value -1)`, an i32 on the wire either way.
    Exception {
        ours: "type grpcstatus enum s32",
        seed: "type grpcstatus enum u32",
    },
    // envoy_host.witx: input buffers are `(@witx const_pointer char8)` where the original wrote
    // `(@witx pointer char8)`, which says nothing of direction; same wasm type.
    Exception {
        ours: " ConstPointer<char8>",
        seed: " Pointer<char8>",
    },
];

/// The facts a page in the witx 0.6 layout states, in order: `type NAME KIND REPR` (`enum u32`,
/// `flags u32`, `builtin u32`, `alias NAME`, ...), `variant NAME`, `flag NAME` and `member NAME`
/// for a type's members, `module NAME`, `import NAME`, `fn NAME`, `param NAME TYPE`, `result NAME
/// TYPE`. Prose is left out.
fn structure(page: &str) -> Vec<String> {
    let mut facts = Vec::new();
    let mut in_modules = false;
    let mut members = "member";
    let mut params = "param";
    let mut ty = "";
    let kinds = [
        ("Enum represented by `", "enum"),
        ("Flags represented by `", "flags"),
        ("Builtin type ", "builtin"),
        ("Alias to ", "alias"),
        ("Array of ", "array"),
        ("Pointer to ", "pointer"),
        ("Constant Pointer to ", "const_pointer"),
    ];
    for line in page.lines() {
        let code = |prefix: &str| {
            line.strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix('`'))
                .and_then(|rest| rest.strip_prefix('`'))
        };
        match line {
            "# Types" => in_modules = false,
            "# Modules" => in_modules = true,
            "### Variants:" => members = "variant",
            "### Flags:" => members = "flag",
            "### Imports" | "### Functions" => {}
            "#### Parameters:" => params = "param",
            "#### Results:" => params = "result",
            _ if !in_modules => {
                if let Some(name) = code("## ") {
                    ty = name;
                    members = "member";
                } else if let Some(name) = code("#### ") {
                    facts.push(format!("{members} {name}"));
                } else if let Some((prefix, kind)) = kinds.iter().find(|(p, _)| line.starts_with(p))
                {
                    let repr = line[prefix.len()..].trim_end_matches('`');
                    facts.push(format!("type {ty} {kind} {repr}"));
                } else if line == "### Struct members:" {
                    facts.push(format!("type {ty} struct"));
                } else if line == "### Union variants:" {
                    facts.push(format!("type {ty} union"));
                }
            }
            _ => {
                if let Some(name) = code("## ") {
                    facts.push(format!("module {name}"));
                } else if let Some(name) = line
                    .strip_prefix("* ")
                    .and_then(|l| l.strip_suffix(": Memory"))
                {
                    facts.push(format!("import {name}"));
                } else if let Some(name) = line.strip_prefix("### ") {
                    facts.push(format!("fn {name}"));
                } else if let Some((name, ty)) = line
                    .strip_prefix('`')
                    .and_then(|l| l.split_once("` has type `"))
                {
                    facts.push(format!("{params} {name} {}", ty.trim_end_matches('`')));
                }
            }
        }
    }
    facts
}

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE)
}

#[test]
fn envoy_2020_has_the_structure_of_the_original() {
    if let Some(seed) = std::env::var_os("SEED") {
        let text = std::fs::read_to_string(&seed)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", Path::new(&seed).display()));
        let facts = structure(&text).join("\n") + "\n";
        std::fs::write(fixture(), facts).unwrap_or_else(|e| panic!("cannot write {FIXTURE}: {e}"));
    }
    let expected = std::fs::read_to_string(fixture())
        .unwrap_or_else(|e| panic!("cannot read {FIXTURE}: {e}"))
        .replace("\r\n", "\n");
    let abi = proxy_wasm_spec::builtin("envoy-2020").unwrap_or_else(|e| panic!("{e}"));
    let page = witx::render(&abi, "spec/abi/envoy-2020/envoy_abi.witx")
        .unwrap_or_else(|e| panic!("the page does not render: {e}"));
    let mut used = vec![false; EXCEPTIONS.len()];
    let ours: String = structure(&page)
        .into_iter()
        .map(|mut fact| {
            for (exception, used) in EXCEPTIONS.iter().zip(&mut used) {
                if fact.contains(exception.ours) {
                    fact = fact.replace(exception.ours, exception.seed);
                    *used = true;
                }
            }
            fact + "\n"
        })
        .collect();
    assert!(
        ours == expected,
        "the rendering's structure (+) differs from the original's (-):\n{}",
        proxy_wasm_spec::text::line_diff(&expected, &ours)
    );
    for (exception, used) in EXCEPTIONS.iter().zip(used) {
        assert!(used, "exception `{}` no longer applies", exception.ours);
    }
}

#[test]
fn structure_reads_every_kind_of_fact() {
    let page = "\
# Types
## `errno`
Docs.

Enum represented by `u16`

### Variants:
#### `ok`
#### `bad`


## `size`

Builtin type u32
## `rights`

Flags represented by `u8`

### Flags:
#### `read`

## `buf`

### Struct members:
#### `ptr`
Member type: `Pointer<u8>`

# Modules
## `m`
### Imports
* memory: Memory
### Functions
### read
Docs.

#### Parameters:
##### `fd`
`fd` has type `Pointer<fd>`
#### Results:
##### `error`
`error` has type `errno`
";
    assert_eq!(
        structure(page),
        [
            "type errno enum u16",
            "variant ok",
            "variant bad",
            "type size builtin u32",
            "type rights flags u8",
            "flag read",
            "type buf struct",
            "member ptr",
            "module m",
            "import memory",
            "fn read",
            "param fd Pointer<fd>",
            "result error errno",
        ]
    );
}
