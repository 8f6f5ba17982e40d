//! Approval-policy safety: remembered approvals, the shell, read-only edits, deep input, and
//! fuzzing of the model stream and tool arguments into a session.

use super::tests::*;
use super::*;
use proptest::prelude::*;
use serde_json::{json, Value};

fn approval(out: &[Effect]) -> ApprovalRequest {
    out.iter()
        .find_map(|e| match e {
            Effect::RequestApproval { request } => Some(request.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no approval request in {out:?}"))
}

fn has_approval(out: &[Effect]) -> bool {
    out.iter()
        .any(|e| matches!(e, Effect::RequestApproval { .. }))
}

fn decide(s: &mut Session, r: &ApprovalRequest, d: ApprovalDecision) -> Vec<Effect> {
    s.handle(SessionEvent::ApprovalDecided {
        request_id: r.request_id.clone(),
        decision: d,
        message: None,
    })
}

fn escalated(id: &str, cmd: &str, prefix: Option<&[&str]>) -> Value {
    let mut args = json!({"cmd": cmd, "sandbox_permissions": "require_escalated", "justification": "needs network"});
    if let Some(p) = prefix {
        args["prefix_rule"] = json!(p);
    }
    fcall(id, "exec_command", args)
}

/// The model's own output for one call in the next request.
fn output_of(out: &[Effect], call_id: &str) -> String {
    let req = requests(out);
    let body = req.last().expect("a next request");
    outputs(body)
        .into_iter()
        .find(|(id, _)| id == call_id)
        .map(|(_, o)| o)
        .unwrap_or_else(|| panic!("no output for {call_id}"))
}

#[test]
fn a_model_prefix_of_bash_does_not_approve_later_shell_commands() {
    let mut s = Session::new(config(ApprovalPolicy::OnRequest));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[escalated("c1", "npm install", Some(&["bash"]))],
        100,
    );
    let r = approval(&out);
    assert_eq!(r.kind, ApprovalKind::Escalate);
    // The card says exactly what runs, where, and how.
    assert_eq!(r.argv, ["bash", "-lc", "npm install"]);
    assert_eq!(r.cwd, "/repo");
    assert_eq!(r.sandbox.mode, SandboxMode::DangerFullAccess);
    assert!(r.sandbox.network);
    assert_eq!(
        r.remember,
        RememberScope::Prefix {
            prefix: vec!["npm".into(), "install".into()]
        }
    );
    assert!(r.remember_note.as_deref().unwrap().contains("`bash`"));
    let out = decide(&mut s, &r, ApprovalDecision::ApprovedForSession);
    assert_eq!(execs(&out)[0].1.sandbox.mode, SandboxMode::DangerFullAccess);
    s.handle(exited("c1", 0, ""));
    let listed = s.remembered_approvals();
    assert_eq!(listed.len(), 1);
    assert!(
        listed[0].description.contains("`npm install`"),
        "{}",
        listed[0].description
    );
    assert!(listed[0].description.contains("without the sandbox"));

    // A shell command asks again, and so does a compound script starting with npm install.
    let out = respond(
        &mut s,
        &[
            escalated("c2", "bash -c 'rm -rf x'", Some(&["bash"])),
            escalated("c3", "npm install && rm -rf x", None),
            escalated("c4", "npm install left-pad", None),
        ],
        100,
    );
    let asked: Vec<_> = out
        .iter()
        .filter_map(|e| match e {
            Effect::RequestApproval { request } => Some(request.call_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(asked, ["c2", "c3"]);
    assert_eq!(
        execs(&out).iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["c4"],
        "only the remembered prefix runs unasked"
    );
    let c2 = approval(&out);
    assert_eq!(
        c2.remember,
        RememberScope::Exact {
            argv: vec!["bash".into(), "-lc".into(), "bash -c 'rm -rf x'".into()]
        }
    );
}

#[test]
fn revoking_a_session_approval_makes_the_command_ask_again() {
    let mut s = Session::new(config(ApprovalPolicy::OnRequest));
    start(&mut s, "go");
    let out = respond(&mut s, &[escalated("c1", "npm install", None)], 100);
    decide(
        &mut s,
        &approval(&out),
        ApprovalDecision::ApprovedForSession,
    );
    s.handle(exited("c1", 0, ""));
    let id = s.remembered_approvals()[0].id.clone();
    s.handle(SessionEvent::RevokeApproval {
        approval_id: "no-such-id".into(),
    });
    assert_eq!(s.remembered_approvals().len(), 1);
    s.handle(SessionEvent::RevokeApproval { approval_id: id });
    assert!(s.remembered_approvals().is_empty());
    let out = respond(&mut s, &[escalated("c2", "npm install", None)], 100);
    assert!(has_approval(&out));
    assert!(execs(&out).is_empty());
}

#[test]
fn a_session_approval_is_for_its_working_directory_and_sandbox_only() {
    let mut s = Session::new(config(ApprovalPolicy::Untrusted));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[fcall("c1", "exec_command", json!({"cmd":"make test"}))],
        100,
    );
    let r = approval(&out);
    assert_eq!(r.sandbox.mode, SandboxMode::WorkspaceWrite);
    assert!(!r.sandbox.network);
    assert_eq!(
        r.remember,
        RememberScope::Prefix {
            prefix: vec!["make".into(), "test".into()]
        }
    );
    decide(&mut s, &r, ApprovalDecision::ApprovedForSession);
    s.handle(exited("c1", 0, ""));
    let out = respond(
        &mut s,
        &[
            fcall("c2", "exec_command", json!({"cmd":"make test"})),
            fcall(
                "c3",
                "exec_command",
                json!({"cmd":"make test","workdir":"other"}),
            ),
        ],
        100,
    );
    assert_eq!(
        execs(&out).iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["c2"]
    );
    assert_eq!(approval(&out).call_id, "c3");
}

#[test]
fn approving_sudo_for_the_session_approves_this_run_only() {
    let mut s = Session::new(config(ApprovalPolicy::Untrusted));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[fcall("c1", "exec_command", json!({"cmd":"sudo ls"}))],
        100,
    );
    let r = approval(&out);
    assert_eq!(r.remember, RememberScope::Once);
    let out = decide(&mut s, &r, ApprovalDecision::ApprovedForSession);
    assert_eq!(execs(&out).len(), 1);
    assert!(s.remembered_approvals().is_empty());
}

#[test]
fn a_model_named_shell_other_than_the_configured_one_is_refused() {
    for policy in [
        ApprovalPolicy::Untrusted,
        ApprovalPolicy::Never,
        ApprovalPolicy::OnRequest,
    ] {
        let mut cfg = config(policy);
        cfg.shell = "/bin/bash".into();
        let mut s = Session::new(cfg);
        start(&mut s, "go");
        let out = respond(
            &mut s,
            &[
                fcall(
                    "c1",
                    "exec_command",
                    json!({"cmd":"ls","shell":"./node_modules/.bin/bash"}),
                ),
                fcall(
                    "c2",
                    "exec_command",
                    json!({"cmd":"ls","shell":"/usr/local/bin/bash"}),
                ),
                fcall("c3", "exec_command", json!({"cmd":"ls","shell":"zsh"})),
                fcall("c4", "exec_command", json!({"cmd":"ls","shell":"bash"})),
                fcall(
                    "c5",
                    "exec_command",
                    json!({"cmd":"ls","shell":"/bin/bash"}),
                ),
            ],
            100,
        );
        let ran = execs(&out);
        assert_eq!(
            ran.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
            ["c4", "c5"],
            "{policy:?}"
        );
        for (_, p) in &ran {
            assert_eq!(p.argv[0], "/bin/bash", "the configured shell runs it");
        }
        assert!(!has_approval(&out));
        s.handle(exited("c4", 0, ""));
        let out = s.handle(exited("c5", 0, ""));
        let text = output_of(&out, "c1");
        assert!(
            text.contains("`./node_modules/.bin/bash` is not the configured shell `/bin/bash`"),
            "{text}"
        );
        assert!(output_of(&out, "c3").contains("not the configured shell"));
    }
}

#[test]
fn the_shell_tool_trusts_no_shell_by_its_file_name() {
    let mut cfg = config(ApprovalPolicy::Untrusted);
    cfg.model = "qwen2.5-coder".into();
    let mut s = Session::new(cfg);
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[
            fcall(
                "c1",
                "shell",
                json!({"command":["./scripts/bash","-lc","ls"]}),
            ),
            fcall("c2", "shell", json!({"command":["bash","-lc","ls"]})),
            fcall("c3", "shell", json!({"command":["./ls"]})),
        ],
        100,
    );
    assert_eq!(
        execs(&out).iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["c2"]
    );
    let r = approval(&out);
    assert_eq!(r.call_id, "c1");
    assert_eq!(r.argv, ["./scripts/bash", "-lc", "ls"]);
    // The card shows the whole argv, not a script that hides the program.
    assert_eq!(r.command, "./scripts/bash -lc ls");
    assert_eq!(
        r.remember,
        RememberScope::Exact {
            argv: vec!["./scripts/bash".into(), "-lc".into(), "ls".into()]
        }
    );
}

const ADD: &str = "*** Begin Patch\n*** Add File: new.txt\n+hello\n*** End Patch\n";

fn patch(id: &str, text: &str) -> Value {
    json!({"type":"custom_tool_call","id":"ctc","call_id":id,"name":"apply_patch","input":text,"status":"completed"})
}

#[test]
fn read_only_with_never_refuses_apply_patch_without_reading_or_writing() {
    let mut cfg = config(ApprovalPolicy::Never);
    cfg.sandbox_mode = SandboxMode::ReadOnly;
    let mut s = Session::new(cfg);
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[
            patch("p1", ADD),
            fcall(
                "c1",
                "exec_command",
                json!({"cmd":"apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: b.txt\n+x\n*** End Patch\nEOF\n"}),
            ),
        ],
        100,
    );
    assert!(!out.iter().any(|e| matches!(
        e,
        Effect::ReadFiles { .. } | Effect::ApplyChanges { .. } | Effect::ReviewChanges { .. }
    )));
    assert!(output_of(&out, "p1").contains("the sandbox is read-only"));
    assert!(output_of(&out, "c1").contains("the sandbox is read-only"));
}

#[test]
fn read_only_with_a_person_sends_apply_patch_to_review() {
    let mut cfg = config(ApprovalPolicy::OnRequest);
    cfg.sandbox_mode = SandboxMode::ReadOnly;
    let mut s = Session::new(cfg);
    start(&mut s, "go");
    let out = respond(&mut s, &[patch("p1", ADD)], 100);
    assert!(out.iter().any(|e| matches!(e, Effect::ReadFiles { .. })));
    let mut files = crate::patch::FileMap::new();
    files.insert("new.txt".into(), crate::patch::FileState::Missing);
    let out = s.handle(SessionEvent::FilesRead {
        call_id: "p1".into(),
        files,
    });
    assert!(out
        .iter()
        .any(|e| matches!(e, Effect::ReviewChanges { .. })));
    assert!(!out.iter().any(|e| matches!(e, Effect::ApplyChanges { .. })));
}

#[test]
fn patches_into_git_directories_are_refused_at_the_core() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[patch(
            "p1",
            "*** Begin Patch\n*** Add File: sub/.GIT/hooks/post-checkout\n+#!/bin/sh\n*** End Patch\n",
        )],
        100,
    );
    assert!(!out.iter().any(|e| matches!(e, Effect::ReadFiles { .. })));
    let text = output_of(&out, "p1");
    assert!(text.contains("inside a `.git` directory"), "{text}");
}

