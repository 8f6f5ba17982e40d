//! What real servers need from the session: a history every server accepts, an output cap, cut-off
//! responses reported and not run, reasoning from every field.

use super::machine::MAX_CUT_OFF_CONTINUATIONS;
use super::*;
use serde_json::{json, Value};

/// The shared test config, with another wire and model and an AGENTS.md (it becomes a user message
/// that must be joined with the prompt on Chat).
fn config(wire: Wire, model: &str) -> AgentConfig {
    AgentConfig {
        model: model.into(),
        wire,
        agents_md: vec![AgentsMd {
            dir: "/repo".into(),
            contents: "Use tabs.".into(),
        }],
        ..super::tests::config(ApprovalPolicy::Never)
    }
}

fn start(s: &mut Session, text: &str) -> Vec<Effect> {
    s.handle(SessionEvent::UserInput {
        text: text.into(),
        editor_context: None,
        images: None,
    })
}

fn requests(effects: &[Effect]) -> Vec<Value> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::ModelRequest { body, .. } => Some(body.value()),
            _ => None,
        })
        .collect()
}

fn execs(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, Effect::Exec { .. }))
        .count()
}

fn turn_end(effects: &[Effect]) -> Option<(TurnStatus, Option<String>)> {
    effects.iter().find_map(|e| match e {
        Effect::TurnEnded { status, error, .. } => Some((*status, error.clone())),
        _ => None,
    })
}

