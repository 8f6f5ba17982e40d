//! The one wire format at the wasm boundary: JSON text in (`&str`), parsed by serde_json into a
//! `Value` and read from it by hand (session/json_read.rs); JSON text out (`String`), written by hand
//! (crate::json_write), so no boundary type has a serialiser or deserialiser instance of its own.

use crate::json_write::{to_json, WriteJson};
use crate::session::depth;
use crate::session::json_read::FromJson;
use wasm_bindgen::JsError;

/// Parses JSON text into `T`. Call `too_deep` first: serde_json refuses nesting past 128 levels by
/// itself, but the core's promise (`depth.rs`) is tighter, and is checked without parsing.
///
/// The text is parsed into a `serde_json::Value` first and `T` read from that by hand
/// (session/json_read.rs), not through serde's derived readers.
pub(super) fn from_text<T: FromJson>(text: &str) -> serde_json::Result<T> {
    T::from_json(parse(text)?)
}

/// Parses JSON text into a `Value` (the one instance of serde_json's text parser).
pub(super) fn parse(text: &str) -> serde_json::Result<serde_json::Value> {
    serde_json::from_str(text)
}

/// Writes a value as JSON text for the host to `JSON.parse`, by hand (crate::json_write), not
/// through a derived `Serialize`. It cannot fail; the `Result` is the exports' own.
pub(super) fn to_text<T: WriteJson + ?Sized>(value: &T) -> Result<String, JsError> {
    Ok(to_json(value))
}

/// Whether the text nests deeper than `max` (brackets counted outside strings, no parsing).
pub(super) fn too_deep(text: &str, max: usize) -> bool {
    depth::text_exceeds(text, max)
}

/// The `type` of a JSON object's text, read without parsing it (it may be too deep to parse): the
/// string value of the first `"type"` key at the top level, if it has no escapes.
pub(super) fn top_level_type(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut level = 0usize;
    let mut i = 0;
    // Whether the next string at level 1 is a key (after `{` or `,`), and the last key read there.
    let mut expect_key = false;
    let mut key_is_type = false;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                let s = text.get(start..j.min(bytes.len()))?;
                if level == 1 {
                    if expect_key {
                        key_is_type = s == "type";
                        expect_key = false;
                    } else if key_is_type {
                        return (!s.contains('\\')).then_some(s);
                    }
                }
                i = j + 1;
                continue;
            }
            b'{' | b'[' => {
                level += 1;
                expect_key = level == 1 && bytes[i] == b'{';
                key_is_type = false;
            }
            b'}' | b']' => level = level.saturating_sub(1),
            b',' if level == 1 => {
                expect_key = true;
                key_is_type = false;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_is_read_at_the_top_level_only() {
        assert_eq!(
            top_level_type(r#"{"type":"modelEvent","data":1}"#),
            Some("modelEvent")
        );
        let deep = format!(
            r#"{{"data":{}1{},"type":"modelEvent"}}"#,
            "[".repeat(500),
            "]".repeat(500)
        );
        assert_eq!(top_level_type(&deep), Some("modelEvent"));
        assert_eq!(
            top_level_type(r#"{"data":{"type":"modelEvent"},"type":"x"}"#),
            Some("x")
        );
        assert_eq!(
            top_level_type(r#"{"data":"\"type\":","type" : "y"}"#),
            Some("y")
        );
        assert_eq!(top_level_type(r#"{"a":"type","b":"modelEvent"}"#), None);
        assert_eq!(top_level_type(r#"["type","modelEvent"]"#), None);
        assert_eq!(top_level_type(r#"{"type":"model\"Event"}"#), None);
        assert_eq!(top_level_type(r#"{"type":"#), None);
        assert_eq!(top_level_type(""), None);
    }
}
