//! The header-map wire format (spec v0.2.1 `Serialization` lines 1926-1936; proxy-wasm-cpp-host
//! src/pairs_util.cc PairsUtil::marshalPairs): a u32 count, then a (key length, value length) u32
//! pair per entry, then each key and value followed by 0x00; all integers little-endian.

use crate::Bytes;

/// Header or trailer entries in order; names may repeat.
pub type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// Entries as a transcript keeps them: each name and value as it is, written as text when it is
/// UTF-8 and as `{"base64": ...}` otherwise ([`Bytes`]).
pub type Entries = Vec<(Bytes, Bytes)>;

/// Serializes `pairs`. An empty map is the empty buffer: the first of the two forms the spec
/// allows, and the one proxy-wasm-cpp-host sends.
pub fn encode<K: AsRef<[u8]>, V: AsRef<[u8]>>(pairs: &[(K, V)]) -> Vec<u8> {
    if pairs.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    out.extend_from_slice(&len32(pairs.len()).to_le_bytes());
    for (k, v) in pairs {
        out.extend_from_slice(&len32(k.as_ref().len()).to_le_bytes());
        out.extend_from_slice(&len32(v.as_ref().len()).to_le_bytes());
    }
    for (k, v) in pairs {
        out.extend_from_slice(k.as_ref());
        out.push(0);
        out.extend_from_slice(v.as_ref());
        out.push(0);
    }
    out
}

/// Scenario headers as a host holds them: names lower-cased.
pub fn from_text(pairs: &[(String, String)]) -> Pairs {
    pairs
        .iter()
        .map(|(k, v)| (lower(k.as_bytes()), v.as_bytes().to_vec()))
        .collect()
}

/// `bytes` lower-cased; names are mostly lower-case already, and a copy is one `memcpy`.
fn lower(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if bytes.iter().any(u8::is_ascii_uppercase) {
        out.make_ascii_lowercase();
    }
    out
}

/// `bytes` as text, lossy: valid UTF-8 (the usual case) is copied as it is.
pub fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Entries as text, invalid UTF-8 replaced (the adapter protocol's headers are text).
pub fn to_text<K: AsRef<[u8]>, V: AsRef<[u8]>>(pairs: &[(K, V)]) -> Vec<(String, String)> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (pairs.iter())
        .map(|(k, v)| (text(k.as_ref()), text(v.as_ref())))
        .collect()
}

/// Entries as a transcript keeps them; the buffers move, nothing is copied or checked.
pub fn into_entries(pairs: Pairs) -> Entries {
    (pairs.into_iter())
        .map(|(k, v)| (Bytes(k), Bytes(v)))
        .collect()
}

/// Text entries (a scenario's, a local reply's) as a transcript keeps them.
pub fn text_entries(pairs: Vec<(String, String)>) -> Entries {
    (pairs.into_iter())
        .map(|(k, v)| (Bytes(k.into_bytes()), Bytes(v.into_bytes())))
        .collect()
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Parses a serialized map; `None` if it is malformed (short, overlong, missing NULs, or bytes
/// left over). The empty buffer and the spec's single 0x00 byte are the empty map.
pub fn decode(bytes: &[u8]) -> Option<Pairs> {
    if bytes.is_empty() || bytes == [0] {
        return Some(Vec::new());
    }
    let word = |at: usize| -> Option<usize> {
        let b = bytes.get(at..at.checked_add(4)?)?;
        usize::try_from(u32::from_le_bytes(b.try_into().ok()?)).ok()
    };
    let count = word(0)?;
    // Each entry needs at least 10 bytes, so a count the buffer cannot hold is malformed.
    if count > bytes.len() / 10 {
        return None;
    }
    let mut sizes = Vec::with_capacity(count);
    for i in 0..count {
        sizes.push((word(4 + i * 8)?, word(8 + i * 8)?));
    }
    let mut at = 4 + count * 8;
    let mut take = |len: usize| -> Option<Vec<u8>> {
        let end = at.checked_add(len)?;
        let s = bytes.get(at..end)?.to_vec();
        if bytes.get(end) != Some(&0) {
            return None;
        }
        at = end + 1;
        Some(s)
    };
    let mut pairs = Vec::with_capacity(count);
    for (k, v) in sizes {
        let key = take(k)?;
        let value = take(v)?;
        pairs.push((key, value));
    }
    (at == bytes.len()).then_some(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_layout() {
        let pairs = vec![
            (b":path".to_vec(), b"/".to_vec()),
            (b"a".to_vec(), Vec::new()),
        ];
        let bytes = encode(&pairs);
        assert_eq!(
            bytes,
            [
                &[2, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0][..],
                b":path\0/\0a\0\0"
            ]
            .concat()
        );
        assert_eq!(decode(&bytes), Some(pairs));
        assert_eq!(decode(&[]), Some(Vec::new()));
        assert_eq!(decode(&[0]), Some(Vec::new()));
    }

    /// Spec v0.2.1 `Serialization` lines 1943-1944: "An empty map may be represented either as
    /// an empty value (`size=0`), or as a single `0x00` byte (`size=1`)." proxy-wasm-cpp-host
    /// sends the first (src/exports.cc get_header_map_pairs: an empty map is copied out as "").
    #[test]
    fn the_empty_map_is_the_empty_buffer_and_both_spec_forms_read_back() {
        assert_eq!(encode::<&str, &str>(&[]), Vec::<u8>::new());
        assert_eq!(decode(&[]), Some(Vec::new()));
        assert_eq!(decode(&[0]), Some(Vec::new()));
        assert_eq!(
            decode(&[0, 0, 0, 0]),
            Some(Vec::new()),
            "a zero count is empty too"
        );
    }

    #[test]
    fn malformed_maps_are_rejected() {
        let good = encode(&[(b"k".to_vec(), b"v".to_vec())]);
        for bad in [
            &good[..good.len() - 1],
            &[good.as_slice(), b"x"].concat()[..],
            &[255, 255, 255, 255][..],
            &[1, 0, 0][..],
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
        let mut no_nul = good.clone();
        let last = no_nul.len() - 1;
        no_nul[last] = b'!';
        assert_eq!(decode(&no_nul), None);
    }
}