fn deep_object(levels: usize) -> Value {
    // Built by moving values, never by `json!` (which would copy the inner value recursively).
    let mut v = json!("x");
    for _ in 0..levels {
        let mut m = serde_json::Map::new();
        m.insert("a".into(), v);
        v = Value::Object(m);
    }
    v
}

#[test]
fn a_deeply_nested_model_event_fails_the_turn_cleanly() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    start(&mut s, "go");
    s.handle(SessionEvent::ModelEvent {
        data: json!({"type":"response.output_text.delta","item_id":"m","delta":"hi"}),
    });
    let mut data = json!({"type":"response.output_item.done","output_index":0});
    data["item"] = deep_object(5000);
    let out = s.handle(SessionEvent::ModelEvent { data });
    assert!(matches!(out[0], Effect::CancelModel));
    assert_eq!(turn_end(&out), Some(TurnStatus::Failed));
    assert!(events(&out).iter().any(|e| matches!(e, ThreadEvent::TurnFailed { error } if error.message.contains("nested deeper than 64 levels"))));
    // The rest of the stream is ignored; the next turn works.
    assert!(s.handle(SessionEvent::ModelStreamEnded).is_empty());
    assert_eq!(requests(&start(&mut s, "again")).len(), 1);
    // Events within the limit are fine.
    let mut data = json!({"type":"response.output_item.done","output_index":0});
    data["item"] = deep_object(40);
    assert!(turn_end(&s.handle(SessionEvent::ModelEvent { data })).is_none());
}

