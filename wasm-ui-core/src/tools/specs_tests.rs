use super::*;
use crate::session::json_read::FromJson;
use crate::session::protocol::{ToolFamily, Wire};
use serde_json::{json, Value};

#[test]
fn family_follows_model_and_wire() {
    assert_eq!(
        family_for("gpt-5.1-codex", Wire::Responses),
        ToolFamily::Codex
    );
    assert_eq!(family_for("gpt-5.1", Wire::Responses), ToolFamily::Codex);
    assert_eq!(
        family_for("openai/gpt-5-codex", Wire::Chat),
        ToolFamily::Codex
    );
    assert_eq!(family_for("qwen2.5-coder", Wire::Chat), ToolFamily::Generic);
    assert_eq!(family_for("gpt-5", Wire::Chat), ToolFamily::Generic);
}

#[test]
fn codex_tools_on_responses_have_the_peer_names_and_a_grammar_patch_tool() {
    let tools = tool_specs(ToolFamily::Codex, Wire::Responses);
    let names: Vec<_> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "exec_command",
            "write_stdin",
            "apply_patch",
            "update_plan",
            "view_image"
        ]
    );
    let exec = &tools[0];
    assert_eq!(exec["type"], "function");
    assert_eq!(exec["strict"], false);
    assert_eq!(exec["parameters"]["additionalProperties"], false);
    assert_eq!(exec["parameters"]["required"], json!(["cmd"]));
    for key in [
        "cmd",
        "workdir",
        "shell",
        "tty",
        "yield_time_ms",
        "max_output_tokens",
        "login",
        "sandbox_permissions",
        "justification",
        "prefix_rule",
    ] {
        assert!(exec["parameters"]["properties"].get(key).is_some(), "{key}");
    }
    let patch = &tools[2];
    assert_eq!(patch["type"], "custom");
    assert_eq!(patch["format"]["syntax"], "lark");
    assert!(patch["format"]["definition"]
        .as_str()
        .unwrap()
        .contains("*** Begin Patch"));
}

#[test]
fn generic_tools_on_chat_use_shell_and_a_function_patch_tool() {
    let tools = tool_specs(ToolFamily::Generic, Wire::Chat);
    let names: Vec<_> = tools
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["shell", "apply_patch", "update_plan"]);
    assert_eq!(
        tools[1]["function"]["parameters"]["required"],
        json!(["input"])
    );
    assert_eq!(
        tools[0]["function"]["parameters"]["properties"]["command"]["type"],
        "array"
    );
}

#[test]
fn yield_times_are_clamped() {
    assert_eq!(exec_yield_ms(None), 10_000);
    assert_eq!(exec_yield_ms(Some(1.0)), 250);
    assert_eq!(exec_yield_ms(Some(1e9)), 30_000);
    assert_eq!(write_stdin_yield_ms(None, ""), 5_000);
    assert_eq!(write_stdin_yield_ms(None, "y\n"), 250);
    assert_eq!(write_stdin_yield_ms(Some(1e9), ""), 300_000);
}

#[test]
fn the_checked_in_specs_are_well_formed_and_all_offered() {
    let all: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(SPECS_JSON).expect("specs.json is a JSON object");
    let mut offered = std::collections::BTreeSet::new();
    for family in [ToolFamily::Codex, ToolFamily::Generic] {
        for wire in [Wire::Responses, Wire::Chat] {
            for tool in tool_specs(family, wire) {
                let spec = if wire == Wire::Chat {
                    &tool["function"]
                } else {
                    &tool
                };
                let name = spec["name"].as_str().unwrap().to_string();
                offered.insert(if tool["type"] == "custom" {
                    format!("{name}_custom")
                } else {
                    name
                });
            }
        }
    }
    assert_eq!(
        offered,
        all.keys().cloned().collect(),
        "every spec is offered somewhere"
    );
    for (key, tool) in &all {
        assert_eq!(key.trim_end_matches("_custom"), tool["name"], "{key}");
        assert!(
            tool["description"].as_str().is_some_and(|d| d.len() > 20),
            "{key}"
        );
        if tool["type"] == "custom" {
            assert_eq!(tool["format"]["syntax"], "lark", "{key}");
            continue;
        }
        assert_eq!(tool["type"], "function", "{key}");
        assert_eq!(tool["strict"], false, "{key}");
        let params = &tool["parameters"];
        assert_eq!(params["type"], "object", "{key}");
        assert_eq!(params["additionalProperties"], false, "{key}");
        for required in params["required"].as_array().unwrap() {
            let field = required.as_str().unwrap();
            assert!(params["properties"].get(field).is_some(), "{key}: {field}");
        }
        for (field, schema) in params["properties"].as_object().unwrap() {
            assert!(schema["type"].is_string(), "{key}: {field} has a type");
        }
    }
}

