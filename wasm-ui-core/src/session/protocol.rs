//! The session's protocol with its host: the configuration, the events the host feeds in, the effects
//! the core asks for, and the thread events the UI (and `tack exec --json`) shows.
//!
//! Host-facing types (config, events, effects, approvals, reviews) use camelCase fields; thread events
//! and their items use snake_case, matching the `exec --json` stream people already parse.

use super::mcp::{McpApprovalInfo, McpCallStatus, McpItemResult, McpToolSpec};
use crate::diff::FileDiff;
use crate::patch::{FileChange, FileMap};
use crate::vec_map::VecMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// Which model API the session speaks.
#[derive(Serialize, Deserialize, TS, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum Wire {
    /// OpenAI Responses API (`POST {base}/responses`).
    #[default]
    Responses,
    /// Chat Completions (`POST {base}/chat/completions`), for every OpenAI-compatible server.
    Chat,
}

/// Which tool surface the model gets: the one its family was trained on.
#[derive(Serialize, Deserialize, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ToolFamily {
    /// `exec_command` + `write_stdin`, `apply_patch` (grammar tool on Responses), `update_plan`.
    Codex,
    /// `shell`, `apply_patch` as a function `{input}`, `update_plan`.
    Generic,
}

#[derive(Serialize, Deserialize, TS, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ApprovalPolicy {
    /// Ask before anything outside a known-safe read-only set of commands.
    Untrusted,
    /// Run sandboxed; the model may ask (with a justification) to run outside the sandbox.
    OnRequest,
    /// Run sandboxed; when the sandbox denies something, ask to re-run without it.
    OnFailure,
    /// Never ask: commands run sandboxed, edits apply at once.
    #[default]
    Never,
}

/// One definition for the core, the sidecar and the host (protocol/src/lib.rs).
pub use tack_protocol::sidecar::{ExecStartParams, SandboxPolicy};
pub use tack_protocol::{ReasoningEffort, SandboxMode, Severity};

/// An AGENTS.md file's contents and the directory it applies to (root first, then down to the cwd).
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AgentsMd {
    pub dir: String,
    pub contents: String,
}

/// Everything the session needs to know at creation. The host supplies what the core may not look up
/// itself (ids, date, shell, AGENTS.md contents).
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AgentConfig {
    /// Stable id of the conversation; also the `prompt_cache_key`.
    pub session_id: String,
    pub model: String,
    #[serde(default)]
    pub wire: Wire,
    /// Overrides the family guessed from the model name and wire.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_family: Option<ToolFamily>,
    /// Responses only.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<ReasoningEffort>,
    #[serde(default)]
    pub approval_policy: ApprovalPolicy,
    #[serde(default)]
    pub sandbox_mode: SandboxMode,
    /// The model's context window in tokens; compaction starts past `compactPercent` of it.
    #[ts(optional, type = "number")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// Default 90.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compact_percent: Option<u8>,
    /// The most tokens one model response may produce (`max_output_tokens` on Responses,
    /// `max_tokens`/`max_completion_tokens` on Chat). None: the per-model default
    /// (`prompt::default_max_output_tokens`); 0: no cap sent at all.
    #[ts(optional, type = "number")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    /// Absolute working directory of the task.
    pub cwd: String,
    /// Extra writable roots besides the cwd (workspace-write).
    #[serde(default)]
    pub writable_roots: Vec<String>,
    /// Whether sandboxed commands may use the network.
    #[serde(default)]
    pub network: bool,
    /// The user's shell, e.g. `bash` or `/bin/zsh`.
    pub shell: String,
    /// True where the platform has no OS sandbox at all (Windows: the sidecar's `initialize` says
    /// `osSandbox: false`). A sandboxed policy then asks before every command that is not known-safe
    /// and runs it unsandboxed only once approved; under `never` such commands are declined
    /// (session/no_sandbox.rs).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_os_sandbox: Option<bool>,
    /// `YYYY-MM-DD`.
    pub current_date: String,
    /// IANA name, e.g. `Europe/Paris`.
    pub timezone: String,
    #[serde(default)]
    pub agents_md: Vec<AgentsMd>,
    /// Replaces Tack's base instructions (tests, experiments).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_instructions: Option<String>,
    /// Whether the model takes images. None: yes (an unknown model is assumed to). False:
    /// `view_image` is not offered and images the person attaches are refused before any request
    /// (session/machine/media.rs).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vision: Option<bool>,
    /// Offer the provider's hosted web search (`{"type": "web_search"}`, Responses only). Off
    /// when None.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_search: Option<bool>,
}

