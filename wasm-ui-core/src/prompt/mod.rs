//! Prompt assembly: Tack's base instructions, the initial context messages (AGENTS.md, environment),
//! editor context, and the request bodies for both wire APIs built from the history.
//!
//! The history is kept as Responses input items (JSON); the Chat body is derived from it. Both
//! renderings are prefix-stable: appending to the history only appends to the request.

use crate::session::protocol::{
    AgentConfig, ApprovalPolicy, EditorContext, SandboxMode, ToolFamily, Wire,
};
use crate::tools;
use serde_json::Value;

pub mod body;
pub mod harness;
pub mod history;
pub use body::RequestBody;
pub use harness::{COMPACT_PROMPT, SUMMARY_PREFIX};
pub use history::History;

/// Tack's own instructions, written for its tool surface.
pub const BASE_INSTRUCTIONS: &str = "You are Tack, a coding agent working in the user's repository \
through the tools below. The user sees your messages, the commands you run and the edits you \
propose, live.

How to work:
- For anything beyond a quick answer, keep a short plan with update_plan (one step in progress at a \
time) and update it as steps finish.
- Gather context before editing: list and search files (rg is fast), read the relevant parts.
- Edit with apply_patch only. Keep changes focused on the task and in the style of the surrounding code.
- Validate: build or run the tests that cover your change when the project has them, and fix what you broke.
- Commands run in a sandbox; if something is blocked and the task needs it, say so or ask for \
approval as the tool allows.
- Finish with a brief report: what changed (files), how you checked it, anything left open. No \
long recaps.

Follow AGENTS.md instructions for the files they cover; deeper directories override shallower ones; \
the user's own requests override both.";

fn user_text(text: String) -> Value {
    crate::json_value!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
}

fn developer_text(text: String) -> Value {
    crate::json_value!({"type": "message", "role": "developer", "content": [{"type": "input_text", "text": text}]})
}

fn policy_name(p: ApprovalPolicy) -> &'static str {
    match p {
        ApprovalPolicy::Untrusted => "untrusted",
        ApprovalPolicy::OnRequest => "on-request",
        ApprovalPolicy::OnFailure => "on-failure",
        ApprovalPolicy::Never => "never",
    }
}