/// The hand reader (`parse_args`) against the derived one it replaced, kept for this test: the same
/// value, or the same error message, where a fault in a present value names its place
/// (`` at `cmd` ``) instead of the line and column. Syntax errors are serde_json's, position and all.
fn same_as_derived<T>(text: &str)
where
    T: FromJson + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let hand = parse_args::<T>(text).map_err(|e| e.to_string());
    if text.starts_with('[') {
        // serde's sequence form of a struct (its fields in order, without names) is refused.
        let h = hand.unwrap_err();
        assert!(
            h.starts_with("invalid type: sequence, expected struct "),
            "{text}: {h}"
        );
        return;
    }
    let derived = serde_json::from_str::<T>(text).map_err(|e| e.to_string());
    match (&hand, &derived) {
        (Ok(h), Ok(d)) => assert_eq!(h, d, "{text}"),
        (Err(h), Err(d)) if h == d => {}
        // An enum's value that is neither a name nor `{name: ...}`: serde_json's text reader said
        // only `expected value`, the hand reader says what it got.
        (Err(h), Err(d)) if d.starts_with("expected value at line ") => assert!(
            h.starts_with("invalid type: ") && h.contains(", expected string or map at `"),
            "{text}: hand `{h}`, derived `{d}`"
        ),
        (Err(h), Err(d)) => {
            let cut = d
                .rfind(" at line ")
                .unwrap_or_else(|| panic!("{text}: {h} / {d}"));
            let rest = h
                .strip_prefix(&d[..cut])
                .unwrap_or_else(|| panic!("{text}: hand `{h}`, derived `{d}`"));
            assert!(
                rest.is_empty() || (rest.starts_with(" at `") && rest.ends_with('`')),
                "{text}: hand `{h}`, derived `{d}`"
            );
        }
        _ => panic!("{text}: hand {hand:?}, derived {derived:?}"),
    }
}

/// Every field of `full` in turn left out, `null`, and each other JSON type; an unknown key; the
/// arguments not an object, cut short, or followed by more text.
fn variants(full: Value) -> Vec<String> {
    let others = [
        json!(null),
        json!(true),
        json!(7),
        json!(-2.5),
        json!("text"),
        json!(["a", 1]),
        json!({"k": "v"}),
    ];
    let mut out = vec![full.to_string()];
    let map = full.as_object().unwrap().clone();
    for key in map.keys() {
        let mut without = map.clone();
        without.remove(key);
        out.push(Value::Object(without).to_string());
        for other in &others {
            let mut changed = map.clone();
            changed.insert(key.clone(), other.clone());
            out.push(Value::Object(changed).to_string());
        }
    }
    let mut extra = map.clone();
    extra.insert("bogus".into(), json!(1));
    out.push(Value::Object(extra).to_string());
    for text in ["[]", "[\"ls\"]", "\"cmd\"", "null", "{", ""] {
        out.push(text.to_string());
    }
    let text = full.to_string();
    for cut in [1, text.len() / 3, text.len() / 2, text.len() - 1] {
        out.push(text[..cut].to_string());
    }
    out.push(format!("{text} x"));
    out
}

