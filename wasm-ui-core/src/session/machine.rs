//! The session state machine. `Session::handle(event)` returns the effects to carry out, in order.

use super::no_sandbox;
use super::protocol::*;
use super::stream::{RawCall, ResponseStream, StreamUi};
use crate::diff;
use crate::patch::{self, ChangeKind, FileChange, FileMap, Patch};
use crate::plan::{self, PlanUpdate};
use crate::prompt::{self, RequestBody};
use crate::tools::{self, ExecState, SandboxPermissions};
use crate::vec_map::VecMap;
use serde_json::Value;

mod mcp_calls;
mod media;
mod rewind_event;
pub use media::{web_search_query, NO_VISION_VIEW_IMAGE};

pub use crate::prompt::harness::{CONTINUE_PROMPT, TURN_ABORTED};

/// The answer to apply_patch in a read-only sandbox when nobody reviews edits (policy `never`).
pub const READ_ONLY_PATCH: &str = "apply_patch refused: the sandbox is read-only and the approval \
policy is `never`, so no file may be changed in this session. No files were changed. Tell the user \
what you would change instead.";

/// Output given to a tool call the interrupt cut short.
pub const ABORTED_OUTPUT: &str = "aborted";

/// Output given to a tool call from a response cut off by the output limit: it may be incomplete,
/// so it is not run.
pub const CUT_OFF_OUTPUT: &str = "not run: your response was cut off by the output token limit \
before it was complete, so this call may be incomplete. Make it again, shorter (for a large edit, \
split it into several smaller apply_patch calls).";

/// How many cut-off responses a turn answers by asking the model to go on before it ends the turn.
pub const MAX_CUT_OFF_CONTINUATIONS: u32 = 2;

mod approval;
mod calls;
mod classify;
mod commands;
mod edits;
mod items;
mod turn;

#[cfg(test)]
mod approval_tests;

use approval::{describe_remembered, scope_of, Decision, Remembered};
use classify::{Action, RAW_ARGUMENTS_QUOTE};
use edits::{hunk_states, summaries};
use items::{completed, emit, started, stream_details, updated, CommandState};

pub use edits::review_text;
pub use turn::too_deep_event_message;

#[derive(Debug, Clone, PartialEq)]
enum Waiting {
    Approval {
        request_id: String,
        unsandboxed: bool,
        /// What approving for the session remembers (as the card showed it).
        remember: tools::RememberPlan,
    },
    Exec {
        unsandboxed: bool,
    },
    Files(Patch),
    Apply(Vec<FileChange>),
    Review(Vec<FileChange>),
    Image,
    McpApproval {
        request_id: String,
    },
    Mcp,
}

#[derive(Debug, Clone)]
struct Call {
    raw: RawCall,
    action: Action,
    started: bool,
    waiting: Option<Waiting>,
    output: Option<String>,
    /// The thread item showing it (command or file change).
    item_id: Option<String>,
    /// ANSI-free output shown in the item.
    shown_output: String,
    /// The diffs of a proposed edit, repeated when its item completes.
    diffs: Vec<crate::diff::FileDiff>,
    /// A `view_image` result, shown to the model after the round's outputs.
    image: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Streaming,
    Compacting,
    Tools,
}

/// A streamed message or reasoning item: its id, its kind, and its text so far.
#[derive(Debug, Clone)]
struct StreamItem {
    id: String,
    reasoning: bool,
    text: String,
}

#[derive(Debug, Clone)]
struct Turn {
    phase: Phase,
    stream: ResponseStream,
    /// Streaming key -> the thread item it feeds.
    stream_items: VecMap<String, StreamItem>,
    calls: Vec<Call>,
    cursor: usize,
    usage: Usage,
    plan_item: Option<(String, Vec<TodoItem>)>,
    responses: u32,
    last_message: Option<String>,
    /// Cut-off responses answered with a request to continue in this turn.
    continuations: u32,
}

/// A command kept alive after its yield time, addressed by the model as a session ID.
#[derive(Debug, Clone)]
struct LiveExec {
    exec_call_id: String,
    item_id: String,
    command: String,
    shown_output: String,
    started_ms: u64,
}

#[derive(Debug, Clone)]
pub struct Session {
    cfg: AgentConfig,
    family: ToolFamily,
    history: prompt::History,
    initial_len: usize,
    persisted_initial: bool,
    thread_started: bool,
    next_item: u64,
    next_request: u64,
    next_exec_session: u32,
    live: VecMap<u32, LiveExec>,
    /// Approvals given for the session, in the order given.
    remembered: Vec<Remembered>,
    next_approval: u64,
    /// Whether the chat was told there is no OS sandbox here (session/no_sandbox.rs): once.
    no_sandbox_noticed: bool,
    turn: Option<Turn>,
    /// Tokens the context held after the last response.
    context_tokens: u64,
    mcp: mcp_calls::McpState,
    rewind: super::rewind::RewindPoints,
    /// The Responses body's text around the history, written for the first request. Architecture
    /// invariant: what it is written from (the config, the family, the MCP tool set) does not
    /// change once it is written, except the MCP tools, and `set_mcp_tools` clears it.
    request_skeleton: std::cell::OnceCell<prompt::body::Skeleton>,
}

