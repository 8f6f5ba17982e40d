//! The conversation as the model sees it: the history's items, each with the text it is sent as.
//!
//! A Responses request carries the whole history on every step, so writing each item's JSON anew
//! for every request (escaping every string, re-checking every tool call's arguments) made a step's
//! cost grow with the session. Here an item's text in the request's `input` is written once, when
//! the item joins the history, and a request copies the texts (`body::with_input`).

use super::body::{sent_alone, Entry};
use serde_json::Value;

/// The history's items and, beside each, its text in a Responses `input` when sent on its own
/// (`body::sent_alone`; `None`: the item is not sent).
///
/// Architecture invariant: `sent[i]` is always `sent_alone(&items[i])`: the items change only
/// through `push`, `truncate` and `From<Vec<Value>>`, which keep the two in step.
#[derive(Debug, Clone, Default)]
pub struct History {
    items: Vec<Value>,
    sent: Vec<Option<String>>,
}

impl History {
    pub fn push(&mut self, item: Value) {
        self.sent.push(sent_alone(&item));
        self.items.push(item);
    }

    pub fn truncate(&mut self, len: usize) {
        self.items.truncate(len);
        self.sent.truncate(len);
    }

    pub fn items(&self) -> &[Value] {
        &self.items
    }

    /// Each item with its text, in order (what `body::with_input` writes).
    pub fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        self.items.iter().zip(&self.sent).map(|(item, text)| Entry {
            item,
            text: text.as_deref(),
        })
    }
}

impl From<Vec<Value>> for History {
    fn from(items: Vec<Value>) -> Self {
        let sent = items.iter().map(sent_alone).collect();
        History { items, sent }
    }
}

impl std::ops::Deref for History {
    type Target = [Value];

    fn deref(&self) -> &[Value] {
        &self.items
    }
}