fn sandbox_name(m: SandboxMode) -> &'static str {
    match m {
        SandboxMode::ReadOnly => "read-only",
        SandboxMode::WorkspaceWrite => "workspace-write",
        SandboxMode::DangerFullAccess => "danger-full-access",
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The `<environment_context>` block.
pub fn environment_context(cfg: &AgentConfig) -> String {
    let mut s = format!("{}\n", harness::ENVIRONMENT_CONTEXT_OPEN);
    s += &format!("  <cwd>{}</cwd>\n", xml_escape(&cfg.cwd));
    s += &format!(
        "  <approval_policy>{}</approval_policy>\n",
        policy_name(cfg.approval_policy)
    );
    s += &format!(
        "  <sandbox_mode>{}</sandbox_mode>\n",
        sandbox_name(cfg.sandbox_mode)
    );
    let network = if cfg.network || cfg.sandbox_mode == SandboxMode::DangerFullAccess {
        "enabled"
    } else {
        "restricted"
    };
    s += &format!("  <network_access>{network}</network_access>\n");
    if cfg.sandbox_mode == SandboxMode::WorkspaceWrite {
        s += "  <writable_roots>\n";
        for root in std::iter::once(&cfg.cwd).chain(cfg.writable_roots.iter()) {
            s += &format!("    <root>{}</root>\n", xml_escape(root));
        }
        s += "  </writable_roots>\n";
    }
    let shell = crate::tools::shell_kind::shell_name(&cfg.shell);
    s += &format!("  <shell>{}</shell>\n", xml_escape(&shell));
    s += &format!(
        "  <current_date>{}</current_date>\n",
        xml_escape(&cfg.current_date)
    );
    s += &format!("  <timezone>{}</timezone>\n", xml_escape(&cfg.timezone));
    s += harness::ENVIRONMENT_CONTEXT_CLOSE;
    s
}

/// The history's first items: instructions, AGENTS.md (root first), environment.
pub fn initial_context(cfg: &AgentConfig) -> Vec<Value> {
    let mut items = vec![developer_text(
        cfg.base_instructions
            .clone()
            .unwrap_or_else(|| BASE_INSTRUCTIONS.to_string()),
    )];
    for file in &cfg.agents_md {
        items.push(user_text(format!(
            "{}{}\n\n<INSTRUCTIONS>\n{}\n</INSTRUCTIONS>",
            harness::AGENTS_MD_HEADING,
            file.dir,
            file.contents.trim_end()
        )));
    }
    items.push(user_text(environment_context(cfg)));
    items
}

/// The editor's state as a message placed before the user's text, or None when there is nothing.
pub fn editor_context_message(ctx: &EditorContext) -> Option<Value> {
    let mut s = String::new();
    if let Some(f) = &ctx.active_file {
        s += &format!("  <active_file>{}</active_file>\n", xml_escape(f));
    }
    if !ctx.open_files.is_empty() {
        s += "  <open_files>\n";
        for f in &ctx.open_files {
            s += &format!("    <file>{}</file>\n", xml_escape(f));
        }
        s += "  </open_files>\n";
    }
    if let Some(sel) = &ctx.selection {
        s += &format!(
            "  <selection path=\"{}\" lines=\"{}-{}\">\n{}\n  </selection>\n",
            xml_escape(&sel.path),
            sel.start_line,
            sel.end_line,
            sel.text.trim_end_matches('\n')
        );
    }
    if !ctx.diagnostics.is_empty() {
        s += "  <diagnostics>\n";
        for d in &ctx.diagnostics {
            s += &format!(
                "    {}:{}: {}: {}\n",
                xml_escape(&d.path),
                d.line,
                d.severity.as_str(),
                xml_escape(&d.message)
            );
        }
        s += "  </diagnostics>\n";
    }
    if s.is_empty() {
        return None;
    }
    Some(user_text(format!(
        "{}\n{s}{}",
        harness::EDITOR_CONTEXT_OPEN,
        harness::EDITOR_CONTEXT_CLOSE
    )))
}

pub fn user_message(text: &str) -> Value {
    user_text(text.to_string())
}

/// The output cap when the configuration names none: enough for a long patch or a full report, small
/// enough that a model that never stops is cut in minutes rather than at the context limit.
pub fn default_max_output_tokens(model: &str) -> u64 {
    let m = model.to_ascii_lowercase();
    let m = m.rsplit('/').next().unwrap_or(&m);
    if m.starts_with("gpt-5") || m.starts_with("o1") || m.starts_with("o3") || m.starts_with("o4") {
        // Reasoning models spend part of the cap on reasoning.
        32_000
    } else {
        8_192
    }
}

/// The cap sent with every request, or None when the configuration turns it off (0).
pub fn max_output_tokens(cfg: &AgentConfig) -> Option<u64> {
    match cfg.max_output_tokens {
        Some(0) => None,
        Some(n) => Some(n),
        None => Some(default_max_output_tokens(&cfg.model)),
    }
}

/// OpenAI's reasoning models refuse `max_tokens` on Chat Completions and want
/// `max_completion_tokens`; most OpenAI-compatible servers (llama.cpp, Ollama, LM Studio, older
/// vLLM) know only `max_tokens`.
fn chat_cap_field(model: &str) -> &'static str {
    let m = model.to_ascii_lowercase();
    let m = m.rsplit('/').next().unwrap_or(&m);
    if m.starts_with("gpt-5") || m.starts_with("o1") || m.starts_with("o3") || m.starts_with("o4") {
        "max_completion_tokens"
    } else {
        "max_tokens"
    }
}

