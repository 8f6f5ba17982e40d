//! Hand-written readers for the internally tagged enums: `SessionEvent` (everything the host
//! sends), `SessionRecord` (a session file's lines), `ItemDetails` (a thread item's fields) and
//! `FileState` (what the host knows of a file, in `filesRead`).
//!
//! serde's derive gave each variant of their externally tagged mirrors (session/tagged.rs) a visitor
//! with a field-name matcher and a sequence form nobody sends: about 85 KB of the wasm module. Here
//! the object is taken as a JSON map, the tag taken out, and each field taken by name and read as
//! its type (the readers every field type has anyway). They accept and refuse what the derived ones
//! did, with the same messages (`unknown variant`, `missing field`, `invalid type`): readers_tests.rs
//! checks them against the derive, which `read_derived` keeps in tests. Unknown fields are ignored,
//! as before; a missing or `null` optional field is `None`; a `#[serde(default)]` field may be
//! missing (but not `null`).
//!
//! Each reader takes the map and returns a `serde_json::Error`, so it is built once, whatever
//! deserializer the caller has. The fields' types are read by hand too (json_read.rs).

use super::json_read::{self, opt, or_default, req, Fields, FromJson};
use super::protocol::{ItemDetails, SessionEvent, SessionRecord};
use super::tagged::take_tag;
use crate::patch::FileState;
use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use serde_json::{Error, Value};

/// A required field of any JSON (no copy).
fn raw(f: &mut Fields, key: &'static str) -> Result<Value, Error> {
    f.remove(key).ok_or_else(|| Error::missing_field(key))
}

pub(crate) const EVENT_TYPES: &[&str] = &[
    "userInput",
    "modelEvent",
    "modelStreamRestarted",
    "modelStreamEnded",
    "modelFailed",
    "execOutput",
    "execExited",
    "execYielded",
    "execFailed",
    "imageRead",
    "filesRead",
    "changesApplied",
    "changesReviewed",
    "approvalDecided",
    "interrupt",
    "revokeApproval",
    "mcpTools",
    "mcpResult",
    "rewind",
];

fn read_event(mut fields: Fields) -> Result<SessionEvent, Error> {
    use SessionEvent as E;
    let f = &mut fields;
    let tag = take_tag::<Error>(f, "type")?;
    Ok(match tag.as_str() {
        "userInput" => E::UserInput {
            text: req(f, "text")?,
            editor_context: opt(f, "editorContext")?,
            images: opt(f, "images")?,
        },
        "modelEvent" => E::ModelEvent {
            data: raw(f, "data")?,
        },
        "modelStreamRestarted" => E::ModelStreamRestarted,
        "modelStreamEnded" => E::ModelStreamEnded,
        "modelFailed" => E::ModelFailed {
            message: req(f, "message")?,
            retryable: req(f, "retryable")?,
        },
        "execOutput" => E::ExecOutput {
            call_id: req(f, "callId")?,
            chunk: req(f, "chunk")?,
        },
        "execExited" => E::ExecExited {
            call_id: req(f, "callId")?,
            exit_code: req(f, "exitCode")?,
            duration_ms: req(f, "durationMs")?,
            output: req(f, "output")?,
            truncated_bytes: or_default(f, "truncatedBytes")?,
            timed_out: or_default(f, "timedOut")?,
        },
        "execYielded" => E::ExecYielded {
            call_id: req(f, "callId")?,
            duration_ms: req(f, "durationMs")?,
            output: req(f, "output")?,
        },
        "execFailed" => E::ExecFailed {
            call_id: req(f, "callId")?,
            message: req(f, "message")?,
        },
        "imageRead" => E::ImageRead {
            call_id: req(f, "callId")?,
            data_url: opt(f, "dataUrl")?,
            error: opt(f, "error")?,
        },
        "filesRead" => E::FilesRead {
            call_id: req(f, "callId")?,
            files: req(f, "files")?,
        },
        "changesApplied" => E::ChangesApplied {
            call_id: req(f, "callId")?,
            error: opt(f, "error")?,
        },
        "changesReviewed" => E::ChangesReviewed {
            call_id: req(f, "callId")?,
            review: req(f, "review")?,
        },
        "approvalDecided" => E::ApprovalDecided {
            request_id: req(f, "requestId")?,
            decision: req(f, "decision")?,
            message: opt(f, "message")?,
        },
        "interrupt" => E::Interrupt,
        "revokeApproval" => E::RevokeApproval {
            approval_id: req(f, "approvalId")?,
        },
        "mcpTools" => E::McpTools {
            tools: req(f, "tools")?,
        },
        "mcpResult" => E::McpResult {
            call_id: req(f, "callId")?,
            result: match f.remove("result") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v),
            },
            error: opt(f, "error")?,
        },
        "rewind" => E::Rewind {
            to_user_message: req(f, "toUserMessage")?,
        },
        other => return Err(Error::unknown_variant(other, EVENT_TYPES)),
    })
}

pub(crate) const RECORD_TYPES: &[&str] = &[
    "meta",
    "item",
    "compacted",
    "turnEnded",
    "shown",
    "approvalAsked",
    "approvalAnswered",
    "checkpoint",
    "rewind",
    "filesRestored",
];

