//! The parser and validator never panic, whatever they are given: arbitrary bytes, arbitrary
//! text, and real documents with random damage. Each input must give either an ABI or errors
//! that render.

use proptest::prelude::*;
use proxy_wasm_spec::loader::Files;

/// Serves one entry document from memory; every `use` resolves to a tiny valid document.
struct OneFile(String);

impl Files for OneFile {
    fn read(&self, path: &str) -> Result<String, String> {
        if path == "entry.witx" {
            Ok(self.0.clone())
        } else {
            Ok(";;; A length.\n(typename $size u32)\n".to_string())
        }
    }
}

fn load(text: String) {
    match proxy_wasm_spec::load("entry.witx", &OneFile(text)) {
        Ok(abi) => {
            let _ = serde_json::to_string(&abi);
        }
        Err(errors) => {
            assert!(
                !errors.diagnostics.is_empty(),
                "an Err carries at least one error"
            );
            let _ = errors.to_string();
        }
    }
}

const SEED: &str = include_str!("../abi/proxy-wasm/host.witx");
const TYPES: &str = include_str!("../abi/proxy-wasm/types.witx");
const WITX_0_9: &str = include_str!("accept/witx-0.9.witx");

/// Tokens worth splicing into documents: the grammar's punctuation, keywords and annotations.
const TOKENS: &[&str] = &[
    "(",
    ")",
    "$",
    "\"",
    "\\",
    ";;;",
    ";;",
    "(;",
    ";)",
    "@",
    "(@witx pointer",
    "(@out alloc)",
    "(@since \"0.2.0\")",
    "(@until \"0.1.0\")",
    "(enum u32",
    "(flags u8",
    "(@value -1)",
    "(@value 0xffffffffffffffff)",
    "(typename $x",
    "(use \"entry.witx\")",
    "(use \"other.witx\")",
    "(@abi \"9.9.9\")",
    "$status",
    "u64",
    "string",
    "\u{0}",
    "\u{fffd}",
    "é",
    "\n",
    "0x",
    "-",
    "(@witx tag $x)",
    "(@witx repr u8)",
    "(variant (case $a)",
    "(case $b u32)",
    "(expected",
    "(error",
    "(union (field $f u8)",
    "(list",
    "(array",
    "(tuple",
    "(record",
    "(handle $x)",
    "(@witx const $x $y 1)",
    "(@witx noreturn)",
    "(@witx usize)",
    "(int u8 (const $c 1)",
    "(empty $e)",
    "(union $x",
    "char",
    "\\ff",
    "\\'",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        load(String::from_utf8_lossy(&bytes).into_owned());
    }

    #[test]
    fn arbitrary_text(text in "\\PC{0,400}") {
        load(text);
    }

    #[test]
    fn damaged_documents(
        cuts in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..40), 1..6),
        splices in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..6),
        base in 0usize..3,
    ) {
        let base = match base {
            0 => format!(";;; A test ABI.\n(@abi \"0.2.1\")\n{TYPES}\n{SEED}"),
            1 => SEED.to_string(),
            _ => WITX_0_9.to_string(),
        };
        let mut chars: Vec<char> = base.chars().collect();
        for (at, len) in cuts {
            if chars.is_empty() {
                break;
            }
            let start = at.index(chars.len());
            let end = (start + len).min(chars.len());
            chars.drain(start..end);
        }
        for (at, token) in splices {
            let pos = at.index(chars.len() + 1);
            let token = TOKENS[token.index(TOKENS.len())];
            chars.splice(pos..pos, token.chars());
        }
        load(chars.into_iter().collect());
    }
}