/// Tool-call arguments as they may be sent back: servers that parse them (llama.cpp answers HTTP 500
/// to every later request otherwise) need a JSON object. Invalid text becomes `{}` (apply_patch's raw
/// patch becomes `{"input": ...}`); the raw text went to the model in the call's error output.
pub fn sendable_arguments(name: &str, arguments: &str) -> String {
    match serde_json::from_str::<Value>(arguments) {
        Ok(v) if v.is_object() => arguments.to_string(),
        _ if name == "apply_patch" && arguments.trim_start().starts_with("*** Begin Patch") => {
            crate::json_text(&crate::json_value!({"input": arguments}))
        }
        _ => "{}".to_string(),
    }
}

/// The history as sent on the Responses API, built as values: what `body::write_input` writes
/// (prompt/tests.rs checks the two agree on every kind of history). The module writes the text
/// directly; this stays as the readable statement of the rules.
#[cfg(test)]
pub fn responses_input(history: &[Value], join_user_messages: bool) -> Vec<Value> {
    let mut input: Vec<Value> = Vec::with_capacity(history.len());
    for item in history {
        match item["type"].as_str() {
            Some("function_call") => {
                let mut item = item.clone();
                let args = item["arguments"].as_str().unwrap_or("");
                let sendable = sendable_arguments(item["name"].as_str().unwrap_or(""), args);
                if sendable != args {
                    item["arguments"] = crate::json_value!(sendable);
                }
                input.push(item);
            }
            Some("reasoning") => {
                if item["encrypted_content"]
                    .as_str()
                    .is_some_and(|e| !e.is_empty())
                {
                    let mut item = item.clone();
                    // Plain reasoning text is the server's own copy; only the opaque form goes back.
                    if let Some(obj) = item.as_object_mut() {
                        obj.remove("content");
                    }
                    input.push(item);
                }
            }
            Some("message") if join_user_messages && item["role"] == "user" => {
                match input.last_mut() {
                    Some(last) if last["type"] == "message" && last["role"] == "user" => {
                        let parts = item["content"].as_array().cloned().unwrap_or_default();
                        if let Some(content) = last["content"].as_array_mut() {
                            content.extend(parts);
                        }
                    }
                    _ => input.push(item.clone()),
                }
            }
            _ => input.push(item.clone()),
        }
    }
    input
}

/// The Responses request body without its history: `input` is a placeholder that
/// `body::with_input` fills from the history as it writes the text. The session adjusts the rest
/// (MCP tools, view_image, web search) before that.
pub fn responses_body(cfg: &AgentConfig, family: ToolFamily) -> Value {
    // No `instructions`: Tack's instructions are the first (developer) message, and imitating
    // servers turn an empty `instructions` into an empty system message that strict templates reject.
    let mut body = crate::json_value!({
        "model": cfg.model,
        "input": null,
        "tools": tools::tool_specs(family, Wire::Responses),
        "tool_choice": "auto",
        "parallel_tool_calls": true,
        "store": false,
        "stream": true,
        "prompt_cache_key": cfg.session_id,
    });
    if let Some(cap) = max_output_tokens(cfg) {
        body["max_output_tokens"] = crate::json_value!(cap);
    }
    if family == ToolFamily::Codex || cfg.reasoning_effort.is_some() {
        let mut reasoning = crate::json_value!({"summary": "auto"});
        if let Some(effort) = cfg.reasoning_effort {
            reasoning["effort"] = crate::json_value!(effort.as_str());
        }
        body["reasoning"] = reasoning;
        body["include"] = crate::json_value!(["reasoning.encrypted_content"]);
    }
    body
}

