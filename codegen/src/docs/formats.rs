//! The serialization formats section of a version page, with byte-level examples computed for
//! the header-map pairs.

use super::items::{format_heading, local_ref};
use super::markdown::{Table, code, inline, prose};
use proxy_wasm_interchange::pairs;
use proxy_wasm_spec::Abi;
use proxy_wasm_spec::ir::Format;

/// The wire format the byte-level examples are given for.
const PAIRS_FORMAT: &str = "header_map_pairs";
/// The maps the header-map example encodes.
const PAIRS_EXAMPLES: &[&[(&str, &str)]] = &[&[(":method", "GET")], &[("a", "1"), ("b", "22")]];

/// A wire format.
pub(super) struct FormatView {
    pub(super) heading: String,
    pub(super) title: String,
    pub(super) docs: String,
    pub(super) used_by: Vec<String>,
    pub(super) examples: Vec<PairsExample>,
    pub(super) erratum: String,
}

/// A header map encoded byte by byte.
pub(super) struct PairsExample {
    pub(super) title: String,
    pub(super) hex_dump: String,
    pub(super) breakdown: Table,
}

/// One wire format, with a computed example for the header-map pairs.
pub(super) fn view(abi: &Abi, format: &Format) -> FormatView {
    let used_by = abi
        .functions
        .iter()
        .chain(&abi.callbacks)
        .flat_map(|f| {
            f.params
                .iter()
                .filter(|p| p.format.as_deref() == Some(format.name.as_str()))
                .map(move |p| format!("{} parameter {}", local_ref(abi, &f.name), code(&p.name)))
        })
        .collect();
    let pairs = format.name == PAIRS_FORMAT;
    FormatView {
        heading: format_heading(&format.name),
        title: inline(&format.title),
        docs: prose(&format.docs),
        used_by,
        examples: if pairs {
            PAIRS_EXAMPLES
                .iter()
                .map(|map| pairs_example(map))
                .collect()
        } else {
            Vec::new()
        },
        erratum: if pairs {
            "The example printed in the published spec text does not match this layout: it \
             shows the pair count and the lengths as one byte each, although they are 32-bit \
             little-endian integers, and it writes character codes in decimal behind a `0x` \
             prefix (`0x49` for the character `1`, whose byte is `0x31`; `0x50` for `2`, whose \
             byte is `0x32`). The bytes above are computed from the layout by the generator."
                .to_string()
        } else {
            String::new()
        },
    }
}

/// Bytes as two-digit hex, space-separated.
fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A hex dump in the style of `hexdump -C`.
fn hex_dump(bytes: &[u8]) -> String {
    bytes
        .chunks(16)
        .enumerate()
        .map(|(i, chunk)| {
            let ascii: String = chunk
                .iter()
                .map(|&b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            format!("{:08x}  {:<47}  |{ascii}|", i * 16, hex(chunk))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The header-map example for one map: the bytes and what each run of them means.
fn pairs_example(pairs: &[(&str, &str)]) -> PairsExample {
    let bytes = pairs::encode(pairs);
    let mut breakdown = Table::new(&["Offset", "Bytes", "Meaning"]);
    let mut offset = 0;
    let mut add = |count: usize, meaning: String| {
        breakdown.row(vec![
            offset.to_string(),
            code(&hex(bytes.get(offset..offset + count).unwrap_or_default())),
            meaning,
        ]);
        offset += count;
    };
    add(4, format!("number of pairs: {}", pairs.len()));
    for (i, (key, value)) in pairs.iter().enumerate() {
        add(4, format!("length of key {}: {}", i + 1, key.len()));
        add(4, format!("length of value {}: {}", i + 1, value.len()));
    }
    for (i, (key, value)) in pairs.iter().enumerate() {
        add(key.len(), format!("key {}: {}", i + 1, code(key)));
        add(1, format!("end of key {}", i + 1));
        add(value.len(), format!("value {}: {}", i + 1, code(value)));
        add(1, format!("end of value {}", i + 1));
    }
    let map: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("\"{k}\": \"{v}\""))
        .collect();
    PairsExample {
        title: format!(
            "{} serializes to {} bytes:",
            code(&format!("{{{}}}", map.join(", "))),
            bytes.len()
        ),
        hex_dump: hex_dump(&bytes),
        breakdown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::tests::page;

    #[test]
    fn pairs_example_bytes() {
        assert_eq!(
            hex(&pairs::encode(&[(":method", "GET")])),
            "01 00 00 00 07 00 00 00 03 00 00 00 3a 6d 65 74 68 6f 64 00 47 45 54 00"
        );
        assert_eq!(
            hex(&pairs::encode(&[("a", "1"), ("b", "22")])),
            "02 00 00 00 01 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 \
             61 00 31 00 62 00 32 32 00"
        );
        let v021 = page("v0.2.1.md");
        assert!(v021.contains("00000000  01 00 00 00 07 00 00 00 03 00 00 00 3a 6d 65 74  |"));
        assert!(v021.contains("`0x49`"), "the erratum is explained");
    }
}