fn errors(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Emit {
                event: ThreadEvent::ItemCompleted { item },
            } => match &item.details {
                ItemDetails::Error { message } => Some(message.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn chat(s: &mut Session, chunks: &[Value]) -> Vec<Effect> {
    let mut out = vec![];
    for c in chunks {
        out.extend(s.handle(SessionEvent::ModelEvent { data: c.clone() }));
    }
    out.extend(s.handle(SessionEvent::ModelStreamEnded));
    out
}

fn chat_call(args: &str, finish: &str) -> Vec<Value> {
    vec![
        json!({"choices":[{"index":0,"delta":{"role":"assistant","content":null}}]}),
        json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t1","type":"function","function":{"name":"shell","arguments":args}}]}}]}),
        json!({"choices":[{"index":0,"delta":{},"finish_reason":finish}]}),
    ]
}

#[test]
fn chat_history_alternates_roles_with_one_system_message() {
    let mut s = Session::new(config(Wire::Chat, "gemma-3-270m"));
    let out = start(&mut s, "list the files");
    let msgs = requests(&out)[0]["messages"].as_array().unwrap().clone();
    let roles: Vec<&str> = msgs.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, vec!["system", "user"]);
    let user = msgs[1]["content"].as_str().unwrap();
    assert!(user.contains("# AGENTS.md instructions for /repo"));
    assert!(user.contains("<environment_context>"));
    assert!(user.ends_with("list the files"));
    // An interrupted turn leaves a note; the next prompt joins it rather than following it.
    s.handle(SessionEvent::Interrupt);
    let out = start(&mut s, "again");
    let msgs = requests(&out)[0]["messages"].as_array().unwrap().clone();
    for pair in msgs.windows(2) {
        assert!(
            pair[0]["role"] != pair[1]["role"] || pair[0]["role"] == "tool",
            "{msgs:?}"
        );
    }
}

#[test]
fn no_empty_instructions_on_responses() {
    let mut s = Session::new(config(Wire::Responses, "gpt-5.1-codex"));
    let body = &requests(&start(&mut s, "hi"))[0];
    assert!(body.get("instructions").is_none());
    let input = body["input"].as_array().unwrap();
    assert_eq!(input[0]["role"], "developer");
    assert!(!input[0]["content"][0]["text"].as_str().unwrap().is_empty());
    // Codex models get the peer's layout: AGENTS.md, environment and prompt as three user items.
    assert_eq!(input.len(), 4);
}

#[test]
fn other_models_on_responses_get_consecutive_user_messages_as_one() {
    let mut s = Session::new(config(Wire::Responses, "gemma-3-270m"));
    let body = &requests(&start(&mut s, "hi"))[0];
    let input = body["input"].as_array().unwrap();
    assert_eq!(input.len(), 2, "{input:?}");
    assert_eq!(input[1]["role"], "user");
    let parts = input[1]["content"].as_array().unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[2]["text"], "hi");
}

#[test]
fn invalid_arguments_never_go_back_verbatim_but_the_model_reads_them() {
    for wire in [Wire::Chat, Wire::Responses] {
        let mut s = Session::new(config(wire, "qwen2.5-coder"));
        start(&mut s, "go");
        let raw = "{\"command\": [\"ls\", ";
        let out = match wire {
            Wire::Chat => chat(&mut s, &chat_call(raw, "tool_calls")),
            Wire::Responses => {
                let mut out = s.handle(SessionEvent::ModelEvent {
                    data: json!({"type":"response.output_item.done","output_index":0,"item":{"type":"function_call","call_id":"t1","name":"shell","arguments":raw}}),
                });
                out.extend(s.handle(SessionEvent::ModelEvent {
                    data: json!({"type":"response.completed","response":{"status":"completed","output":[]}}),
                }));
                out.extend(s.handle(SessionEvent::ModelStreamEnded));
                out
            }
        };
        assert_eq!(execs(&out), 0);
        let (sent_args, output) = match wire {
            Wire::Chat => {
                let msgs = requests(&out)[0]["messages"].as_array().unwrap().clone();
                let call = msgs.iter().find(|m| m.get("tool_calls").is_some()).unwrap();
                let tool = msgs.iter().find(|m| m["role"] == "tool").unwrap();
                (
                    call["tool_calls"][0]["function"]["arguments"].clone(),
                    tool["content"].as_str().unwrap().to_string(),
                )
            }
            Wire::Responses => {
                let input = requests(&out)[0]["input"].as_array().unwrap().clone();
                let call = input.iter().find(|i| i["type"] == "function_call").unwrap();
                let o = input
                    .iter()
                    .find(|i| i["type"] == "function_call_output")
                    .unwrap();
                (
                    call["arguments"].clone(),
                    o["output"].as_str().unwrap().to_string(),
                )
            }
        };
        let parsed: Value = serde_json::from_str(sent_args.as_str().unwrap()).unwrap();
        assert!(parsed.is_object());
        assert!(output.contains("failed to parse function arguments"));
        assert!(output.contains(raw), "{output}");
        // The stored history keeps what the model said (for a transcript), the body never does.
        assert!(s
            .history()
            .iter()
            .any(|i| i["arguments"].as_str() == Some(raw)));
    }
}

#[test]
fn every_request_carries_an_output_cap_in_the_field_the_wire_uses() {
    let body = &requests(&start(
        &mut Session::new(config(Wire::Responses, "gpt-5.1-codex")),
        "x",
    ))[0];
    assert_eq!(body["max_output_tokens"], 32_000);
    let body = &requests(&start(
        &mut Session::new(config(Wire::Chat, "gemma-3-270m")),
        "x",
    ))[0];
    assert_eq!(body["max_tokens"], 8_192);
    assert!(body.get("max_completion_tokens").is_none());
    let body = &requests(&start(
        &mut Session::new(config(Wire::Chat, "openai/gpt-5-mini")),
        "x",
    ))[0];
    assert_eq!(body["max_completion_tokens"], 32_000);
    let mut cfg = config(Wire::Chat, "m");
    cfg.max_output_tokens = Some(77);
    assert_eq!(
        requests(&start(&mut Session::new(cfg.clone()), "x"))[0]["max_tokens"],
        77
    );
    cfg.max_output_tokens = Some(0);
    let body = &requests(&start(&mut Session::new(cfg), "x"))[0];
    assert!(body.get("max_tokens").is_none());
}

#[test]
fn calls_from_a_cut_response_are_not_run_and_the_model_is_told() {
    let mut s = Session::new(config(Wire::Chat, "qwen2.5-coder"));
    start(&mut s, "go");
    let out = chat(
        &mut s,
        &chat_call("{\"command\":[\"bash\",\"-lc\",\"rm -rf bu", "length"),
    );
    assert_eq!(execs(&out), 0, "a call from a cut response ran");
    assert!(errors(&out)[0].contains("cut off"), "{:?}", errors(&out));
    let req = &requests(&out)[0];
    let tool = req["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap()
        .clone();
    assert!(tool["content"].as_str().unwrap().starts_with("not run"));
    assert_eq!(turn_end(&out), None);
}

#[test]
fn a_cut_text_answer_is_continued_a_bounded_number_of_times_then_the_turn_says_so() {
    let mut s = Session::new(config(Wire::Responses, "gpt-5.1-codex"));
    start(&mut s, "write a lot");
    let cut = |s: &mut Session| {
        let mut out = s.handle(SessionEvent::ModelEvent {
            data: json!({"type":"response.output_item.done","output_index":0,"item":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"blah"}]}}),
        });
        out.extend(s.handle(SessionEvent::ModelEvent {
            data: json!({"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"}}}),
        }));
        out.extend(s.handle(SessionEvent::ModelStreamEnded));
        out
    };
    for _ in 0..MAX_CUT_OFF_CONTINUATIONS {
        let out = cut(&mut s);
        let body = &requests(&out)[0];
        let last = body["input"].as_array().unwrap().last().unwrap().clone();
        assert!(last["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("cut off"));
        assert!(errors(&out)[0].contains("output limit of 32000 tokens"));
    }
    let out = cut(&mut s);
    let (status, error) = turn_end(&out).unwrap();
    assert_eq!(status, TurnStatus::Failed);
    assert!(error.unwrap().contains("cut off"));
}

#[test]
fn a_completed_response_that_reached_the_cap_counts_as_cut() {
    // llama.cpp's Responses endpoint says "completed" for a response its length limit cut.
    let mut cfg = config(Wire::Responses, "gemma-3-270m");
    cfg.max_output_tokens = Some(16);
    let mut s = Session::new(cfg);
    start(&mut s, "go");
    let mut out = s.handle(SessionEvent::ModelEvent {
        data: json!({"type":"response.output_item.done","output_index":0,"item":{"type":"function_call","call_id":"c","name":"shell","arguments":"{\"command\":[\"ls\"]}"}}),
    });
    out.extend(s.handle(SessionEvent::ModelEvent {
        data: json!({"type":"response.completed","response":{"status":"completed","output":[],"usage":{"input_tokens":5,"output_tokens":16}}}),
    }));
    out.extend(s.handle(SessionEvent::ModelStreamEnded));
    assert_eq!(execs(&out), 0);
    assert!(errors(&out)[0].contains("16 tokens"));
}

#[test]
fn reasoning_goes_back_only_in_its_opaque_form() {
    let mut s = Session::new(config(Wire::Responses, "gpt-5.1-codex"));
    start(&mut s, "go");
    let mut out = vec![];
    for item in [
        json!({"type":"reasoning","id":"rs_local","summary":[],"content":[{"type":"reasoning_text","text":"local thoughts"}]}),
        json!({"type":"reasoning","id":"rs_oa","summary":[{"type":"summary_text","text":"s"}],"encrypted_content":"gAAA"}),
        json!({"type":"function_call","call_id":"c","name":"update_plan","arguments":"{\"plan\":[]}"}),
    ] {
        out.extend(s.handle(SessionEvent::ModelEvent {
            data: json!({"type":"response.output_item.done","item":item}),
        }));
    }
    out.extend(s.handle(SessionEvent::ModelEvent {
        data: json!({"type":"response.completed","response":{"status":"completed","output":[]}}),
    }));
    out.extend(s.handle(SessionEvent::ModelStreamEnded));
    let body = requests(&out)[0].to_string();
    assert!(!body.contains("rs_local") && !body.contains("local thoughts"));
    assert!(body.contains("rs_oa") && body.contains("gAAA"));
}

#[derive(Debug, Clone)]
enum Step {
    Text,
    Call,
    BadArgs,
    Cut,
    Interrupt,
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        Just(Step::Text),
        Just(Step::Call),
        Just(Step::BadArgs),
        Just(Step::Cut),
        Just(Step::Interrupt),
    ]
}

