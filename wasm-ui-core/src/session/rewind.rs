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
//! A chat shows a message that Retry sent again after its turn failed once, as one entry: the
//! entry's number is the first message's (`entry_of_last`), in the live chat and in the replay
//! alike (both ask `RewindPoints`), and rewinding to it drops both sends.
//!
//! A compaction replaces the history, so the points before it are gone: rewinding to a message
//! older than the last compaction is refused.

use super::protocol::{SessionRecord, TurnStatus};
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
/// history it was in), its text, and the number of the chat entry that shows it (its own, or the
/// message a Retry sent again).
#[derive(Debug, Clone, Default)]
struct Point {
    at: Option<usize>,
    text: String,
    entry: u32,
}

/// The rewind points of a session, one per typed message.
#[derive(Debug, Clone, Default)]
pub struct RewindPoints {
    points: Vec<Point>,
    /// The last turn failed (so the same text typed next is its Retry).
    last_failed: bool,
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
        self.note_typed(text, Some(at));
    }

    /// Numbers a typed message; returns the number of the chat entry that shows it: its own, or,
    /// when it repeats the message of a turn that failed (Retry), that message's entry.
    pub fn note_typed(&mut self, text: String, at: Option<usize>) -> u32 {
        let entry = match self.points.last() {
            Some(p) if self.last_failed && p.text == text => p.entry,
            _ => self.points.len() as u32,
        };
        self.last_failed = false;
        self.points.push(Point { at, text, entry });
        entry
    }

    /// A turn ended; `failed`: it failed (so a Retry of its message may come next).
    pub fn note_turn_ended(&mut self, failed: bool) {
        self.last_failed = failed;
    }

    /// The number of the chat entry showing the last typed message (what the chat's "Restore
    /// checkpoint" of the running turn rewinds to), when there is one.
    pub(super) fn entry_of_last(&self) -> Option<u32> {
        self.points.last().map(|p| p.entry)
    }

    /// Forgets typed messages `n` and later (the replay's side of a rewind).
    pub fn truncate(&mut self, n: u32) {
        self.points.truncate(n as usize);
        self.last_failed = false;
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

    /// Rewinds to just before typed message `n` in a history of `history_len` items; returns the
    /// length to cut the history to and that message's text.
    pub(super) fn rewind(&mut self, history_len: usize, n: u32) -> Result<(usize, String), String> {
        let count = self.points.len();
        let Some(point) = self.points.get(n as usize) else {
            return Err(format!(
                "Cannot rewind to message {}: this conversation has {count} message(s) from you.",
                n + 1
            ));
        };
        let Some(at) = point.at.filter(|&at| at <= history_len) else {
            return Err(format!(
                "Cannot rewind to message {}: the conversation was compacted after it, so the \
                 history before it is no longer kept. Rewind to a later message, or start a new \
                 session.",
                n + 1
            ));
        };
        let text = point.text.clone();
        self.truncate(n);
        Ok((at, text))
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
                let (at, _) = points
                    .rewind(history.len(), *to_user_message)
                    .map_err(|e| format!("session record {}: {e}", i + 1))?;
                history.truncate(at);
            }
            SessionRecord::TurnEnded { status, .. } => {
                points.note_turn_ended(*status == TurnStatus::Failed);
            }
            SessionRecord::Meta { .. }
            | SessionRecord::FilesRestored { .. }
            | SessionRecord::Shown { .. }
            | SessionRecord::ApprovalAsked { .. }
            | SessionRecord::ApprovalAnswered { .. }
            | SessionRecord::Checkpoint { .. } => {}
        }
    }
    Ok((history, points))
}
