//! The hand readers of json_read.rs against serde's derive of the same types (still on the types):
//! a valid object of each struct reads the same, and so does every damaged form of it (each field
//! dropped, `null`, or given a value of each other JSON type; an unknown field added; the whole
//! value not an object), with the same message. Each unit enum: every name, an unknown one, the
//! `{"name": null}` form and its faults. The one difference allowed is the documented one: serde's
//! sequence form of a struct (`[...]`), refused here as `invalid type: sequence`.

use super::json_read::FromJson;
use super::mcp::{McpApprovalInfo, McpCallStatus, McpItemResult, McpToolSpec};
use super::protocol::*;
use super::tests::config;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

fn read<T: FromJson + DeserializeOwned + Serialize>(
    v: &Value,
) -> (Result<Value, String>, Result<Value, String>) {
    let out = |r: serde_json::Result<T>| {
        r.map(|t| serde_json::to_value(t).unwrap())
            .map_err(|e| e.to_string())
    };
    (out(T::from_json(v.clone())), out(T::deserialize(v.clone())))
}

/// The hand reader reads `v` as the derive does (or fails the same way).
fn same<T: FromJson + DeserializeOwned + Serialize>(v: &Value) {
    let (hand, derived) = read::<T>(v);
    match (&hand, &derived) {
        // serde's sequence form: the derive took an array as the fields in order (an empty one
        // for a struct whose fields all have defaults), or refused it with another message.
        (Err(h), _) if h.starts_with("invalid type: sequence, expected struct") => {}
        _ => assert_eq!(hand, derived, "{} {v}", std::any::type_name::<T>()),
    }
}

/// Values of every JSON type, to put where another is expected.
fn others() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(7),
        json!(-3),
        json!(1.5),
        json!(4294967296u64),
        json!(""),
        json!("x"),
        json!([]),
        json!(["a"]),
        json!({}),
        json!({"a": 1}),
    ]
}

/// `sample` (a valid object of `T`) and every form of it with one fault.
fn check_struct<T: FromJson + DeserializeOwned + Serialize>(sample: Value) {
    let (hand, _) = read::<T>(&sample);
    assert_eq!(hand.as_ref(), Ok(&sample), "the sample round-trips");
    same::<T>(&sample);
    let map = sample.as_object().unwrap();
    for key in map.keys() {
        let mut dropped = map.clone();
        dropped.remove(key);
        same::<T>(&Value::Object(dropped));
        for other in others() {
            let mut changed = map.clone();
            changed.insert(key.clone(), other);
            same::<T>(&Value::Object(changed));
        }
    }
    let mut extra = map.clone();
    extra.insert("unknownField".into(), json!([1, {"x": null}]));
    same::<T>(&Value::Object(extra));
    for other in others() {
        if !other.is_object() {
            same::<T>(&other);
        }
    }
    // The sequence form serde's derive also took is refused.
    let fields: Vec<Value> = map.values().cloned().collect();
    let (hand, _) = read::<T>(&Value::Array(fields));
    assert!(hand
        .unwrap_err()
        .starts_with("invalid type: sequence, expected struct"));
}

/// Every name of a unit enum, and the faults.
fn check_enum<T: FromJson + DeserializeOwned + Serialize>(names: &[&str]) {
    for name in names {
        let (hand, _) = read::<T>(&json!(name));
        assert_eq!(hand, Ok(json!(name)));
        same::<T>(&json!(name));
        let mut one = serde_json::Map::new();
        one.insert(name.to_string(), Value::Null);
        same::<T>(&Value::Object(one.clone()));
        for other in others() {
            one.insert(name.to_string(), other);
            same::<T>(&Value::Object(one.clone()));
        }
        one.insert("other".into(), Value::Null);
        same::<T>(&Value::Object(one));
    }
    let unknown = format!("{}x", names[0]);
    same::<T>(&json!(unknown));
    same::<T>(&json!(names[0].to_uppercase()));
    same::<T>(&json!({ unknown: null }));
    for other in others() {
        same::<T>(&other);
    }
}