proptest::proptest! {
    /// Whatever the model does and whenever the person interrupts, every Chat request has one
    /// non-empty system message first, then the user's message, never two user (or two assistant)
    /// messages in a row,
    /// and tool-call arguments that are JSON objects: what llama.cpp and strict templates accept.
    #[test]
    fn chat_requests_always_alternate_and_carry_json_arguments(steps in proptest::collection::vec(step(), 1..14)) {
        let mut s = Session::new(config(Wire::Chat, "gemma-3-270m"));
        let mut all = requests(&start(&mut s, "task"));
        for (n, st) in steps.into_iter().enumerate() {
            if !s.is_turn_running() {
                all.extend(requests(&start(&mut s, "next")));
            }
            let out = match st {
                Step::Text => chat(&mut s, &[json!({"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]})]),
                Step::Call => chat(&mut s, &[json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":format!("p{n}"),"function":{"name":"update_plan","arguments":"{\"plan\":[]}"}}]},"finish_reason":"tool_calls"}]})]),
                Step::BadArgs => chat(&mut s, &[json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":format!("b{n}"),"function":{"name":"shell","arguments":"{\"command\": [\"ls"}}]},"finish_reason":"tool_calls"}]})]),
                Step::Cut => chat(&mut s, &[json!({"choices":[{"index":0,"delta":{"content":"bla","tool_calls":[{"index":0,"id":format!("c{n}"),"function":{"name":"shell","arguments":"{\"comm"}}]},"finish_reason":"length"}]})]),
                Step::Interrupt => s.handle(SessionEvent::Interrupt),
            };
            all.extend(requests(&out));
        }
        for body in &all {
            let msgs = body["messages"].as_array().unwrap();
            proptest::prop_assert_eq!(&msgs[0]["role"], "system");
            proptest::prop_assert!(!msgs[0]["content"].as_str().unwrap().is_empty());
            proptest::prop_assert_eq!(&msgs[1]["role"], "user");
            for (i, m) in msgs.iter().enumerate().skip(1) {
                let role = m["role"].as_str().unwrap();
                proptest::prop_assert!(role != "system", "{msgs:?}");
                proptest::prop_assert!(role == "tool" || msgs[i - 1]["role"] != role, "two {} messages in a row: {:?}", role, msgs);
                for call in m["tool_calls"].as_array().into_iter().flatten() {
                    let args: Value = serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
                    proptest::prop_assert!(args.is_object());
                }
            }
        }
    }
}

#[test]
fn a_chat_finish_reason_is_trusted_over_the_token_count() {
    let mut cfg = config(Wire::Chat, "gemma-3-270m");
    cfg.max_output_tokens = Some(4);
    let mut s = Session::new(cfg);
    start(&mut s, "go");
    let mut chunks = chat_call("{\"plan\":[]}", "tool_calls");
    chunks[1]["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] = json!("update_plan");
    chunks.push(json!({"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":30}}));
    let out = chat(&mut s, &chunks);
    assert!(errors(&out).is_empty(), "{:?}", errors(&out));
}
