//! MCP tools as the core sees them: the specs the host hands in, the function names the model gets
//! (`mcp__<server>__<tool>`), input schemas made acceptable to both wire APIs, and a tool result
//! turned into text the model can read. Pure: the host talks to the servers.

use crate::tools;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;

/// One tool of one MCP server, as the host found it (`tools/list`).
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct McpToolSpec {
    /// The server's name in the configuration.
    pub server: String,
    /// The tool's name on that server.
    pub tool: String,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The tool's `inputSchema`, as the server sent it.
    #[ts(type = "unknown")]
    #[serde(default)]
    pub input_schema: Value,
    /// The server annotated the tool `readOnlyHint: true`: it runs without asking.
    #[serde(default)]
    pub read_only: bool,
}

/// The MCP parts of an approval card.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct McpApprovalInfo {
    pub server: String,
    pub tool: String,
    #[ts(type = "unknown")]
    pub arguments: Value,
}

/// The result shown in an `mcp_tool_call` item (as `codex exec --json` prints it).
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq)]
#[ts(export)]
pub struct McpItemResult {
    #[ts(type = "unknown[]")]
    pub content: Vec<Value>,
    #[ts(optional, type = "unknown")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<Value>,
}

#[derive(Serialize, Deserialize, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum McpCallStatus {
    InProgress,
    Completed,
    Failed,
    Declined,
}

/// The longest function name both APIs accept.
pub const MAX_NAME: usize = 64;

/// How much of a tool's result (text) goes to the model: the same budget as command output.
pub const MAX_RESULT_BYTES: usize = (tools::DEFAULT_MAX_OUTPUT_TOKENS as usize) * 4;

/// The largest image (its data URL) passed on to the model.
pub const MAX_IMAGE_BYTES: usize = 8 * 1024 * 1024;

/// How long a tool description may be.
const MAX_DESCRIPTION: usize = 4_000;

/// A tool offered to the model, with the function name it was given.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferedTool {
    pub name: String,
    pub spec: McpToolSpec,
    pub parameters: Value,
}

/// The tools of all servers, named and checked; `refused` are left out, with the reason.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct McpToolSet {
    pub offered: Vec<OfferedTool>,
    pub refused: Vec<(String, String)>,
}