#[test]
fn unit_enums_read_as_derived() {
    check_enum::<Wire>(&["responses", "chat"]);
    check_enum::<ToolFamily>(&["codex", "generic"]);
    check_enum::<ApprovalPolicy>(&["untrusted", "on-request", "on-failure", "never"]);
    check_enum::<SandboxMode>(&["read-only", "workspace-write", "danger-full-access"]);
    check_enum::<ReasoningEffort>(&["minimal", "low", "medium", "high"]);
    check_enum::<Severity>(&["error", "warning", "info", "hint"]);
    check_enum::<ApprovalDecision>(&[
        "approved",
        "approvedForSession",
        "approvedServerForSession",
        "denied",
        "abort",
    ]);
    check_enum::<ApprovalKind>(&["exec", "escalate", "retryUnsandboxed", "mcpTool"]);
    check_enum::<TurnStatus>(&["completed", "interrupted", "failed"]);
    check_enum::<TurnEndReason>(&["interrupted"]);
    check_enum::<CommandStatus>(&["in_progress", "completed", "failed", "declined"]);
    check_enum::<FileChangeKind>(&["add", "delete", "update"]);
    check_enum::<HunkState>(&["pending", "accepted", "partial", "rejected"]);
    check_enum::<FileChangeStatus>(&[
        "pending",
        "completed",
        "partially_applied",
        "declined",
        "failed",
    ]);
    check_enum::<McpCallStatus>(&["in_progress", "completed", "failed", "declined"]);
    check_enum::<crate::diff::RowKind>(&["context", "insert", "delete"]);
}

/// The diff engine's types, as `diff_texts` writes them (rows with and without line numbers,
/// highlights and hunk ids, a missing final newline).
#[test]
fn diffs_read_as_derived() {
    use crate::diff::{DiffHunk, DiffRow, DiffSection, FileDiff, HighlightRange};
    let diff = crate::diff::diff_texts("a\nb b\nc\n", "a\nb c\nd");
    let v = serde_json::to_value(&diff).unwrap();
    check_struct::<FileDiff>(v.clone());
    check_struct::<DiffHunk>(v["hunks"][0].clone());
    check_struct::<DiffSection>(v["sections"][0].clone());
    for row in v["rows"].as_array().unwrap() {
        check_struct::<DiffRow>(row.clone());
    }
    let highlighted = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["highlights"].as_array().is_some_and(|h| !h.is_empty()));
    check_struct::<HighlightRange>(
        highlighted.expect("a highlighted row")["highlights"][0].clone(),
    );
    assert!(v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["noNewline"] == true));
    assert!(v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["oldLine"].is_null()));
}

fn full_config() -> Value {
    let mut c = config(ApprovalPolicy::OnRequest);
    c.wire = Wire::Chat;
    c.tool_family = Some(ToolFamily::Generic);
    c.reasoning_effort = Some(ReasoningEffort::High);
    c.sandbox_mode = SandboxMode::ReadOnly;
    c.context_window = Some(200_000);
    c.compact_percent = Some(80);
    c.max_output_tokens = Some(0);
    c.writable_roots = vec!["/tmp".into()];
    c.network = true;
    c.no_os_sandbox = Some(true);
    c.agents_md = vec![AgentsMd {
        dir: "/repo".into(),
        contents: "be brief".into(),
    }];
    c.base_instructions = Some("base".into());
    c.vision = Some(false);
    c.web_search = Some(true);
    serde_json::to_value(c).unwrap()
}

