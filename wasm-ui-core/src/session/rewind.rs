//! Rewinding the conversation to just before a message the person typed (the "Files and
//! conversation" restore of docs/checkpoints.md). Pure.
//!
//! The person's typed messages are numbered 0, 1, 2, ... in the order they entered the history,
//! every one counted (a message Retry sends again too). The history replay numbers its `user`
//! entries the same way (`typed_user_text` decides for both), so a number the chat shows is a
//! number the session understands. For each number the session keeps where its turn began in the
//! history (before the editor-context message sent with it). A rewind cuts the history there: what
//! the next request sends is the history up to that point, unchanged, plus the new message, so
//! the model's cached prefix holds and nothing from the dropped turns is sent again.
//!
//! A compaction replaces the history, so the points before it are gone: rewinding to a message
//! older than the last compaction is refused.

use super::protocol::SessionRecord;
use crate::prompt::harness::{self, HarnessMessage};
use serde_json::Value;

/// The text of a message the person typed (not one the harness wrote, not an empty one). The
/// history replay numbers its `user` entries by this, so the session and the chat agree.
pub fn typed_user_text(item: &Value) -> Option<String> {
    if item["type"] != "message" || item["role"] != "user" {
        return None;
    }
    let text: String = match &item["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.as_str().or_else(|| p["text"].as_str()))
            .collect(),
        _ => return None,
    };
    if text.trim().is_empty() || harness::classify(&text).is_some() {
        return None;
    }
    Some(text)
}

fn is_editor_context(item: &Value) -> bool {
    item["type"] == "message"
        && item["role"] == "user"
        && item["content"][0]["text"]
            .as_str()
            .is_some_and(|t| harness::classify(t) == Some(HarnessMessage::EditorContext))
}

/// One typed message: where its turn began in the history (None once a compaction replaced the
/// history it was in), and its text.
#[derive(Debug, Clone, Default)]
struct Point {
    at: Option<usize>,
    text: String,
}

/// The rewind points of a session, one per typed message.
#[derive(Debug, Clone, Default)]
pub(super) struct RewindPoints {
    points: Vec<Point>,
}

impl RewindPoints {
    /// Called after `item` was appended as the last entry of `history`: numbers it when the person
    /// typed it. Its turn began before it, or before the editor-context message just before it.
    pub(super) fn note_appended(&mut self, history: &[Value]) {
        let Some((last, before)) = history.split_last() else {
            return;
        };
        let Some(text) = typed_user_text(last) else {
            return;
        };
        let mut at = before.len();
        if before.last().is_some_and(is_editor_context) {
            at -= 1;
        }
        self.points.push(Point { at: Some(at), text });
    }

    /// The history was replaced (compaction): no earlier message can be rewound to.
    pub(super) fn forget(&mut self) {
        for p in &mut self.points {
            p.at = None;
        }
    }

    /// How many messages the person typed in this session.
    pub(super) fn count(&self) -> usize {
        self.points.len()
    }

    /// Rewinds `history` to just before typed message `n`; returns that message's text.
    pub(super) fn rewind(&mut self, history: &mut Vec<Value>, n: u32) -> Result<String, String> {
        let count = self.points.len();
        let Some(point) = self.points.get(n as usize) else {
            return Err(format!(
                "Cannot rewind to message {}: this conversation has {count} message(s) from you.",
                n + 1
            ));
        };
        let Some(at) = point.at.filter(|&at| at <= history.len()) else {
            return Err(format!(
                "Cannot rewind to message {}: the conversation was compacted after it, so the \
                 history before it is no longer kept. Rewind to a later message, or start a new \
                 session.",
                n + 1
            ));
        };
        let text = point.text.clone();
        history.truncate(at);
        self.points.truncate(n as usize);
        Ok(text)
    }
}

/// Replays a session file's conversation records into a history and its rewind points (for
/// `Session::restore`): items appended, compactions replacing, rewinds cutting.
pub(super) fn rebuild(records: &[SessionRecord]) -> Result<(Vec<Value>, RewindPoints), String> {
    let mut history: Vec<Value> = vec![];
    let mut points = RewindPoints::default();
    for (i, r) in records.iter().enumerate() {
        match r {
            SessionRecord::Item { item } => {
                history.push(item.clone());
                points.note_appended(&history);
            }
            SessionRecord::Compacted { items } => {
                history = items.clone();
                points.forget();
            }
            SessionRecord::Rewind { to_user_message } => {
                points
                    .rewind(&mut history, *to_user_message)
                    .map_err(|e| format!("session record {}: {e}", i + 1))?;
            }
            SessionRecord::Meta { .. }
            | SessionRecord::TurnEnded { .. }
            | SessionRecord::Shown { .. }
            | SessionRecord::ApprovalAsked { .. }
            | SessionRecord::ApprovalAnswered { .. }
            | SessionRecord::Checkpoint { .. } => {}
        }
    }
    Ok((history, points))
}
