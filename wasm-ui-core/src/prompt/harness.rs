//! The messages the harness itself writes into the conversation as `user` messages (environment,
//! AGENTS.md, editor context, the interrupt note, compaction, the "go on" request): their markers are
//! defined here once, used by the code that writes them, and recognised by `classify`, which the
//! session machine (compaction keeps only what the person typed) and the host's history replay (via
//! the wasm API) both use.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Opens the environment block (`prompt::environment_context`).
pub const ENVIRONMENT_CONTEXT_OPEN: &str = "<environment_context>";
pub const ENVIRONMENT_CONTEXT_CLOSE: &str = "</environment_context>";
/// Starts each AGENTS.md message; the directory follows.
pub const AGENTS_MD_HEADING: &str = "# AGENTS.md instructions for ";
/// Opens the editor block placed before a person's message (`prompt::editor_context_message`).
pub const EDITOR_CONTEXT_OPEN: &str = "<editor_context>";
pub const EDITOR_CONTEXT_CLOSE: &str = "</editor_context>";

/// The note that tells the model its previous turn was stopped.
pub const TURN_ABORTED: &str =
    "<turn_aborted>\nThe user interrupted the previous turn. Commands that \
were still running were stopped and unfinished tool calls were answered with \"aborted\". Do not \
assume they completed; wait for the user's next message.\n</turn_aborted>";
const TURN_ABORTED_OPEN: &str = "<turn_aborted>";

/// The request that asks for a hand-off summary before compaction.
pub const COMPACT_PROMPT: &str = "Context is nearly full, so this conversation will be shortened. \
Write a hand-off summary for yourself to continue the task from: the user's goal and constraints, \
what is done (files changed, commands run and their results), what is in progress, the remaining \
plan, and any facts you will need (paths, names, errors). Be concise and complete. Do not call tools.";

/// The prefix of the message that carries the summary into the rebuilt history.
pub const SUMMARY_PREFIX: &str =
    "Earlier in this conversation the context was compacted. Your hand-off summary of the work so far:";

/// The message that asks the model to go on after a text answer was cut off.
pub const CONTINUE_PROMPT: &str = "Your previous answer was cut off by the output token limit. \
Continue exactly where it stopped, without repeating what you already wrote; be more concise.";

/// Which harness-written message a `user` message is.
#[derive(Serialize, Deserialize, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum HarnessMessage {
    EnvironmentContext,
    AgentsMd,
    EditorContext,
    TurnAborted,
    CompactionRequest,
    CompactionSummary,
    ContinueRequest,
}

/// Which harness message `text` is, or None for something the person typed. Decided by the marker
/// each message starts with (exact, as the harness writes it; a person's text that merely mentions a
/// marker later on is theirs).
pub fn classify(text: &str) -> Option<HarnessMessage> {
    use HarnessMessage::*;
    if text.starts_with(ENVIRONMENT_CONTEXT_OPEN) {
        Some(EnvironmentContext)
    } else if text.starts_with(AGENTS_MD_HEADING) {
        Some(AgentsMd)
    } else if text.starts_with(EDITOR_CONTEXT_OPEN) {
        Some(EditorContext)
    } else if text.starts_with(TURN_ABORTED_OPEN) {
        Some(TurnAborted)
    } else if text.starts_with(SUMMARY_PREFIX) {
        Some(CompactionSummary)
    } else if text == COMPACT_PROMPT {
        Some(CompactionRequest)
    } else if text == CONTINUE_PROMPT {
        Some(ContinueRequest)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompt;
    use crate::session::protocol::{AgentsMd, EditorContext};

    fn text_of(item: &serde_json::Value) -> &str {
        item["content"][0]["text"].as_str().unwrap()
    }

    #[test]
    fn every_message_the_harness_writes_is_recognised() {
        let mut cfg = prompt::tests::config();
        cfg.agents_md = vec![AgentsMd {
            dir: "/repo".into(),
            contents: "Run npm test.".into(),
        }];
        let initial = prompt::initial_context(&cfg);
        // The first item is the developer message; the rest are user messages the harness wrote.
        let kinds: Vec<_> = initial[1..].iter().map(|i| classify(text_of(i))).collect();
        assert_eq!(
            kinds,
            [
                Some(HarnessMessage::AgentsMd),
                Some(HarnessMessage::EnvironmentContext)
            ]
        );
        let editor = prompt::editor_context_message(&EditorContext {
            active_file: Some("src/a.ts".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            classify(text_of(&editor)),
            Some(HarnessMessage::EditorContext)
        );
        assert_eq!(classify(TURN_ABORTED), Some(HarnessMessage::TurnAborted));
        assert_eq!(
            classify(COMPACT_PROMPT),
            Some(HarnessMessage::CompactionRequest)
        );
        assert_eq!(
            classify(&format!("{SUMMARY_PREFIX}\n\nthe summary")),
            Some(HarnessMessage::CompactionSummary)
        );
        assert_eq!(
            classify(CONTINUE_PROMPT),
            Some(HarnessMessage::ContinueRequest)
        );
    }

    #[test]
    fn what_a_person_types_is_theirs_even_when_it_mentions_a_marker() {
        for text in [
            "fix the bug",
            "why does <environment_context> show up?",
            " <environment_context>",
            "# AGENTS.md",
            "continue",
            "",
        ] {
            assert_eq!(classify(text), None, "{text:?}");
        }
    }
}
