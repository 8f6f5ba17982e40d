//! The JSON text of what the core hands the host (effects, thread events, session records, the
//! replay, remembered approvals, the patch and line-decision answers), written by hand: the same bytes serde_json writes for the derived
//! `Serialize` of each type (json_write_tests.rs checks them against it), without a serialiser
//! instance per type and serde's struct, sequence and map-entry code for each.
//!
//! Fields come in declaration order, an internally tagged enum's tag first, `skip_serializing_if`
//! fields left out when empty, as the derive writes them. A `serde_json::Value` inside is written by
//! serde_json's writer (`crate::json_text`), a `FileDiff` by the diff crate's (`file_diff_json`).

use crate::diff::{self, FileDiff, LineDecision};
use crate::patch::{ChangeKind, FileChange, PatchError};
use crate::prompt::harness::HarnessMessage;
use crate::session::mcp::{McpApprovalInfo, McpCallStatus, McpItemResult};
use crate::session::protocol::*;
use crate::session::replay::{ReplayApproval, ReplayEntry};
use crate::vec_map::VecMap;
use crate::wasm_api::engines::{ChangeHeader, PatchAnswerHeader, PatchPathsResult};
use serde_json::Value;
use std::collections::BTreeMap;

/// A value the core writes as JSON text by hand.
pub trait WriteJson {
    fn write_json(&self, out: &mut String);
}

/// The JSON text of `value`, as `serde_json::to_string` gives it for the derived `Serialize`.
pub fn to_json<T: WriteJson + ?Sized>(value: &T) -> String {
    let mut out = String::new();
    value.write_json(&mut out);
    out
}

/// An internally tagged variant with its tag under `type`.
fn typed<'a>(out: &'a mut String, name: &str) -> Obj<'a> {
    Obj::tagged(out, "type", name)
}

/// An internally tagged variant with its tag under `kind`.
fn kind<'a>(out: &'a mut String, name: &str) -> Obj<'a> {
    Obj::tagged(out, "kind", name)
}

/// An object being written: `{`, then `"key":value` pairs with commas between, then `}`.
struct Obj<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, empty: true }
    }

    /// An internally tagged variant: the object opened with its tag.
    fn tagged(out: &'a mut String, tag: &str, name: &str) -> Self {
        let mut obj = Obj::new(out);
        obj.key(tag);
        obj.name(name);
        obj
    }

    /// A name as a string value (the serde names have nothing to escape).
    fn name(&mut self, name: &str) {
        self.out.push('"');
        self.out.push_str(name);
        self.out.push('"');
    }

    /// `,"key":` (the keys are the types' own names, with nothing to escape).
    fn key(&mut self, key: &str) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    fn field<T: WriteJson + ?Sized>(&mut self, key: &str, value: &T) -> &mut Self {
        self.key(key);
        value.write_json(self.out);
        self
    }

    /// A field with `skip_serializing_if = "Option::is_none"`.
    fn opt<T: WriteJson>(&mut self, key: &str, value: &Option<T>) -> &mut Self {
        if let Some(v) = value {
            self.field(key, v);
        }
        self
    }

    fn end(&mut self) {
        self.out.push('}');
    }
}

impl WriteJson for str {
    fn write_json(&self, out: &mut String) {
        diff::json_string(out, self);
    }
}

impl WriteJson for String {
    fn write_json(&self, out: &mut String) {
        diff::json_string(out, self);
    }
}

impl WriteJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

/// Decimal digits, as serde_json (itoa) writes an integer.
fn unsigned(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

macro_rules! unsigned_json {
    ($($t:ty),*) => {$(
        impl WriteJson for $t {
            fn write_json(&self, out: &mut String) {
                unsigned(out, u64::from(*self));
            }
        }
    )*};
}
unsigned_json!(u8, u16, u32, u64);

impl WriteJson for i32 {
    fn write_json(&self, out: &mut String) {
        if *self < 0 {
            out.push('-');
        }
        unsigned(out, u64::from(self.unsigned_abs()));
    }
}

impl<T: WriteJson> WriteJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(v) => v.write_json(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: WriteJson> WriteJson for [T] {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            v.write_json(out);
        }
        out.push(']');
    }
}

