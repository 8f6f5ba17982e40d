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
