//! The session state machine. `Session::handle(event)` returns the effects to carry out, in order.

use super::no_sandbox;
use super::protocol::*;
use super::stream::{RawCall, ResponseStream, StreamUi};
use crate::diff;
use crate::patch::{self, ChangeKind, FileChange, FileMap, Patch};
use crate::plan::{self, PlanUpdate};
use crate::prompt;
use crate::tools::{self, ExecState, SandboxPermissions};
use serde_json::{json, Value};
use std::collections::BTreeMap;

mod mcp_calls;
mod media;
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

/// How much of invalid tool-call arguments is quoted back to the model.
const RAW_ARGUMENTS_QUOTE: usize = 2_000;

#[derive(Debug, Clone, PartialEq)]
enum Action {
    Exec {
        argv: Vec<String>,
        command: String,
        cwd: String,
        tty: bool,
        yield_ms: Option<u64>,
        timeout_ms: Option<u64>,
        max_tokens: u64,
        escalate: Option<String>,
        prefix: Option<Vec<String>>,
        shell_tool: bool,
    },
    WriteStdin {
        session: u32,
        chars: String,
        yield_ms: u64,
        max_tokens: u64,
    },
    Patch {
        text: String,
        /// Sent through a command: answer in the command format.
        via_exec: bool,
    },
    Plan(PlanUpdate),
    ViewImage {
        path: String,
    },
    Mcp(mcp_calls::McpPlan),
    Invalid(String),
}

impl Action {
    /// Edits run one at a time, after everything before them finished (they read current files).
    fn sequential(&self) -> bool {
        matches!(self, Action::Patch { .. })
    }
}

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

/// The details of a streamed item: reasoning or an agent message.
fn stream_details(reasoning: bool, text: String) -> ItemDetails {
    if reasoning {
        ItemDetails::Reasoning { text }
    } else {
        ItemDetails::AgentMessage { text }
    }
}

#[derive(Debug, Clone)]
struct Turn {
    phase: Phase,
    stream: ResponseStream,
    /// Streaming key -> the thread item it feeds.
    stream_items: BTreeMap<String, StreamItem>,
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

/// An approval for the session: what it covers, where, and with which sandbox.
#[derive(Debug, Clone)]
struct Remembered {
    id: String,
    plan: tools::RememberPlan,
    cwd: String,
    sandbox: ExecSandbox,
}

fn scope_of(plan: &tools::RememberPlan) -> RememberScope {
    match plan {
        tools::RememberPlan::Prefix(prefix) => RememberScope::Prefix {
            prefix: prefix.clone(),
        },
        tools::RememberPlan::Exact(argv) => RememberScope::Exact { argv: argv.clone() },
        tools::RememberPlan::Once => RememberScope::Once,
    }
}

/// One line describing a remembered approval, for lists.
fn describe_remembered(r: &Remembered) -> String {
    let what = match &r.plan {
        tools::RememberPlan::Prefix(p) => format!("commands starting with `{}`", p.join(" ")),
        tools::RememberPlan::Exact(argv) => format!("exactly `{}`", argv.join(" ")),
        tools::RememberPlan::Once => "nothing".to_string(),
    };
    let sandbox = match r.sandbox.mode {
        SandboxMode::DangerFullAccess => "without the sandbox",
        SandboxMode::WorkspaceWrite => "in the workspace-write sandbox",
        SandboxMode::ReadOnly => "in the read-only sandbox",
    };
    let network = if r.sandbox.network {
        "with network"
    } else {
        "without network"
    };
    format!("{what} in {}, {sandbox}, {network}", r.cwd)
}

#[derive(Debug, Clone)]
pub struct Session {
    cfg: AgentConfig,
    family: ToolFamily,
    history: Vec<Value>,
    initial_len: usize,
    persisted_initial: bool,
    thread_started: bool,
    next_item: u64,
    next_request: u64,
    next_exec_session: u32,
    live: BTreeMap<u32, LiveExec>,
    /// Approvals given for the session, in the order given.
    remembered: Vec<Remembered>,
    next_approval: u64,
    /// Whether the chat was told there is no OS sandbox here (session/no_sandbox.rs): once.
    no_sandbox_noticed: bool,
    turn: Option<Turn>,
    /// Tokens the context held after the last response.
    context_tokens: u64,
    mcp: mcp_calls::McpState,
}

fn item(id: &str, details: ItemDetails) -> ThreadItem {
    ThreadItem {
        id: id.to_string(),
        details,
    }
}

fn emit(out: &mut Vec<Effect>, event: ThreadEvent) {
    // A completed item is also written to the session file, as shown, for the history replay.
    let shown = match &event {
        ThreadEvent::ItemCompleted { item } => Some(super::replay::shown_record(item)),
        _ => None,
    };
    out.push(Effect::Emit { event });
    if let Some(record) = shown {
        out.push(Effect::Persist { record });
    }
}

fn add_usage(total: &mut Usage, u: &Usage) {
    total.input_tokens += u.input_tokens;
    total.cached_input_tokens += u.cached_input_tokens;
    total.output_tokens += u.output_tokens;
    total.reasoning_output_tokens += u.reasoning_output_tokens;
}

fn summary_kind(c: &FileChange) -> FileChangeKind {
    match c.kind {
        ChangeKind::Add => FileChangeKind::Add,
        ChangeKind::Delete => FileChangeKind::Delete,
        ChangeKind::Modify => FileChangeKind::Update,
    }
}

fn change_letter(c: &FileChange) -> (&'static str, &str) {
    match c.kind {
        ChangeKind::Add => ("A", &c.path),
        ChangeKind::Delete => ("D", &c.path),
        ChangeKind::Modify => ("M", c.move_path.as_deref().unwrap_or(&c.path)),
    }
}

fn success_text(changes: &[FileChange]) -> String {
    let mut s = String::from("Success. Updated the following files:\n");
    for c in changes {
        let (l, p) = change_letter(c);
        s += &format!("{l} {p}\n");
    }
    s
}

/// Joins `workdir` onto the cwd unless it is absolute.
fn resolve_dir(cwd: &str, workdir: Option<&str>) -> String {
    match workdir {
        None | Some("") | Some(".") => cwd.to_string(),
        Some(w) if w.starts_with('/') => w.to_string(),
        Some(w) => format!(
            "{}/{}",
            cwd.trim_end_matches('/'),
            w.trim_start_matches("./")
        ),
    }
}

/// The text of a `user` message the person typed (not one the harness wrote).
fn user_typed(item: &Value) -> Option<&str> {
    if item["type"] != "message" || item["role"] != "user" {
        return None;
    }
    let text = item["content"][0]["text"].as_str()?;
    match prompt::harness::classify(text) {
        Some(_) => None,
        None => Some(text),
    }
}

impl Session {
    pub fn new(cfg: AgentConfig) -> Session {
        let family = cfg
            .tool_family
            .unwrap_or_else(|| tools::family_for(&cfg.model, cfg.wire));
        let history = prompt::initial_context(&cfg);
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
            live: BTreeMap::new(),
            remembered: vec![],
            next_approval: 0,
            no_sandbox_noticed: false,
            turn: None,
            context_tokens: 0,
            mcp: Default::default(),
        }
    }