impl<T: WriteJson> WriteJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out);
    }
}

impl<T: WriteJson + ?Sized> WriteJson for Box<T> {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out);
    }
}

impl<T: WriteJson + ?Sized> WriteJson for &T {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out);
    }
}

/// A JSON value by hand, the bytes `serde_json::to_string` writes for it, its strings through the
/// diff crate's escaper (built for speed). A model request's body is mostly the history's values, so
/// this is the core's busiest writer; serde_json's writer is not in the module.
impl WriteJson for Value {
    fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => b.write_json(out),
            Value::Number(n) => {
                // Number's Display is serde_json's own form of it (itoa, or the shortest float).
                let _ = std::fmt::Write::write_fmt(out, format_args!("{n}"));
            }
            Value::String(s) => diff::json_string(out, s),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Value::Object(map) => write_entries(out, map, |_, value, out| value.write_json(out)),
        }
    }
}

/// An object's entries as `{"key":value,...}`, each value written by `value`, which may write
/// another value in its place or nothing at all (the entry is then left out).
pub(crate) fn write_entries(
    out: &mut String,
    map: &serde_json::Map<String, Value>,
    mut value: impl FnMut(&str, &Value, &mut String),
) {
    out.push('{');
    let mut empty = true;
    for (key, v) in map {
        let mark = out.len();
        if !empty {
            out.push(',');
        }
        diff::json_string(out, key);
        out.push(':');
        let before_value = out.len();
        value(key, v, out);
        if out.len() == before_value {
            out.truncate(mark);
        } else {
            empty = false;
        }
    }
    out.push('}');
}

impl WriteJson for FileDiff {
    fn write_json(&self, out: &mut String) {
        out.push_str(&diff::file_diff_json(self));
    }
}

impl<V: WriteJson> WriteJson for VecMap<String, V> {
    fn write_json(&self, out: &mut String) {
        out.push('{');
        for (i, (k, v)) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            k.write_json(out);
            out.push(':');
            v.write_json(out);
        }
        out.push('}');
    }
}

impl WriteJson for BTreeMap<String, Option<String>> {
    fn write_json(&self, out: &mut String) {
        out.push('{');
        for (i, (k, v)) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            k.write_json(out);
            out.push(':');
            v.write_json(out);
        }
        out.push('}');
    }
}

/// Enums of unit variants, each written as its serde name.
macro_rules! names {
    ($($t:ty { $($v:ident = $name:literal),* $(,)? })*) => {$(
        impl WriteJson for $t {
            fn write_json(&self, out: &mut String) {
                out.push_str(match self {
                    $(Self::$v => concat!("\"", $name, "\""),)*
                });
            }
        }
    )*};
}