#[test]
fn deeply_nested_tool_arguments_are_a_clear_error_for_the_model() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    start(&mut s, "go");
    let args = format!(
        "{{\"cmd\": {}\"ls\"{}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let call = json!({"type":"function_call","id":"fc","call_id":"c1","name":"exec_command","arguments":args,"status":"completed"});
    let out = respond(&mut s, &[call], 100);
    assert!(execs(&out).is_empty());
    assert!(output_of(&out, "c1").contains("nest deeper than 64 levels"));
}

#[test]
fn a_raw_patch_full_of_brackets_is_not_mistaken_for_deep_json() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    start(&mut s, "go");
    let body: String = (0..80)
        .map(|i| format!("+{}\n", "{".repeat(i % 3 + 1)))
        .collect();
    let raw = format!("*** Begin Patch\n*** Add File: deep.json\n{body}*** End Patch\n");
    let call = json!({"type":"function_call","id":"fc","call_id":"p1","name":"apply_patch","arguments":raw,"status":"completed"});
    let out = respond(&mut s, &[call], 100);
    assert!(
        out.iter().any(|e| matches!(e, Effect::ReadFiles { .. })),
        "{out:?}"
    );
}

// ---- fuzzing: the model stream and tool arguments into a session ----

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z_.]{0,12}".prop_map(Value::from),
        prop::sample::select(vec![
            "response.output_item.done",
            "response.output_text.delta",
            "response.completed",
            "response.failed",
            "response.reasoning_summary_text.delta",
            "response.function_call_arguments.delta",
            "response.custom_tool_call_input.delta",
            "function_call",
            "custom_tool_call",
            "message",
            "exec_command",
            "apply_patch",
            "shell",
            "update_plan",
            "write_stdin",
            "view_image",
        ])
        .prop_map(Value::from),
    ]
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "type",
                    "item",
                    "item_id",
                    "output_index",
                    "delta",
                    "name",
                    "arguments",
                    "call_id",
                    "input",
                    "content",
                    "text",
                    "response",
                    "usage",
                    "choices",
                    "tool_calls",
                    "function",
                    "index",
                    "id",
                    "finish_reason",
                    "error",
                ])
                .prop_map(str::to_string),
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Well-formed events, some with their fields swapped for arbitrary values.
fn mutated_event() -> impl Strategy<Value = Value> {
    let calls = prop::sample::select(vec![
        json!({"type":"response.output_item.done","output_index":0,"item":{"type":"function_call","id":"fc","call_id":"c1","name":"exec_command","arguments":"{\"cmd\":\"ls\"}"}}),
        json!({"type":"response.output_item.done","output_index":1,"item":{"type":"custom_tool_call","id":"ct","call_id":"c2","name":"apply_patch","input":"*** Begin Patch\n*** End Patch"}}),
        json!({"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":"hi"}),
        json!({"type":"response.completed","response":{"usage":{"input_tokens":1,"output_tokens":1}}}),
        json!({"choices":[{"index":0,"delta":{"content":"hi","tool_calls":[{"index":0,"id":"t","function":{"name":"shell","arguments":"{\"command\":[\"ls\"]}"}}]}}]}),
        json!({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}),
    ]);
    (
        calls,
        prop::option::of((
            prop::sample::select(vec![
                "item",
                "type",
                "output_index",
                "delta",
                "response",
                "choices",
                "call_id",
            ]),
            arbitrary_json(),
        )),
    )
        .prop_map(|(mut ev, swap)| {
            if let Some((key, value)) = swap {
                if let Some(obj) = ev.as_object_mut() {
                    if obj.contains_key(key) {
                        obj.insert(key.to_string(), value);
                    } else if let Some(item) = obj.get_mut("item").and_then(Value::as_object_mut) {
                        item.insert(key.to_string(), value);
                    }
                }
            }
            ev
        })
}

