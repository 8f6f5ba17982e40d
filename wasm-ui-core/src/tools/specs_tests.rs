use super::*;
use crate::session::protocol::{ToolFamily, Wire};
use serde_json::json;

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