/// What the editor shows when the user sends a message.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EditorContext {
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_file: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<Selection>,
    #[serde(default)]
    pub diagnostics: Vec<Diagnostic>,
    #[serde(default)]
    pub open_files: Vec<String>,
}

#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Selection {
    pub path: String,
    /// 1-based, inclusive.
    pub start_line: u32,
    pub end_line: u32,
    pub text: String,
}

#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Diagnostic {
    pub path: String,
    /// 1-based.
    pub line: u32,
    pub severity: Severity,
    pub message: String,
}

/// The sandbox one command runs with, every field resolved (what an approval card shows and what a
/// remembered approval compares). The exec effect sends it as the sidecar's `SandboxPolicy`.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExecSandbox {
    pub mode: SandboxMode,
    pub writable_roots: Vec<String>,
    pub network: bool,
}

impl ExecSandbox {
    /// As the sidecar's `exec/start` takes it.
    pub fn to_policy(&self) -> SandboxPolicy {
        SandboxPolicy {
            mode: self.mode,
            writable_roots: Some(self.writable_roots.clone()),
            network: Some(self.network),
        }
    }
}

/// The person's answer to an approval request.
#[derive(Serialize, Deserialize, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ApprovalDecision {
    Approved,
    /// Approved, and the same command prefix runs without asking for the rest of the session.
    ApprovedForSession,
    /// For an MCP tool call: approved, and every tool of the same server runs without asking for the
    /// rest of the session. For a command it means `approvedForSession`.
    ApprovedServerForSession,
    Denied,
    /// Denied, and the turn stops.
    Abort,
}

#[derive(Serialize, Deserialize, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ApprovalKind {
    /// Run this command (policy `untrusted`).
    Exec,
    /// Run this command outside the sandbox (the model asked, policy `on-request`).
    Escalate,
    /// The sandbox blocked this command; re-run it without the sandbox (policy `on-failure`).
    RetryUnsandboxed,
    /// Call this MCP tool (policy `untrusted` or `on-request`, tool not annotated read-only).
    McpTool,
}

/// A question for the person about one command.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ApprovalRequest {
    pub request_id: String,
    pub call_id: String,
    /// The `command_execution` item this question is about (started just before it is asked), so a
    /// UI draws the question on that command's card.
    pub item_id: String,
    pub kind: ApprovalKind,
    pub argv: Vec<String>,
    /// The command as the model wrote it (the script for `exec_command`).
    pub command: String,
    pub cwd: String,
    /// Why the model (or the sandbox) asks.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The sandbox and network the command runs with when approved (`dangerFullAccess` with network
    /// for an escape from the sandbox).
    pub sandbox: ExecSandbox,
    /// What approving for the session remembers (the card shows it).
    pub remember: RememberScope,
    /// Why the model's proposed prefix was not used, when it was not (the card shows it).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remember_note: Option<String>,
    /// For `mcpTool`: the server, tool and arguments (`argv` is empty, `command` one line).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp: Option<McpApprovalInfo>,
}

// Deserialize: by hand in tagged.rs (`read_remember_scope`), no derived visitors.
/// What an approval for the session allows later, without asking, in the same working directory
/// and with the same sandbox and network.
#[derive(Serialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum RememberScope {
    /// Commands whose words (for a shell script: the words of its one simple command) start with
    /// `prefix`.
    Prefix { prefix: Vec<String> },
    /// Exactly this argv again (compound scripts, interpreters, paths).
    Exact { argv: Vec<String> },
    /// Nothing: "for this session" approves this run only.
    Once,
    /// Every call of this MCP tool.
    McpTool { server: String, tool: String },
    /// Every call of every tool of this MCP server.
    McpServer { server: String },
}