fn sanitize(part: &str) -> String {
    part.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `mcp__<server>__<tool>` with only `[a-zA-Z0-9_-]`, at most 64 characters; when it had to be
/// cut or changed, a short hash of the real names keeps it unique.
pub fn function_name(server: &str, tool: &str) -> String {
    let plain = format!("mcp__{server}__{tool}");
    let clean = format!("mcp__{}__{}", sanitize(server), sanitize(tool));
    if clean == plain && clean.len() <= MAX_NAME {
        return clean;
    }
    let hash = tools::chunk_id(&format!("{server}\u{0}{tool}"));
    let keep = MAX_NAME - hash.len() - 1;
    let cut: String = clean.chars().take(keep).collect();
    format!("{cut}_{hash}")
}

/// Names every tool, unique across servers, and makes each schema acceptable to the APIs.
pub fn build_tool_set(specs: &[McpToolSpec]) -> McpToolSet {
    let mut set = McpToolSet::default();
    for spec in specs {
        let mut name = function_name(&spec.server, &spec.tool);
        let mut n = 1;
        while set.offered.iter().any(|t| t.name == name) {
            // Two different real names that clean to the same one get distinct hashes already;
            // this only happens when a server lists the same tool twice.
            n += 1;
            let suffix = format!("_{n}");
            let base: String = name.chars().take(MAX_NAME - suffix.len()).collect();
            name = format!("{base}{suffix}");
        }
        match api_schema(&spec.input_schema) {
            Ok(parameters) => set.offered.push(OfferedTool {
                name,
                spec: spec.clone(),
                parameters,
            }),
            Err(reason) => set.refused.push((
                name,
                format!(
                    "The MCP tool `{}` of server `{}` is not available: {reason}",
                    spec.tool, spec.server
                ),
            )),
        }
    }
    set
}

/// The tool declarations for a request, in the wire's shape.
pub fn tool_specs(set: &McpToolSet, wire: super::Wire) -> Vec<Value> {
    set.offered
        .iter()
        .map(|t| {
            let mut description = t.spec.description.clone().unwrap_or_default();
            if description.len() > MAX_DESCRIPTION {
                let mut end = MAX_DESCRIPTION;
                while !description.is_char_boundary(end) {
                    end -= 1;
                }
                description.truncate(end);
            }
            if description.trim().is_empty() {
                description = format!(
                    "The `{}` tool of the MCP server `{}`.",
                    t.spec.tool, t.spec.server
                );
            }
            tools::function_tool(wire, &t.name, &description, t.parameters.clone())
        })
        .collect()
}

/// Keywords that only describe or reference a schema document; APIs refuse some of them.
const DROPPED_KEYWORDS: &[&str] = &["$schema", "$id", "$comment", "$anchor", "$dynamicAnchor"];

/// The schema as both wire APIs accept it: an object at the top (with `properties`), `required`
/// listing only real properties, no top-level combinators, arrays with `items`, boolean
/// sub-schemas written as objects, document keywords dropped. Refuses what cannot be fixed
/// without changing the tool's meaning.
pub fn api_schema(schema: &Value) -> Result<Value, String> {
    if schema.is_null() {
        return Ok(crate::json_value!({"type": "object", "properties": {}}));
    }
    let Some(top) = schema.as_object() else {
        return Err("its input schema is not a JSON object".to_string());
    };
    if super::depth::value_exceeds(schema, super::depth::MAX_ARGUMENT_DEPTH) {
        return Err(format!(
            "its input schema nests deeper than {} levels",
            super::depth::MAX_ARGUMENT_DEPTH
        ));
    }
    match top.get("type") {
        None => {}
        Some(Value::String(t)) if t == "object" => {}
        Some(other) => {
            let other = crate::json_text(other);
            return Err(format!(
            "its input schema has type {other} at the top; the model APIs accept only \"object\""
        ));
        }
    }
    for k in ["anyOf", "oneOf", "allOf", "not", "enum", "if"] {
        if top.contains_key(k) {
            return Err(format!(
                "its input schema uses `{k}` at the top, which the model APIs refuse"
            ));
        }
    }
    let mut out = clean_schema(schema);
    let obj = out.as_object_mut().expect("an object stays an object");
    obj.insert("type".into(), crate::json_value!("object"));
    if !obj.get("properties").is_some_and(Value::is_object) {
        obj.insert("properties".into(), crate::json_value!({}));
    }
    let props: Vec<String> = obj["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    if let Some(req) = obj.get("required").cloned() {
        let kept: Vec<Value> = req
            .as_array()
            .map(|r| {
                r.iter()
                    .filter(|v| v.as_str().is_some_and(|s| props.iter().any(|p| p == s)))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        obj.insert("required".into(), Value::Array(kept));
    }
    Ok(out)
}

fn clean_schema(schema: &Value) -> Value {
    match schema {
        // `true` accepts anything; `false` nothing (kept as a schema nothing matches).
        Value::Bool(true) => crate::json_value!({}),
        Value::Bool(false) => crate::json_value!({"not": {}}),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                if DROPPED_KEYWORDS.contains(&k.as_str()) {
                    continue;
                }
                let v = match k.as_str() {
                    // Maps of name -> schema.
                    "properties" | "patternProperties" | "$defs" | "definitions" => match v {
                        Value::Object(m) => {
                            // Inserted one by one: `collect` would sort first (a sort instance).
                            let mut cleaned = Map::new();
                            for (n, s) in m {
                                cleaned.insert(n.clone(), clean_schema(s));
                            }
                            Value::Object(cleaned)
                        }
                        other => other.clone(),
                    },
                    // One schema.
                    "items"
                    | "additionalProperties"
                    | "not"
                    | "contains"
                    | "additionalItems"
                    | "propertyNames" => match v {
                        Value::Object(_) | Value::Bool(_) if k == "additionalProperties" => {
                            if v.is_boolean() {
                                v.clone()
                            } else {
                                clean_schema(v)
                            }
                        }
                        Value::Array(a) => Value::Array(a.iter().map(clean_schema).collect()),
                        other => clean_schema(other),
                    },
                    // Lists of schemas.
                    "anyOf" | "oneOf" | "allOf" | "prefixItems" => match v {
                        Value::Array(a) => Value::Array(a.iter().map(clean_schema).collect()),
                        other => other.clone(),
                    },
                    _ => v.clone(),
                };
                out.insert(k.clone(), v);
            }
            let is_array = match out.get("type") {
                Some(Value::String(t)) => t == "array",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "array"),
                _ => false,
            };
            if is_array && !out.contains_key("items") {
                out.insert("items".into(), crate::json_value!({}));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// What the model reads for a tool's result, the first image it returned (a data URL), and what
/// the `mcp_tool_call` item shows. `Err` when the result is malformed.
#[derive(Debug)]
pub struct ResultText {
    pub text: String,
    pub image: Option<String>,
    pub is_error: bool,
    pub item: McpItemResult,
}

fn size_note(data: &str) -> String {
    // Base64: four characters per three bytes.
    let bytes = data.len() / 4 * 3;
    if bytes >= 1024 * 1024 {
        format!("{} MiB", tenths(bytes as u64, 1024 * 1024))
    } else if bytes >= 1024 {
        format!("{} KiB", tenths(bytes as u64, 1024))
    } else {
        format!("{bytes} bytes")
    }
}

/// `n / unit` with one decimal, the nearest tenth and a tie to the even one: the text of
/// `format!("{:.1}", n as f64 / unit as f64)` for a power-of-two `unit` (the quotient is exact),
/// computed in integers so that the module carries no float formatter (about 17 KB) for this note.
pub(crate) fn tenths(n: u64, unit: u64) -> String {
    let (whole, rest) = (n / unit, n % unit);
    // rest * 10 < unit * 10, which fits: unit is at most 1 MiB here.
    let (mut tenth, left) = ((rest * 10) / unit, (rest * 10) % unit);
    let mut whole = whole;
    if 2 * left > unit || (2 * left == unit && tenth % 2 == 1) {
        tenth += 1;
        if tenth == 10 {
            (whole, tenth) = (whole + 1, 0);
        }
    }
    format!("{whole}.{tenth}")
}

/// Turns a `tools/call` result into tool output. Every content type of the MCP spec is written as
/// text; images also go to the model as an image (the first one, when small enough).
pub fn result_text(server: &str, tool: &str, result: &Value) -> Result<ResultText, String> {
    let malformed = |why: &str| {
        format!("The MCP server `{server}` returned a malformed result for `{tool}`: {why}.")
    };
    let Some(obj) = result.as_object() else {
        return Err(malformed("the result is not a JSON object"));
    };
    if super::depth::value_exceeds(result, super::depth::MAX_EVENT_DEPTH) {
        return Err(malformed(&format!(
            "it nests deeper than {} levels",
            super::depth::MAX_EVENT_DEPTH
        )));
    }
    let content = match obj.get("content") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(malformed("`content` is not a list")),
    };
    let structured = obj
        .get("structuredContent")
        .filter(|v| !v.is_null())
        .cloned();
    let is_error = obj.get("isError").and_then(Value::as_bool).unwrap_or(false);
    let mut parts: Vec<String> = vec![];
    let mut image = None;
    for (i, c) in content.iter().enumerate() {
        let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("");
        match s("type") {
            "text" => match c.get("text").and_then(Value::as_str) {
                Some(t) => parts.push(t.to_string()),
                None => return Err(malformed(&format!("content item {i} (text) has no text"))),
            },
            "image" => {
                let data = s("data");
                let mime = s("mimeType");
                if data.is_empty() || !mime.starts_with("image/") {
                    return Err(malformed(&format!(
                        "content item {i} (image) lacks data or an image mimeType"
                    )));
                }
                let url = format!("data:{mime};base64,{data}");
                if image.is_none() && url.len() <= MAX_IMAGE_BYTES {
                    parts.push(format!(
                        "[image {mime}, {}: shown to you after the tool results]",
                        size_note(data)
                    ));
                    image = Some(url);
                } else {
                    parts.push(format!("[image {mime}, {}: not shown]", size_note(data)));
                }
            }
            "audio" => parts.push(format!(
                "[audio {}, {}: not shown]",
                s("mimeType"),
                size_note(s("data"))
            )),
            "resource_link" => {
                let mut line = format!("[resource link] {}", s("uri"));
                if !s("name").is_empty() {
                    line += &format!(" ({})", s("name"));
                }
                if !s("mimeType").is_empty() {
                    line += &format!(" {}", s("mimeType"));
                }
                if !s("description").is_empty() {
                    line += &format!(": {}", s("description"));
                }
                parts.push(line);
            }
            "resource" => {
                let r = c.get("resource").cloned().unwrap_or(Value::Null);
                let rs = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                if rs("uri").is_empty() {
                    return Err(malformed(&format!(
                        "content item {i} (resource) has no resource uri"
                    )));
                }
                if let Some(t) = r.get("text").and_then(Value::as_str) {
                    parts.push(format!("[resource {}]\n{t}", rs("uri")));
                } else {
                    parts.push(format!(
                        "[resource {} {}, {} of binary data: not shown]",
                        rs("uri"),
                        rs("mimeType"),
                        size_note(&rs("blob"))
                    ));
                }
            }
            other => parts.push(format!("[content of unknown type `{other}`: not shown]")),
        }
    }
    if let Some(sc) = &structured {
        // The spec asks servers to repeat structured content as text; when they did not, show it.
        if content.is_empty() {
            parts.push(crate::json_text(sc));
        }
    }
    let mut text = parts.join("\n");
    if text.is_empty() {
        text = "(the tool returned no content)".to_string();
    }
    if is_error {
        text = format!("The MCP tool `{tool}` of server `{server}` reported an error:\n{text}");
    }
    let text = tools::bound_output(&text, MAX_RESULT_BYTES);
    // The item shows the content without image/audio payloads (the UI and logs stay small).
    let shown: Vec<Value> = content
        .iter()
        .map(|c| {
            let mut c = c.clone();
            if let Some(d) = c.get("data").and_then(Value::as_str) {
                let note = format!("<{} of base64>", size_note(d));
                c["data"] = crate::json_value!(note);
            }
            if let Some(b) = c.pointer("/resource/blob").and_then(Value::as_str) {
                let note = format!("<{} of base64>", size_note(b));
                c["resource"]["blob"] = crate::json_value!(note);
            }
            if let Some(t) = c.get("text").and_then(Value::as_str) {
                if t.len() > MAX_RESULT_BYTES {
                    c["text"] = crate::json_value!(tools::bound_output(t, MAX_RESULT_BYTES));
                }
            }
            c
        })
        .collect();
    Ok(ResultText {
        text,
        image,
        is_error,
        item: McpItemResult {
            content: shown,
            structured_content: structured,
        },
    })
}

/// One line for a card or a list: `server.tool {"a":1}`.
pub fn describe_call(server: &str, tool: &str, arguments: &Value) -> String {
    let args = crate::json_text(arguments);
    let args = if args.len() > 400 {
        let mut end = 400;
        while !args.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &args[..end])
    } else {
        args
    };
    format!("{server}.{tool} {args}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(server: &str, tool: &str, schema: Value) -> McpToolSpec {
        McpToolSpec {
            server: server.into(),
            tool: tool.into(),
            description: None,
            input_schema: schema,
            read_only: false,
        }
    }

    #[test]
    fn names_follow_the_api_rules() {
        assert_eq!(function_name("fs", "read_file"), "mcp__fs__read_file");
        let n = function_name("my server", "do.it");
        assert!(n.starts_with("mcp__my_server__do_it_"), "{n}");
        let long = function_name("s", &"x".repeat(100));
        assert_eq!(long.len(), MAX_NAME);
        let re = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        assert!(re(&n) && re(&long));
        // Two names that clean to the same text stay distinct.
        assert_ne!(function_name("a", "b.c"), function_name("a", "b_c"));
        assert_ne!(function_name("a", "b.c"), function_name("a", "b/c"));
        let set = build_tool_set(&[spec("a", "t", json!({})), spec("a", "t", json!({}))]);
        assert_eq!(set.offered.len(), 2);
        assert_ne!(set.offered[0].name, set.offered[1].name);
    }

    #[test]
    fn schemas_are_made_acceptable() {
        let s = api_schema(&json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {"a": {"type": "array"}, "b": true, "c": {"type": "object", "properties": {"d": {"type": "array", "items": {"$id": "x", "type": "string"}}}}},
            "required": ["a", "zzz"],
        }))
        .unwrap();
        assert!(s.get("$schema").is_none());
        assert_eq!(s["properties"]["a"]["items"], json!({}));
        assert_eq!(s["properties"]["b"], json!({}));
        assert!(s["properties"]["c"]["properties"]["d"]["items"]
            .get("$id")
            .is_none());
        assert_eq!(s["required"], json!(["a"]));
        // A missing top-level type or properties is filled in.
        assert_eq!(
            api_schema(&json!({})).unwrap(),
            json!({"type": "object", "properties": {}})
        );
        assert!(api_schema(&json!({"type": "array"}))
            .unwrap_err()
            .contains("\"array\""));
        assert!(api_schema(&json!({"anyOf": [{}]}))
            .unwrap_err()
            .contains("anyOf"));
        assert!(api_schema(&json!("x")).is_err());
        let deep = super::super::depth::nested_array(200);
        assert!(
            api_schema(&json!({"type": "object", "properties": {"a": {"default": deep}}})).is_err()
        );
        let set = build_tool_set(&[
            spec("s", "bad", json!({"type": "string"})),
            spec("s", "ok", Value::Null),
        ]);
        assert_eq!(set.offered.len(), 1);
        assert!(set.refused[0].1.contains("`bad`"), "{:?}", set.refused);
    }

    #[test]
    fn every_content_type_becomes_text() {
        let r = result_text(
            "s",
            "t",
            &json!({"content": [
                {"type": "text", "text": "hello"},
                {"type": "image", "data": "aGVsbG8=", "mimeType": "image/png"},
                {"type": "resource_link", "uri": "file:///a", "name": "a", "mimeType": "text/plain"},
                {"type": "resource", "resource": {"uri": "mem://x", "text": "inside"}},
                {"type": "resource", "resource": {"uri": "mem://y", "mimeType": "application/zip", "blob": "AAAA"}},
                {"type": "audio", "data": "AAAA", "mimeType": "audio/wav"},
            ], "structuredContent": {"k": 1}}),
        )
        .unwrap();
        for needle in [
            "hello",
            "[image image/png",
            "[resource link] file:///a (a) text/plain",
            "[resource mem://x]\ninside",
            "mem://y application/zip",
            "[audio audio/wav",
        ] {
            assert!(r.text.contains(needle), "{needle} in {}", r.text);
        }
        assert_eq!(r.image.as_deref(), Some("data:image/png;base64,aGVsbG8="));
        assert_eq!(r.item.structured_content, Some(json!({"k": 1})));
        assert!(!r.item.content[1]["data"]
            .as_str()
            .unwrap()
            .contains("aGVsbG8"));
        let only = result_text("s", "t", &json!({"structuredContent": {"k": 2}})).unwrap();
        assert_eq!(only.text, "{\"k\":2}");
        let err = result_text(
            "s",
            "t",
            &json!({"content": [{"type": "text", "text": "boom"}], "isError": true}),
        )
        .unwrap();
        assert!(
            err.is_error && err.text.contains("reported an error") && err.text.contains("boom")
        );
        assert!(result_text("s", "t", &json!([1]))
            .unwrap_err()
            .contains("malformed"));
        assert!(result_text("s", "t", &json!({"content": "x"}))
            .unwrap_err()
            .contains("not a list"));
        let big = result_text(
            "s",
            "t",
            &json!({"content": [{"type": "text", "text": "x".repeat(200_000)}]}),
        )
        .unwrap();
        assert!(big.text.len() < 50_000 && big.text.contains("tokens truncated"));
    }
}
