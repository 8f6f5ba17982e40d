//! A past session for the chat: which messages the harness wrote, and the replay of a session file.

use super::session::{js_exceeds, to_js, RECORDS_DEPTH};
use crate::prompt::harness;
use crate::session::replay;
use crate::session::SessionRecord;
use wasm_bindgen::prelude::*;

/// Which harness-written message `text` is (`HarnessMessage`), or null for the person's own text.
#[wasm_bindgen(js_name = harnessMessage)]
pub fn harness_message(text: &str) -> Result<JsValue, JsError> {
    to_js(&harness::classify(text))
}

/// A session file's records (in file order) -> `ReplayEntry[]`, what the chat shows for it. Records
/// that are not `SessionRecord`s (a damaged line) are skipped; only an input nested too deeply to
/// read safely, or one that is not an array, is refused.
#[wasm_bindgen(js_name = replaySession)]
pub fn replay_session(records: JsValue) -> Result<JsValue, JsError> {
    if !js_sys::Array::is_array(&records) {
        return Err(JsError::new("replaySession: records is not an array"));
    }
    if js_exceeds(&records, RECORDS_DEPTH) {
        return Err(JsError::new("replaySession: records nested too deeply"));
    }
    let parsed: Vec<SessionRecord> = js_sys::Array::from(&records)
        .iter()
        .filter_map(|r| serde_wasm_bindgen::from_value(r).ok())
        .collect();
    to_js(&replay::replay(&parsed))
}