#[test]
fn structs_read_as_derived() {
    check_struct::<AgentConfig>(full_config());
    check_struct::<AgentConfig>(serde_json::to_value(config(ApprovalPolicy::Never)).unwrap());
    check_struct::<AgentsMd>(json!({"dir": "/r", "contents": "x"}));
    check_struct::<EditorContext>(json!({"activeFile": "a.rs", "diagnostics": [
        {"path": "a.rs", "line": 3, "severity": "warning", "message": "unused"}], "openFiles": ["a.rs"],
        "selection": {"path": "a.rs", "startLine": 1, "endLine": 2, "text": "x"}}));
    check_struct::<EditorContext>(json!({"diagnostics": [], "openFiles": []}));
    check_struct::<Selection>(json!({"path": "a.rs", "startLine": 1, "endLine": 2, "text": "x"}));
    check_struct::<Diagnostic>(
        json!({"path": "a.rs", "line": 3, "severity": "hint", "message": "m"}),
    );
    check_struct::<ExecSandbox>(
        json!({"mode": "workspace-write", "writableRoots": ["/a"], "network": true}),
    );
    check_struct::<ApprovalRequest>(json!({"requestId": "r1", "callId": "c1", "itemId": "i1",
        "kind": "escalate", "argv": ["ls", "-l"], "command": "ls -l", "cwd": "/repo",
        "reason": "why", "sandbox": {"mode": "danger-full-access", "writableRoots": [], "network": true},
        "remember": {"kind": "prefix", "prefix": ["ls"]}, "rememberNote": "note",
        "mcp": {"server": "s", "tool": "t", "arguments": {"a": [1]}}}));
    check_struct::<McpApprovalInfo>(json!({"server": "s", "tool": "t", "arguments": null}));
    check_struct::<ChangeReview>(json!({"files": [
        {"path": "a", "outcome": "partial", "acceptedHunkIds": ["h1"], "landed": "x"},
        {"path": "b", "outcome": "failed", "message": "disk full"}], "reason": "no"}));
    check_struct::<Usage>(
        json!({"input_tokens": 5, "cached_input_tokens": 1, "output_tokens": 2,
        "reasoning_output_tokens": 0}),
    );
    check_struct::<ThreadError>(json!({"message": "m", "reason": "interrupted"}));
    check_struct::<FileChangeSummary>(json!({"path": "a", "kind": "update", "move_path": "b"}));
    check_struct::<TodoItem>(json!({"text": "t", "completed": true, "status": "completed"}));
    check_struct::<McpToolSpec>(json!({"server": "s", "tool": "t", "description": "d",
        "inputSchema": {"type": "object"}, "readOnly": true}));
    check_struct::<McpToolSpec>(json!({"server": "s", "tool": "t", "inputSchema": null,
        "readOnly": false}));
    check_struct::<McpItemResult>(
        json!({"content": [{"type": "text", "text": "x"}], "structured_content": {"k": 1}}),
    );
}

#[test]
fn nested_faults_and_containers_read_as_derived() {
    let mut c = full_config();
    for bad in others() {
        c["agentsMd"] = json!([{"dir": "/r", "contents": bad.clone()}]);
        same::<AgentConfig>(&c);
        c["agentsMd"] = json!([{"dir": "/r", "contents": "x"}, bad.clone()]);
        same::<AgentConfig>(&c);
    }
    same::<Vec<HunkState>>(&json!(["accepted", "partial"]));
    same::<Vec<Usage>>(&json!([]));
    for bad in others() {
        same::<Vec<HunkState>>(&bad);
        same::<Option<Usage>>(&bad);
        same::<Box<Usage>>(&bad);
        same::<crate::vec_map::VecMap<String, HunkState>>(&bad);
        same::<crate::vec_map::VecMap<String, HunkState>>(
            &json!({"h1": "accepted", "h2": bad.clone()}),
        );
    }
}

/// The flattened and tagged types of tagged.rs: `from_json` (the module's path) reads what their
/// `Deserialize` does (tagged.rs and readers_tests.rs check that against the derive), damaged or not.
#[test]
fn tagged_types_read_the_same_through_from_json() {
    fn both<T: FromJson + DeserializeOwned + Serialize>(v: &Value) {
        let out = |r: serde_json::Result<T>| {
            r.map(|t| serde_json::to_value(t).unwrap())
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            out(T::from_json(v.clone())),
            out(T::deserialize(v.clone())),
            "{v}"
        );
    }
    let item = json!({"id": "i1", "type": "agent_message", "text": "hi"});
    let review =
        json!({"path": "a", "outcome": "partial", "acceptedHunkIds": ["h1"], "landed": "x"});
    let scope = json!({"kind": "mcpTool", "server": "s", "tool": "t"});
    for sample in [&item, &review, &scope] {
        let mut variants = vec![sample.clone()];
        for key in sample.as_object().unwrap().keys() {
            let mut dropped = sample.clone();
            dropped.as_object_mut().unwrap().remove(key);
            variants.push(dropped);
            for other in others() {
                let mut changed = sample.clone();
                changed[key] = other;
                variants.push(changed);
            }
        }
        variants.extend(others());
        for v in &variants {
            both::<ThreadItem>(v);
            both::<FileReview>(v);
            both::<RememberScope>(v);
            both::<SessionEvent>(v);
            both::<SessionRecord>(v);
            both::<crate::patch::FileState>(v);
        }
    }
}
