//! The history replay: what a chat shows for a past session, rebuilt from its session file. Pure.
//!
//! The file holds the conversation (`item` records: what the model saw) and, since the chat shows
//! more than the model sees, the items as the UI showed them (`shown`), the approvals asked and
//! answered, and each turn's end. The replay interleaves the messages the person typed (harness
//! messages are recognised by `prompt::harness::classify` and left out) with the shown items, puts
//! each approval on the command it was about, and marks stopped and failed turns. A message sent
//! again by Retry after a failed turn is shown once, under the first send's number (the same
//! `RewindPoints` numbering the live session gives the chat). A "Restore checkpoint" of files
//! shows its notice again.

use super::protocol::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

/// A command's output is kept in the session file's `shown` record as its last lines only.
pub const SUMMARY_MAX_LINES: usize = 40;
pub const SUMMARY_MAX_CHARS: usize = 4000;

/// One approval and what the person answered (`abort` when the question was withdrawn unanswered).
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReplayApproval {
    pub request: ApprovalRequest,
    pub decision: ApprovalDecision,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One entry of a replayed session, in order.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum ReplayEntry {
    /// A message the person typed: `index` numbers it among the session's typed messages (what
    /// `SessionEvent::Rewind` takes); `checkpoint` is the checkpoint recorded before its turn's
    /// first change, when there is one.
    User {
        text: String,
        #[serde(default)]
        index: u32,
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        checkpoint: Option<String>,
    },
    /// An item as it was shown, with the approvals asked about it (a command's), oldest first.
    Item {
        item: ThreadItem,
        approvals: Vec<ReplayApproval>,
    },
    /// An approval whose command item was never shown complete.
    Approval { approval: ReplayApproval },
    /// The person stopped the turn.
    Stopped,
    /// The turn failed.
    Failed { message: String },
    /// A neutral notice the chat showed (a restored checkpoint).
    Notice { text: String },
}

/// The `shown` record for a completed item: a command's output is cut to its tail.
pub fn shown_record(item: &ThreadItem) -> SessionRecord {
    let mut item = item.clone();
    if let ItemDetails::CommandExecution {
        aggregated_output, ..
    } = &mut item.details
    {
        *aggregated_output = output_summary(aggregated_output);
    }
    SessionRecord::Shown { item }
}

/// The last `SUMMARY_MAX_LINES` lines of `output`, at most `SUMMARY_MAX_CHARS` characters, after a
/// line saying how many lines were left out.
pub fn output_summary(output: &str) -> String {
    let lines: Vec<&str> = output.split_inclusive('\n').collect();
    let mut kept = 0;
    let mut chars = 0;
    for line in lines.iter().rev() {
        let n = line.chars().count();
        if kept == SUMMARY_MAX_LINES || chars + n > SUMMARY_MAX_CHARS {
            break;
        }
        kept += 1;
        chars += n;
    }
    let dropped = lines.len() - kept;
    let tail: String = lines[lines.len() - kept..].concat();
    if dropped == 0 {
        return tail;
    }
    if kept == 0 {
        // One very long last line: its end.
        let last = lines.last().copied().unwrap_or("");
        let count = last.chars().count();
        let end: String = last
            .chars()
            .skip(count.saturating_sub(SUMMARY_MAX_CHARS))
            .collect();
        return format!(
            "[{} earlier lines and the start of this one not kept]\n{end}",
            dropped - 1
        );
    }
    format!("[{dropped} earlier lines not kept]\n{tail}")
}

fn message_text(item: &Value) -> String {
    match &item["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.as_str().or_else(|| p["text"].as_str()))
            .collect(),
        _ => String::new(),
    }
}

/// The entries a chat shows for a session file's records (in file order).
pub fn replay(records: &[SessionRecord]) -> Vec<ReplayEntry> {
    let has_shown = records
        .iter()
        .any(|r| matches!(r, SessionRecord::Shown { .. }));
    let mut out: Vec<ReplayEntry> = vec![];
    // Approvals asked in the current turn, until placed on their command.
    let mut asked: Vec<ReplayApproval> = vec![];
    // The typed messages' numbers and their entries' (a Retry shares its message's entry).
    let mut numbering = super::rewind::RewindPoints::default();
    // For each typed message (by number): how many entries came before it, for a rewind.
    let mut cuts: Vec<usize> = vec![];
    let flush = |asked: &mut Vec<ReplayApproval>, out: &mut Vec<ReplayEntry>| {
        for approval in asked.drain(..) {
            out.push(ReplayEntry::Approval { approval });
        }
    };
    for record in records {
        match record {
            SessionRecord::Item { item } if item["type"] == "message" => {
                let text = message_text(item);
                match item["role"].as_str() {
                    Some("user") => {
                        let Some(text) = super::rewind::typed_user_text(item) else {
                            continue;
                        };
                        let index = cuts.len() as u32;
                        // Retry sends the failed turn's message again: shown once, and the
                        // failure's notice goes as the live banner does.
                        if numbering.note_typed(text.clone(), None) != index {
                            if matches!(out.last(), Some(ReplayEntry::Failed { .. })) {
                                out.pop();
                            }
                            cuts.push(out.len());
                            continue;
                        }
                        cuts.push(out.len());
                        out.push(ReplayEntry::User {
                            text,
                            index,
                            checkpoint: None,
                        });
                    }
                    // Older files have no `shown` records: the answers come from the history.
                    Some("assistant") if !has_shown && !text.trim().is_empty() => {
                        out.push(ReplayEntry::Item {
                            item: ThreadItem {
                                id: String::new(),
                                details: ItemDetails::AgentMessage { text },
                            },
                            approvals: vec![],
                        });
                    }
                    _ => {}
                }
            }
            SessionRecord::Shown { item } => {
                let mut approvals = vec![];
                let mut i = 0;
                while i < asked.len() {
                    if asked[i].request.item_id == item.id && !item.id.is_empty() {
                        approvals.push(asked.remove(i));
                    } else {
                        i += 1;
                    }
                }
                out.push(ReplayEntry::Item {
                    item: item.clone(),
                    approvals,
                });
            }
            SessionRecord::ApprovalAsked { request } => {
                asked.push(ReplayApproval {
                    request: request.clone(),
                    decision: ApprovalDecision::Abort,
                    message: None,
                });
            }
            SessionRecord::ApprovalAnswered {
                request_id,
                decision,
                message,
            } => {
                if let Some(a) = asked
                    .iter_mut()
                    .find(|a| a.request.request_id == *request_id)
                {
                    a.decision = *decision;
                    a.message = message.clone();
                }
            }
            // A turn's checkpoint goes on the message that started it (the first one, when a
            // retried turn made a second).
            SessionRecord::Checkpoint { id } => {
                if let Some(ReplayEntry::User { checkpoint, .. }) = out
                    .iter_mut()
                    .rev()
                    .find(|e| matches!(e, ReplayEntry::User { .. }))
                {
                    checkpoint.get_or_insert_with(|| id.clone());
                }
            }
            // What came from that message on is gone (a rewind the session accepted, so the
            // number is known; an unknown one is ignored here as `Session::restore` reports it).
            SessionRecord::Rewind { to_user_message } => {
                if let Some(&cut) = cuts.get(*to_user_message as usize) {
                    out.truncate(cut);
                    cuts.truncate(*to_user_message as usize);
                    numbering.truncate(*to_user_message);
                    asked.clear();
                }
            }
            SessionRecord::FilesRestored { text, .. } => {
                flush(&mut asked, &mut out);
                out.push(ReplayEntry::Notice { text: text.clone() });
            }
            SessionRecord::TurnEnded { status, error, .. } => {
                flush(&mut asked, &mut out);
                numbering.note_turn_ended(*status == TurnStatus::Failed);
                match status {
                    TurnStatus::Interrupted => out.push(ReplayEntry::Stopped),
                    TurnStatus::Failed => out.push(ReplayEntry::Failed {
                        message: error
                            .clone()
                            .unwrap_or_else(|| "The turn failed.".to_string()),
                    }),
                    TurnStatus::Completed => {}
                }
            }
            SessionRecord::Meta { .. }
            | SessionRecord::Item { .. }
            | SessionRecord::Compacted { .. } => {}
        }
    }
    flush(&mut asked, &mut out);
    out
}

#[cfg(test)]
#[path = "replay_tests.rs"]
mod tests;
