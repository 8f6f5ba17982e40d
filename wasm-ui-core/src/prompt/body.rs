//! A model request's body as JSON text, written straight from the history.
//!
//! The body of a Responses request is mostly the history: in a long session hundreds of KB, sent on
//! every step. Building it as a `Value` first deep-copied every history item (its maps, strings and
//! the base instructions) on every request and dropped the copy once written, which was most of the
//! core's work on a step of a long session. Here the parts of the body that are not the history are
//! a `Value` (small, and adjusted by the session: MCP tools, view_image), and the history is copied
//! in from the text each item was given when it joined the history (`super::History`), changed on
//! the way only where user messages join (`write_input`).

use crate::json_write::{write_entries, WriteJson};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A model request's body: the exact JSON text the host POSTs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestBody(String);

impl RequestBody {
    /// The body of `value`, as its compact JSON text.
    pub fn of(value: &Value) -> Self {
        RequestBody(crate::json_text(value))
    }

    /// `null`: what an effect carries once its body has been handed over as text on its own.
    pub fn null() -> Self {
        RequestBody("null".to_string())
    }

    pub fn text(&self) -> &str {
        &self.0
    }

    /// The text, leaving `null` behind.
    pub fn take(&mut self) -> String {
        std::mem::replace(&mut self.0, "null".to_string())
    }

    /// The body parsed (tests and the derived serialisation; the module itself never parses it).
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }
}

impl WriteJson for RequestBody {
    fn write_json(&self, out: &mut String) {
        out.push_str(&self.0);
    }
}

/// As the JSON value it is (the derived `Serialize` of `Effect`, which the module does not use).
impl Serialize for RequestBody {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for RequestBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(|v| RequestBody::of(&v))
    }
}

/// A history item and its text in `input` when nothing joins it (`sent_alone`; `None`: not sent).
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub item: &'a Value,
    pub text: Option<&'a str>,
}

/// A Responses body's text around its history: the model, the tools and the options, written once
/// and kept (they are the same from one request to the next; the session writes them again when
/// they change), with the history written in between for each request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skeleton {
    /// The text up to the value of `input`, or all of it when the body has no `input`.
    head: String,
    /// The text after the value of `input`, when there is one.
    tail: Option<String>,
}

impl Skeleton {
    /// The text of `body` (an object) with the value of its `input` key, a placeholder, cut out;
    /// `with_input` writes the history there. Key order is the body's, as writing it whole gives.
    pub fn of(body: &Value) -> Skeleton {
        let Value::Object(map) = body else {
            return Skeleton {
                head: crate::json_text(body),
                tail: None,
            };
        };
        let mut head = String::new();
        let mut at = None;
        write_entries(&mut head, map, |key, value, out| {
            if key == "input" {
                // Something must be written, or the entry is left out; it is cut out below.
                at = Some(out.len());
                out.push_str("null");
            } else {
                value.write_json(out);
            }
        });
        let tail = at.map(|at| {
            let tail = head[at + "null".len()..].to_string();
            head.truncate(at);
            tail
        });
        Skeleton { head, tail }
    }

    /// The body with `history` as its `input`.
    pub fn with_input(&self, history: &[Entry<'_>], join_user_messages: bool) -> RequestBody {
        let Some(tail) = &self.tail else {
            return RequestBody(self.head.clone());
        };
        let history_len: usize = history.iter().map(|e| e.text.map_or(0, str::len) + 1).sum();
        let mut out = String::with_capacity(self.head.len() + history_len + tail.len() + 2);
        out.push_str(&self.head);
        write_input(&mut out, history, join_user_messages);
        out.push_str(tail);
        RequestBody(out)
    }
}

fn is_user_message(item: &Value) -> bool {
    item["type"] == "message" && item["role"] == "user"
}

/// Whether the item goes to the Responses API at all: reasoning only with its `encrypted_content`
/// (with `store: false` a bare id cannot be resolved, and local servers' plain reasoning text is
/// not wanted back).
fn is_sent(item: &Value) -> bool {
    item["type"] != "reasoning"
        || item["encrypted_content"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
}

/// The item's text in the Responses API's `input` when no other item joins it, or `None` when it is
/// not sent: invalid tool-call arguments replaced (`super::sendable_arguments`), reasoning sent back
/// without its plain `content` and only when it carries `encrypted_content`; anything else as it is.
pub fn sent_alone(item: &Value) -> Option<String> {
    if !is_sent(item) {
        return None;
    }
    let mut out = String::new();
    let Value::Object(map) = item else {
        item.write_json(&mut out);
        return Some(out);
    };
    match item["type"].as_str() {
        Some("function_call") => {
            let args = item["arguments"].as_str().unwrap_or("");
            let sendable = super::sendable_arguments(item["name"].as_str().unwrap_or(""), args);
            if sendable == args {
                item.write_json(&mut out);
            } else {
                write_entries(&mut out, map, |key, value, out| match key {
                    "arguments" => sendable.write_json(out),
                    _ => value.write_json(out),
                });
            }
        }
        Some("reasoning") => {
            // Plain reasoning text is the server's own copy; only the opaque form goes back.
            write_entries(&mut out, map, |key, value, out| {
                if key != "content" {
                    value.write_json(out);
                }
            });
        }
        _ => item.write_json(&mut out),
    }
    Some(out)
}

/// The history as the Responses API's `input` array: each sent item's text (`sent_alone`), except
/// where user messages join.
///
/// With `join_user_messages`, consecutive user messages (reasoning that is not sent does not part
/// them) travel as the first of them, its content array holding every one's parts: servers that
/// imitate the API (llama.cpp, vLLM) render the input through the model's chat template, and strict
/// ones (Gemma, Mistral) refuse two user turns in a row. Codex-family models get the peer's layout
/// (one item each) instead: they were trained on it, and it keeps every request's input a strict
/// extension of the previous one (joining only breaks that after an interrupted or failed request,
/// where the history ended with a user message). Only content arrays join: a first message whose
/// content is not an array goes as it is, and a joining message's content that is not an array
/// adds nothing (Tack's own user messages always hold an array).
pub fn write_input(out: &mut String, history: &[Entry<'_>], join_user_messages: bool) {
    out.push('[');
    let mut first = true;
    let mut i = 0;
    while i < history.len() {
        let Entry { item, text } = history[i];
        i += 1;
        let Some(text) = text else {
            continue;
        };
        if !first {
            out.push(',');
        }
        first = false;
        if !(join_user_messages && is_user_message(item)) {
            out.push_str(text);
            continue;
        }
        // The user messages that follow (past items that are not sent) join this one.
        let mut joined: Vec<&Value> = vec![];
        let mut j = i;
        while j < history.len() {
            let next = history[j];
            if is_user_message(next.item) {
                joined.push(next.item);
                i = j + 1;
            } else if next.text.is_some() {
                break;
            }
            j += 1;
        }
        match (item, item["content"].as_array()) {
            (Value::Object(map), Some(parts)) if !joined.is_empty() => {
                write_entries(out, map, |key, value, out| {
                    if key != "content" {
                        return value.write_json(out);
                    }
                    let more = joined.iter().filter_map(|m| m["content"].as_array());
                    write_array(out, parts.iter().chain(more.flatten()));
                });
            }
            _ => out.push_str(text),
        }
    }
    out.push(']');
}

fn write_array<'a>(out: &mut String, items: impl Iterator<Item = &'a Value>) {
    out.push('[');
    for (n, v) in items.enumerate() {
        if n > 0 {
            out.push(',');
        }
        v.write_json(out);
    }
    out.push(']');
}
