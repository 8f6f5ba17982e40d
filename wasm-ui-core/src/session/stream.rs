//! Assembles one streamed model response from raw SSE payloads (Responses events or Chat chunks):
//! text and reasoning for the UI as they arrive, and at the end the output items for the history
//! and the tool calls to run.

use super::protocol::{Usage, Wire};
use crate::vec_map::VecMap;
use serde_json::Value;

/// The most output items (Responses), reasoning parts (by item id) or tool calls (Chat) one
/// response may carry. Real responses carry a handful. They are kept in maps sorted by key
/// (`VecMap`), where an insert before the end moves what follows it, so a server sending tens of
/// thousands of them in descending order would cost quadratic time; past this, the rest of the
/// response is ignored and the turn fails with `too_many_items`.
pub const MAX_STREAM_ITEMS: usize = 4096;

/// Whether `key` would be one entry too many for `map`.
fn full<K: Ord, V>(map: &VecMap<K, V>, key: &K) -> bool {
    map.len() >= MAX_STREAM_ITEMS && !map.contains_key(key)
}

fn too_many_items() -> String {
    format!(
        "the model server sent more than {MAX_STREAM_ITEMS} output items or tool calls in one response; Tack stopped reading it"
    )
}

/// A tool call as the model made it.
#[derive(Debug, Clone, PartialEq)]
pub struct RawCall {
    pub call_id: String,
    pub name: String,
    /// JSON arguments for a function call; None for a custom (free-form) call.
    pub arguments: Option<String>,
    /// The raw input of a custom call.
    pub input: Option<String>,
}

/// What the UI should be told about streaming text.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamUi {
    /// Text appended to the streaming item with this key; `reasoning` says which kind.
    Delta {
        key: String,
        reasoning: bool,
        delta: String,
    },
    /// The item with this key is complete with this text.
    Done {
        key: String,
        reasoning: bool,
        text: String,
    },
    /// The provider's hosted web search ran (a completed `web_search_call` item).
    WebSearch { query: String },
}

#[derive(Debug, Default, Clone)]
struct ChatCall {
    id: String,
    name: String,
    arguments: String,
}

/// The state of one streamed response.
#[derive(Debug, Default, Clone)]
pub struct ResponseStream {
    /// Responses: complete output items by output_index.
    items: VecMap<u64, Value>,
    /// Reasoning summary parts seen per item (to separate them).
    summary_index: VecMap<String, u64>,
    /// Chat: the assistant's text, reasoning and tool calls by index.
    chat_text: String,
    chat_reasoning: String,
    chat_calls: VecMap<u64, ChatCall>,
    pub finished: bool,
    pub failure: Option<String>,
    /// The response was cut short (Chat `finish_reason: "length"`, Responses `response.incomplete`):
    /// the reason the server gave.
    pub cut_off: Option<String>,
    pub usage: Option<Usage>,
    /// More than `MAX_STREAM_ITEMS` arrived: the rest of the response is ignored (`failure` says so).
    overflow: bool,
}

