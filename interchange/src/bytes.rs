//! Bytes as scenarios and transcripts write them: a JSON string when they are UTF-8 text, else
//! `{"base64": "..."}`; a scenario may also write `{"hex": "..."}`. Text stays readable and
//! binary (protobuf messages, random bytes) stays exact.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

/// Bytes that serialize as text when they are text.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, owned.
    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }

    /// Chunks joined into one.
    pub fn concat(chunks: &[Bytes]) -> Bytes {
        Bytes(chunks.iter().flat_map(|c| c.0.iter().copied()).collect())
    }

    /// The bytes as text, invalid UTF-8 replaced: for messages meant for people.
    pub fn to_text_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match std::str::from_utf8(&self.0) {
            Ok(text) => fmt::Debug::fmt(text, f),
            Err(_) => write!(f, "base64:{}", STANDARD.encode(&self.0)),
        }
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes(bytes)
    }
}

impl From<&[u8]> for Bytes {
    fn from(bytes: &[u8]) -> Self {
        Bytes(bytes.to_vec())
    }
}

impl From<String> for Bytes {
    fn from(text: String) -> Self {
        Bytes(text.into_bytes())
    }
}

impl From<&str> for Bytes {
    fn from(text: &str) -> Self {
        Bytes(text.as_bytes().to_vec())
    }
}

impl PartialEq<str> for Bytes {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => serializer.serialize_str(text),
            Err(_) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("base64", &STANDARD.encode(&self.0))?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(BytesVisitor)
    }
}

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Bytes;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a UTF-8 string, {"base64": "..."} or {"hex": "..."}"#)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Bytes, E> {
        Ok(Bytes::from(text))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Bytes, A::Error> {
        let Some(key) = map.next_key::<String>()? else {
            return Err(de::Error::custom(
                r#"an empty object; binary bytes are {"base64": "..."} or {"hex": "..."}"#,
            ));
        };
        let value: String = map.next_value()?;
        let bytes = match key.as_str() {
            "base64" => STANDARD
                .decode(value.as_bytes())
                .map_err(|e| de::Error::custom(format!("base64: {e}")))?,
            "hex" => {
                hex::decode(value.as_bytes()).map_err(|e| de::Error::custom(format!("hex: {e}")))?
            }
            other => return Err(de::Error::unknown_field(other, &["base64", "hex"])),
        };
        if let Some(extra) = map.next_key::<String>()? {
            return Err(de::Error::custom(format!(
                "`{extra}` after `{key}`: binary bytes have one encoding"
            )));
        }
        Ok(Bytes(bytes))
    }
}

impl JsonSchema for Bytes {
    fn schema_name() -> Cow<'static, str> {
        "Bytes".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Bytes: a string when they are UTF-8 text, else base64 (standard \
                alphabet, padded) or hex in an object of one key.",
            "oneOf": [
                { "type": "string" },
                {
                    "type": "object",
                    "properties": { "base64": { "type": "string" } },
                    "required": ["base64"],
                    "additionalProperties": false
                },
                {
                    "type": "object",
                    "properties": { "hex": { "type": "string" } },
                    "required": ["hex"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Bytes;

    fn parse(json: &str) -> Result<Bytes, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn text_binary_and_hex_read_and_write_back() {
        assert_eq!(parse(r#""héllo""#), Ok(Bytes::from("héllo")));
        assert_eq!(
            parse(r#"{"hex": "00ff10"}"#),
            Ok(Bytes(vec![0, 0xff, 0x10]))
        );
        assert_eq!(
            parse(r#"{"base64": "AP8Q"}"#),
            Ok(Bytes(vec![0, 0xff, 0x10]))
        );
        let written = |b: &Bytes| serde_json::to_string(b).unwrap_or_default();
        assert_eq!(written(&Bytes::from("hi")), r#""hi""#);
        assert_eq!(written(&Bytes(vec![0, 0xff, 0x10])), r#"{"base64":"AP8Q"}"#);
    }

    #[test]
    fn bad_binary_says_what_is_wrong() {
        let error = |json: &str| parse(json).err().unwrap_or_default();
        assert!(error(r#"{"hex": "0g"}"#).contains("hex: Invalid character 'g'"));
        assert!(error(r#"{"base64": "@@"}"#).contains("base64: Invalid symbol"));
        assert!(error(r#"{"utf16": "x"}"#).contains("unknown field `utf16`"));
        assert!(error(r#"{"hex": "00", "base64": "AA=="}"#).contains("one encoding"));
        assert!(error("{}").contains("empty object"));
        assert!(error("12").contains(r#"a UTF-8 string, {"base64""#));
    }
}
