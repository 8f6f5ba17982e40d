//! Reading the host's boundary types out of a parsed JSON value by hand (`FromJson`), instead of
//! through serde's derived `Deserialize`.
//!
//! Every derived struct reader is a visitor with a field-name matcher and a sequence form
//! (`[field1, field2, ...]`) that nobody sends, and every derived enum reader a visitor with a
//! variant matcher, each instantiated for serde_json's `Value` deserialiser: together the largest
//! part of the wasm module. Here a struct is a JSON object whose fields are taken out by name and
//! read as their types, and a unit enum a string matched against its names; the primitives
//! (strings, numbers, booleans) are read by hand too, with serde's messages.
//!
//! They accept what the derive accepted (json_read_tests.rs checks each type against it, the derive
//! being kept on the types for that and for the sidecar-facing code that still uses it) with the same
//! messages: `missing field`, `unknown variant`, `invalid type: ..., expected struct X`. Unknown
//! fields are ignored; a missing or `null` optional field is `None`; a `#[serde(default)]` field may
//! be missing (but not `null`, unless its type takes `null`). Two differences, neither in anything the
//! host or an older session file sends: a struct written as a JSON array (serde's sequence form) is
//! refused (`invalid type: sequence, expected struct X`), and when an object has several faults the
//! one reported is the first in the type's field order, where serde reported the first in the
//! object's key order.

use super::mcp::{McpApprovalInfo, McpCallStatus, McpItemResult, McpToolSpec};
use super::protocol::*;
use crate::diff::{DiffHunk, DiffRow, DiffSection, FileDiff, HighlightRange, RowKind};
use crate::vec_map::VecMap;
use serde::de::Error as _;
use serde_json::{Error, Map, Value};

pub(crate) type Fields = Map<String, Value>;

/// A type read by hand from a parsed JSON value.
pub(crate) trait FromJson: Sized {
    fn from_json(value: Value) -> Result<Self, Error>;
}

/// The primitives, read from the value by hand with serde's messages (`invalid type: string "x",
/// expected u32`, `invalid value: integer `-1`, expected u64`). Going through serde's readers
/// instead would reach serde's `Unexpected` display, which prints a float through `f64`'s Display
/// and so carries core's float formatter (about 17 KB of the wasm module).
impl FromJson for String {
    fn from_json(value: Value) -> Result<Self, Error> {
        match value {
            Value::String(s) => Ok(s),
            other => Err(invalid_type(other, "a string")),
        }
    }
}

impl FromJson for bool {
    fn from_json(value: Value) -> Result<Self, Error> {
        match value {
            Value::Bool(b) => Ok(b),
            other => Err(invalid_type(other, "a boolean")),
        }
    }
}

impl FromJson for f64 {
    fn from_json(value: Value) -> Result<Self, Error> {
        match value.as_f64() {
            Some(n) => Ok(n),
            None => Err(invalid_type(value, "f64")),
        }
    }
}

/// Integers: any JSON integer in the type's range; another integer is an `invalid value`, a float
/// or anything else an `invalid type`, as serde said.
macro_rules! integers {
    ($($ty:ty = $name:literal),* $(,)?) => {$(
        impl FromJson for $ty {
            fn from_json(value: Value) -> Result<Self, Error> {
                let n = match &value {
                    Value::Number(n) if n.is_u64() || n.is_i64() => n.clone(),
                    _ => return Err(invalid_type(value, $name)),
                };
                let fits = match n.as_u64() {
                    Some(u) => <$ty>::try_from(u).ok(),
                    None => n.as_i64().and_then(|i| <$ty>::try_from(i).ok()),
                };
                // The `Number`, not the `Value`: `Value`'s Display would bring serde_json's pretty
                // printer (it honours `{:#}`) into the module for this message alone.
                fits.ok_or_else(|| Error::custom(format_args!("invalid value: integer `{n}`, expected {}", $name)))
            }
        }
    )*};
}

integers!(u8 = "u8", u32 = "u32", u64 = "u64", i32 = "i32");

/// The flattened and internally tagged types of session/tagged.rs, read from their map in place.
macro_rules! from_map {
    ($($ty:ty => $read:path),*) => {$(
        impl FromJson for $ty {
            fn from_json(value: Value) -> Result<Self, Error> {
                $read(object(value, "a map")?)
            }
        }
    )*};
}

