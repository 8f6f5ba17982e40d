//! Thread items: one builder for each kind the chat shows, and how they are emitted.

use super::*;

/// The details of a streamed item: reasoning or an agent message.
pub(super) fn stream_details(reasoning: bool, text: String) -> ItemDetails {
    if reasoning {
        ItemDetails::Reasoning { text }
    } else {
        ItemDetails::AgentMessage { text }
    }
}

pub(super) fn item(id: &str, details: ItemDetails) -> ThreadItem {
    ThreadItem {
        id: id.to_string(),
        details,
    }
}

pub(super) fn emit(out: &mut Vec<Effect>, event: ThreadEvent) {
    // A completed item is also written to the session file, as shown, for the history replay.
    let shown = match &event {
        ThreadEvent::ItemCompleted { item } => Some(crate::session::replay::shown_record(item)),
        _ => None,
    };
    out.push(Effect::Emit { event });
    if let Some(record) = shown {
        out.push(Effect::Persist { record });
    }
}

/// Shows a new item.
pub(super) fn started(out: &mut Vec<Effect>, id: &str, details: ItemDetails) {
    emit(
        out,
        ThreadEvent::ItemStarted {
            item: item(id, details),
        },
    );
}

/// Replaces what an item shows.
pub(super) fn updated(out: &mut Vec<Effect>, id: &str, details: ItemDetails) {
    emit(
        out,
        ThreadEvent::ItemUpdated {
            item: item(id, details),
        },
    );
}

/// Shows an item in its final state (and records it for the history replay).
pub(super) fn completed(out: &mut Vec<Effect>, id: &str, details: ItemDetails) {
    emit(
        out,
        ThreadEvent::ItemCompleted {
            item: item(id, details),
        },
    );
}

/// Where a command card stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CommandState {
    Running,
    /// Exited with this code after this long: completed on 0, failed otherwise.
    Exited {
        code: i32,
        duration_ms: u64,
    },
    /// Could not run, was interrupted, or was lost.
    Failed,
    /// The person (or the policy) declined it.
    Declined,
}

/// A command card.
pub(super) fn command(command: String, output: String, state: CommandState) -> ItemDetails {
    let (status, exit_code, duration_ms) = match state {
        CommandState::Running => (CommandStatus::InProgress, None, None),
        CommandState::Exited { code, duration_ms } => (
            if code == 0 {
                CommandStatus::Completed
            } else {
                CommandStatus::Failed
            },
            Some(code),
            Some(duration_ms),
        ),
        CommandState::Failed => (CommandStatus::Failed, None, None),
        CommandState::Declined => (CommandStatus::Declined, None, None),
    };
    ItemDetails::CommandExecution {
        command,
        aggregated_output: output,
        exit_code,
        status,
        duration_ms,
    }
}

/// An edit card: the files it changes, its diffs, and each hunk's decision once reviewed.
pub(super) fn file_change(
    changes: &[FileChange],
    status: FileChangeStatus,
    diffs: Vec<diff::FileDiff>,
    hunk_states: Vec<crate::vec_map::VecMap<String, HunkState>>,
) -> ItemDetails {
    ItemDetails::FileChange {
        changes: summaries(changes),
        status,
        diffs,
        hunk_states,
    }
}

/// The plan card.
pub(super) fn todo_list(items: Vec<TodoItem>) -> ItemDetails {
    ItemDetails::TodoList { items }
}

/// A hosted web search the model made.
pub(super) fn web_search(query: String) -> ItemDetails {
    ItemDetails::WebSearch { query }
}

/// An error the person sees in the transcript.
pub(super) fn error(message: String) -> ItemDetails {
    ItemDetails::Error { message }
}

/// An MCP tool call card.
pub(super) fn mcp_call(
    plan: &mcp_calls::McpPlan,
    status: crate::session::mcp::McpCallStatus,
    result: Option<crate::session::mcp::McpItemResult>,
    error: Option<String>,
) -> ItemDetails {
    ItemDetails::McpToolCall {
        server: plan.server.clone(),
        tool: plan.tool.clone(),
        arguments: plan.arguments.clone(),
        result,
        error: error.map(|message| ThreadError {
            message,
            reason: None,
        }),
        status,
    }
}