fn responses_usage(u: &Value) -> Option<Usage> {
    if !u.is_object() {
        return None;
    }
    Some(Usage {
        input_tokens: u["input_tokens"].as_u64().unwrap_or(0),
        cached_input_tokens: u["input_tokens_details"]["cached_tokens"]
            .as_u64()
            .unwrap_or(0),
        output_tokens: u["output_tokens"].as_u64().unwrap_or(0),
        reasoning_output_tokens: u["output_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap_or(0),
    })
}

fn chat_usage(u: &Value) -> Option<Usage> {
    if !u.is_object() {
        return None;
    }
    Some(Usage {
        input_tokens: u["prompt_tokens"].as_u64().unwrap_or(0),
        cached_input_tokens: u["prompt_tokens_details"]["cached_tokens"]
            .as_u64()
            .unwrap_or(0),
        output_tokens: u["completion_tokens"].as_u64().unwrap_or(0),
        reasoning_output_tokens: u["completion_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap_or(0),
    })
}

fn message_text(item: &Value) -> String {
    item["content"]
        .as_array()
        .map(|parts| {
            parts
                .iter()
                .filter_map(|p| p["text"].as_str())
                .collect::<String>()
        })
        .unwrap_or_default()
}

/// The text of a reasoning item: its summary (OpenAI), else its full `content` (`reasoning_text`
/// parts, as vLLM and llama.cpp send them).
fn reasoning_text(item: &Value) -> String {
    let join = |key: &str| {
        item[key]
            .as_array()
            .map(|parts| {
                parts
                    .iter()
                    .filter_map(|p| p["text"].as_str())
                    .collect::<Vec<_>>()
                    .join("\n\n")
            })
            .unwrap_or_default()
    };
    let summary = join("summary");
    if summary.is_empty() {
        join("content")
    } else {
        summary
    }
}

fn error_message(v: &Value) -> Option<String> {
    v["message"]
        .as_str()
        .or_else(|| v["error"]["message"].as_str())
        .map(str::to_string)
}

impl ResponseStream {
    /// One entry too many arrived (see `MAX_STREAM_ITEMS`): the rest of the response is ignored.
    fn overflowed(&mut self) {
        self.overflow = true;
        self.failure = Some(too_many_items());
    }

    /// Feeds one payload; returns what the UI should see.
    pub fn feed(&mut self, wire: Wire, data: &Value) -> Vec<StreamUi> {
        if self.overflow {
            return vec![];
        }
        match wire {
            Wire::Responses => self.feed_responses(data),
            Wire::Chat => self.feed_chat(data),
        }
    }

    fn feed_responses(&mut self, data: &Value) -> Vec<StreamUi> {
        let kind = data["type"].as_str().unwrap_or("");
        match kind {
            "response.output_text.delta" => {
                let key = data["item_id"].as_str().unwrap_or("msg").to_string();
                let delta = data["delta"].as_str().unwrap_or("").to_string();
                vec![StreamUi::Delta {
                    key,
                    reasoning: false,
                    delta,
                }]
            }
            "response.reasoning_summary_text.delta" => {
                let key = data["item_id"].as_str().unwrap_or("rs").to_string();
                let index = data["summary_index"].as_u64().unwrap_or(0);
                let mut delta = data["delta"].as_str().unwrap_or("").to_string();
                if full(&self.summary_index, &key) {
                    self.overflowed();
                    return vec![];
                }
                match self.summary_index.insert(key.clone(), index) {
                    Some(prev) if prev != index => delta = format!("\n\n{delta}"),
                    _ => {}
                }
                vec![StreamUi::Delta {
                    key,
                    reasoning: true,
                    delta,
                }]
            }
            // Full reasoning text, as vLLM and llama.cpp stream it (no summary).
            "response.reasoning_text.delta" => {
                let key = data["item_id"].as_str().unwrap_or("rs").to_string();
                let delta = data["delta"].as_str().unwrap_or("").to_string();
                vec![StreamUi::Delta {
                    key,
                    reasoning: true,
                    delta,
                }]
            }
            "response.output_item.done" => {
                let item = data["item"].clone();
                let index = data["output_index"]
                    .as_u64()
                    .unwrap_or(self.items.len() as u64);
                if full(&self.items, &index) {
                    self.overflowed();
                    return vec![];
                }
                let ui = self.item_done_ui(&item);
                self.items.insert(index, item);
                ui
            }
            "response.completed" | "response.incomplete" => {
                self.finished = true;
                if kind == "response.incomplete" || data["response"]["status"] == "incomplete" {
                    let reason = data["response"]["incomplete_details"]["reason"]
                        .as_str()
                        .unwrap_or("unknown reason");
                    self.cut_off = Some(reason.to_string());
                }
                self.usage = responses_usage(&data["response"]["usage"]);
                // Imitators may skip output_item.done and only list the output here.
                let mut ui = vec![];
                if self.items.is_empty() {
                    if let Some(output) = data["response"]["output"].as_array() {
                        for (i, item) in output.iter().enumerate() {
                            ui.extend(self.item_done_ui(item));
                            self.items.insert(i as u64, item.clone());
                        }
                    }
                }
                ui
            }
            "response.failed" => {
                self.failure = Some(
                    error_message(&data["response"]["error"])
                        .unwrap_or_else(|| "the model response failed".to_string()),
                );
                vec![]
            }
            "error" => {
                self.failure =
                    Some(error_message(data).unwrap_or_else(|| "model stream error".to_string()));
                vec![]
            }
            _ => vec![],
        }
    }

    fn item_done_ui(&self, item: &Value) -> Vec<StreamUi> {
        let key = item["id"].as_str().unwrap_or("").to_string();
        match item["type"].as_str() {
            Some("message") => vec![StreamUi::Done {
                key,
                reasoning: false,
                text: message_text(item),
            }],
            Some("web_search_call") => vec![StreamUi::WebSearch {
                query: super::machine::web_search_query(item),
            }],
            Some("reasoning") => {
                let text = reasoning_text(item);
                if text.is_empty() {
                    vec![]
                } else {
                    vec![StreamUi::Done {
                        key,
                        reasoning: true,
                        text,
                    }]
                }
            }
            _ => vec![],
        }
    }

    fn feed_chat(&mut self, data: &Value) -> Vec<StreamUi> {
        let mut ui = vec![];
        if let Some(u) = chat_usage(&data["usage"]) {
            self.usage = Some(u);
        }
        if data.get("error").is_some() && data.get("choices").is_none() {
            self.failure =
                Some(error_message(data).unwrap_or_else(|| "model stream error".to_string()));
            return ui;
        }
        let Some(choice) = data["choices"].as_array().and_then(|c| c.first()) else {
            return ui;
        };
        let delta = &choice["delta"];
        // llama.cpp, vLLM and DeepSeek send `reasoning_content`; OpenRouter and Ollama `reasoning`.
        // A server that sends both sends the same text twice: the first one present counts.
        let reasoning = ["reasoning_content", "reasoning"]
            .iter()
            .find_map(|key| delta[*key].as_str().filter(|s| !s.is_empty()));
        if let Some(r) = reasoning {
            self.chat_reasoning.push_str(r);
            ui.push(StreamUi::Delta {
                key: "chat-reasoning".into(),
                reasoning: true,
                delta: r.to_string(),
            });
        }
        if let Some(text) = delta["content"].as_str().filter(|s| !s.is_empty()) {
            self.chat_text.push_str(text);
            ui.push(StreamUi::Delta {
                key: "chat-text".into(),
                reasoning: false,
                delta: text.to_string(),
            });
        }
        if let Some(calls) = delta["tool_calls"].as_array() {
            for (pos, call) in calls.iter().enumerate() {
                let mut index = call["index"].as_u64().unwrap_or(pos as u64);
                let id = call["id"].as_str().unwrap_or("");
                // Some servers repeat index 0 for every complete call; a new id means a new call.
                if let Some(existing) = self.chat_calls.get(&index) {
                    if !id.is_empty() && !existing.id.is_empty() && existing.id != id {
                        index = self.chat_calls.keys().max().map_or(0, |m| m + 1);
                    }
                }
                if full(&self.chat_calls, &index) {
                    self.overflowed();
                    return ui;
                }
                let entry = self.chat_calls.get_or_insert_with(index, ChatCall::default);
                if !id.is_empty() {
                    entry.id = id.to_string();
                }
                if let Some(name) = call["function"]["name"].as_str() {
                    entry.name.push_str(name);
                }
                if let Some(args) = call["function"]["arguments"].as_str() {
                    entry.arguments.push_str(args);
                }
            }
        }
        if let Some(reason) = choice["finish_reason"].as_str() {
            self.finished = true;
            if reason == "length" {
                self.cut_off = Some("max_output_tokens".to_string());
            }
        }
        ui
    }

    /// Chat streams end with `[DONE]`, which the client does not pass on: the end of the stream is
    /// the end of the response.
    pub fn accept_end(&mut self, wire: Wire) -> Result<(), String> {
        if let Some(f) = &self.failure {
            return Err(f.clone());
        }
        match wire {
            Wire::Responses if !self.finished => {
                Err("the model stream ended before the response was complete".to_string())
            }
            _ => {
                self.finished = true;
                Ok(())
            }
        }
    }

    /// UI completions still owed at the end of a Chat stream (Responses items complete themselves).
    pub fn chat_final_ui(&self) -> Vec<StreamUi> {
        let mut ui = vec![];
        if !self.chat_reasoning.is_empty() {
            ui.push(StreamUi::Done {
                key: "chat-reasoning".into(),
                reasoning: true,
                text: self.chat_reasoning.clone(),
            });
        }
        if !self.chat_text.is_empty() {
            ui.push(StreamUi::Done {
                key: "chat-text".into(),
                reasoning: false,
                text: self.chat_text.clone(),
            });
        }
        ui
    }

    /// The response's items for the history (Responses input-item shape) and its tool calls.
    pub fn finish(&self, wire: Wire, call_prefix: &str) -> (Vec<Value>, Vec<RawCall>) {
        let mut history = vec![];
        let mut calls = vec![];
        match wire {
            Wire::Responses => {
                for item in self.items.values() {
                    match item["type"].as_str() {
                        // Hosted web searches go back as the model sent them (store is false).
                        Some("reasoning") | Some("web_search_call") => history.push(item.clone()),
                        Some("message") => history.push(crate::json_value!({
                            "type": "message",
                            "role": "assistant",
                            "content": item["content"],
                        })),
                        Some("function_call") => {
                            let call = RawCall {
                                call_id: item["call_id"].as_str().unwrap_or("").to_string(),
                                name: item["name"].as_str().unwrap_or("").to_string(),
                                arguments: Some(
                                    item["arguments"].as_str().unwrap_or("").to_string(),
                                ),
                                input: None,
                            };
                            history.push(crate::json_value!({
                                "type": "function_call",
                                "call_id": call.call_id,
                                "name": call.name,
                                "arguments": call.arguments,
                            }));
                            calls.push(call);
                        }
                        Some("custom_tool_call") => {
                            let call = RawCall {
                                call_id: item["call_id"].as_str().unwrap_or("").to_string(),
                                name: item["name"].as_str().unwrap_or("").to_string(),
                                arguments: None,
                                input: Some(item["input"].as_str().unwrap_or("").to_string()),
                            };
                            history.push(crate::json_value!({
                                "type": "custom_tool_call",
                                "call_id": call.call_id,
                                "name": call.name,
                                "input": call.input,
                            }));
                            calls.push(call);
                        }
                        _ => {}
                    }
                }
            }
            Wire::Chat => {
                if !self.chat_text.is_empty() {
                    history.push(crate::json_value!({
                        "type": "message",
                        "role": "assistant",
                        "content": [{"type": "output_text", "text": self.chat_text}],
                    }));
                }
                for (i, c) in self.chat_calls.values().enumerate() {
                    let call_id = if c.id.is_empty() {
                        format!("{call_prefix}_{i}")
                    } else {
                        c.id.clone()
                    };
                    let call = RawCall {
                        call_id,
                        name: c.name.clone(),
                        arguments: Some(c.arguments.clone()),
                        input: None,
                    };
                    history.push(crate::json_value!({
                        "type": "function_call",
                        "call_id": call.call_id,
                        "name": call.name,
                        "arguments": call.arguments,
                    }));
                    calls.push(call);
                }
            }
        }
        (history, calls)
    }

    /// The response's text (for the compaction summary).
    pub fn text(&self, wire: Wire) -> String {
        match wire {
            Wire::Chat => self.chat_text.clone(),
            Wire::Responses => self
                .items
                .values()
                .filter(|i| i["type"] == "message")
                .map(message_text)
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn assembles_chat_tool_call_deltas_by_index() {
        let mut s = ResponseStream::default();
        let chunks = [
            json!({"choices":[{"index":0,"delta":{"role":"assistant","content":"Let me look."}}]}),
            json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"shell","arguments":""}}]}}]}),
            json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"update_plan","arguments":"{\"pl"}}]}}]}),
            json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"command\":"}}]}}]}),
            json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"[\"ls\"]}"}}]}}]}),
            json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"an\":[]}"}}]}}]}),
            json!({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}),
            json!({"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5}}),
        ];
        for c in &chunks {
            s.feed(Wire::Chat, c);
        }
        s.accept_end(Wire::Chat).unwrap();
        let (history, calls) = s.finish(Wire::Chat, "x");
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].call_id, "call_a");
        assert_eq!(
            calls[0].arguments.as_deref(),
            Some("{\"command\":[\"ls\"]}")
        );
        assert_eq!(calls[1].arguments.as_deref(), Some("{\"plan\":[]}"));
        assert_eq!(history.len(), 3);
        assert_eq!(s.usage.unwrap().input_tokens, 10);
    }

    /// `n` complete output items, the last index first (every insert lands before all the others).
    fn items_in_reverse(s: &mut ResponseStream, n: u64) -> Vec<StreamUi> {
        let mut ui = vec![];
        for i in (0..n).rev() {
            let item = json!({"type":"message","id":format!("m{i}"),"role":"assistant","content":[{"type":"output_text","text":format!("{i}")}]});
            ui.extend(s.feed(
                Wire::Responses,
                &json!({"type":"response.output_item.done","output_index":i,"item":item}),
            ));
        }
        ui
    }

    #[test]
    fn a_response_may_carry_as_many_items_as_the_limit_in_any_order() {
        let mut s = ResponseStream::default();
        items_in_reverse(&mut s, MAX_STREAM_ITEMS as u64);
        // The same index again replaces its item: not one more.
        s.feed(Wire::Responses, &json!({"type":"response.output_item.done","output_index":0,"item":{"type":"message","id":"again","role":"assistant","content":[]}}));
        s.feed(
            Wire::Responses,
            &json!({"type":"response.completed","response":{"status":"completed"}}),
        );
        assert_eq!(s.accept_end(Wire::Responses), Ok(()));
        assert_eq!(s.items.len(), MAX_STREAM_ITEMS);
        assert_eq!(s.items.keys().next(), Some(&0));
    }

    #[test]
    fn a_response_with_more_items_than_the_limit_fails_and_the_rest_is_ignored() {
        let mut s = ResponseStream::default();
        let n = MAX_STREAM_ITEMS as u64 + 1000;
        items_in_reverse(&mut s, n);
        assert_eq!(s.items.len(), MAX_STREAM_ITEMS);
        // Nothing after the overflow is read, text included.
        let ui = s.feed(
            Wire::Responses,
            &json!({"type":"response.output_text.delta","item_id":"m","delta":"late"}),
        );
        assert!(ui.is_empty());
        s.feed(
            Wire::Responses,
            &json!({"type":"response.completed","response":{"status":"completed"}}),
        );
        let err = s.accept_end(Wire::Responses).unwrap_err();
        assert_eq!(err, format!("the model server sent more than {MAX_STREAM_ITEMS} output items or tool calls in one response; Tack stopped reading it"));
    }

    #[test]
    fn reasoning_parts_and_chat_tool_calls_have_the_same_limit() {
        let mut s = ResponseStream::default();
        for i in (0..=MAX_STREAM_ITEMS).rev() {
            s.feed(Wire::Responses, &json!({"type":"response.reasoning_summary_text.delta","item_id":format!("rs_{i:05}"),"summary_index":0,"delta":"x"}));
        }
        assert_eq!(s.summary_index.len(), MAX_STREAM_ITEMS);
        assert!(s
            .accept_end(Wire::Responses)
            .unwrap_err()
            .contains("more than 4096"));

        let mut c = ResponseStream::default();
        for i in (0..=MAX_STREAM_ITEMS as u64).rev() {
            c.feed(Wire::Chat, &json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":i,"id":format!("call_{i}"),"function":{"name":"shell","arguments":"{}"}}]}}]}));
        }
        assert_eq!(c.chat_calls.len(), MAX_STREAM_ITEMS);
        assert!(c
            .accept_end(Wire::Chat)
            .unwrap_err()
            .contains("more than 4096"));
        // Within the limit a Chat stream ends well.
        let mut ok = ResponseStream::default();
        for i in (0..MAX_STREAM_ITEMS as u64).rev() {
            ok.feed(Wire::Chat, &json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":i,"id":format!("call_{i}"),"function":{"name":"shell","arguments":"{}"}}]}}]}));
        }
        assert_eq!(ok.accept_end(Wire::Chat), Ok(()));
    }

    #[test]
    fn responses_stream_without_completion_is_an_error() {
        let mut s = ResponseStream::default();
        s.feed(
            Wire::Responses,
            &json!({"type":"response.output_text.delta","item_id":"m","delta":"hi"}),
        );
        assert!(s
            .accept_end(Wire::Responses)
            .unwrap_err()
            .contains("before the response"));
    }

    #[test]
    fn responses_failure_and_incomplete_carry_the_reason() {
        let mut s = ResponseStream::default();
        s.feed(Wire::Responses, &json!({"type":"response.failed","response":{"error":{"code":"rate_limit_exceeded","message":"Rate limit reached. Try again in 2s."}}}));
        assert!(s
            .accept_end(Wire::Responses)
            .unwrap_err()
            .contains("Try again in 2s"));
        let mut s = ResponseStream::default();
        s.feed(Wire::Responses, &json!({"type":"response.incomplete","response":{"incomplete_details":{"reason":"max_output_tokens"}}}));
        assert!(s.accept_end(Wire::Responses).is_ok());
        assert_eq!(s.cut_off.as_deref(), Some("max_output_tokens"));
    }

    #[test]
    fn chat_length_finish_is_a_cut_off() {
        let mut s = ResponseStream::default();
        s.feed(
            Wire::Chat,
            &json!({"choices":[{"index":0,"delta":{"content":"abc"},"finish_reason":"length"}]}),
        );
        assert!(s.accept_end(Wire::Chat).is_ok());
        assert_eq!(s.cut_off.as_deref(), Some("max_output_tokens"));
    }

    #[test]
    fn reasoning_from_every_field_servers_use() {
        // Chat: reasoning_content (llama.cpp, vLLM), reasoning (OpenRouter, Ollama); both at once count once.
        let mut s = ResponseStream::default();
        s.feed(
            Wire::Chat,
            &json!({"choices":[{"index":0,"delta":{"reasoning_content":"a"}}]}),
        );
        s.feed(
            Wire::Chat,
            &json!({"choices":[{"index":0,"delta":{"reasoning":"b"}}]}),
        );
        s.feed(
            Wire::Chat,
            &json!({"choices":[{"index":0,"delta":{"reasoning":"c","reasoning_content":"c"}}]}),
        );
        assert_eq!(
            s.chat_final_ui()[0],
            StreamUi::Done {
                key: "chat-reasoning".into(),
                reasoning: true,
                text: "abc".into()
            }
        );
        // Responses: reasoning_text deltas and an item whose content holds reasoning_text parts.
        let mut s = ResponseStream::default();
        let ui = s.feed(
            Wire::Responses,
            &json!({"type":"response.reasoning_text.delta","item_id":"rs1","delta":"think"}),
        );
        assert_eq!(ui.len(), 1);
        let ui = s.feed(Wire::Responses, &json!({"type":"response.output_item.done","item":{"type":"reasoning","id":"rs1","summary":[],"content":[{"type":"reasoning_text","text":"think"}]}}));
        assert_eq!(
            ui,
            vec![StreamUi::Done {
                key: "rs1".into(),
                reasoning: true,
                text: "think".into()
            }]
        );
    }

    #[test]
    fn unknown_events_are_ignored() {
        let mut s = ResponseStream::default();
        assert!(s
            .feed(
                Wire::Responses,
                &json!({"type":"response.something_new","x":1})
            )
            .is_empty());
        assert!(s.feed(Wire::Chat, &json!({"object":"ping"})).is_empty());
    }

    proptest! {
        /// However the arguments are split into deltas, the assembled call is the same.
        #[test]
        fn chat_arguments_survive_any_split(args in "[a-z{}\":,\\[\\] ]{0,60}", cuts in proptest::collection::vec(0usize..60, 0..6)) {
            let mut points: Vec<usize> = cuts.into_iter().filter(|c| *c <= args.len()).collect();
            points.push(0);
            points.push(args.len());
            points.sort();
            points.dedup();
            let mut s = ResponseStream::default();
            s.feed(Wire::Chat, &json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"shell","arguments":""}}]}}]}));
            for w in points.windows(2) {
                let piece = &args[w[0]..w[1]];
                s.feed(Wire::Chat, &json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":piece}}]}}]}));
            }
            let (_, calls) = s.finish(Wire::Chat, "x");
            prop_assert_eq!(calls[0].arguments.as_deref(), Some(args.as_str()));
        }
    }
}