    /// Rebuilds a session from its file's records (in order). The config's model, policies and
    /// environment apply from now on; the conversation is the recorded one.
    pub fn restore(cfg: AgentConfig, records: &[SessionRecord]) -> Result<Session, String> {
        let mut s = Session::new(cfg);
        let mut history: Vec<Value> = vec![];
        for (i, r) in records.iter().enumerate() {
            match r {
                SessionRecord::Meta { config } => {
                    if i != 0 {
                        return Err(format!(
                            "session record {}: meta record after the start",
                            i + 1
                        ));
                    }
                    s.cfg.session_id = config.session_id.clone();
                }
                SessionRecord::Item { item } => history.push(item.clone()),
                SessionRecord::Compacted { items } => history = items.clone(),
                SessionRecord::TurnEnded { .. }
                | SessionRecord::Shown { .. }
                | SessionRecord::ApprovalAsked { .. }
                | SessionRecord::ApprovalAnswered { .. }
                | SessionRecord::Checkpoint { .. } => {}
            }
        }
        if history.is_empty() {
            return Err("the session file holds no conversation".to_string());
        }
        s.history = history;
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
        emit(
            out,
            ThreadEvent::ItemCompleted {
                item: item(&id, ItemDetails::Error { message }),
            },
        );
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
        }
        // Whatever finished a call may let the next calls start, or the next request go.
        self.advance(&mut out);
        out
    }

    // ---- turns and model requests ----

    fn on_user_input(
        &mut self,
        text: String,
        ctx: Option<EditorContext>,
        images: Vec<String>,
        out: &mut Vec<Effect>,
    ) {
        if self.turn.is_some() {
            self.show_error(
                "A turn is already running; wait for it or stop it first.".to_string(),
                out,
            );
            return;
        }
        if !self.thread_started {
            self.thread_started = true;
            emit(
                out,
                ThreadEvent::ThreadStarted {
                    thread_id: self.cfg.session_id.clone(),
                },
            );
        }
        if self.refuse_images(&images, out) {
            return;
        }
        if !self.persisted_initial {
            self.persisted_initial = true;
            out.push(Effect::Persist {
                record: SessionRecord::Meta {
                    config: Box::new(self.cfg.clone()),
                },
            });
            for item in self.history.clone() {
                out.push(Effect::Persist {
                    record: SessionRecord::Item { item },
                });
            }
        }
        emit(out, ThreadEvent::TurnStarted {});
        self.show_mcp_refusals(out);
        self.turn = Some(Turn {
            phase: Phase::Streaming,
            stream: ResponseStream::default(),
            stream_items: BTreeMap::new(),
            calls: vec![],
            cursor: 0,
            usage: Usage::default(),
            plan_item: None,
            responses: 0,
            last_message: None,
            continuations: 0,
        });
        if let Some(msg) = ctx.as_ref().and_then(prompt::editor_context_message) {
            self.push_history(msg, out);
        }
        self.push_history(media::user_message_with_images(&text, &images), out);
        self.send_request(out);
    }

    fn compact_threshold(&self) -> Option<u64> {
        let window = self.cfg.context_window?;
        let pct = self.cfg.compact_percent.unwrap_or(90).clamp(1, 100) as u64;
        Some(window * pct / 100)
    }

    fn body(&self, history: &[Value]) -> Value {
        let mut body = match self.cfg.wire {
            Wire::Responses => prompt::responses_body(&self.cfg, self.family, history),
            Wire::Chat => prompt::chat_body(&self.cfg, self.family, history),
        };
        self.add_mcp_tools(&mut body);
        self.adjust_tools(&mut body);
        body
    }

    /// Sends the next request of the turn, compacting first when the context is nearly full.
    fn send_request(&mut self, out: &mut Vec<Effect>) {
        let compact = self
            .compact_threshold()
            .is_some_and(|t| self.context_tokens >= t)
            && self.history.len() > self.initial_len + 1;
        let turn = self.turn.as_mut().expect("a turn is running");
        turn.stream = ResponseStream::default();
        turn.stream_items.clear();
        turn.calls.clear();
        turn.cursor = 0;
        let body = if compact {
            turn.phase = Phase::Compacting;
            let mut history = self.history.clone();
            history.push(prompt::user_message(prompt::COMPACT_PROMPT));
            self.body(&history)
        } else {
            turn.phase = Phase::Streaming;
            self.body(&self.history)
        };
        out.push(Effect::ModelRequest {
            wire: self.cfg.wire,
            body,
        });
    }

    /// Ends the running turn because the model stream sent something the core will not take: the
    /// request is cancelled and the turn fails with `message`.
    pub fn reject_model_event(&mut self, message: &str) -> Vec<Effect> {
        let mut out = vec![];
        if self.turn.as_ref().is_some_and(|t| t.phase != Phase::Tools) {
            out.push(Effect::CancelModel);
            self.fail_turn(message.to_string(), &mut out);
        }
        out
    }

    fn on_model_event(&mut self, data: &Value, out: &mut Vec<Effect>) {
        if super::depth::value_exceeds(data, super::depth::MAX_EVENT_DEPTH) {
            out.extend(self.reject_model_event(&too_deep_event_message()));
            return;
        }
        let wire = self.cfg.wire;
        let Some(turn) = self.turn.as_mut() else {
            return;
        };
        if turn.phase == Phase::Tools {
            return;
        }
        let compacting = turn.phase == Phase::Compacting;
        let ui = turn.stream.feed(wire, data);
        if compacting {
            return; // the summary is not shown as a message
        }
        self.stream_ui(ui, out);
    }

    fn stream_ui(&mut self, ui: Vec<StreamUi>, out: &mut Vec<Effect>) {
        for u in ui {
            match u {
                StreamUi::Delta {
                    key,
                    reasoning,
                    delta,
                } => {
                    let existing = self
                        .turn
                        .as_ref()
                        .and_then(|t| t.stream_items.get(&key).cloned());
                    let id = match existing {
                        Some(existing) => existing.id,
                        None => {
                            let id = self.new_item_id();
                            emit(
                                out,
                                ThreadEvent::ItemStarted {
                                    item: item(&id, stream_details(reasoning, String::new())),
                                },
                            );
                            id
                        }
                    };
                    let turn = self.turn.as_mut().unwrap();
                    let entry = turn.stream_items.entry(key).or_insert(StreamItem {
                        id: id.clone(),
                        reasoning,
                        text: String::new(),
                    });
                    entry.text.push_str(&delta);
                    emit(out, ThreadEvent::ItemDelta { item_id: id, delta });
                }
                StreamUi::WebSearch { query } => self.show_web_search(query, out),
                StreamUi::Done {
                    key,
                    reasoning,
                    text,
                } => {
                    let existing = self
                        .turn
                        .as_ref()
                        .and_then(|t| t.stream_items.get(&key).cloned());
                    let id = match existing {
                        Some(existing) => existing.id,
                        None => self.new_item_id(),
                    };
                    if !reasoning {
                        self.turn.as_mut().unwrap().last_message = Some(text.clone());
                    }
                    emit(
                        out,
                        ThreadEvent::ItemCompleted {
                            item: item(&id, stream_details(reasoning, text)),
                        },
                    );
                }
            }
        }
    }

    fn on_stream_restarted(&mut self, out: &mut Vec<Effect>) {
        let Some(turn) = self.turn.as_mut() else {
            return;
        };
        if turn.phase == Phase::Tools {
            return;
        }
        turn.stream = ResponseStream::default();
        // Items streamed so far restart empty; the retried stream fills them again.
        for stale in turn.stream_items.values_mut() {
            stale.text.clear();
            emit(
                out,
                ThreadEvent::ItemUpdated {
                    item: item(&stale.id, stream_details(stale.reasoning, String::new())),
                },
            );
        }
    }

    fn on_stream_ended(&mut self, out: &mut Vec<Effect>) {
        let wire = self.cfg.wire;
        let Some(turn) = self.turn.as_mut() else {
            return;
        };
        if turn.phase == Phase::Tools {
            return;
        }
        if let Err(message) = turn.stream.accept_end(wire) {
            self.fail_turn(message, out);
            return;
        }
        let usage = turn.stream.usage.unwrap_or_default();
        add_usage(&mut turn.usage, &usage);
        turn.responses += 1;
        if turn.stream.usage.is_some() {
            self.context_tokens = usage.input_tokens + usage.output_tokens;
            emit(
                out,
                ThreadEvent::ContextUsage {
                    used_tokens: self.context_tokens,
                    window_tokens: self.cfg.context_window,
                },
            );
        }
        let turn = self.turn.as_mut().unwrap();
        if turn.phase == Phase::Compacting {
            let summary = turn.stream.text(wire);
            self.finish_compaction(summary, out);
            return;
        }
        if wire == Wire::Chat {
            let ui = turn.stream.chat_final_ui();
            self.stream_ui(ui, out);
        }
        let turn = self.turn.as_mut().unwrap();
        let prefix = format!("call_{}", turn.responses);
        // Servers that imitate the Responses API may say "completed" for a response the cap cut:
        // there, output that reached the cap counts as cut off. Chat's finish_reason is trusted.
        let cap = prompt::max_output_tokens(&self.cfg);
        let cut_off = turn.stream.cut_off.clone().or_else(|| {
            if wire != Wire::Responses {
                return None;
            }
            let out_tokens = turn.stream.usage.map(|u| u.output_tokens)?;
            cap.filter(|c| out_tokens >= *c)
                .map(|_| "max_output_tokens".to_string())
        });
        let (items, calls) = turn.stream.finish(wire, &prefix);
        for it in items {
            self.push_history(it, out);
        }
        if let Some(reason) = cut_off {
            self.on_cut_off(&reason, cap, calls, out);
            return;
        }
        if calls.is_empty() {
            self.complete_turn(out);
            return;
        }
        let actions: Vec<Call> = calls
            .into_iter()
            .map(|raw| {
                let action = self.classify(&raw);
                Call {
                    raw,
                    action,
                    started: false,
                    waiting: None,
                    output: None,
                    item_id: None,
                    shown_output: String::new(),
                    diffs: vec![],
                    image: None,
                }
            })
            .collect();
        let turn = self.turn.as_mut().unwrap();
        turn.phase = Phase::Tools;
        turn.calls = actions;
        turn.cursor = 0;
        self.advance(out);
    }

    /// A response cut short: its calls are answered without running them, the person is told, and
    /// the model is asked to go on, at most MAX_CUT_OFF_CONTINUATIONS times a turn.
    fn on_cut_off(
        &mut self,
        reason: &str,
        cap: Option<u64>,
        calls: Vec<RawCall>,
        out: &mut Vec<Effect>,
    ) {
        let limit = match cap {
            Some(c) if reason == "max_output_tokens" || reason == "length" => {
                format!("the output limit of {c} tokens")
            }
            _ if reason == "max_output_tokens" => "the server's output limit".to_string(),
            _ => format!("the server ({reason})"),
        };
        let had_calls = !calls.is_empty();
        for raw in &calls {
            self.push_history(self.output_item(raw, CUT_OFF_OUTPUT.to_string()), out);
        }
        let turn = self.turn.as_mut().unwrap();
        let go_on = turn.continuations < MAX_CUT_OFF_CONTINUATIONS;
        let what = if had_calls {
            format!(
                "The model's response was cut off by {limit}; its {} tool call{} {} not run.",
                calls.len(),
                if calls.len() == 1 { "" } else { "s" },
                if calls.len() == 1 { "was" } else { "were" }
            )
        } else {
            format!("The model's response was cut off by {limit}.")
        };
        if go_on {
            turn.continuations += 1;
            self.show_error(format!("{what} Asking it to continue."), out);
            if !had_calls {
                self.push_history(prompt::user_message(CONTINUE_PROMPT), out);
            }
            self.send_request(out);
        } else {
            self.fail_turn(
                format!(
                    "{what} It was cut off {} times in this turn; raise the limit (tack.maxOutputTokens, --max-output-tokens) or ask for less at a time.",
                    MAX_CUT_OFF_CONTINUATIONS + 1
                ),
                out,
            );
        }
    }

    fn finish_compaction(&mut self, summary: String, out: &mut Vec<Effect>) {
        if summary.trim().is_empty() {
            self.fail_turn(
                "compaction failed: the model returned no summary".to_string(),
                out,
            );
            return;
        }
        // Keep the most recent user messages that fit in a modest budget, oldest first.
        let mut recent: Vec<String> = vec![];
        let mut budget: usize = 20_000 * 4;
        for text in self.history.iter().rev().filter_map(user_typed) {
            if text.len() > budget {
                break;
            }
            budget -= text.len();
            recent.push(text.to_string());
        }
        recent.reverse();
        let mut items = prompt::initial_context(&self.cfg);
        self.initial_len = items.len();
        items.extend(recent.iter().map(|t| prompt::user_message(t)));
        items.push(prompt::user_message(&format!(
            "{}\n\n{}",
            prompt::SUMMARY_PREFIX,
            summary.trim()
        )));
        out.push(Effect::Persist {
            record: SessionRecord::Compacted {
                items: items.clone(),
            },
        });
        self.history = items;
        self.context_tokens = 0;
        self.send_request(out);
    }

    fn complete_turn(&mut self, out: &mut Vec<Effect>) {
        let turn = self.turn.take().expect("a turn is running");
        self.close_plan(&turn, out);
        emit(out, ThreadEvent::TurnCompleted { usage: turn.usage });
        out.push(Effect::Persist {
            record: SessionRecord::TurnEnded {
                status: TurnStatus::Completed,
                usage: turn.usage,
                error: None,
            },
        });
        out.push(Effect::TurnEnded {
            status: TurnStatus::Completed,
            usage: turn.usage,
            error: None,
        });
    }

    fn close_plan(&self, turn: &Turn, out: &mut Vec<Effect>) {
        if let Some((id, items)) = &turn.plan_item {
            emit(
                out,
                ThreadEvent::ItemCompleted {
                    item: item(
                        id,
                        ItemDetails::TodoList {
                            items: items.clone(),
                        },
                    ),
                },
            );
        }
    }

    fn fail_turn(&mut self, message: String, out: &mut Vec<Effect>) {
        let Some(turn) = self.turn.take() else { return };
        self.close_plan(&turn, out);
        emit(
            out,
            ThreadEvent::TurnFailed {
                error: ThreadError {
                    message: message.clone(),
                    reason: None,
                },
            },
        );
        out.push(Effect::Persist {
            record: SessionRecord::TurnEnded {
                status: TurnStatus::Failed,
                usage: turn.usage,
                error: Some(message.clone()),
            },
        });
        out.push(Effect::TurnEnded {
            status: TurnStatus::Failed,
            usage: turn.usage,
            error: Some(message),
        });
    }

    fn interrupt(&mut self, out: &mut Vec<Effect>) {
        let Some(mut turn) = self.turn.take() else {
            return;
        };
        match turn.phase {
            Phase::Streaming | Phase::Compacting => out.push(Effect::CancelModel),
            Phase::Tools => {
                for call in turn.calls.iter_mut() {
                    if call.output.is_some() {
                        continue;
                    }
                    if matches!(call.waiting, Some(Waiting::Exec { .. })) {
                        out.push(Effect::KillExec {
                            call_id: call.raw.call_id.clone(),
                        });
                    }
                    if let Some(id) = &call.item_id {
                        let details = match &call.action {
                            Action::Patch { .. } => {
                                // The card keeps what was proposed; every undecided hunk is withdrawn.
                                let changes = match &call.waiting {
                                    Some(Waiting::Review(c)) | Some(Waiting::Apply(c)) => c.clone(),
                                    _ => vec![],
                                };
                                let diffs = if changes.is_empty() {
                                    vec![]
                                } else {
                                    call.diffs.clone()
                                };
                                let hunk_states = hunk_states(
                                    &changes,
                                    &diffs,
                                    &ChangeReview {
                                        files: vec![],
                                        reason: None,
                                    },
                                );
                                Some(ItemDetails::FileChange {
                                    changes: summaries(&changes),
                                    status: FileChangeStatus::Declined,
                                    diffs,
                                    hunk_states,
                                })
                            }
                            Action::Exec { command, .. } => Some(ItemDetails::CommandExecution {
                                command: command.clone(),
                                aggregated_output: call.shown_output.clone(),
                                exit_code: None,
                                status: CommandStatus::Failed,
                                duration_ms: None,
                            }),
                            Action::Mcp(plan) => Some(mcp_calls::interrupted_details(plan)),
                            _ => None,
                        };
                        if let Some(details) = details {
                            emit(
                                out,
                                ThreadEvent::ItemCompleted {
                                    item: item(id, details),
                                },
                            );
                        }
                    }
                    call.output = Some(ABORTED_OUTPUT.to_string());
                }
                for call in &turn.calls {
                    let output = call.output.clone().unwrap_or_default();
                    self.push_history(self.output_item(&call.raw, output), out);
                }
            }
        }
        // Commands left running for write_stdin stop with the turn.
        for (_, live) in std::mem::take(&mut self.live) {
            out.push(Effect::KillExec {
                call_id: live.exec_call_id.clone(),
            });
            emit(
                out,
                ThreadEvent::ItemCompleted {
                    item: item(
                        &live.item_id,
                        ItemDetails::CommandExecution {
                            command: live.command,
                            aggregated_output: live.shown_output,
                            exit_code: None,
                            status: CommandStatus::Failed,
                            duration_ms: None,
                        },
                    ),
                },
            );
        }
        self.push_history(prompt::user_message(TURN_ABORTED), out);
        self.close_plan(&turn, out);
        emit(
            out,
            ThreadEvent::TurnFailed {
                error: ThreadError {
                    message: "Turn interrupted by the user.".into(),
                    reason: Some(TurnEndReason::Interrupted),
                },
            },
        );
        out.push(Effect::Persist {
            record: SessionRecord::TurnEnded {
                status: TurnStatus::Interrupted,
                usage: turn.usage,
                error: None,
            },
        });
        out.push(Effect::TurnEnded {
            status: TurnStatus::Interrupted,
            usage: turn.usage,
            error: None,
        });
    }

    fn output_item(&self, raw: &RawCall, output: String) -> Value {
        if raw.arguments.is_none() {
            json!({"type": "custom_tool_call_output", "call_id": raw.call_id, "output": output})
        } else {
            json!({"type": "function_call_output", "call_id": raw.call_id, "output": output})
        }
    }

    // ---- tool calls ----

    fn classify(&self, raw: &RawCall) -> Action {
        let args = raw.arguments.as_deref().unwrap_or("");
        // Only JSON is measured: a raw patch sent as the arguments may hold any brackets.
        let json_like = args.trim_start().starts_with(['{', '[']);
        if json_like && super::depth::text_exceeds(args, super::depth::MAX_ARGUMENT_DEPTH) {
            return Action::Invalid(format!(
                "failed to parse function arguments: they nest deeper than {} levels",
                super::depth::MAX_ARGUMENT_DEPTH
            ));
        }
        let bad = |e: serde_json::Error| {
            // The raw text goes back here only: the history sends a valid JSON form in its place.
            let quoted: String = args.chars().take(RAW_ARGUMENTS_QUOTE).collect();
            let more = if quoted.len() < args.len() {
                " [...]"
            } else {
                ""
            };
            Action::Invalid(format!(
                "failed to parse function arguments: {e}. The arguments must be one JSON object matching the tool's schema; you sent: {quoted}{more}"
            ))
        };
        match raw.name.as_str() {
            "exec_command" => {
                let a: tools::ExecCommandArgs = match serde_json::from_str(args) {
                    Ok(a) => a,
                    Err(e) => return bad(e),
                };
                // The shell is the configured one; a model-named shell is only accepted when it names
                // that same shell (a file the model wrote could be called `bash`).
                let shell = match a.shell.as_deref().map(str::trim) {
                    None | Some("") => self.cfg.shell.clone(),
                    Some(s) if tools::is_configured_shell(s, &self.cfg.shell) => {
                        self.cfg.shell.clone()
                    }
                    Some(s) => {
                        return Action::Invalid(format!(
                            "exec_command refused: the shell `{s}` is not the configured shell `{}`. Leave out `shell` and the command runs with the configured shell.",
                            self.cfg.shell
                        ))
                    }
                };
                let flag = if a.login.unwrap_or(true) { "-lc" } else { "-c" };
                let argv = vec![shell, flag.to_string(), a.cmd.clone()];
                if let Some((text, dir)) = tools::extract_from_script(&a.cmd) {
                    return patch_action(text, dir, true);
                }
                Action::Exec {
                    argv,
                    command: a.cmd.clone(),
                    cwd: resolve_dir(&self.cfg.cwd, a.workdir.as_deref()),
                    tty: a.tty.unwrap_or(false),
                    yield_ms: Some(tools::exec_yield_ms(a.yield_time_ms)),
                    timeout_ms: None,
                    max_tokens: tools::max_output_tokens(a.max_output_tokens),
                    escalate: (a.sandbox_permissions == Some(SandboxPermissions::RequireEscalated))
                        .then(|| a.justification.clone().unwrap_or_default()),
                    prefix: a.prefix_rule.clone(),
                    shell_tool: false,
                }
            }
            "shell" => {
                let a: tools::ShellArgs = match serde_json::from_str(args) {
                    Ok(a) => a,
                    Err(e) => return bad(e),
                };
                if a.command.is_empty() {
                    return Action::Invalid("shell: command must not be empty".into());
                }
                if let Some((text, dir)) = tools::extract_heredoc_patch(&a.command) {
                    return patch_action(text, dir, true);
                }
                let command = tools::shell_script(&a.command, &self.cfg.shell)
                    .map(str::to_string)
                    .unwrap_or_else(|| a.command.join(" "));
                Action::Exec {
                    argv: a.command.clone(),
                    command,
                    cwd: resolve_dir(&self.cfg.cwd, a.workdir.as_deref()),
                    tty: false,
                    yield_ms: None,
                    timeout_ms: a.timeout_ms.filter(|t| *t > 0.0).map(|t| t as u64),
                    max_tokens: tools::DEFAULT_MAX_OUTPUT_TOKENS,
                    escalate: (a.sandbox_permissions == Some(SandboxPermissions::RequireEscalated))
                        .then(|| a.justification.clone().unwrap_or_default()),
                    prefix: None,
                    shell_tool: true,
                }
            }
            "write_stdin" => {
                let a: tools::WriteStdinArgs = match serde_json::from_str(args) {
                    Ok(a) => a,
                    Err(e) => return bad(e),
                };
                Action::WriteStdin {
                    session: a.session_id as u32,
                    yield_ms: tools::write_stdin_yield_ms(a.yield_time_ms, &a.chars),
                    chars: a.chars,
                    max_tokens: tools::max_output_tokens(a.max_output_tokens),
                }
            }
            "apply_patch" => {
                let text = match &raw.input {
                    Some(input) => input.clone(),
                    None => match serde_json::from_str::<tools::ApplyPatchArgs>(args) {
                        Ok(a) => a.input,
                        // Some models send the patch itself instead of `{"input": ...}`.
                        Err(_) if args.trim_start().starts_with("*** Begin Patch") => {
                            args.to_string()
                        }
                        Err(e) => return bad(e),
                    },
                };
                Action::Patch {
                    text,
                    via_exec: false,
                }
            }
            "view_image" if !self.takes_images() => Action::Invalid(NO_VISION_VIEW_IMAGE.into()),
            "view_image" => match serde_json::from_str::<tools::ViewImageArgs>(args) {
                Ok(a) if !a.path.trim().is_empty() => Action::ViewImage {
                    path: resolve_dir(&self.cfg.cwd, Some(a.path.trim())),
                },
                Ok(_) => Action::Invalid("view_image: path must not be empty".into()),
                Err(e) => bad(e),
            },
            "update_plan" => match plan::parse_update(args) {
                Ok(u) => Action::Plan(u),
                Err(e) => Action::Invalid(e),
            },
            other => self
                .classify_mcp(other, args)
                .unwrap_or_else(|| Action::Invalid(format!("unsupported call: {other}"))),
        }
    }

    /// Starts calls in order: commands and plan updates run side by side; an edit waits for what is
    /// before it and holds back what is after it. When every call has an output, the next request goes.
    fn advance(&mut self, out: &mut Vec<Effect>) {
        loop {
            let Some(turn) = self.turn.as_mut() else {
                return;
            };
            if turn.phase != Phase::Tools {
                return;
            }
            let outstanding = turn.calls[..turn.cursor].iter().any(|c| c.output.is_none());
            if turn.cursor == turn.calls.len() {
                if !outstanding {
                    self.finish_tool_round(out);
                }
                return;
            }
            let idx = turn.cursor;
            if turn.calls[idx].action.sequential() && outstanding {
                return;
            }
            turn.cursor += 1;
            turn.calls[idx].started = true;
            self.start_call(idx, out);
            let turn = self.turn.as_ref().unwrap();
            if turn.calls[idx].action.sequential() && turn.calls[idx].output.is_none() {
                return;
            }
        }
    }

    fn finish_tool_round(&mut self, out: &mut Vec<Effect>) {
        let calls = std::mem::take(&mut self.turn.as_mut().unwrap().calls);
        for call in &calls {
            let output = call.output.clone().unwrap_or_default();
            self.push_history(self.output_item(&call.raw, output), out);
        }
        // Tool outputs are text: images the model asked to see follow as a user message.
        let images: Vec<Value> = calls
            .iter()
            .filter_map(|c| c.image.as_ref())
            .map(|url| json!({"type": "input_image", "image_url": url}))
            .collect();
        if !images.is_empty() {
            self.push_history(
                json!({"type": "message", "role": "user", "content": images}),
                out,
            );
        }
        self.send_request(out);
    }

    fn call_index(&self, call_id: &str) -> Option<usize> {
        let turn = self.turn.as_ref()?;
        if turn.phase != Phase::Tools {
            return None;
        }
        turn.calls
            .iter()
            .position(|c| c.raw.call_id == call_id && c.output.is_none())
    }

    fn call(&mut self, idx: usize) -> &mut Call {
        &mut self.turn.as_mut().unwrap().calls[idx]
    }

    /// Records a call's output; `handle` then advances (the next calls, or the next request).
    fn finish_call(&mut self, idx: usize, output: String) {
        let call = self.call(idx);
        call.output = Some(output);
        call.waiting = None;
    }

    fn start_call(&mut self, idx: usize, out: &mut Vec<Effect>) {
        let action = self.turn.as_ref().unwrap().calls[idx].action.clone();
        match action {
            Action::Invalid(message) => {
                self.show_error(message.clone(), out);
                self.finish_call(idx, message);
            }
            Action::ViewImage { path } => {
                let call = self.call(idx);
                call.waiting = Some(Waiting::Image);
                let call_id = call.raw.call_id.clone();
                out.push(Effect::ReadImage { call_id, path });
            }
            Action::Plan(update) => {
                let items: Vec<TodoItem> = update
                    .plan
                    .iter()
                    .map(|s| TodoItem {
                        text: s.step.clone(),
                        completed: s.status == plan::StepStatus::Completed,
                        status: s.status.as_str().to_string(),
                    })
                    .collect();
                let existing = self.turn.as_ref().unwrap().plan_item.clone();
                let id = match existing {
                    Some((id, _)) => {
                        emit(
                            out,
                            ThreadEvent::ItemUpdated {
                                item: item(
                                    &id,
                                    ItemDetails::TodoList {
                                        items: items.clone(),
                                    },
                                ),
                            },
                        );
                        id
                    }
                    None => {
                        let id = self.new_item_id();
                        emit(
                            out,
                            ThreadEvent::ItemStarted {
                                item: item(
                                    &id,
                                    ItemDetails::TodoList {
                                        items: items.clone(),
                                    },
                                ),
                            },
                        );
                        id
                    }
                };
                self.turn.as_mut().unwrap().plan_item = Some((id, items));
                self.finish_call(idx, "Plan updated".to_string());
            }
            Action::Exec { .. } => self.start_exec(idx, out),
            Action::Mcp(_) => self.start_mcp(idx, out),
            Action::WriteStdin {
                session,
                chars,
                yield_ms,
                ..
            } => {
                let Some(live) = self.live.get(&session) else {
                    let msg = format!("write_stdin failed: unknown session ID {session} (the command may have exited)");
                    self.finish_call(idx, msg);
                    return;
                };
                let exec_call_id = live.exec_call_id.clone();
                let call = self.call(idx);
                call.waiting = Some(Waiting::Exec { unsandboxed: false });
                let call_id = call.raw.call_id.clone();
                out.push(Effect::WriteStdin {
                    call_id,
                    exec_call_id,
                    chars,
                    yield_time_ms: yield_ms,
                });
            }
            Action::Patch { via_exec, .. }
                if self.cfg.sandbox_mode == SandboxMode::ReadOnly
                    && self.cfg.approval_policy == ApprovalPolicy::Never =>
            {
                // Nobody reviews edits under `never`, and read-only means nothing is written.
                let msg = self.patch_output(via_exec, READ_ONLY_PATCH, 1);
                self.show_error(READ_ONLY_PATCH.to_string(), out);
                self.finish_call(idx, msg);
            }
            Action::Patch { text, via_exec } => match patch::parse(&text) {
                Err(e) => {
                    let msg = format!("apply_patch verification failed: {e}");
                    let msg = self.patch_output(via_exec, &msg, 1);
                    self.finish_call(idx, msg);
                }
                Ok(parsed) => {
                    let paths = parsed.paths_to_read();
                    let call = self.call(idx);
                    call.waiting = Some(Waiting::Files(parsed));
                    let call_id = call.raw.call_id.clone();
                    out.push(Effect::ReadFiles { call_id, paths });
                }
            },
        }
    }

    fn patch_output(&self, via_exec: bool, text: &str, exit_code: i32) -> String {
        if via_exec {
            let seed = format!("patch:{text}");
            match self.family {
                ToolFamily::Codex => tools::format_exec_output(
                    &seed,
                    0,
                    ExecState::Exited(exit_code),
                    text,
                    tools::DEFAULT_MAX_OUTPUT_TOKENS,
                ),
                ToolFamily::Generic => tools::format_shell_output(exit_code, 0, text, false),
            }
        } else {
            text.to_string()
        }
    }

    /// The sandbox a command runs with: the session's, or none (with network) when it escapes.
    fn exec_sandbox(&self, unsandboxed: bool) -> ExecSandbox {
        let mode = if unsandboxed {
            SandboxMode::DangerFullAccess
        } else {
            self.cfg.sandbox_mode
        };
        let mut writable_roots = vec![self.cfg.cwd.clone()];
        writable_roots.extend(self.cfg.writable_roots.iter().cloned());
        ExecSandbox {
            mode,
            writable_roots,
            network: self.cfg.network || unsandboxed,
        }
    }

    /// Whether an approval given for the session covers this command, run in `cwd` with (or
    /// without, when `unsandboxed`) the sandbox. An approval to leave the sandbox never covers a
    /// sandboxed ask and the other way round: each is for exactly what its card showed.
    fn remembered_covers(&self, argv: &[String], cwd: &str, unsandboxed: bool) -> bool {
        let sandbox = self.exec_sandbox(unsandboxed);
        self.remembered.iter().any(|r| {
            r.cwd == cwd
                && r.sandbox == sandbox
                && tools::plan_covers(&r.plan, argv, &self.cfg.shell)
        })
    }

    fn start_exec(&mut self, idx: usize, out: &mut Vec<Effect>) {
        let Action::Exec {
            argv,
            command,
            cwd,
            escalate,
            ..
        } = self.turn.as_ref().unwrap().calls[idx].action.clone()
        else {
            return;
        };
        let id = self.new_item_id();
        self.call(idx).item_id = Some(id.clone());
        emit(
            out,
            ThreadEvent::ItemStarted {
                item: item(
                    &id,
                    ItemDetails::CommandExecution {
                        command: command.clone(),
                        aggregated_output: String::new(),
                        exit_code: None,
                        status: CommandStatus::InProgress,
                        duration_ms: None,
                    },
                ),
            },
        );
        if let Some(verdict) = no_sandbox::verdict(&self.cfg, &argv) {
            self.start_exec_without_sandbox(idx, verdict, argv, command, cwd, out);
            return;
        }
        let (ask, kind, reason) = match self.cfg.approval_policy {
            ApprovalPolicy::Never => (false, ApprovalKind::Exec, None),
            ApprovalPolicy::Untrusted => (
                !tools::is_known_safe(&argv, &self.cfg.shell),
                ApprovalKind::Exec,
                None,
            ),
            ApprovalPolicy::OnRequest | ApprovalPolicy::OnFailure => match &escalate {
                Some(j) if self.cfg.approval_policy == ApprovalPolicy::OnRequest => (
                    true,
                    ApprovalKind::Escalate,
                    Some(j.clone()).filter(|j| !j.is_empty()),
                ),
                _ => (false, ApprovalKind::Exec, None),
            },
        };
        let unsandboxed = kind != ApprovalKind::Exec;
        if !ask {
            self.run_exec(idx, false, out);
        } else if self.remembered_covers(&argv, &cwd, unsandboxed) {
            self.run_exec(idx, unsandboxed, out);
        } else {
            self.ask_approval(idx, kind, argv, command, cwd, reason, out);
        }
    }

    /// No OS sandbox on this platform (session/no_sandbox.rs): say so once, then run a known-safe
    /// command, ask before any other, or decline it where nobody can be asked.
    fn start_exec_without_sandbox(
        &mut self,
        idx: usize,
        verdict: no_sandbox::Verdict,
        argv: Vec<String>,
        command: String,
        cwd: String,
        out: &mut Vec<Effect>,
    ) {
        if !self.no_sandbox_noticed {
            self.no_sandbox_noticed = true;
            self.show_error(no_sandbox::NOTICE.to_string(), out);
        }
        match verdict {
            no_sandbox::Verdict::RunUnsandboxed => self.run_exec(idx, true, out),
            no_sandbox::Verdict::Ask if self.remembered_covers(&argv, &cwd, true) => {
                self.run_exec(idx, true, out)
            }
            no_sandbox::Verdict::Ask => {
                let reason = Some(no_sandbox::REASON.to_string());
                self.ask_approval(idx, ApprovalKind::Escalate, argv, command, cwd, reason, out)
            }
            no_sandbox::Verdict::Decline => {
                let item_id = self.call(idx).item_id.clone().unwrap_or_default();
                emit(
                    out,
                    ThreadEvent::ItemCompleted {
                        item: item(
                            &item_id,
                            ItemDetails::CommandExecution {
                                command,
                                aggregated_output: String::new(),
                                exit_code: None,
                                status: CommandStatus::Declined,
                                duration_ms: None,
                            },
                        ),
                    },
                );
                self.show_error(no_sandbox::DECLINED.to_string(), out);
                self.finish_call(idx, no_sandbox::DECLINED.to_string());
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn ask_approval(
        &mut self,
        idx: usize,
        kind: ApprovalKind,
        argv: Vec<String>,
        command: String,
        cwd: String,
        reason: Option<String>,
        out: &mut Vec<Effect>,
    ) {
        let request_id = format!("approval_{}", self.next_request);
        self.next_request += 1;
        let unsandboxed = kind != ApprovalKind::Exec;
        let proposed = match &self.turn.as_ref().unwrap().calls[idx].action {
            Action::Exec { prefix, .. } => prefix.clone(),
            _ => None,
        };
        let (plan, remember_note) =
            tools::remember_plan(&argv, &self.cfg.shell, proposed.as_deref());
        let sandbox = self.exec_sandbox(unsandboxed);
        let call = self.call(idx);
        call.waiting = Some(Waiting::Approval {
            request_id: request_id.clone(),
            unsandboxed,
            remember: plan.clone(),
        });
        let call_id = call.raw.call_id.clone();
        let item_id = call.item_id.clone().unwrap_or_default();
        let request = ApprovalRequest {
            request_id,
            call_id,
            item_id,
            kind,
            argv,
            command,
            cwd,
            reason,
            sandbox,
            remember: scope_of(&plan),
            remember_note,
            mcp: None,
        };
        out.push(Effect::Persist {
            record: SessionRecord::ApprovalAsked {
                request: request.clone(),
            },
        });
        out.push(Effect::RequestApproval { request });
    }

    fn run_exec(&mut self, idx: usize, unsandboxed: bool, out: &mut Vec<Effect>) {
        let Action::Exec {
            argv,
            cwd,
            tty,
            yield_ms,
            timeout_ms,
            ..
        } = self.turn.as_ref().unwrap().calls[idx].action.clone()
        else {
            return;
        };
        let sandbox = self.exec_sandbox(unsandboxed);
        let call = self.call(idx);
        call.waiting = Some(Waiting::Exec { unsandboxed });
        let call_id = call.raw.call_id.clone();
        out.push(Effect::Exec {
            call_id,
            params: ExecParams {
                argv,
                cwd,
                tty,
                timeout_ms,
                yield_time_ms: yield_ms,
                sandbox,
            },
        });
    }

    fn on_approval(
        &mut self,
        request_id: &str,
        decision: ApprovalDecision,
        message: Option<String>,
        out: &mut Vec<Effect>,
    ) {
        if self.on_mcp_approval(request_id, decision, &message, out) {
            return;
        }
        let Some(turn) = self.turn.as_ref() else {
            return;
        };
        let Some(idx) = turn.calls.iter().position(|c| {
            c.output.is_none() && matches!(&c.waiting, Some(Waiting::Approval { request_id: r, .. }) if r == request_id)
        }) else {
            return;
        };
        let Some(Waiting::Approval {
            unsandboxed,
            remember,
            ..
        }) = turn.calls[idx].waiting.clone()
        else {
            return;
        };
        let Action::Exec { command, cwd, .. } = turn.calls[idx].action.clone() else {
            return;
        };
        out.push(Effect::Persist {
            record: SessionRecord::ApprovalAnswered {
                request_id: request_id.to_string(),
                decision,
                message: message.clone().filter(|m| !m.trim().is_empty()),
            },
        });
        match decision {
            ApprovalDecision::Approved => self.run_exec(idx, unsandboxed, out),
            ApprovalDecision::ApprovedForSession | ApprovalDecision::ApprovedServerForSession => {
                if remember != tools::RememberPlan::Once {
                    let id = format!("remembered_{}", self.next_approval);
                    self.next_approval += 1;
                    let sandbox = self.exec_sandbox(unsandboxed);
                    self.remembered.push(Remembered {
                        id,
                        plan: remember,
                        cwd,
                        sandbox,
                    });
                }
                self.run_exec(idx, unsandboxed, out);
            }
            ApprovalDecision::Denied | ApprovalDecision::Abort => {
                let item_id = self.call(idx).item_id.clone().unwrap_or_default();
                let shown = self.call(idx).shown_output.clone();
                emit(
                    out,
                    ThreadEvent::ItemCompleted {
                        item: item(
                            &item_id,
                            ItemDetails::CommandExecution {
                                command,
                                aggregated_output: shown,
                                exit_code: None,
                                status: CommandStatus::Declined,
                                duration_ms: None,
                            },
                        ),
                    },
                );
                let mut text = "The user declined to run this command.".to_string();
                if let Some(m) = message.filter(|m| !m.trim().is_empty()) {
                    text += &format!(" {}", m.trim());
                }
                if decision == ApprovalDecision::Abort {
                    self.call(idx).output = Some(text);
                    self.interrupt(out);
                } else {
                    self.finish_call(idx, text);
                }
            }
        }
    }

    /// The item showing a call's command: its own, or for write_stdin the original command's.
    fn command_item_for(&self, call_id: &str) -> Option<String> {
        let turn = self.turn.as_ref()?;
        let call = turn.calls.iter().find(|c| c.raw.call_id == call_id)?;
        match &call.action {
            Action::WriteStdin { session, .. } => self.live.get(session).map(|l| l.item_id.clone()),
            _ => call.item_id.clone(),
        }
    }

    fn on_exec_output(&mut self, call_id: &str, chunk: &str, out: &mut Vec<Effect>) {
        let target = self.command_item_for(call_id).or_else(|| {
            self.live
                .values()
                .find(|l| l.exec_call_id == call_id)
                .map(|l| l.item_id.clone())
        });
        if let Some(item_id) = target {
            emit(
                out,
                ThreadEvent::ItemDelta {
                    item_id,
                    delta: chunk.to_string(),
                },
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_exec_exited(
        &mut self,
        call_id: &str,
        exit_code: i32,
        duration_ms: u64,
        output: String,
        truncated_bytes: u64,
        timed_out: bool,
        out: &mut Vec<Effect>,
    ) {
        let Some(idx) = self.call_index(call_id) else {
            return;
        };
        let call = self.turn.as_ref().unwrap().calls[idx].clone();
        let mut raw = output;
        if truncated_bytes > 0 {
            raw = format!("{raw}\n[{truncated_bytes} bytes of output were dropped]");
        }
        match call.action {
            Action::Exec {
                ref command,
                max_tokens,
                shell_tool,
                ..
            } => {
                let command = command.clone();
                let unsandboxed = matches!(call.waiting, Some(Waiting::Exec { unsandboxed: true }));
                let clean = tools::strip_ansi(&raw);
                if self.cfg.approval_policy == ApprovalPolicy::OnFailure
                    && !unsandboxed
                    && self.cfg.sandbox_mode != SandboxMode::DangerFullAccess
                    && tools::looks_like_sandbox_denial(exit_code, &clean)
                {
                    let Action::Exec { argv, cwd, .. } = call.action.clone() else {
                        return;
                    };
                    if self.remembered_covers(&argv, &cwd, true) {
                        self.run_exec(idx, true, out);
                    } else {
                        let reason = format!("The sandbox blocked this command (exit code {exit_code}). Run it again without the sandbox?");
                        self.ask_approval(
                            idx,
                            ApprovalKind::RetryUnsandboxed,
                            argv,
                            command,
                            cwd,
                            Some(reason),
                            out,
                        );
                    }
                    return;
                }
                let text = if shell_tool {
                    tools::format_shell_output(exit_code, duration_ms, &raw, timed_out)
                } else {
                    tools::format_exec_output(
                        call_id,
                        duration_ms,
                        ExecState::Exited(exit_code),
                        &raw,
                        max_tokens,
                    )
                };
                let shown = format!(
                    "{}{}",
                    call.shown_output,
                    tools::bound_output(&clean, (max_tokens as usize).saturating_mul(4))
                );
                let item_id = call.item_id.clone().unwrap_or_default();
                emit(
                    out,
                    ThreadEvent::ItemCompleted {
                        item: item(
                            &item_id,
                            ItemDetails::CommandExecution {
                                command,
                                aggregated_output: shown,
                                exit_code: Some(exit_code),
                                status: if exit_code == 0 {
                                    CommandStatus::Completed
                                } else {
                                    CommandStatus::Failed
                                },
                                duration_ms: Some(duration_ms),
                            },
                        ),
                    },
                );
                self.finish_call(idx, text);
            }
            Action::WriteStdin {
                session,
                max_tokens,
                ..
            } => {
                let text = tools::format_exec_output(
                    call_id,
                    duration_ms,
                    ExecState::Exited(exit_code),
                    &raw,
                    max_tokens,
                );
                if let Some(live) = self.live.remove(&session) {
                    let clean = tools::strip_ansi(&raw);
                    emit(
                        out,
                        ThreadEvent::ItemCompleted {
                            item: item(
                                &live.item_id,
                                ItemDetails::CommandExecution {
                                    command: live.command,
                                    aggregated_output: format!("{}{}", live.shown_output, clean),
                                    exit_code: Some(exit_code),
                                    status: if exit_code == 0 {
                                        CommandStatus::Completed
                                    } else {
                                        CommandStatus::Failed
                                    },
                                    duration_ms: Some(live.started_ms + duration_ms),
                                },
                            ),
                        },
                    );
                }
                self.finish_call(idx, text);
            }
            _ => {}
        }
    }

    fn on_exec_yielded(&mut self, call_id: &str, duration_ms: u64, output: String) {
        let Some(idx) = self.call_index(call_id) else {
            return;
        };
        let call = self.turn.as_ref().unwrap().calls[idx].clone();
        let clean = tools::strip_ansi(&output);
        match call.action {
            Action::Exec {
                command,
                max_tokens,
                ..
            } => {
                let session = self.next_exec_session;
                self.next_exec_session += 1;
                self.live.insert(
                    session,
                    LiveExec {
                        exec_call_id: call_id.to_string(),
                        item_id: call.item_id.clone().unwrap_or_default(),
                        command,
                        shown_output: clean,
                        started_ms: duration_ms,
                    },
                );
                let text = tools::format_exec_output(
                    call_id,
                    duration_ms,
                    ExecState::Running(session),
                    &output,
                    max_tokens,
                );
                self.finish_call(idx, text);
            }
            Action::WriteStdin {
                session,
                max_tokens,
                ..
            } => {
                if let Some(live) = self.live.get_mut(&session) {
                    live.shown_output.push_str(&clean);
                }
                let text = tools::format_exec_output(
                    call_id,
                    duration_ms,
                    ExecState::Running(session),
                    &output,
                    max_tokens,
                );
                self.finish_call(idx, text);
            }
            _ => {}
        }
    }

    fn on_exec_failed(&mut self, call_id: &str, message: String, out: &mut Vec<Effect>) {
        let Some(idx) = self.call_index(call_id) else {
            return;
        };
        let call = self.turn.as_ref().unwrap().calls[idx].clone();
        let (item_id, command) = match &call.action {
            Action::Exec { command, .. } => (call.item_id.clone(), command.clone()),
            Action::WriteStdin { session, .. } => match self.live.remove(session) {
                Some(l) => (Some(l.item_id), l.command),
                None => (None, String::new()),
            },
            _ => (None, String::new()),
        };
        if let Some(item_id) = item_id {
            emit(
                out,
                ThreadEvent::ItemCompleted {
                    item: item(
                        &item_id,
                        ItemDetails::CommandExecution {
                            command,
                            aggregated_output: message.clone(),
                            exit_code: None,
                            status: CommandStatus::Failed,
                            duration_ms: None,
                        },
                    ),
                },
            );
        }
        self.finish_call(idx, format!("Failed to run the command: {message}"));
    }

    fn on_image_read(&mut self, call_id: &str, data_url: Option<String>, error: Option<String>) {
        let Some(idx) = self.call_index(call_id) else {
            return;
        };
        let Action::ViewImage { path } = self.turn.as_ref().unwrap().calls[idx].action.clone()
        else {
            return;
        };
        let call = self.call(idx);
        match (data_url, error) {
            (Some(url), None) if url.starts_with("data:image/") => {
                call.image = Some(url);
                call.output = Some(format!("Image attached: {path}"));
            }
            (_, e) => {
                let reason = e.unwrap_or_else(|| "not an image".to_string());
                call.output = Some(format!("view_image failed for {path}: {reason}"));
            }
        }
        call.waiting = None;
    }

    // ---- edits ----

    fn on_files_read(&mut self, call_id: &str, files: FileMap, out: &mut Vec<Effect>) {
        let Some(idx) = self.call_index(call_id) else {
            return;
        };
        let call = self.turn.as_ref().unwrap().calls[idx].clone();
        let (Some(Waiting::Files(parsed)), Action::Patch { via_exec, .. }) =
            (call.waiting, call.action)
        else {
            return;
        };
        let changes = match patch::apply(&parsed, &files) {
            Ok(c) => c,
            Err(e) => {
                let msg = self.patch_output(
                    via_exec,
                    &format!("apply_patch verification failed: {e}"),
                    1,
                );
                self.finish_call(idx, msg);
                return;
            }
        };
        let diffs: Vec<_> = changes
            .iter()
            .map(|c| {
                diff::diff_texts(
                    c.original.as_deref().unwrap_or(""),
                    c.new_contents.as_deref().unwrap_or(""),
                )
            })
            .collect();
        let id = self.new_item_id();
        self.call(idx).item_id = Some(id.clone());
        self.call(idx).diffs = diffs.clone();
        self.call(idx).diffs = diffs.clone();
        emit(
            out,
            ThreadEvent::ItemStarted {
                item: item(
                    &id,
                    ItemDetails::FileChange {
                        changes: summaries(&changes),
                        status: FileChangeStatus::Pending,
                        diffs: diffs.clone(),
                        hunk_states: vec![],
                    },
                ),
            },
        );
        if self.cfg.approval_policy == ApprovalPolicy::Never {
            self.call(idx).waiting = Some(Waiting::Apply(changes.clone()));
            out.push(Effect::ApplyChanges {
                call_id: call_id.to_string(),
                changes,
            });
        } else {
            let files = changes
                .iter()
                .cloned()
                .zip(diffs)
                .map(|(change, diff)| ProposedFile { change, diff })
                .collect();
            self.call(idx).waiting = Some(Waiting::Review(changes));
            out.push(Effect::ReviewChanges {
                call_id: call_id.to_string(),
                proposal: ChangeProposal {
                    call_id: call_id.to_string(),
                    item_id: id,
                    files,
                },
            });
        }
    }

    fn on_changes_applied(&mut self, call_id: &str, error: Option<String>, out: &mut Vec<Effect>) {
        let Some(idx) = self.call_index(call_id) else {
            return;
        };
        let call = self.turn.as_ref().unwrap().calls[idx].clone();
        let (Some(Waiting::Apply(changes)), Action::Patch { via_exec, .. }) =
            (call.waiting, call.action)
        else {
            return;
        };
        let item_id = call.item_id.unwrap_or_default();
        let (status, text, code) = match error {
            None => (FileChangeStatus::Completed, success_text(&changes), 0),
            Some(e) => (
                FileChangeStatus::Failed,
                format!("apply_patch failed: {e}. No files were changed."),
                1,
            ),
        };
        emit(
            out,
            ThreadEvent::ItemCompleted {
                item: item(
                    &item_id,
                    ItemDetails::FileChange {
                        changes: summaries(&changes),
                        status,
                        diffs: call.diffs.clone(),
                        hunk_states: vec![],
                    },
                ),
            },
        );
        let text = self.patch_output(via_exec, &text, code);
        self.finish_call(idx, text);
    }

    fn on_changes_reviewed(&mut self, call_id: &str, review: ChangeReview, out: &mut Vec<Effect>) {
        let Some(idx) = self.call_index(call_id) else {
            return;
        };
        let call = self.turn.as_ref().unwrap().calls[idx].clone();
        let (Some(Waiting::Review(changes)), Action::Patch { via_exec, .. }) =
            (call.waiting, call.action)
        else {
            return;
        };
        let (status, text) = review_text(&changes, &review);
        let item_id = call.item_id.unwrap_or_default();
        emit(
            out,
            ThreadEvent::ItemCompleted {
                item: item(
                    &item_id,
                    ItemDetails::FileChange {
                        changes: summaries(&changes),
                        status,
                        diffs: call.diffs.clone(),
                        hunk_states: hunk_states(&changes, &call.diffs, &review),
                    },
                ),
            },
        );
        let code = if status == FileChangeStatus::Completed {
            0
        } else {
            1
        };
        let text = self.patch_output(via_exec, &text, code);
        self.finish_call(idx, text);
    }
}

/// The turn's error when a model event nests too deeply.
pub fn too_deep_event_message() -> String {
    format!(
        "the model server sent an event nested deeper than {} levels; the response was dropped",
        super::depth::MAX_EVENT_DEPTH
    )
}

fn patch_action(text: String, dir: Option<String>, via_exec: bool) -> Action {
    match dir.as_deref() {
        None | Some(".") | Some("") => Action::Patch { text, via_exec },
        Some(d) => Action::Invalid(format!(
            "apply_patch: run it from the working directory (not `cd {d} &&`); patch paths are relative to the working directory"
        )),
    }
}

fn summaries(changes: &[FileChange]) -> Vec<FileChangeSummary> {
    changes
        .iter()
        .map(|c| FileChangeSummary {
            path: c.path.clone(),
            kind: summary_kind(c),
            move_path: c.move_path.clone(),
        })
        .collect()
}

/// Each file's hunks with the person's decision (a file without a review outcome was rejected).
fn hunk_states(
    changes: &[FileChange],
    diffs: &[diff::FileDiff],
    review: &ChangeReview,
) -> Vec<BTreeMap<String, HunkState>> {
    changes
        .iter()
        .zip(diffs)
        .map(|(c, d)| {
            let outcome = review
                .files
                .iter()
                .find(|f| f.path == c.path || Some(&f.path) == c.move_path.as_ref())
                .map(|f| &f.outcome);
            d.hunk_ids
                .iter()
                .map(|id| {
                    let state = match outcome {
                        Some(FileReviewOutcome::Accepted) => HunkState::Accepted,
                        Some(FileReviewOutcome::Partial { accepted_hunk_ids }) => {
                            if accepted_hunk_ids.contains(id) {
                                HunkState::Accepted
                            } else {
                                HunkState::Rejected
                            }
                        }
                        _ => HunkState::Rejected,
                    };
                    (id.clone(), state)
                })
                .collect()
        })
        .collect()
}

/// At most this much of a diff between the proposal and what landed goes to the model.
const LANDED_DIFF_MAX: usize = 16 * 1024;

/// What the model is told after the person reviewed a patch: exactly which files and hunks landed,
/// how what landed differs from the proposal where the person changed it, and their reason.
pub fn review_text(changes: &[FileChange], review: &ChangeReview) -> (FileChangeStatus, String) {
    let (status, mut s) = decisions_text(changes, review);
    for c in changes {
        let Some(f) = review
            .files
            .iter()
            .find(|f| f.path == c.path || Some(&f.path) == c.move_path.as_ref())
        else {
            continue;
        };
        let Some(landed) = &f.landed else { continue };
        if matches!(
            f.outcome,
            FileReviewOutcome::Rejected | FileReviewOutcome::Failed { .. }
        ) {
            continue;
        }
        let proposed = c.new_contents.as_deref().unwrap_or("");
        let d = diff::diff_texts(proposed, landed);
        if d.unified.is_empty() {
            continue;
        }
        let (_, path) = change_letter(c);
        let mut unified = d.unified;
        if unified.len() > LANDED_DIFF_MAX {
            let mut cut = LANDED_DIFF_MAX;
            while !unified.is_char_boundary(cut) {
                cut -= 1;
            }
            unified.truncate(cut);
            unified += "\n[... diff cut; read the file]\n";
        }
        s += &format!(
            "The user changed your proposal for {path} before it landed; the file now differs from what you proposed by this diff (--- your proposal, +++ what landed):\n--- a/{path}\n+++ b/{path}\n{unified}"
        );
    }
    if let Some(reason) = review
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        s += &format!("The user's reason: {reason}\n");
    }
    (status, s)
}

fn decisions_text(changes: &[FileChange], review: &ChangeReview) -> (FileChangeStatus, String) {
    let mut applied = vec![];
    let mut rejected = vec![];
    let mut partial = vec![];
    let mut failed = vec![];
    for c in changes {
        let (letter, path) = change_letter(c);
        let outcome = review
            .files
            .iter()
            .find(|f| f.path == c.path || Some(&f.path) == c.move_path.as_ref());
        match outcome.map(|f| &f.outcome) {
            Some(FileReviewOutcome::Accepted) => applied.push(format!("{letter} {path}")),
            Some(FileReviewOutcome::Partial { accepted_hunk_ids }) => {
                let total = diff::diff_texts(
                    c.original.as_deref().unwrap_or(""),
                    c.new_contents.as_deref().unwrap_or(""),
                )
                .hunk_ids
                .len();
                partial.push(format!(
                    "{path} ({} of {total} hunks applied)",
                    accepted_hunk_ids.len()
                ));
            }
            Some(FileReviewOutcome::Failed { message }) => {
                failed.push(format!("{path}: {message}"))
            }
            Some(FileReviewOutcome::Rejected) | None => rejected.push(path.to_string()),
        }
    }
    if rejected.is_empty() && partial.is_empty() && failed.is_empty() {
        return (FileChangeStatus::Completed, success_text(changes));
    }
    let status = if applied.is_empty() && partial.is_empty() {
        if failed.is_empty() {
            FileChangeStatus::Declined
        } else {
            FileChangeStatus::Failed
        }
    } else {
        FileChangeStatus::PartiallyApplied
    };
    let mut s = String::from("The user reviewed the patch; only part of it was applied.\n");
    if status == FileChangeStatus::Declined {
        s = String::from("The user rejected the patch; no files were changed.\n");
    }
    if !applied.is_empty() {
        s += &format!("Applied:\n{}\n", applied.join("\n"));
    }
    if !partial.is_empty() {
        s += &format!(
            "Partially applied (the other hunks were rejected; read these files again before editing them):\n{}\n",
            partial.join("\n")
        );
    }
    if !rejected.is_empty() && status != FileChangeStatus::Declined {
        s += &format!(
            "Rejected by the user (unchanged):\n{}\n",
            rejected.join("\n")
        );
    }
    if !failed.is_empty() {
        s += &format!("Could not be written (unchanged):\n{}\n", failed.join("\n"));
    }
    (status, s)
}