names! {
    Wire { Responses = "responses", Chat = "chat" }
    ToolFamily { Codex = "codex", Generic = "generic" }
    ApprovalPolicy {
        Untrusted = "untrusted",
        OnRequest = "on-request",
        OnFailure = "on-failure",
        Never = "never",
    }
    ReasoningEffort { Minimal = "minimal", Low = "low", Medium = "medium", High = "high" }
    SandboxMode {
        ReadOnly = "read-only",
        WorkspaceWrite = "workspace-write",
        DangerFullAccess = "danger-full-access",
    }
    ApprovalDecision {
        Approved = "approved",
        ApprovedForSession = "approvedForSession",
        ApprovedServerForSession = "approvedServerForSession",
        Denied = "denied",
        Abort = "abort",
    }
    ApprovalKind {
        Exec = "exec",
        Escalate = "escalate",
        RetryUnsandboxed = "retryUnsandboxed",
        McpTool = "mcpTool",
    }
    TurnStatus { Completed = "completed", Interrupted = "interrupted", Failed = "failed" }
    TurnEndReason { Interrupted = "interrupted" }
    CommandStatus {
        InProgress = "in_progress",
        Completed = "completed",
        Failed = "failed",
        Declined = "declined",
    }
    FileChangeKind { Add = "add", Delete = "delete", Update = "update" }
    HunkState {
        Pending = "pending",
        Accepted = "accepted",
        Partial = "partial",
        Rejected = "rejected",
    }
    FileChangeStatus {
        Pending = "pending",
        Completed = "completed",
        PartiallyApplied = "partially_applied",
        Declined = "declined",
        Failed = "failed",
    }
    McpCallStatus {
        InProgress = "in_progress",
        Completed = "completed",
        Failed = "failed",
        Declined = "declined",
    }
    ChangeKind { Add = "add", Modify = "modify", Delete = "delete" }
    HarnessMessage {
        EnvironmentContext = "environmentContext",
        AgentsMd = "agentsMd",
        EditorContext = "editorContext",
        TurnAborted = "turnAborted",
        CompactionRequest = "compactionRequest",
        CompactionSummary = "compactionSummary",
        ContinueRequest = "continueRequest",
    }
}

impl WriteJson for AgentsMd {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("dir", &self.dir)
            .field("contents", &self.contents)
            .end();
    }
}

impl WriteJson for AgentConfig {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("sessionId", &self.session_id)
            .field("model", &self.model)
            .field("wire", &self.wire)
            .opt("toolFamily", &self.tool_family)
            .opt("reasoningEffort", &self.reasoning_effort)
            .field("approvalPolicy", &self.approval_policy)
            .field("sandboxMode", &self.sandbox_mode)
            .opt("contextWindow", &self.context_window)
            .opt("compactPercent", &self.compact_percent)
            .opt("maxOutputTokens", &self.max_output_tokens)
            .field("cwd", &self.cwd)
            .field("writableRoots", &self.writable_roots)
            .field("network", &self.network)
            .field("shell", &self.shell)
            .opt("noOsSandbox", &self.no_os_sandbox)
            .field("currentDate", &self.current_date)
            .field("timezone", &self.timezone)
            .field("agentsMd", &self.agents_md)
            .opt("baseInstructions", &self.base_instructions)
            .opt("vision", &self.vision)
            .opt("webSearch", &self.web_search)
            .end();
    }
}

impl WriteJson for SandboxPolicy {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("mode", &self.mode)
            .opt("writableRoots", &self.writable_roots)
            .opt("network", &self.network)
            .end();
    }
}

impl WriteJson for ExecStartParams {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("argv", &self.argv)
            .field("cwd", &self.cwd)
            .opt("env", &self.env)
            .opt("tty", &self.tty)
            .opt("cols", &self.cols)
            .opt("rows", &self.rows)
            .opt("timeoutMs", &self.timeout_ms)
            .opt("outputLimitBytes", &self.output_limit_bytes)
            .field("sandbox", &self.sandbox)
            .end();
    }
}

impl WriteJson for ExecSandbox {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("mode", &self.mode)
            .field("writableRoots", &self.writable_roots)
            .field("network", &self.network)
            .end();
    }
}

impl WriteJson for RememberScope {
    fn write_json(&self, out: &mut String) {
        match self {
            RememberScope::Prefix { prefix } => kind(out, "prefix").field("prefix", prefix).end(),
            RememberScope::Exact { argv } => kind(out, "exact").field("argv", argv).end(),
            RememberScope::Once => kind(out, "once").end(),
            RememberScope::McpTool { server, tool } => kind(out, "mcpTool")
                .field("server", server)
                .field("tool", tool)
                .end(),
            RememberScope::McpServer { server } => {
                kind(out, "mcpServer").field("server", server).end()
            }
        }
    }
}

impl WriteJson for McpApprovalInfo {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("server", &self.server)
            .field("tool", &self.tool)
            .field("arguments", &self.arguments)
            .end();
    }
}