/// An approval the person gave for the rest of the session; `revokeApproval` with its id ends it.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RememberedApproval {
    pub id: String,
    pub scope: RememberScope,
    /// Only commands run in this directory.
    pub cwd: String,
    /// Only commands that run with exactly this sandbox and network.
    pub sandbox: ExecSandbox,
    /// One line for lists, e.g. "commands starting with `npm install` in /w, outside the sandbox".
    pub description: String,
}

/// One file of a proposed edit, with its diff for the inline review.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProposedFile {
    pub change: FileChange,
    pub diff: FileDiff,
}

/// An apply_patch call's complete result, for the person to review.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ChangeProposal {
    pub call_id: String,
    /// The `file_change` item that shows it.
    pub item_id: String,
    pub files: Vec<ProposedFile>,
}

// Deserialize: by hand in tagged.rs (read with `FileReview`), no derived visitors.
/// What the person did with one proposed file. The host has written the accepted part when it reports.
#[derive(Serialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "outcome", rename_all = "camelCase")]
#[ts(export)]
pub enum FileReviewOutcome {
    Accepted,
    Rejected,
    /// Some hunks of an update landed (ids from the file's `diff.hunkIds`).
    Partial {
        #[serde(rename = "acceptedHunkIds")]
        accepted_hunk_ids: Vec<String>,
    },
    /// Accepted but the write failed.
    Failed {
        message: String,
    },
}

// Deserialize: by hand in tagged.rs (no buffered `Content` for the flattened enum).
#[derive(Serialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FileReview {
    pub path: String,
    #[serde(flatten)]
    pub outcome: FileReviewOutcome,
    /// The text that landed, when it is not what the proposal (or its accepted hunks) gives: the
    /// person took some lines of a hunk or edited the proposal before accepting. The model is told
    /// how it differs from what it proposed.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landed: Option<String>,
}

#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ChangeReview {
    pub files: Vec<FileReview>,
    /// The person's words for the model with the decision ("Reject with a reason").
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Token usage as the API reports it, summed over a turn.
#[derive(Serialize, Deserialize, TS, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[ts(export)]
pub struct Usage {
    #[ts(type = "number")]
    pub input_tokens: u64,
    #[ts(type = "number")]
    pub cached_input_tokens: u64,
    #[ts(type = "number")]
    pub output_tokens: u64,
    #[ts(type = "number")]
    pub reasoning_output_tokens: u64,
}

