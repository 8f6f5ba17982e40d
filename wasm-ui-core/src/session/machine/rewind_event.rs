//! `SessionEvent::Rewind` in the session: refused while a turn runs; otherwise the history is cut
//! (session/rewind.rs), the cut is recorded in the session file, and the chat is told which message
//! to put back into the input box.

use super::*;

impl Session {
    pub(super) fn on_rewind(&mut self, to_user_message: u32, out: &mut Vec<Effect>) {
        if self.turn.is_some() {
            self.show_error(
                "Cannot rewind the conversation while a turn is running; stop it first."
                    .to_string(),
                out,
            );
            return;
        }
        match self.rewind.rewind(self.history.len(), to_user_message) {
            Ok((at, text)) => {
                self.history.truncate(at);
                // The context figure belonged to the longer history; the next response sets it.
                self.context_tokens = 0;
                out.push(Effect::Persist {
                    record: SessionRecord::Rewind { to_user_message },
                });
                out.push(Effect::Emit {
                    event: ThreadEvent::ConversationRewound {
                        to_user_message,
                        text,
                    },
                });
            }
            Err(message) => self.show_error(message, out),
        }
    }

    /// How many messages the person typed in this session (the next one gets this number).
    pub fn typed_messages(&self) -> usize {
        self.rewind.count()
    }

    /// The number the chat shows the last typed message under (what its "Restore checkpoint"
    /// rewinds to): its own, or for a Retry of a failed turn's message, that message's — the number
    /// the history replay gives the same entry.
    pub fn last_message_entry(&self) -> Option<u32> {
        self.rewind.entry_of_last()
    }
}