impl WriteJson for ApprovalRequest {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("requestId", &self.request_id)
            .field("callId", &self.call_id)
            .field("itemId", &self.item_id)
            .field("kind", &self.kind)
            .field("argv", &self.argv)
            .field("command", &self.command)
            .field("cwd", &self.cwd)
            .opt("reason", &self.reason)
            .field("sandbox", &self.sandbox)
            .field("remember", &self.remember)
            .opt("rememberNote", &self.remember_note)
            .opt("mcp", &self.mcp)
            .end();
    }
}

impl WriteJson for RememberedApproval {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("id", &self.id)
            .field("scope", &self.scope)
            .field("cwd", &self.cwd)
            .field("sandbox", &self.sandbox)
            .field("description", &self.description)
            .end();
    }
}

impl WriteJson for FileChange {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("kind", &self.kind)
            .field("path", &self.path)
            .opt("movePath", &self.move_path)
            .field("original", &self.original)
            .field("newContents", &self.new_contents)
            .end();
    }
}

impl WriteJson for ProposedFile {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("change", &self.change)
            .field("diff", &self.diff)
            .end();
    }
}

impl WriteJson for ChangeProposal {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("callId", &self.call_id)
            .field("itemId", &self.item_id)
            .field("files", &self.files)
            .end();
    }
}

impl WriteJson for Usage {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("input_tokens", &self.input_tokens)
            .field("cached_input_tokens", &self.cached_input_tokens)
            .field("output_tokens", &self.output_tokens)
            .field("reasoning_output_tokens", &self.reasoning_output_tokens)
            .end();
    }
}

impl WriteJson for Effect {
    fn write_json(&self, out: &mut String) {
        match self {
            Effect::ModelRequest { wire, body } => typed(out, "modelRequest")
                .field("wire", wire)
                .field("body", body)
                .end(),
            Effect::CancelModel => typed(out, "cancelModel").end(),
            Effect::Exec {
                call_id,
                params,
                yield_time_ms,
            } => typed(out, "exec")
                .field("callId", call_id)
                .field("params", params)
                .opt("yieldTimeMs", yield_time_ms)
                .end(),
            Effect::WriteStdin {
                call_id,
                exec_call_id,
                chars,
                yield_time_ms,
            } => typed(out, "writeStdin")
                .field("callId", call_id)
                .field("execCallId", exec_call_id)
                .field("chars", chars)
                .field("yieldTimeMs", yield_time_ms)
                .end(),
            Effect::KillExec { call_id } => typed(out, "killExec").field("callId", call_id).end(),
            Effect::ReadFiles { call_id, paths } => typed(out, "readFiles")
                .field("callId", call_id)
                .field("paths", paths)
                .end(),
            Effect::ApplyChanges { call_id, changes } => typed(out, "applyChanges")
                .field("callId", call_id)
                .field("changes", changes)
                .end(),
            Effect::ReviewChanges { call_id, proposal } => typed(out, "reviewChanges")
                .field("callId", call_id)
                .field("proposal", proposal)
                .end(),
            Effect::ReadImage { call_id, path } => typed(out, "readImage")
                .field("callId", call_id)
                .field("path", path)
                .end(),
            Effect::McpCall {
                call_id,
                server,
                tool,
                arguments,
            } => typed(out, "mcpCall")
                .field("callId", call_id)
                .field("server", server)
                .field("tool", tool)
                .field("arguments", arguments)
                .end(),
            Effect::RequestApproval { request } => typed(out, "requestApproval")
                .field("request", request)
                .end(),
            Effect::Emit { event } => typed(out, "emit").field("event", event).end(),
            Effect::Persist { record } => typed(out, "persist").field("record", record).end(),
            Effect::TurnEnded {
                status,
                usage,
                error,
            } => typed(out, "turnEnded")
                .field("status", status)
                .field("usage", usage)
                .opt("error", error)
                .end(),
        }
    }
}