#[test]
fn tool_arguments_read_as_the_derived_readers_did() {
    let exec = json!({
        "cmd": "ls", "workdir": "src", "shell": "bash", "tty": true, "yield_time_ms": 1500,
        "max_output_tokens": 2.5e3, "login": false, "sandbox_permissions": "require_escalated",
        "justification": "needs network", "prefix_rule": ["git", "status"],
    });
    for text in variants(exec) {
        same_as_derived::<ExecCommandArgs>(&text);
    }
    let stdin =
        json!({"session_id": 3, "chars": "y\n", "yield_time_ms": 250, "max_output_tokens": 10});
    for text in variants(stdin) {
        same_as_derived::<WriteStdinArgs>(&text);
    }
    let shell = json!({
        "command": ["bash", "-lc", "ls"], "workdir": "/w", "timeout_ms": 1000,
        "sandbox_permissions": "use_default", "justification": "j",
    });
    for text in variants(shell) {
        same_as_derived::<ShellArgs>(&text);
    }
    for text in variants(json!({"path": "a.png"})) {
        same_as_derived::<ViewImageArgs>(&text);
    }
    for text in variants(json!({"input": "*** Begin Patch\n*** End Patch"})) {
        same_as_derived::<ApplyPatchArgs>(&text);
    }
    let plan = json!({"explanation": "why", "plan": [{"step": "a", "status": "in_progress"}]});
    for text in variants(plan) {
        same_as_derived::<crate::plan::PlanUpdate>(&text);
    }
    for step in variants(json!({"step": "a", "status": "completed"})) {
        let text = format!(r#"{{"plan":[{{"step":"b","status":"pending"}},{step}]}}"#);
        if step.starts_with('[') {
            let e = parse_args::<crate::plan::PlanUpdate>(&text).unwrap_err();
            let want = "invalid type: sequence, expected struct PlanStep at `plan[1]`";
            assert_eq!(e.to_string(), want);
            continue;
        }
        same_as_derived::<crate::plan::PlanUpdate>(&text);
    }
    // The unit enums: a name, an unknown one, the `{"name": null}` form serde also takes, a number.
    for status in [
        r#""pending""#,
        r#""done""#,
        r#""use_default""#,
        r#"{"completed":null}"#,
        r#"{"use_default":null}"#,
        r#"{"use_default":1}"#,
        "1",
    ] {
        let text = format!(r#"{{"cmd":"x","sandbox_permissions":{status}}}"#);
        same_as_derived::<ExecCommandArgs>(&text);
        let text = format!(r#"{{"plan":[{{"step":"s","status":{status}}}]}}"#);
        same_as_derived::<crate::plan::PlanUpdate>(&text);
    }
}

#[test]
fn a_fault_in_the_arguments_names_its_place() {
    let err = |text: &str| parse_args::<ExecCommandArgs>(text).unwrap_err().to_string();
    assert_eq!(
        err(r#"{"cmd": 5}"#),
        "invalid type: integer `5`, expected a string at `cmd`"
    );
    assert_eq!(err(r#"{"workdir": "x"}"#), "missing field `cmd`");
    assert_eq!(
        err(r#"{"cmd": "ls", "yield_time_ms": "soon"}"#),
        "invalid type: string \"soon\", expected f64 at `yield_time_ms`"
    );
    assert!(err(r#"{"cmd": "ls", "cwd": "/"}"#)
        .starts_with("unknown field `cwd`, expected one of `cmd`, `workdir`, `shell`"));
    // A syntax error is serde_json's own, with the line and column.
    assert_eq!(
        err("{\"cmd\":\n\"ls"),
        "EOF while parsing a string at line 2 column 3"
    );
    let plan = crate::plan::parse_update(
        r#"{"plan":[{"step":"a","status":"completed"},{"step":"b","status":"doing"}]}"#,
    );
    assert_eq!(
        plan.unwrap_err(),
        "failed to parse update_plan arguments: unknown variant `doing`, expected one of `pending`, `in_progress`, `completed` at `plan[1].status`"
    );
    // A key sent twice is read as its last value (the derived reader refused it).
    let twice = parse_args::<ViewImageArgs>(r#"{"path":"a","path":"b"}"#).unwrap();
    assert_eq!(twice.path, "b");
}