fn read_record(mut fields: Fields) -> Result<SessionRecord, Error> {
    use SessionRecord as R;
    let f = &mut fields;
    let tag = take_tag::<Error>(f, "type")?;
    Ok(match tag.as_str() {
        "meta" => R::Meta {
            config: req(f, "config")?,
        },
        "item" => R::Item {
            item: raw(f, "item")?,
        },
        "compacted" => R::Compacted {
            items: req(f, "items")?,
        },
        "turnEnded" => R::TurnEnded {
            status: req(f, "status")?,
            usage: req(f, "usage")?,
            error: opt(f, "error")?,
        },
        "shown" => R::Shown {
            item: req(f, "item")?,
        },
        "approvalAsked" => R::ApprovalAsked {
            request: req(f, "request")?,
        },
        "approvalAnswered" => R::ApprovalAnswered {
            request_id: req(f, "requestId")?,
            decision: req(f, "decision")?,
            message: opt(f, "message")?,
        },
        "checkpoint" => R::Checkpoint { id: req(f, "id")? },
        "rewind" => R::Rewind {
            to_user_message: req(f, "toUserMessage")?,
        },
        "filesRestored" => R::FilesRestored {
            checkpoint: req(f, "checkpoint")?,
            text: req(f, "text")?,
        },
        other => return Err(Error::unknown_variant(other, RECORD_TYPES)),
    })
}

pub(crate) const ITEM_TYPES: &[&str] = &[
    "agent_message",
    "reasoning",
    "command_execution",
    "file_change",
    "todo_list",
    "mcp_tool_call",
    "web_search",
    "error",
];

/// `ItemDetails` from a thread item's fields (the `id` already taken out by `ThreadItem`'s reader).
pub(crate) fn read_item_details(mut fields: Fields) -> Result<ItemDetails, Error> {
    use ItemDetails as I;
    let f = &mut fields;
    let tag = take_tag::<Error>(f, "type")?;
    Ok(match tag.as_str() {
        "agent_message" => I::AgentMessage {
            text: req(f, "text")?,
        },
        "reasoning" => I::Reasoning {
            text: req(f, "text")?,
        },
        "command_execution" => I::CommandExecution {
            command: req(f, "command")?,
            aggregated_output: req(f, "aggregated_output")?,
            exit_code: opt(f, "exit_code")?,
            status: req(f, "status")?,
            duration_ms: opt(f, "duration_ms")?,
        },
        "file_change" => I::FileChange {
            changes: req(f, "changes")?,
            status: req(f, "status")?,
            diffs: req(f, "diffs")?,
            hunk_states: or_default(f, "hunk_states")?,
        },
        "todo_list" => I::TodoList {
            items: req(f, "items")?,
        },
        "mcp_tool_call" => I::McpToolCall {
            server: req(f, "server")?,
            tool: req(f, "tool")?,
            arguments: raw(f, "arguments")?,
            result: opt(f, "result")?,
            error: opt(f, "error")?,
            status: req(f, "status")?,
        },
        "web_search" => I::WebSearch {
            query: req(f, "query")?,
        },
        "error" => I::Error {
            message: req(f, "message")?,
        },
        other => return Err(Error::unknown_variant(other, ITEM_TYPES)),
    })
}

pub(crate) const FILE_STATES: &[&str] = &[
    "text",
    "missing",
    "directory",
    "outsideWorkspace",
    "unreadable",
];

fn read_file_state(mut fields: Fields) -> Result<FileState, Error> {
    use FileState as S;
    let f = &mut fields;
    let tag = take_tag::<Error>(f, "state")?;
    Ok(match tag.as_str() {
        "text" => S::Text {
            contents: req(f, "contents")?,
        },
        "missing" => S::Missing,
        "directory" => S::Directory,
        "outsideWorkspace" => S::OutsideWorkspace,
        "unreadable" => S::Unreadable {
            reason: req(f, "reason")?,
        },
        other => return Err(Error::unknown_variant(other, FILE_STATES)),
    })
}

/// The same readers for a value already parsed (json_read.rs): its map is read in place, not
/// rebuilt through serde's `Value` visitor. A non-object gets the message the `Deserialize` impls
/// below give (`invalid type: ..., expected a map`).
macro_rules! from_json {
    ($($ty:ty => $read:ident),*) => {$(
        impl FromJson for $ty {
            fn from_json(value: Value) -> Result<Self, Error> {
                $read(json_read::object(value, "a map")?)
            }
        }
    )*};
}

from_json!(
    SessionEvent => read_event,
    SessionRecord => read_record,
    ItemDetails => read_item_details,
    FileState => read_file_state
);

/// Reads a JSON object with `read` (one instance per reader, whatever the deserializer).
fn object<'de, T, D: Deserializer<'de>>(
    d: D,
    read: fn(Fields) -> Result<T, Error>,
) -> Result<T, D::Error> {
    read(Fields::deserialize(d)?).map_err(D::Error::custom)
}

impl<'de> Deserialize<'de> for SessionEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        object(d, read_event)
    }
}

impl<'de> Deserialize<'de> for SessionRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        object(d, read_record)
    }
}

impl<'de> Deserialize<'de> for ItemDetails {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        object(d, read_item_details)
    }
}

impl<'de> Deserialize<'de> for FileState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        object(d, read_file_state)
    }
}