impl WriteJson for SessionRecord {
    fn write_json(&self, out: &mut String) {
        match self {
            SessionRecord::Meta { config } => typed(out, "meta").field("config", config).end(),
            SessionRecord::Item { item } => typed(out, "item").field("item", item).end(),
            SessionRecord::Compacted { items } => {
                typed(out, "compacted").field("items", items).end()
            }
            SessionRecord::TurnEnded {
                status,
                usage,
                error,
            } => typed(out, "turnEnded")
                .field("status", status)
                .field("usage", usage)
                .opt("error", error)
                .end(),
            SessionRecord::Shown { item } => typed(out, "shown").field("item", item).end(),
            SessionRecord::ApprovalAsked { request } => {
                typed(out, "approvalAsked").field("request", request).end()
            }
            SessionRecord::ApprovalAnswered {
                request_id,
                decision,
                message,
            } => typed(out, "approvalAnswered")
                .field("requestId", request_id)
                .field("decision", decision)
                .opt("message", message)
                .end(),
            SessionRecord::Checkpoint { id } => typed(out, "checkpoint").field("id", id).end(),
            SessionRecord::Rewind { to_user_message } => typed(out, "rewind")
                .field("toUserMessage", to_user_message)
                .end(),
            SessionRecord::FilesRestored { checkpoint, text } => typed(out, "filesRestored")
                .field("checkpoint", checkpoint)
                .field("text", text)
                .end(),
        }
    }
}

impl WriteJson for ThreadEvent {
    fn write_json(&self, out: &mut String) {
        match self {
            ThreadEvent::ThreadStarted { thread_id } => typed(out, "thread.started")
                .field("thread_id", thread_id)
                .end(),
            ThreadEvent::TurnStarted {} => typed(out, "turn.started").end(),
            ThreadEvent::ItemStarted { item } => {
                typed(out, "item.started").field("item", item).end()
            }
            ThreadEvent::ItemUpdated { item } => {
                typed(out, "item.updated").field("item", item).end()
            }
            ThreadEvent::ItemCompleted { item } => {
                typed(out, "item.completed").field("item", item).end()
            }
            ThreadEvent::ItemDelta { item_id, delta } => typed(out, "item.delta")
                .field("item_id", item_id)
                .field("delta", delta)
                .end(),
            ThreadEvent::TurnCompleted { usage } => {
                typed(out, "turn.completed").field("usage", usage).end()
            }
            ThreadEvent::TurnFailed { error } => {
                typed(out, "turn.failed").field("error", error).end()
            }
            ThreadEvent::CheckpointCreated { id } => {
                typed(out, "checkpoint.created").field("id", id).end()
            }
            ThreadEvent::ConversationRewound {
                to_user_message,
                text,
            } => typed(out, "conversation.rewound")
                .field("to_user_message", to_user_message)
                .field("text", text)
                .end(),
            ThreadEvent::ContextUsage {
                used_tokens,
                window_tokens,
            } => typed(out, "context.usage")
                .field("used_tokens", used_tokens)
                .opt("window_tokens", window_tokens)
                .end(),
        }
    }
}

impl WriteJson for ThreadError {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("message", &self.message)
            .opt("reason", &self.reason)
            .end();
    }
}

impl WriteJson for FileChangeSummary {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("path", &self.path)
            .field("kind", &self.kind)
            .opt("move_path", &self.move_path)
            .end();
    }
}

impl WriteJson for TodoItem {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("text", &self.text)
            .field("completed", &self.completed)
            .field("status", &self.status)
            .end();
    }
}

impl WriteJson for McpItemResult {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("content", &self.content)
            .opt("structured_content", &self.structured_content)
            .end();
    }
}