from_map!(
    ThreadItem => super::tagged::read_thread_item,
    FileReview => super::tagged::read_file_review,
    RememberScope => super::tagged::read_remember_scope
);

impl FromJson for Value {
    fn from_json(value: Value) -> Result<Self, Error> {
        Ok(value)
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: Value) -> Result<Self, Error> {
        match value {
            Value::Null => Ok(None),
            v => T::from_json(v).map(Some),
        }
    }
}

impl<T: FromJson> FromJson for Box<T> {
    fn from_json(value: Value) -> Result<Self, Error> {
        T::from_json(value).map(Box::new)
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: Value) -> Result<Self, Error> {
        match value {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(T::from_json(item)?);
                }
                Ok(out)
            }
            other => Err(invalid_type(other, "a sequence")),
        }
    }
}

impl<T: FromJson> FromJson for VecMap<String, T> {
    fn from_json(value: Value) -> Result<Self, Error> {
        match value {
            Value::Object(map) => {
                let mut out = VecMap::new();
                for (k, v) in map {
                    out.insert(k, T::from_json(v)?);
                }
                Ok(out)
            }
            other => Err(invalid_type(other, "a map")),
        }
    }
}

/// `invalid type: <what value is>, expected <expected>`, as serde_json writes it (`null`,
/// `boolean `true``, `integer `5``, `floating point `1.5``, `string "x"`, `sequence`, `map`).
pub(crate) fn invalid_type(value: Value, expected: &str) -> Error {
    let what = match &value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("boolean `{b}`"),
        // A `Number` displays a float as serde_json's error did (the shortest form, `1.5`, `1e20`).
        Value::Number(n) if n.is_f64() => format!("floating point `{n}`"),
        Value::Number(n) => format!("integer `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "sequence".to_string(),
        Value::Object(_) => "map".to_string(),
    };
    Error::custom(format_args!("invalid type: {what}, expected {expected}"))
}

/// The fields of a struct's object (`expected` is `struct Name`, serde's word for it).
pub(crate) fn object(value: Value, expected: &'static str) -> Result<Fields, Error> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(invalid_type(other, expected)),
    }
}

/// A required field.
pub(crate) fn req<T: FromJson>(f: &mut Fields, key: &'static str) -> Result<T, Error> {
    match f.remove(key) {
        Some(v) => T::from_json(v),
        None => Err(Error::missing_field(key)),
    }
}

/// An `Option` field: missing or `null` is `None`.
pub(crate) fn opt<T: FromJson>(f: &mut Fields, key: &'static str) -> Result<Option<T>, Error> {
    match f.remove(key) {
        None => Ok(None),
        Some(v) => Option::<T>::from_json(v),
    }
}

/// A `#[serde(default)]` field: missing is the default, anything present is read as `T`.
pub(crate) fn or_default<T: FromJson + Default>(
    f: &mut Fields,
    key: &'static str,
) -> Result<T, Error> {
    match f.remove(key) {
        None => Ok(T::default()),
        Some(v) => T::from_json(v),
    }
}

/// The index in `names` of a unit variant, as serde_json's `Value` gives it to a derived enum: a
/// string, or an object with a single key whose value is `null`.
pub(crate) fn unit_variant(value: Value, names: &'static [&'static str]) -> Result<usize, Error> {
    let (name, content) = match value {
        Value::String(s) => (s, None),
        Value::Object(map) => {
            if map.len() != 1 {
                return Err(Error::custom(
                    "invalid value: map, expected map with a single key",
                ));
            }
            let (k, v) = map.into_iter().next().expect("one key");
            (k, Some(v))
        }
        other => return Err(invalid_type(other, "string or map")),
    };
    let index = names
        .iter()
        .position(|n| *n == name)
        .ok_or_else(|| Error::unknown_variant(&name, names))?;
    match content {
        None | Some(Value::Null) => {}
        Some(other) => return Err(invalid_type(other, "unit")),
    }
    Ok(index)
}

/// Unit enums: their wire names and values, in declaration order.
macro_rules! unit_enums {
    ($($ty:ty { $($name:literal => $val:expr),+ $(,)? })*) => {$(
        impl FromJson for $ty {
            fn from_json(value: Value) -> Result<Self, Error> {
                const NAMES: &[&str] = &[$($name),+];
                const VALUES: &[$ty] = &[$($val),+];
                Ok(VALUES[unit_variant(value, NAMES)?])
            }
        }
    )*};
}

