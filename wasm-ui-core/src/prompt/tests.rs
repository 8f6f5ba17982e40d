use super::*;
use crate::session::protocol::{AgentsMd, Diagnostic, ReasoningEffort, Selection, Severity};
use serde_json::json;

pub(crate) fn config() -> AgentConfig {
    AgentConfig {
        session_id: "sess-1".into(),
        model: "gpt-5.1-codex".into(),
        wire: Wire::Responses,
        tool_family: None,
        reasoning_effort: Some(ReasoningEffort::Medium),
        approval_policy: ApprovalPolicy::Never,
        sandbox_mode: SandboxMode::WorkspaceWrite,
        context_window: Some(200_000),
        compact_percent: None,
        max_output_tokens: None,
        cwd: "/repo".into(),
        writable_roots: vec!["/tmp/extra".into()],
        network: false,
        shell: "bash".into(),
        no_os_sandbox: None,
        current_date: "2026-11-25".into(),
        timezone: "UTC".into(),
        agents_md: vec![
            AgentsMd {
                dir: "/repo".into(),
                contents: "Use tabs.\n".into(),
            },
            AgentsMd {
                dir: "/repo/sub".into(),
                contents: "Run make test.".into(),
            },
        ],
        base_instructions: None,
        vision: None,
        web_search: None,
    }
}

#[test]
fn environment_context_names_cwd_policy_sandbox_roots_shell_date() {
    let env = environment_context(&config());
    for part in [
        "<environment_context>",
        "<cwd>/repo</cwd>",
        "<approval_policy>never</approval_policy>",
        "<sandbox_mode>workspace-write</sandbox_mode>",
        "<network_access>restricted</network_access>",
        "<root>/repo</root>",
        "<root>/tmp/extra</root>",
        "<shell>bash</shell>",
        "<current_date>2026-11-25</current_date>",
        "<timezone>UTC</timezone>",
        "</environment_context>",
    ] {
        assert!(env.contains(part), "{part} missing in {env}");
    }
}