/// The item's id, then its details flattened into the same object (their `type` first).
impl WriteJson for ThreadItem {
    fn write_json(&self, out: &mut String) {
        let mut obj = Obj::new(out);
        obj.field("id", &self.id).key("type");
        match &self.details {
            ItemDetails::AgentMessage { text } => {
                obj.name("agent_message");
                obj.field("text", text);
            }
            ItemDetails::Reasoning { text } => {
                obj.name("reasoning");
                obj.field("text", text);
            }
            ItemDetails::CommandExecution {
                command,
                aggregated_output,
                exit_code,
                status,
                duration_ms,
            } => {
                obj.name("command_execution");
                obj.field("command", command)
                    .field("aggregated_output", aggregated_output)
                    .opt("exit_code", exit_code)
                    .field("status", status)
                    .opt("duration_ms", duration_ms);
            }
            ItemDetails::FileChange {
                changes,
                status,
                diffs,
                hunk_states,
            } => {
                obj.name("file_change");
                obj.field("changes", changes)
                    .field("status", status)
                    .field("diffs", diffs);
                if !hunk_states.is_empty() {
                    obj.field("hunk_states", hunk_states);
                }
            }
            ItemDetails::TodoList { items } => {
                obj.name("todo_list");
                obj.field("items", items);
            }
            ItemDetails::McpToolCall {
                server,
                tool,
                arguments,
                result,
                error,
                status,
            } => {
                obj.name("mcp_tool_call");
                obj.field("server", server)
                    .field("tool", tool)
                    .field("arguments", arguments)
                    .opt("result", result)
                    .opt("error", error)
                    .field("status", status);
            }
            ItemDetails::WebSearch { query } => {
                obj.name("web_search");
                obj.field("query", query);
            }
            ItemDetails::Error { message } => {
                obj.name("error");
                obj.field("message", message);
            }
        }
        obj.end();
    }
}

impl WriteJson for ReplayApproval {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("request", &self.request)
            .field("decision", &self.decision)
            .opt("message", &self.message)
            .end();
    }
}

impl WriteJson for ReplayEntry {
    fn write_json(&self, out: &mut String) {
        match self {
            ReplayEntry::User {
                text,
                index,
                checkpoint,
            } => kind(out, "user")
                .field("text", text)
                .field("index", index)
                .opt("checkpoint", checkpoint)
                .end(),
            ReplayEntry::Item { item, approvals } => kind(out, "item")
                .field("item", item)
                .field("approvals", approvals)
                .end(),
            ReplayEntry::Approval { approval } => {
                kind(out, "approval").field("approval", approval).end()
            }
            ReplayEntry::Stopped => kind(out, "stopped").end(),
            ReplayEntry::Failed { message } => kind(out, "failed").field("message", message).end(),
            ReplayEntry::Notice { text } => kind(out, "notice").field("text", text).end(),
        }
    }
}

impl WriteJson for PatchError {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("line", &self.line)
            .field("message", &self.message)
            .end();
    }
}

impl WriteJson for ChangeHeader {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("kind", &self.kind)
            .field("path", &self.path)
            .opt("movePath", &self.move_path)
            .field("newBytes", &self.new_bytes)
            .end();
    }
}

/// Untagged: the variant's fields only.
impl WriteJson for PatchAnswerHeader {
    fn write_json(&self, out: &mut String) {
        match self {
            PatchAnswerHeader::Applied { ok, changes } => Obj::new(out)
                .field("ok", ok)
                .field("changes", changes)
                .end(),
            PatchAnswerHeader::Failed { ok, error } => {
                Obj::new(out).field("ok", ok).field("error", error).end()
            }
        }
    }
}

/// Untagged: the variant's fields only.
impl WriteJson for PatchPathsResult {
    fn write_json(&self, out: &mut String) {
        match self {
            PatchPathsResult::Parsed { ok, paths } => {
                Obj::new(out).field("ok", ok).field("paths", paths).end()
            }
            PatchPathsResult::Failed { ok, error } => {
                Obj::new(out).field("ok", ok).field("error", error).end()
            }
        }
    }
}

impl WriteJson for LineDecision {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("current", &self.current)
            .field("proposed", &self.proposed)
            .end();
    }
}