/// Finishes whatever a turn is waiting for, then interrupts: the turn must end.
fn drain(s: &mut Session, out: Vec<Effect>) {
    let mut pending = out;
    for _ in 0..20 {
        if !s.is_turn_running() {
            return;
        }
        let mut next = vec![];
        for e in pending {
            match e {
                Effect::Exec { call_id, .. } | Effect::WriteStdin { call_id, .. } => {
                    next.extend(s.handle(exited(&call_id, 0, "ok")))
                }
                Effect::ReadFiles { call_id, .. } => {
                    next.extend(s.handle(SessionEvent::FilesRead {
                        call_id,
                        files: Default::default(),
                    }))
                }
                Effect::ModelRequest { .. } => {
                    next.extend(s.handle(SessionEvent::ModelStreamEnded))
                }
                _ => {}
            }
        }
        if next.is_empty() {
            break;
        }
        pending = next;
    }
    if s.is_turn_running() {
        let out = s.handle(SessionEvent::Interrupt);
        assert!(turn_end(&out).is_some(), "interrupt ends the turn");
    }
    assert!(!s.is_turn_running());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// Arbitrary and mutated raw stream events never panic the session, and the turn always ends:
    /// by itself, or when the person stops it.
    #[test]
    fn raw_stream_events_never_break_a_turn(
        chat in any::<bool>(),
        events in prop::collection::vec(prop_oneof![arbitrary_json(), mutated_event()], 0..12),
        fail in any::<bool>(),
    ) {
        let mut cfg = config(ApprovalPolicy::Never);
        if chat {
            cfg.wire = Wire::Chat;
        }
        let mut s = Session::new(cfg);
        start(&mut s, "go");
        for data in events {
            s.handle(SessionEvent::ModelEvent { data });
        }
        let out = if fail {
            s.handle(SessionEvent::ModelFailed { message: "cut".into(), retryable: false })
        } else {
            s.handle(SessionEvent::ModelStreamEnded)
        };
        drain(&mut s, out);
        // The session takes the next turn.
        prop_assert_eq!(requests(&start(&mut s, "again")).len(), 1);
    }

    /// Any argument text for any tool is parsed into an action or a clear error for the model.
    #[test]
    fn tool_arguments_never_break_a_turn(
        name in prop::sample::select(vec!["exec_command", "write_stdin", "shell", "apply_patch", "update_plan", "view_image", "other"]),
        args in prop_oneof![
            "(?s).{0,64}",
            arbitrary_json().prop_map(|v| v.to_string()),
            "[\\[\\]{}\":,a-z0-9 ]{0,200}",
        ],
        policy in prop::sample::select(vec![ApprovalPolicy::Never, ApprovalPolicy::Untrusted, ApprovalPolicy::OnRequest]),
    ) {
        let mut s = Session::new(config(policy));
        start(&mut s, "go");
        let call = json!({"type":"function_call","id":"fc","call_id":"c1","name":name,"arguments":args,"status":"completed"});
        let out = respond(&mut s, &[call], 10);
        let out = match out.iter().find_map(|e| match e { Effect::RequestApproval { request } => Some(request.clone()), _ => None }) {
            Some(r) => s.handle(SessionEvent::ApprovalDecided { request_id: r.request_id, decision: ApprovalDecision::Denied, message: None }),
            None => out,
        };
        drain(&mut s, out);
    }
}

#[test]
fn an_approval_names_the_command_item_it_is_about() {
    let mut s = Session::new(config(ApprovalPolicy::OnRequest));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[
            escalated("c1", "npm install", None),
            escalated("c2", "npm install", None),
        ],
        100,
    );
    let r = approval(&out);
    // Two commands with the same text: each question names the item of its own call.
    let started: Vec<String> = events(&out)
        .iter()
        .filter_map(|e| match e {
            ThreadEvent::ItemStarted { item }
                if matches!(item.details, ItemDetails::CommandExecution { .. }) =>
            {
                Some(item.id.clone())
            }
            _ => None,
        })
        .collect();
    // Both cards start at once; the question names the first call's, not the newest with that text.
    assert_eq!(started.len(), 2);
    assert_eq!(r.item_id, started[0]);
    let asked: Vec<String> = out
        .iter()
        .filter_map(|e| match e {
            Effect::RequestApproval { request } => Some(request.item_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(asked, started);
}