unit_enums! {
    Wire { "responses" => Wire::Responses, "chat" => Wire::Chat }
    ToolFamily { "codex" => ToolFamily::Codex, "generic" => ToolFamily::Generic }
    ApprovalPolicy {
        "untrusted" => ApprovalPolicy::Untrusted,
        "on-request" => ApprovalPolicy::OnRequest,
        "on-failure" => ApprovalPolicy::OnFailure,
        "never" => ApprovalPolicy::Never,
    }
    SandboxMode {
        "read-only" => SandboxMode::ReadOnly,
        "workspace-write" => SandboxMode::WorkspaceWrite,
        "danger-full-access" => SandboxMode::DangerFullAccess,
    }
    ReasoningEffort {
        "minimal" => ReasoningEffort::Minimal,
        "low" => ReasoningEffort::Low,
        "medium" => ReasoningEffort::Medium,
        "high" => ReasoningEffort::High,
    }
    Severity {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        "info" => Severity::Info,
        "hint" => Severity::Hint,
    }
    ApprovalDecision {
        "approved" => ApprovalDecision::Approved,
        "approvedForSession" => ApprovalDecision::ApprovedForSession,
        "approvedServerForSession" => ApprovalDecision::ApprovedServerForSession,
        "denied" => ApprovalDecision::Denied,
        "abort" => ApprovalDecision::Abort,
    }
    ApprovalKind {
        "exec" => ApprovalKind::Exec,
        "escalate" => ApprovalKind::Escalate,
        "retryUnsandboxed" => ApprovalKind::RetryUnsandboxed,
        "mcpTool" => ApprovalKind::McpTool,
    }
    TurnStatus {
        "completed" => TurnStatus::Completed,
        "interrupted" => TurnStatus::Interrupted,
        "failed" => TurnStatus::Failed,
    }
    TurnEndReason { "interrupted" => TurnEndReason::Interrupted }
    CommandStatus {
        "in_progress" => CommandStatus::InProgress,
        "completed" => CommandStatus::Completed,
        "failed" => CommandStatus::Failed,
        "declined" => CommandStatus::Declined,
    }
    FileChangeKind {
        "add" => FileChangeKind::Add,
        "delete" => FileChangeKind::Delete,
        "update" => FileChangeKind::Update,
    }
    HunkState {
        "pending" => HunkState::Pending,
        "accepted" => HunkState::Accepted,
        "partial" => HunkState::Partial,
        "rejected" => HunkState::Rejected,
    }
    FileChangeStatus {
        "pending" => FileChangeStatus::Pending,
        "completed" => FileChangeStatus::Completed,
        "partially_applied" => FileChangeStatus::PartiallyApplied,
        "declined" => FileChangeStatus::Declined,
        "failed" => FileChangeStatus::Failed,
    }
    RowKind {
        "context" => RowKind::Context,
        "insert" => RowKind::Insert,
        "delete" => RowKind::Delete,
    }
    McpCallStatus {
        "in_progress" => McpCallStatus::InProgress,
        "completed" => McpCallStatus::Completed,
        "failed" => McpCallStatus::Failed,
        "declined" => McpCallStatus::Declined,
    }
}

/// Structs: `Type = "struct Type" { field: reader(f, "wireName"), ... }`, fields in declaration order.
macro_rules! structs {
    ($($ty:ident = $expected:literal { $($field:ident: $read:ident($key:literal)),* $(,)? })*) => {$(
        impl FromJson for $ty {
            fn from_json(value: Value) -> Result<Self, Error> {
                let f = &mut object(value, $expected)?;
                Ok($ty { $($field: $read(f, $key)?),* })
            }
        }
    )*};
}

