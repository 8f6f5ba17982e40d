//! A past session for the chat: which messages the harness wrote, and the replay of a session file.

use super::json::{parse, to_text, too_deep};
use super::session::RECORDS_DEPTH;
use crate::prompt::harness;
use crate::session::json_read::FromJson;
use crate::session::replay;
use crate::session::SessionRecord;
use serde_json::Value;
use wasm_bindgen::prelude::*;

/// Which harness-written message `text` is (`HarnessMessage` as JSON text), or `null` for the
/// person's own text.
#[wasm_bindgen(js_name = harnessMessage)]
pub fn harness_message(text: &str) -> Result<String, JsError> {
    to_text(&harness::classify(text))
}

/// A session file's records (JSON text of an array, in file order) -> `ReplayEntry[]` as JSON text,
/// what the chat shows for it. Records that are not `SessionRecord`s (a damaged line) are skipped;
/// only an input nested too deeply to read safely, or one that is not an array, is refused.
#[wasm_bindgen(js_name = replaySession)]
pub fn replay_session(records: &str) -> Result<String, JsError> {
    if too_deep(records, RECORDS_DEPTH) {
        return Err(JsError::new("replaySession: records nested too deeply"));
    }
    // Parsed once as a whole by the boundary's one text parser; each element is then read as a
    // record on its own, so one that is not a `SessionRecord` is skipped.
    let Ok(Value::Array(raw)) = parse(records) else {
        return Err(JsError::new("replaySession: records is not an array"));
    };
    let parsed: Vec<SessionRecord> = raw
        .into_iter()
        .filter_map(|r| SessionRecord::from_json(r).ok())
        .collect();
    to_text(&replay::replay(&parsed))
}