#[test]
fn initial_context_is_instructions_then_agents_md_root_first_then_environment() {
    let items = initial_context(&config());
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["role"], "developer");
    assert!(items[0]["content"][0]["text"]
        .as_str()
        .unwrap()
        .starts_with("You are Tack"));
    let a = items[1]["content"][0]["text"].as_str().unwrap();
    assert!(a.starts_with("# AGENTS.md instructions for /repo\n") && a.contains("Use tabs."));
    assert!(items[2]["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("/repo/sub"));
    assert!(items[3]["content"][0]["text"]
        .as_str()
        .unwrap()
        .starts_with("<environment_context>"));
}

#[test]
fn editor_context_lists_file_selection_and_diagnostics() {
    assert!(editor_context_message(&EditorContext::default()).is_none());
    let ctx = EditorContext {
        active_file: Some("src/a.rs".into()),
        selection: Some(Selection {
            path: "src/a.rs".into(),
            start_line: 3,
            end_line: 4,
            text: "fn a() {}\n".into(),
        }),
        diagnostics: vec![Diagnostic {
            path: "src/a.rs".into(),
            line: 3,
            severity: Severity::Error,
            message: "E0425 <x>".into(),
        }],
        open_files: vec![],
    };
    let text = editor_context_message(&ctx).unwrap()["content"][0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains("<active_file>src/a.rs</active_file>"));
    assert!(text.contains("lines=\"3-4\">\nfn a() {}\n"));
    assert!(text.contains("src/a.rs:3: error: E0425 &lt;x&gt;"));
}

#[test]
fn responses_body_has_the_peer_fields() {
    let cfg = config();
    let history = History::from(initial_context(&cfg));
    let entries: Vec<_> = history.entries().collect();
    let body = body::Skeleton::of(&responses_body(&cfg, ToolFamily::Codex))
        .with_input(&entries, false)
        .value();
    assert_eq!(body["store"], false);
    assert_eq!(body["stream"], true);
    assert_eq!(body["include"], json!(["reasoning.encrypted_content"]));
    assert_eq!(body["prompt_cache_key"], "sess-1");
    assert_eq!(
        body["reasoning"],
        json!({"effort": "medium", "summary": "auto"})
    );
    assert_eq!(body["tool_choice"], "auto");
    assert_eq!(body["parallel_tool_calls"], true);
    assert_eq!(body["input"].as_array().unwrap().len(), 4);
}

#[test]
fn chat_messages_group_calls_and_answer_them_as_tool_messages() {
    let history = vec![
        json!({"type":"message","role":"developer","content":[{"type":"input_text","text":"sys"}]}),
        json!({"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}),
        json!({"type":"reasoning","id":"r","summary":[],"encrypted_content":"x"}),
        json!({"type":"message","role":"assistant","content":[{"type":"output_text","text":"on it"}]}),
        json!({"type":"function_call","call_id":"c1","name":"shell","arguments":"{\"command\":[\"ls\"]}"}),
        json!({"type":"function_call","call_id":"c2","name":"shell","arguments":"{}"}),
        json!({"type":"function_call_output","call_id":"c1","output":"a"}),
        json!({"type":"function_call_output","call_id":"c2","output":"b"}),
        json!({"type":"function_call","call_id":"c3","name":"update_plan","arguments":"{}"}),
    ];
    let m = chat_messages(&history);
    assert_eq!(m.len(), 6);
    assert_eq!(m[0], json!({"role":"system","content":"sys"}));
    assert_eq!(m[2]["content"], "on it");
    assert_eq!(m[2]["tool_calls"].as_array().unwrap().len(), 2);
    assert_eq!(m[2]["tool_calls"][1]["id"], "c2");
    assert_eq!(
        m[3],
        json!({"role":"tool","tool_call_id":"c1","content":"a"})
    );
    assert_eq!(m[5]["content"], Value::Null);
    assert_eq!(m[5]["tool_calls"][0]["function"]["name"], "update_plan");
    let body = chat_body(&config(), ToolFamily::Generic, &history);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
}

/// History items of every kind `write_input` treats apart: user messages (array or string
/// content), reasoning with and without what it takes to be sent, tool calls with arguments that
/// are and are not sendable, and something that is not an object.
fn history_item() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let text = || "[a\"\n\u{1}é]{0,3}";
    let parts = proptest::collection::vec(
        text().prop_map(|t| json!({"type": "input_text", "text": t})),
        0..3,
    );
    prop_oneof![
        (parts.clone(), any::<bool>()).prop_map(|(p, id)| {
            let mut m = json!({"type": "message", "role": "user", "content": p});
            if id {
                m["id"] = json!("msg_1");
            }
            m
        }),
        text().prop_map(|t| json!({"type": "message", "role": "user", "content": t})),
        parts.prop_map(|p| json!({"type": "message", "role": "assistant", "content": p})),
        (proptest::option::of(prop_oneof![Just(""), Just("gAAA")]), any::<bool>()).prop_map(|(enc, content)| {
            let mut r = json!({"type": "reasoning", "id": "rs_1", "summary": []});
            if let Some(e) = enc {
                r["encrypted_content"] = json!(e);
            }
            if content {
                r["content"] = json!([{"type": "reasoning_text", "text": "plain"}]);
            }
            r
        }),
        (
            prop_oneof![Just("exec_command"), Just("apply_patch")],
            prop_oneof![
                Just("{\"cmd\":\"ls\"}"),
                Just("{"),
                Just("[1]"),
                Just("*** Begin Patch\n*** End Patch"),
                Just(""),
            ]
        )
            .prop_map(|(name, args)| json!({"type": "function_call", "call_id": "c", "name": name, "arguments": args})),
        Just(json!({"type": "function_call", "call_id": "c", "name": "x", "arguments": 7})),
        Just(json!({"type": "function_call_output", "call_id": "c", "output": "ok"})),
        Just(json!("not an object")),
    ]
}

proptest::proptest! {
    /// The text written from the history is, byte for byte, serde_json's text of the input built as
    /// values by the rules (`responses_input`), joined or not.
    #[test]
    fn the_written_input_is_the_input_built_as_values(
        history in proptest::collection::vec(history_item(), 0..8),
        join in proptest::prelude::any::<bool>(),
    ) {
        let kept = History::from(history.clone());
        let entries: Vec<_> = kept.entries().collect();
        let mut written = String::new();
        body::write_input(&mut written, &entries, join);
        let built = serde_json::to_string(&responses_input(&history, join)).unwrap();
        proptest::prop_assert_eq!(written, built);
    }
}

#[test]
fn a_body_is_written_in_its_keys_order_with_the_history_in_place() {
    let cfg = config();
    let history = initial_context(&cfg);
    let kept = History::from(history.clone());
    let entries: Vec<_> = kept.entries().collect();
    let skeleton = responses_body(&cfg, ToolFamily::Generic);
    let written = body::Skeleton::of(&skeleton).with_input(&entries, true);
    let mut whole = skeleton.clone();
    whole["input"] = Value::Array(responses_input(&history, true));
    assert_eq!(written.text(), serde_json::to_string(&whole).unwrap());
}

#[test]
fn a_skeleton_takes_its_input_wherever_the_key_is_and_is_whole_without_one() {
    let item = json!({"type": "function_call_output", "call_id": "c", "output": "é\"\n"});
    let kept = History::from(vec![item.clone()]);
    let entries: Vec<_> = kept.entries().collect();
    for body in [
        json!({"input": null}),
        json!({"model": "m", "input": null}),
        json!({"input": null, "tools": [{"name": "null"}], "stream": true}),
    ] {
        let mut whole = body.clone();
        whole["input"] = json!([item]);
        let written = body::Skeleton::of(&body).with_input(&entries, false);
        assert_eq!(written.text(), serde_json::to_string(&whole).unwrap());
    }
    for body in [json!({"model": "m"}), json!([1]), json!(null)] {
        let written = body::Skeleton::of(&body).with_input(&entries, false);
        assert_eq!(written.text(), serde_json::to_string(&body).unwrap());
    }
}