structs! {
    AgentConfig = "struct AgentConfig" {
        session_id: req("sessionId"),
        model: req("model"),
        wire: or_default("wire"),
        tool_family: opt("toolFamily"),
        reasoning_effort: opt("reasoningEffort"),
        approval_policy: or_default("approvalPolicy"),
        sandbox_mode: or_default("sandboxMode"),
        context_window: opt("contextWindow"),
        compact_percent: opt("compactPercent"),
        max_output_tokens: opt("maxOutputTokens"),
        cwd: req("cwd"),
        writable_roots: or_default("writableRoots"),
        network: or_default("network"),
        shell: req("shell"),
        no_os_sandbox: opt("noOsSandbox"),
        current_date: req("currentDate"),
        timezone: req("timezone"),
        agents_md: or_default("agentsMd"),
        base_instructions: opt("baseInstructions"),
        vision: opt("vision"),
        web_search: opt("webSearch"),
    }
    AgentsMd = "struct AgentsMd" { dir: req("dir"), contents: req("contents") }
    EditorContext = "struct EditorContext" {
        active_file: opt("activeFile"),
        selection: opt("selection"),
        diagnostics: or_default("diagnostics"),
        open_files: or_default("openFiles"),
    }
    Selection = "struct Selection" {
        path: req("path"),
        start_line: req("startLine"),
        end_line: req("endLine"),
        text: req("text"),
    }
    Diagnostic = "struct Diagnostic" {
        path: req("path"),
        line: req("line"),
        severity: req("severity"),
        message: req("message"),
    }
    ExecSandbox = "struct ExecSandbox" {
        mode: req("mode"),
        writable_roots: req("writableRoots"),
        network: req("network"),
    }
    ApprovalRequest = "struct ApprovalRequest" {
        request_id: req("requestId"),
        call_id: req("callId"),
        item_id: req("itemId"),
        kind: req("kind"),
        argv: req("argv"),
        command: req("command"),
        cwd: req("cwd"),
        reason: opt("reason"),
        sandbox: req("sandbox"),
        remember: req("remember"),
        remember_note: opt("rememberNote"),
        mcp: opt("mcp"),
    }
    McpApprovalInfo = "struct McpApprovalInfo" {
        server: req("server"),
        tool: req("tool"),
        arguments: req("arguments"),
    }
    ChangeReview = "struct ChangeReview" { files: req("files"), reason: opt("reason") }
    Usage = "struct Usage" {
        input_tokens: req("input_tokens"),
        cached_input_tokens: req("cached_input_tokens"),
        output_tokens: req("output_tokens"),
        reasoning_output_tokens: req("reasoning_output_tokens"),
    }
    ThreadError = "struct ThreadError" { message: req("message"), reason: opt("reason") }
    FileChangeSummary = "struct FileChangeSummary" {
        path: req("path"),
        kind: req("kind"),
        move_path: opt("move_path"),
    }
    TodoItem = "struct TodoItem" {
        text: req("text"),
        completed: req("completed"),
        status: req("status"),
    }
    McpToolSpec = "struct McpToolSpec" {
        server: req("server"),
        tool: req("tool"),
        description: opt("description"),
        input_schema: or_default("inputSchema"),
        read_only: or_default("readOnly"),
    }
    McpItemResult = "struct McpItemResult" {
        content: req("content"),
        structured_content: opt("structured_content"),
    }
    // The diff engine's types (diff/src/lib.rs), as a session file's `file_change` items hold them.
    FileDiff = "struct FileDiff" {
        hunk_ids: req("hunkIds"),
        unified: req("unified"),
        hunks: req("hunks"),
        sections: req("sections"),
        rows: req("rows"),
        additions: req("additions"),
        deletions: req("deletions"),
    }
    DiffHunk = "struct DiffHunk" {
        id: req("id"),
        old_start: req("oldStart"),
        old_lines: req("oldLines"),
        new_start: req("newStart"),
        new_lines: req("newLines"),
        first_row: req("firstRow"),
        row_count: req("rowCount"),
    }
    DiffSection = "struct DiffSection" {
        old_start: req("oldStart"),
        old_lines: req("oldLines"),
        new_start: req("newStart"),
        new_lines: req("newLines"),
        first_row: req("firstRow"),
        row_count: req("rowCount"),
        hunk_ids: req("hunkIds"),
    }
    DiffRow = "struct DiffRow" {
        kind: req("kind"),
        old_line: opt("oldLine"),
        new_line: opt("newLine"),
        text: req("text"),
        highlights: req("highlights"),
        hunk_id: opt("hunkId"),
        no_newline: req("noNewline"),
    }
    HighlightRange = "struct HighlightRange" { start: req("start"), end: req("end") }
}