fn text_of(content: &Value) -> String {
    content
        .as_array()
        .map(|parts| {
            parts
                .iter()
                .filter_map(|p| p["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// Appends a text message, joining it to the previous one when both are user (or both system)
/// messages with text content: templates that require alternating roles (Gemma, Mistral) refuse two
/// in a row, and every server reads the joined text the same way.
fn push_merged(messages: &mut Vec<Value>, role: &str, text: String) {
    if role == "user" || role == "system" {
        if let Some(last) = messages.last_mut() {
            if last["role"] == role && last.get("tool_calls").is_none() {
                if let Some(prev) = last["content"].as_str() {
                    last["content"] = crate::json_value!(format!("{prev}\n\n{text}"));
                    return;
                }
                if let Some(parts) = last["content"].as_array_mut() {
                    parts.push(crate::json_value!({"type": "text", "text": text}));
                    return;
                }
            }
        }
    }
    messages.push(crate::json_value!({"role": role, "content": text}));
}

/// Appends a message of content parts (text and images), joining it to a previous user message as
/// `push_merged` does, so roles still alternate when images are attached.
fn push_parts(messages: &mut Vec<Value>, role: &str, mut parts: Vec<Value>) {
    if role == "user" {
        if let Some(last) = messages.last_mut() {
            if last["role"] == "user" {
                let mut joined = match &last["content"] {
                    Value::String(prev) => vec![crate::json_value!({"type": "text", "text": prev})],
                    Value::Array(prev) => prev.clone(),
                    _ => vec![],
                };
                joined.append(&mut parts);
                last["content"] = Value::Array(joined);
                return;
            }
        }
    }
    messages.push(crate::json_value!({"role": role, "content": parts}));
}

/// The history as Chat Completions messages.
pub fn chat_messages(history: &[Value]) -> Vec<Value> {
    let mut messages: Vec<Value> = Vec::new();
    for item in history {
        match item["type"].as_str() {
            Some("message") => {
                let role = match item["role"].as_str() {
                    Some("developer") | Some("system") => "system",
                    Some("assistant") => "assistant",
                    _ => "user",
                };
                let parts = item["content"].as_array().cloned().unwrap_or_default();
                if parts.iter().any(|p| p["type"] == "input_image") {
                    // Images travel as content parts on Chat Completions.
                    let content: Vec<Value> = parts
                        .iter()
                        .map(|p| match p["type"].as_str() {
                            Some("input_image") => {
                                crate::json_value!({"type": "image_url", "image_url": {"url": p["image_url"]}})
                            }
                            _ => crate::json_value!({"type": "text", "text": p["text"]}),
                        })
                        .collect();
                    push_parts(&mut messages, role, content);
                } else {
                    let text = text_of(&item["content"]);
                    if role == "system" && text.trim().is_empty() {
                        continue; // an empty system message is refused by some templates
                    }
                    push_merged(&mut messages, role, text);
                }
            }
            Some("function_call") | Some("custom_tool_call") => {
                let arguments = match item["type"].as_str() {
                    Some("function_call") => sendable_arguments(
                        item["name"].as_str().unwrap_or(""),
                        item["arguments"].as_str().unwrap_or(""),
                    ),
                    _ => crate::json_text(&crate::json_value!({"input": item["input"]})),
                };
                let call = crate::json_value!({
                    "id": item["call_id"],
                    "type": "function",
                    "function": {"name": item["name"], "arguments": arguments},
                });
                // Calls from one response share one assistant message (with its text, if any).
                match messages.last_mut() {
                    Some(last) if last["role"] == "assistant" => {
                        if last.get("tool_calls").is_none() {
                            last["tool_calls"] = crate::json_value!([]);
                        }
                        last["tool_calls"].as_array_mut().unwrap().push(call);
                    }
                    _ => messages
                        .push(crate::json_value!({"role": "assistant", "content": null, "tool_calls": [call]})),
                }
            }
            Some("function_call_output") | Some("custom_tool_call_output") => {
                messages.push(crate::json_value!({
                    "role": "tool",
                    "tool_call_id": item["call_id"],
                    "content": item["output"],
                }));
            }
            // Reasoning items only travel on the Responses API.
            _ => {}
        }
    }
    messages
}

/// The Chat Completions request body.
pub fn chat_body(cfg: &AgentConfig, family: ToolFamily, history: &[Value]) -> Value {
    let mut body = crate::json_value!({
        "model": cfg.model,
        "messages": chat_messages(history),
        "tools": tools::tool_specs(family, Wire::Chat),
        "tool_choice": "auto",
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    if let Some(cap) = max_output_tokens(cfg) {
        body[chat_cap_field(&cfg.model)] = crate::json_value!(cap);
    }
    body
}

#[cfg(test)]
pub(crate) mod tests;