crate::session::tagged::internally_tagged! {
tag = "type", mirror = #[serde(rename_all = "camelCase", rename_all_fields = "camelCase")], read = by_hand;
/// Everything the host tells the session.
#[derive(Serialize, TS, Debug, Clone, PartialEq)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export)]
pub enum SessionEvent {
    /// Starts a turn (ignored with an error event while one runs).
    UserInput {
        text: String,
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        editor_context: Option<EditorContext>,
        /// Images the person attached, as `data:image/...;base64,` URLs (already shrunk by the
        /// host), sent after the text in the same user message. An Option, so a JS caller's
        /// `images: undefined` reads as none.
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        images: Option<Vec<String>>,
    },
    /// One parsed SSE payload, raw: a Responses event or a Chat Completions chunk.
    ModelEvent { data: serde_json::Value },
    /// The model client reconnected after a dropped stream: what streamed so far is discarded.
    ModelStreamRestarted,
    /// The HTTP stream ended (after `[DONE]` or the last Responses event).
    ModelStreamEnded,
    /// The request failed for good (retries spent, 401, ...).
    ModelFailed { message: String, retryable: bool },
    /// Live output of a running command (for the UI only).
    ExecOutput { call_id: String, chunk: String },
    /// The command ended. `output` is everything it printed during this call (already bounded by the
    /// host to a generous head and tail); `truncatedBytes` says how much the host dropped.
    ExecExited {
        call_id: String,
        exit_code: i32,
        #[ts(type = "number")]
        duration_ms: u64,
        output: String,
        #[serde(default)]
        #[ts(type = "number")]
        truncated_bytes: u64,
        #[serde(default)]
        timed_out: bool,
    },
    /// The command is still running after `yieldTimeMs`: this is its output so far. It stays alive
    /// for `writeStdin`.
    ExecYielded {
        call_id: String,
        #[ts(type = "number")]
        duration_ms: u64,
        output: String,
    },
    /// The command could not run or its process was lost (sidecar crash).
    ExecFailed { call_id: String, message: String },
    /// Answer to `readImage`: a `data:` URL, or why the image could not be read.
    ImageRead {
        call_id: String,
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data_url: Option<String>,
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// Answer to `readFiles`.
    FilesRead {
        call_id: String,
        #[ts(as = "crate::patch::FileMapTs")]
        files: FileMap,
    },
    /// Answer to `applyChanges`: `error` when the host could not write them (nothing was written).
    ChangesApplied {
        call_id: String,
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// Answer to `reviewChanges`.
    ChangesReviewed {
        call_id: String,
        review: ChangeReview,
    },
    /// Answer to `requestApproval`.
    ApprovalDecided {
        request_id: String,
        decision: ApprovalDecision,
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// The person stops the running turn.
    Interrupt,
    /// The person withdraws an approval given for the session (`RememberedApproval.id`). Unknown
    /// ids are ignored.
    RevokeApproval { approval_id: String },
    /// The MCP tools now available (all servers); they reach the model from the next request.
    McpTools { tools: Vec<McpToolSpec> },
    /// Answer to `mcpCall`: the `tools/call` result as the server sent it, or why there is none
    /// (server not running, timed out, exited mid-call).
    McpResult {
        call_id: String,
        #[ts(optional, type = "unknown")]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        result: Option<serde_json::Value>,
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// Rewinds the conversation to just before the person's `toUserMessage`-th typed message
    /// (0-based, counting every message the person typed in this session, as the history replay's
    /// `user` entries number them): the history and what the chat shows from that message on are
    /// dropped. Refused (an error item) while a turn runs, for an unknown message, and for one the
    /// conversation was compacted after. See session/rewind.rs.
    Rewind { to_user_message: u32 },
}}

/// Everything the session asks the host to do, in order.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export)]
pub enum Effect {
    /// POST `body` (exact JSON) to `{base}/responses` or `{base}/chat/completions`, stream the answer
    /// back as `modelEvent`s, then `modelStreamEnded` (or `modelFailed`).
    ModelRequest {
        wire: Wire,
        #[ts(as = "serde_json::Value")]
        body: crate::prompt::RequestBody,
    },
    /// Abort the model request in flight.
    CancelModel,
    /// Start a command: `params` go to the sidecar's `exec/start` as they are. Answer with
    /// `execExited` / `execYielded` / `execFailed`. `yieldTimeMs`: when set, report back
    /// (`execYielded`) if the command is still running after this long and keep it alive for
    /// `writeStdin`; when absent, wait for the exit.
    Exec {
        call_id: String,
        params: ExecStartParams,
        #[ts(optional, type = "number")]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        yield_time_ms: Option<u64>,
    },
    /// Write to (or just poll, when `chars` is empty) the still-running command started by
    /// `execCallId`; answer for `callId` with `execExited` / `execYielded` / `execFailed`, carrying
    /// only the output since the last answer.
    WriteStdin {
        call_id: String,
        exec_call_id: String,
        chars: String,
        #[ts(type = "number")]
        yield_time_ms: u64,
    },
    /// Kill a command (its whole process group). No answer needed.
    KillExec { call_id: String },
    /// Read these workspace-relative paths (editor buffers first); answer with `filesRead`.
    ReadFiles { call_id: String, paths: Vec<String> },
    /// Write all of these at once (policy `never`); answer with `changesApplied`.
    ApplyChanges {
        call_id: String,
        changes: Vec<FileChange>,
    },
    /// Show the proposal for review, write what is accepted; answer with `changesReviewed`.
    ReviewChanges {
        call_id: String,
        proposal: ChangeProposal,
    },
    /// Read an image file (absolute path) for `view_image`; answer with `imageRead`.
    ReadImage { call_id: String, path: String },
    /// Call a tool of an MCP server; answer with `mcpResult`.
    McpCall {
        call_id: String,
        server: String,
        tool: String,
        #[ts(type = "unknown")]
        arguments: serde_json::Value,
    },
    /// Ask the person; answer with `approvalDecided`.
    RequestApproval { request: ApprovalRequest },
    /// Show this to the UI / print it.
    Emit { event: ThreadEvent },
    /// Append this record to the session file.
    Persist { record: SessionRecord },
    /// The turn is over; no more effects until the next `userInput`.
    TurnEnded {
        status: TurnStatus,
        usage: Usage,
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
}

#[derive(Serialize, Deserialize, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum TurnStatus {
    Completed,
    Interrupted,
    Failed,
}

crate::session::tagged::internally_tagged! {
tag = "type", mirror = #[serde(rename_all = "camelCase", rename_all_fields = "camelCase")], read = by_hand;
/// One line of a session file. Replaying them in order (`Session::restore`) rebuilds the conversation.
#[derive(Serialize, TS, Debug, Clone, PartialEq)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[ts(export)]
pub enum SessionRecord {
    /// First line: what the session was created with.
    Meta { config: Box<AgentConfig> },
    /// One conversation item appended to the history (Responses input-item shape).
    Item { item: serde_json::Value },
    /// The history was compacted and replaced by these items.
    Compacted { items: Vec<serde_json::Value> },
    /// A turn ended (for listings, usage totals and the history replay). `error`: why it failed.
    TurnEnded {
        status: TurnStatus,
        usage: Usage,
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// An item as the UI last showed it (written when it completes), for the history replay; a
    /// command's output is cut to its tail (`replay::output_summary`). `Session::restore` skips it.
    Shown { item: ThreadItem },
    /// The core asked the person about a command (for the history replay).
    ApprovalAsked { request: ApprovalRequest },
    /// The person's answer to `approvalAsked` (for the history replay).
    ApprovalAnswered {
        request_id: String,
        decision: ApprovalDecision,
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// The host recorded a checkpoint of the workspace before this turn's first change (its id in
    /// the sidecar's checkpoint store). Not part of the conversation.
    Checkpoint { id: String },
    /// The conversation was rewound to just before the person's `toUserMessage`-th typed message
    /// (`SessionEvent::Rewind`): what came from that message on is dropped by `Session::restore`
    /// and the history replay.
    Rewind { to_user_message: u32 },
    /// The person restored checkpoint `checkpoint`'s files from the chat; `text` is the neutral
    /// notice the chat showed, which the history replay shows again. Not part of the conversation.
    FilesRestored { checkpoint: String, text: String },
}}

/// What the UI shows and `tack exec --json` prints, one per line.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq)]
#[serde(tag = "type")]
#[ts(export)]
pub enum ThreadEvent {
    #[serde(rename = "thread.started")]
    ThreadStarted { thread_id: String },
    #[serde(rename = "turn.started")]
    TurnStarted {},
    #[serde(rename = "item.started")]
    ItemStarted { item: ThreadItem },
    #[serde(rename = "item.updated")]
    ItemUpdated { item: ThreadItem },
    #[serde(rename = "item.completed")]
    ItemCompleted { item: ThreadItem },
    /// Streamed text appended to an item: agent message or reasoning text, or command output.
    #[serde(rename = "item.delta")]
    ItemDelta { item_id: String, delta: String },
    #[serde(rename = "turn.completed")]
    TurnCompleted { usage: Usage },
    #[serde(rename = "turn.failed")]
    TurnFailed { error: ThreadError },
    /// The host recorded a checkpoint before the turn's first change (see docs/checkpoints.md).
    #[serde(rename = "checkpoint.created")]
    CheckpointCreated { id: String },
    /// The conversation was rewound to just before the person's `toUserMessage`-th typed message;
    /// `text` is that message (for the input box).
    #[serde(rename = "conversation.rewound")]
    ConversationRewound { to_user_message: u32, text: String },
    #[serde(rename = "context.usage")]
    ContextUsage {
        #[ts(type = "number")]
        used_tokens: u64,
        #[ts(optional, type = "number")]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        window_tokens: Option<u64>,
    },
}

#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[ts(export)]
pub struct ThreadError {
    pub message: String,
    /// Why the turn ended, when it was not a failure of the model or a tool: a UI shows an
    /// interrupted turn as a calm "Stopped", not as an error.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<TurnEndReason>,
}

/// Why a turn ended without completing, when the person (not an error) ended it.
#[derive(Serialize, Deserialize, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TurnEndReason {
    /// The person stopped the turn.
    Interrupted,
}

// Deserialize: by hand in tagged.rs (no buffered `Content` for the flattened enum).
#[derive(Serialize, TS, Debug, Clone, PartialEq)]
#[ts(export)]
pub struct ThreadItem {
    pub id: String,
    #[serde(flatten)]
    pub details: ItemDetails,
}

crate::session::tagged::internally_tagged! {
tag = "type", mirror = #[serde(rename_all = "snake_case")], read = by_hand;
#[derive(Serialize, TS, Debug, Clone, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum ItemDetails {
    AgentMessage {
        text: String,
    },
    Reasoning {
        text: String,
    },
    CommandExecution {
        command: String,
        aggregated_output: String,
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        status: CommandStatus,
        #[ts(optional, type = "number")]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_ms: Option<u64>,
    },
    FileChange {
        changes: Vec<FileChangeSummary>,
        status: FileChangeStatus,
        /// One per entry of `changes`, same order (for the UI; not in Codex's stream). Kept after
        /// the review, so the card still shows what was proposed.
        diffs: Vec<FileDiff>,
        /// After a review: one per entry of `changes`, same order, each hunk id of that file's diff
        /// with the person's decision. Empty while pending and when no review was asked.
        #[ts(as = "Option<Vec<BTreeMap<String, HunkState>>>", optional)]
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        hunk_states: Vec<VecMap<String, HunkState>>,
    },
    TodoList {
        items: Vec<TodoItem>,
    },
    McpToolCall {
        server: String,
        tool: String,
        #[ts(type = "unknown")]
        arguments: serde_json::Value,
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        result: Option<McpItemResult>,
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<ThreadError>,
        status: McpCallStatus,
    },
    /// A search the provider's hosted web search tool made (Responses `web_search_call`).
    WebSearch {
        /// What was searched for (or the page opened).
        query: String,
    },
    Error {
        message: String,
    },
}}

#[derive(Serialize, Deserialize, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CommandStatus {
    InProgress,
    Completed,
    Failed,
    Declined,
}

#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[ts(export)]
pub struct FileChangeSummary {
    pub path: String,
    pub kind: FileChangeKind,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub move_path: Option<String>,
}

#[derive(Serialize, Deserialize, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FileChangeKind {
    Add,
    Delete,
    Update,
}

/// The person's decision on one hunk of a proposed edit.
#[derive(Serialize, Deserialize, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum HunkState {
    Pending,
    Accepted,
    /// Accepted, but not every line of it landed (some lines chosen, or the proposal edited). The
    /// editor's review reports it; the core itself records a hunk as accepted or rejected.
    Partial,
    Rejected,
}

#[derive(Serialize, Deserialize, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FileChangeStatus {
    Pending,
    Completed,
    PartiallyApplied,
    Declined,
    Failed,
}

#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[ts(export)]
pub struct TodoItem {
    pub text: String,
    pub completed: bool,
    /// `pending` | `in_progress` | `completed`.
    pub status: String,
}