impl Session {
    pub fn new(cfg: AgentConfig) -> Session {
        let family = cfg
            .tool_family
            .unwrap_or_else(|| tools::family_for(&cfg.model, cfg.wire));
        let history: prompt::History = prompt::initial_context(&cfg).into();
        let initial_len = history.len();
        Session {
            cfg,
            family,
            history,
            initial_len,
            persisted_initial: false,
            thread_started: false,
            next_item: 0,
            next_request: 0,
            next_exec_session: 1,
            live: VecMap::new(),
            remembered: vec![],
            next_approval: 0,
            no_sandbox_noticed: false,
            turn: None,
            context_tokens: 0,
            mcp: Default::default(),
            rewind: Default::default(),
            request_skeleton: Default::default(),
        }
    }

    /// Rebuilds a session from its file's records (in order). The config's model, policies and
    /// environment apply from now on; the conversation is the recorded one.
    pub fn restore(cfg: AgentConfig, records: &[SessionRecord]) -> Result<Session, String> {
        let mut s = Session::new(cfg);
        for (i, r) in records.iter().enumerate() {
            if let SessionRecord::Meta { config } = r {
                if i != 0 {
                    return Err(format!(
                        "session record {}: meta record after the start",
                        i + 1
                    ));
                }
                s.cfg.session_id = config.session_id.clone();
            }
        }
        let (history, rewind) = super::rewind::rebuild(records)?;
        s.rewind = rewind;
        if history.is_empty() {
            return Err("the session file holds no conversation".to_string());
        }
        s.history = history.into();
        s.persisted_initial = true;
        Ok(s)
    }

    pub fn config(&self) -> &AgentConfig {
        &self.cfg
    }

    pub fn history(&self) -> &[Value] {
        &self.history
    }

    pub fn is_turn_running(&self) -> bool {
        self.turn.is_some()
    }

    /// The approvals given for the session, oldest first (for the person to review and revoke).
    pub fn remembered_approvals(&self) -> Vec<RememberedApproval> {
        self.remembered
            .iter()
            .map(|r| RememberedApproval {
                id: r.id.clone(),
                scope: scope_of(&r.plan),
                cwd: r.cwd.clone(),
                sandbox: r.sandbox.clone(),
                description: describe_remembered(r),
            })
            .chain(self.mcp_remembered())
            .collect()
    }

    /// An error the person sees in the transcript (a completed `error` item); the turn goes on.
    fn show_error(&mut self, message: String, out: &mut Vec<Effect>) {
        let id = self.new_item_id();
        completed(out, &id, items::error(message));
    }

    fn new_item_id(&mut self) -> String {
        let id = format!("item_{}", self.next_item);
        self.next_item += 1;
        id
    }

    fn push_history(&mut self, item: Value, out: &mut Vec<Effect>) {
        out.push(Effect::Persist {
            record: SessionRecord::Item { item: item.clone() },
        });
        self.history.push(item);
        self.rewind.note_appended(&self.history);
    }

    pub fn handle(&mut self, event: SessionEvent) -> Vec<Effect> {
        let mut out = vec![];
        match event {
            SessionEvent::UserInput {
                text,
                editor_context,
                images,
            } => self.on_user_input(text, editor_context, images.unwrap_or_default(), &mut out),
            SessionEvent::ModelEvent { data } => {
                self.on_model_event(&data, &mut out);
                super::depth::dismantle(data);
            }
            SessionEvent::ModelStreamRestarted => self.on_stream_restarted(&mut out),
            SessionEvent::ModelStreamEnded => self.on_stream_ended(&mut out),
            SessionEvent::ModelFailed { message, .. } => {
                if self.turn.as_ref().is_some_and(|t| t.phase != Phase::Tools) {
                    self.fail_turn(message, &mut out);
                }
            }
            SessionEvent::ExecOutput { call_id, chunk } => {
                self.on_exec_output(&call_id, &chunk, &mut out)
            }
            SessionEvent::ExecExited {
                call_id,
                exit_code,
                duration_ms,
                output,
                truncated_bytes,
                timed_out,
            } => self.on_exec_exited(
                &call_id,
                exit_code,
                duration_ms,
                output,
                truncated_bytes,
                timed_out,
                &mut out,
            ),
            SessionEvent::ExecYielded {
                call_id,
                duration_ms,
                output,
            } => self.on_exec_yielded(&call_id, duration_ms, output),
            SessionEvent::ExecFailed { call_id, message } => {
                self.on_exec_failed(&call_id, message, &mut out)
            }
            SessionEvent::ImageRead {
                call_id,
                data_url,
                error,
            } => self.on_image_read(&call_id, data_url, error),
            SessionEvent::FilesRead { call_id, files } => {
                self.on_files_read(&call_id, files, &mut out)
            }
            SessionEvent::ChangesApplied { call_id, error } => {
                self.on_changes_applied(&call_id, error, &mut out)
            }
            SessionEvent::ChangesReviewed { call_id, review } => {
                self.on_changes_reviewed(&call_id, review, &mut out)
            }
            SessionEvent::ApprovalDecided {
                request_id,
                decision,
                message,
            } => self.on_approval(&request_id, decision, message, &mut out),
            SessionEvent::Interrupt => self.interrupt(&mut out),
            SessionEvent::RevokeApproval { approval_id } => {
                self.remembered.retain(|r| r.id != approval_id);
                self.revoke_mcp(&approval_id);
            }
            SessionEvent::McpTools { tools } => self.set_mcp_tools(tools, &mut out),
            SessionEvent::McpResult {
                call_id,
                result,
                error,
            } => self.on_mcp_result(&call_id, result, error, &mut out),
            SessionEvent::Rewind { to_user_message } => self.on_rewind(to_user_message, &mut out),
        }
        // Whatever finished a call may let the next calls start, or the next request go.
        self.advance(&mut out);
        out
    }
}
