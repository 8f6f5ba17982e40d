use super::*;
use crate::patch::FileState;
use proptest::prelude::*;
use serde_json::{json, Value};

pub(super) fn config(policy: ApprovalPolicy) -> AgentConfig {
    AgentConfig {
        session_id: "s-1".into(),
        model: "gpt-5.1-codex".into(),
        wire: Wire::Responses,
        tool_family: None,
        reasoning_effort: None,
        approval_policy: policy,
        sandbox_mode: SandboxMode::WorkspaceWrite,
        context_window: None,
        compact_percent: None,
        max_output_tokens: None,
        cwd: "/repo".into(),
        writable_roots: vec![],
        network: false,
        shell: "bash".into(),
        no_os_sandbox: None,
        current_date: "2026-11-25".into(),
        timezone: "UTC".into(),
        agents_md: vec![],
        base_instructions: None,
        vision: None,
        web_search: None,
    }
}

/// Feeds one whole Responses stream: the items, then completion with usage, then the stream end.
pub(super) fn respond(s: &mut Session, items: &[Value], input_tokens: u64) -> Vec<Effect> {
    let mut out = vec![];
    for (i, item) in items.iter().enumerate() {
        if item["type"] == "message" {
            let text = item["content"][0]["text"].as_str().unwrap();
            out.extend(s.handle(SessionEvent::ModelEvent {
                data: json!({"type":"response.output_text.delta","item_id":item["id"],"delta":text}),
            }));
        }
        out.extend(s.handle(SessionEvent::ModelEvent {
            data: json!({"type":"response.output_item.done","output_index":i,"item":item}),
        }));
    }
    out.extend(s.handle(SessionEvent::ModelEvent {
        data: json!({"type":"response.completed","response":{"id":"r","status":"completed","output":[],
            "usage":{"input_tokens":input_tokens,"input_tokens_details":{"cached_tokens":0},"output_tokens":10,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":input_tokens+10}}}),
    }));
    out.extend(s.handle(SessionEvent::ModelStreamEnded));
    out
}

pub(super) fn msg(text: &str) -> Value {
    json!({"type":"message","id":"msg_1","role":"assistant","status":"completed","content":[{"type":"output_text","text":text,"annotations":[]}]})
}

pub(super) fn fcall(id: &str, name: &str, args: Value) -> Value {
    json!({"type":"function_call","id":format!("fc_{id}"),"call_id":id,"name":name,"arguments":args.to_string(),"status":"completed"})
}

pub(super) fn requests(effects: &[Effect]) -> Vec<Value> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::ModelRequest { body, .. } => Some(body.value()),
            _ => None,
        })
        .collect()
}

pub(super) fn events(effects: &[Effect]) -> Vec<ThreadEvent> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Emit { event } => Some(event.clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn execs(effects: &[Effect]) -> Vec<(String, ExecStartParams)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Exec {
                call_id, params, ..
            } => Some((call_id.clone(), params.clone())),
            _ => None,
        })
        .collect()
}

/// The `yieldTimeMs` of each exec effect.
pub(super) fn exec_yields(effects: &[Effect]) -> Vec<Option<u64>> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Exec { yield_time_ms, .. } => Some(*yield_time_ms),
            _ => None,
        })
        .collect()
}

pub(super) fn turn_end(effects: &[Effect]) -> Option<TurnStatus> {
    effects.iter().find_map(|e| match e {
        Effect::TurnEnded { status, .. } => Some(*status),
        _ => None,
    })
}

pub(super) fn exited(call_id: &str, code: i32, output: &str) -> SessionEvent {
    SessionEvent::ExecExited {
        call_id: call_id.into(),
        exit_code: code,
        duration_ms: 120,
        output: output.into(),
        truncated_bytes: 0,
        timed_out: false,
    }
}

pub(super) fn outputs(body: &Value) -> Vec<(String, String)> {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == "function_call_output" || i["type"] == "custom_tool_call_output")
        .map(|i| {
            (
                i["call_id"].as_str().unwrap().to_string(),
                i["output"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub(super) fn start(s: &mut Session, text: &str) -> Vec<Effect> {
    s.handle(SessionEvent::UserInput {
        text: text.into(),
        editor_context: None,
        images: None,
    })
}

#[test]
fn a_text_only_turn_streams_and_completes() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    let first = start(&mut s, "hello");
    let ev = events(&first);
    assert_eq!(
        ev[0],
        ThreadEvent::ThreadStarted {
            thread_id: "s-1".into()
        }
    );
    assert_eq!(ev[1], ThreadEvent::TurnStarted {});
    let req = &requests(&first)[0];
    assert_eq!(req["prompt_cache_key"], "s-1");
    assert_eq!(
        req["input"].as_array().unwrap().last().unwrap()["content"][0]["text"],
        "hello"
    );
    let out = respond(&mut s, &[msg("Hi there.")], 100);
    let ev = events(&out);
    assert!(
        matches!(&ev[0], ThreadEvent::ItemStarted { item } if matches!(item.details, ItemDetails::AgentMessage { .. }))
    );
    assert!(matches!(&ev[1], ThreadEvent::ItemDelta { delta, .. } if delta == "Hi there."));
    assert!(ev.iter().any(|e| matches!(e, ThreadEvent::ItemCompleted { item } if item.details == ItemDetails::AgentMessage { text: "Hi there.".into() })));
    assert!(ev.iter().any(|e| matches!(e, ThreadEvent::TurnCompleted { usage } if usage.input_tokens == 100 && usage.reasoning_output_tokens == 2)));
    assert_eq!(turn_end(&out), Some(TurnStatus::Completed));
    assert!(!s.is_turn_running());
    // The assistant message is carried forward without its server id.
    let last = s.history().last().unwrap();
    assert_eq!(last["role"], "assistant");
    assert!(last.get("id").is_none());
}

#[test]
fn several_calls_in_one_response_all_run_and_are_answered_in_order() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[
            fcall("c1", "exec_command", json!({"cmd":"sleep 1; echo one"})),
            fcall(
                "c2",
                "exec_command",
                json!({"cmd":"echo two","workdir":"sub"}),
            ),
            fcall(
                "c3",
                "update_plan",
                json!({"plan":[{"step":"look","status":"in_progress"}]}),
            ),
        ],
        100,
    );
    let started = execs(&out);
    assert_eq!(started.len(), 2, "both commands start at once");
    assert_eq!(started[0].1.argv, vec!["bash", "-lc", "sleep 1; echo one"]);
    assert_eq!(started[1].1.cwd, "/repo/sub");
    assert_eq!(started[0].1.sandbox.mode, SandboxMode::WorkspaceWrite);
    assert!(requests(&out).is_empty());
    // The second finishes first; the answers still follow the call order.
    assert!(requests(&s.handle(exited("c2", 0, "two\n"))).is_empty());
    let out = s.handle(exited("c1", 0, "\u{1b}[32mone\u{1b}[0m\n"));
    let req = &requests(&out)[0];
    let outs = outputs(req);
    assert_eq!(
        outs.iter().map(|o| o.0.as_str()).collect::<Vec<_>>(),
        ["c1", "c2", "c3"]
    );
    assert!(outs[0].1.contains("Process exited with code 0\n"));
    assert!(
        outs[0].1.ends_with("Output:\none\n"),
        "ANSI stripped: {}",
        outs[0].1
    );
    assert_eq!(outs[2].1, "Plan updated");
}

#[test]
fn malformed_arguments_are_answered_as_an_error_to_the_model() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[
            json!({"type":"function_call","call_id":"c1","name":"exec_command","arguments":"{\"cmd\": "}),
        ],
        100,
    );
    let outs = outputs(&requests(&out)[0]);
    assert!(
        outs[0].1.starts_with("failed to parse function arguments"),
        "{}",
        outs[0].1
    );
    assert!(events(&out).iter().any(|e| matches!(e, ThreadEvent::ItemCompleted { item } if matches!(item.details, ItemDetails::Error { .. }))));
    let out = respond(&mut s, &[fcall("c2", "no_such_tool", json!({}))], 100);
    assert_eq!(
        outputs(&requests(&out)[0]).last().unwrap().1,
        "unsupported call: no_such_tool"
    );
}

#[test]
fn interrupt_during_a_command_kills_it_and_the_next_request_says_so() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    start(&mut s, "go");
    respond(
        &mut s,
        &[fcall("c1", "exec_command", json!({"cmd":"sleep 100"}))],
        100,
    );
    let out = s.handle(SessionEvent::Interrupt);
    assert!(out.contains(&Effect::KillExec {
        call_id: "c1".into()
    }));
    assert_eq!(turn_end(&out), Some(TurnStatus::Interrupted));
    // The UI's event names the reason, so a UI does not have to match the message's text.
    assert!(events(&out).iter().any(|e| matches!(e, ThreadEvent::TurnFailed { error } if error.reason == Some(TurnEndReason::Interrupted))));
    // A late exit of the killed command changes nothing.
    assert!(s.handle(exited("c1", 137, "")).is_empty());
    let out = start(&mut s, "try something else");
    let req = &requests(&out)[0];
    assert_eq!(
        outputs(req),
        vec![("c1".to_string(), ABORTED_OUTPUT.to_string())]
    );
    let texts: Vec<_> = req["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["content"][0]["text"].as_str())
        .collect();
    assert!(texts.iter().any(|t| t.starts_with("<turn_aborted>")));
}

#[test]
fn interrupt_while_streaming_cancels_the_model() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    start(&mut s, "go");
    s.handle(SessionEvent::ModelEvent {
        data: json!({"type":"response.output_text.delta","item_id":"m","delta":"par"}),
    });
    let out = s.handle(SessionEvent::Interrupt);
    assert_eq!(out[0], Effect::CancelModel);
    assert_eq!(turn_end(&out), Some(TurnStatus::Interrupted));
    // Stray events of the cancelled stream are ignored.
    assert!(s.handle(SessionEvent::ModelStreamEnded).is_empty());
}

fn patch_call(id: &str, patch: &str) -> Value {
    json!({"type":"custom_tool_call","id":"ctc","call_id":id,"name":"apply_patch","input":patch,"status":"completed"})
}

const PATCH: &str = "*** Begin Patch\n*** Add File: new.txt\n+hello\n*** Update File: a.txt\n@@\n-old\n+new\n*** End Patch\n";

fn files() -> crate::patch::FileMap {
    let mut m = crate::patch::FileMap::new();
    m.insert("new.txt".into(), FileState::Missing);
    m.insert(
        "a.txt".into(),
        FileState::Text {
            contents: "old\n".into(),
        },
    );
    m
}

#[test]
fn apply_patch_under_never_reads_applies_and_reports_the_files() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    start(&mut s, "edit");
    let out = respond(&mut s, &[patch_call("p1", PATCH)], 100);
    let Some(Effect::ReadFiles { paths, .. }) =
        out.iter().find(|e| matches!(e, Effect::ReadFiles { .. }))
    else {
        panic!("no readFiles in {out:?}")
    };
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(sorted, ["a.txt", "new.txt"]);
    let out = s.handle(SessionEvent::FilesRead {
        call_id: "p1".into(),
        files: files(),
    });
    let Some(Effect::ApplyChanges { changes, .. }) = out
        .iter()
        .find(|e| matches!(e, Effect::ApplyChanges { .. }))
    else {
        panic!("no applyChanges in {out:?}")
    };
    assert_eq!(changes.len(), 2);
    assert!(events(&out).iter().any(|e| matches!(e, ThreadEvent::ItemStarted { item } if matches!(&item.details, ItemDetails::FileChange { status: FileChangeStatus::Pending, diffs, .. } if diffs.len() == 2))));
    let out = s.handle(SessionEvent::ChangesApplied {
        call_id: "p1".into(),
        error: None,
    });
    let req = &requests(&out)[0];
    let last = req["input"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["type"], "custom_tool_call_output");
    assert_eq!(
        last["output"],
        "Success. Updated the following files:\nA new.txt\nM a.txt\n"
    );
}

#[test]
fn a_bad_patch_or_a_mismatch_goes_back_to_the_model() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    start(&mut s, "edit");
    let out = respond(&mut s, &[patch_call("p1", "not a patch")], 100);
    assert!(outputs(&requests(&out)[0])[0]
        .1
        .starts_with("apply_patch verification failed"));
    let out = respond(
        &mut s,
        &[patch_call(
            "p2",
            "*** Begin Patch\n*** Update File: a.txt\n@@\n-missing\n+x\n*** End Patch\n",
        )],
        100,
    );
    assert!(out.iter().any(|e| matches!(e, Effect::ReadFiles { .. })));
    let out = s.handle(SessionEvent::FilesRead {
        call_id: "p2".into(),
        files: files(),
    });
    assert!(outputs(&requests(&out)[0])
        .last()
        .unwrap()
        .1
        .starts_with("apply_patch verification failed"));
}

#[test]
fn reviewed_patch_tells_the_model_exactly_what_landed() {
    let mut s = Session::new(config(ApprovalPolicy::OnRequest));
    start(&mut s, "edit");
    respond(&mut s, &[patch_call("p1", PATCH)], 100);
    let out = s.handle(SessionEvent::FilesRead {
        call_id: "p1".into(),
        files: files(),
    });
    let Some(Effect::ReviewChanges { proposal, .. }) = out
        .iter()
        .find(|e| matches!(e, Effect::ReviewChanges { .. }))
    else {
        panic!("no review in {out:?}")
    };
    assert_eq!(proposal.files.len(), 2);
    let review = ChangeReview {
        files: vec![
            FileReview {
                path: "new.txt".into(),
                outcome: FileReviewOutcome::Accepted,
                landed: None,
            },
            FileReview {
                path: "a.txt".into(),
                outcome: FileReviewOutcome::Rejected,
                landed: None,
            },
        ],
        reason: None,
    };
    let out = s.handle(SessionEvent::ChangesReviewed {
        call_id: "p1".into(),
        review,
    });
    assert!(events(&out).iter().any(|e| matches!(e, ThreadEvent::ItemCompleted { item } if matches!(&item.details, ItemDetails::FileChange { status: FileChangeStatus::PartiallyApplied, .. }))));
    let text = outputs(&requests(&out)[0])[0].1.clone();
    assert!(text.contains("Applied:\nA new.txt"), "{text}");
    assert!(
        text.contains("Rejected by the user (unchanged):\na.txt"),
        "{text}"
    );
}

#[test]
fn apply_patch_heredoc_through_exec_command_is_handled_as_the_patch_tool() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    start(&mut s, "edit");
    let cmd = format!("apply_patch <<'EOF'\n{PATCH}EOF\n");
    let out = respond(
        &mut s,
        &[fcall("c1", "exec_command", json!({"cmd": cmd}))],
        100,
    );
    assert!(execs(&out).is_empty(), "nothing is run");
    assert!(out.iter().any(|e| matches!(e, Effect::ReadFiles { .. })));
    s.handle(SessionEvent::FilesRead {
        call_id: "c1".into(),
        files: files(),
    });
    let out = s.handle(SessionEvent::ChangesApplied {
        call_id: "c1".into(),
        error: None,
    });
    let text = outputs(&requests(&out)[0])[0].1.clone();
    assert!(text.contains("Process exited with code 0"), "{text}");
    assert!(
        text.contains("Output:\nSuccess. Updated the following files:\nA new.txt\nM a.txt\n"),
        "{text}"
    );
}

#[test]
fn untrusted_asks_for_unsafe_commands_and_remembers_session_approvals() {
    let mut s = Session::new(config(ApprovalPolicy::Untrusted));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[
            fcall("c1", "exec_command", json!({"cmd":"git status"})),
            fcall("c2", "exec_command", json!({"cmd":"cargo build"})),
        ],
        100,
    );
    assert_eq!(execs(&out).len(), 1, "the safe command runs");
    let Some(Effect::RequestApproval { request }) = out
        .iter()
        .find(|e| matches!(e, Effect::RequestApproval { .. }))
    else {
        panic!("no approval request")
    };
    assert_eq!(request.kind, ApprovalKind::Exec);
    assert_eq!(request.command, "cargo build");
    let rid = request.request_id.clone();
    let out = s.handle(SessionEvent::ApprovalDecided {
        request_id: rid,
        decision: ApprovalDecision::ApprovedForSession,
        message: None,
    });
    assert_eq!(execs(&out)[0].0, "c2");
    s.handle(exited("c1", 0, ""));
    let out = s.handle(exited("c2", 0, ""));
    // The same command again runs without asking; another one is asked and denied.
    let out2 = respond(
        &mut s,
        &[
            fcall("c3", "exec_command", json!({"cmd":"cargo build"})),
            fcall("c4", "exec_command", json!({"cmd":"rm -rf x"})),
        ],
        100,
    );
    assert!(!requests(&out).is_empty());
    assert_eq!(execs(&out2).len(), 1);
    let Some(Effect::RequestApproval { request }) = out2
        .iter()
        .find(|e| matches!(e, Effect::RequestApproval { .. }))
    else {
        panic!("no approval request")
    };
    let out = s.handle(SessionEvent::ApprovalDecided {
        request_id: request.request_id.clone(),
        decision: ApprovalDecision::Denied,
        message: Some("not now".into()),
    });
    assert!(events(&out).iter().any(|e| matches!(e, ThreadEvent::ItemCompleted { item } if matches!(item.details, ItemDetails::CommandExecution { status: CommandStatus::Declined, .. }))));
    let out = s.handle(exited("c3", 0, ""));
    let outs = outputs(&requests(&out)[0]);
    assert_eq!(
        outs.last().unwrap().1,
        "The user declined to run this command. not now"
    );
}

#[test]
fn on_request_escalation_asks_with_the_justification_and_runs_unsandboxed() {
    let mut s = Session::new(config(ApprovalPolicy::OnRequest));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[fcall(
            "c1",
            "exec_command",
            json!({"cmd":"npm install","sandbox_permissions":"require_escalated","justification":"needs network"}),
        )],
        100,
    );
    let Some(Effect::RequestApproval { request }) = out
        .iter()
        .find(|e| matches!(e, Effect::RequestApproval { .. }))
    else {
        panic!("no approval request")
    };
    assert_eq!(request.kind, ApprovalKind::Escalate);
    assert_eq!(request.reason.as_deref(), Some("needs network"));
    let out = s.handle(SessionEvent::ApprovalDecided {
        request_id: request.request_id.clone(),
        decision: ApprovalDecision::Approved,
        message: None,
    });
    assert_eq!(execs(&out)[0].1.sandbox.mode, SandboxMode::DangerFullAccess);
}

#[test]
fn on_failure_offers_to_rerun_a_sandbox_denial_without_the_sandbox() {
    let mut s = Session::new(config(ApprovalPolicy::OnFailure));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[fcall("c1", "exec_command", json!({"cmd":"touch /etc/x"}))],
        100,
    );
    assert_eq!(execs(&out)[0].1.sandbox.mode, SandboxMode::WorkspaceWrite);
    let out = s.handle(exited(
        "c1",
        1,
        "touch: cannot touch '/etc/x': Permission denied\n",
    ));
    let Some(Effect::RequestApproval { request }) = out
        .iter()
        .find(|e| matches!(e, Effect::RequestApproval { .. }))
    else {
        panic!("no approval request in {out:?}")
    };
    assert_eq!(request.kind, ApprovalKind::RetryUnsandboxed);
    let out = s.handle(SessionEvent::ApprovalDecided {
        request_id: request.request_id.clone(),
        decision: ApprovalDecision::Approved,
        message: None,
    });
    assert_eq!(execs(&out)[0].1.sandbox.mode, SandboxMode::DangerFullAccess);
    let out = s.handle(exited("c1", 0, ""));
    assert!(outputs(&requests(&out)[0])[0]
        .1
        .contains("Process exited with code 0"));
}

#[test]
fn a_command_past_its_yield_time_keeps_running_and_is_fed_by_write_stdin() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[fcall(
            "c1",
            "exec_command",
            json!({"cmd":"python3","tty":true,"yield_time_ms":500}),
        )],
        100,
    );
    assert_eq!(exec_yields(&out)[0], Some(500));
    assert_eq!(execs(&out)[0].1.tty, Some(true));
    let out = s.handle(SessionEvent::ExecYielded {
        call_id: "c1".into(),
        duration_ms: 500,
        output: ">>> ".into(),
    });
    let text = outputs(&requests(&out)[0])[0].1.clone();
    assert!(
        text.contains("Process running with session ID 1\n"),
        "{text}"
    );
    let out = respond(
        &mut s,
        &[fcall(
            "c2",
            "write_stdin",
            json!({"session_id":1,"chars":"exit()\n"}),
        )],
        100,
    );
    assert!(out.contains(&Effect::WriteStdin {
        call_id: "c2".into(),
        exec_call_id: "c1".into(),
        chars: "exit()\n".into(),
        yield_time_ms: 250
    }));
    let out = s.handle(exited("c2", 0, "bye\n"));
    assert!(outputs(&requests(&out)[0])
        .last()
        .unwrap()
        .1
        .contains("Process exited with code 0"));
    let out = respond(
        &mut s,
        &[fcall(
            "c3",
            "write_stdin",
            json!({"session_id":1,"chars":""}),
        )],
        100,
    );
    assert!(outputs(&requests(&out)[0])
        .last()
        .unwrap()
        .1
        .contains("unknown session ID 1"));
}

#[test]
fn a_lost_command_fails_with_a_clear_error_and_the_turn_goes_on() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    start(&mut s, "go");
    respond(
        &mut s,
        &[fcall("c1", "exec_command", json!({"cmd":"sleep 10"}))],
        100,
    );
    let out = s.handle(SessionEvent::ExecFailed {
        call_id: "c1".into(),
        message: "the sidecar exited unexpectedly".into(),
    });
    let text = outputs(&requests(&out)[0])[0].1.clone();
    assert_eq!(
        text,
        "Failed to run the command: the sidecar exited unexpectedly"
    );
    assert!(s.is_turn_running());
}

#[test]
fn compaction_past_the_threshold_summarises_rebuilds_and_continues() {
    let mut cfg = config(ApprovalPolicy::Never);
    cfg.context_window = Some(1000);
    let mut s = Session::new(cfg);
    start(&mut s, "first task");
    // 950 tokens used: the next request is the summary request.
    let out = respond(
        &mut s,
        &[fcall("c1", "exec_command", json!({"cmd":"ls"}))],
        940,
    );
    assert!(events(&out).iter().any(|e| matches!(
        e,
        ThreadEvent::ContextUsage {
            used_tokens: 950,
            window_tokens: Some(1000)
        }
    )));
    let out = s.handle(exited("c1", 0, "a b c\n"));
    let req = &requests(&out)[0];
    let last = req["input"].as_array().unwrap().last().unwrap();
    assert_eq!(last["content"][0]["text"], crate::prompt::COMPACT_PROMPT);
    let out = respond(&mut s, &[msg("SUMMARY: listed files a b c")], 100);
    assert!(out.iter().any(|e| matches!(
        e,
        Effect::Persist {
            record: SessionRecord::Compacted { .. }
        }
    )));
    let req = &requests(&out)[0];
    let texts: Vec<_> = req["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["content"][0]["text"].as_str())
        .collect();
    assert!(texts.contains(&"first task"));
    assert!(texts
        .last()
        .unwrap()
        .contains("SUMMARY: listed files a b c"));
    assert!(!req["input"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["type"] == "function_call"));
    let out = respond(&mut s, &[msg("done")], 100);
    assert_eq!(turn_end(&out), Some(TurnStatus::Completed));
}

#[test]
fn model_failure_ends_the_turn_with_the_message() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    start(&mut s, "go");
    let out = s.handle(SessionEvent::ModelFailed {
        message: "401 Unauthorized: check OPENAI_API_KEY".into(),
        retryable: false,
    });
    assert_eq!(turn_end(&out), Some(TurnStatus::Failed));
    assert!(events(&out)
        .iter()
        .any(|e| matches!(e, ThreadEvent::TurnFailed { error } if error.message.contains("401"))));
    // The next turn works.
    assert_eq!(requests(&start(&mut s, "again")).len(), 1);
}

#[test]
fn chat_wire_runs_shell_calls_and_answers_with_tool_messages() {
    let mut cfg = config(ApprovalPolicy::Never);
    cfg.wire = Wire::Chat;
    cfg.model = "qwen2.5-coder".into();
    let mut s = Session::new(cfg);
    let out = start(&mut s, "go");
    let req = &requests(&out)[0];
    assert_eq!(req["messages"][0]["role"], "system");
    assert_eq!(req["tools"][0]["function"]["name"], "shell");
    for chunk in [
        json!({"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"t1","type":"function","function":{"name":"shell","arguments":"{\"command\":[\"bash\",\"-lc\",\"echo hi\"]}"}}]}}]}),
        json!({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}),
    ] {
        s.handle(SessionEvent::ModelEvent { data: chunk });
    }
    let out = s.handle(SessionEvent::ModelStreamEnded);
    assert_eq!(execs(&out)[0].1.argv, vec!["bash", "-lc", "echo hi"]);
    assert_eq!(exec_yields(&out)[0], None);
    let out = s.handle(exited("t1", 0, "hi\n"));
    let req = &requests(&out)[0];
    let msgs = req["messages"].as_array().unwrap();
    let tool = msgs.last().unwrap();
    assert_eq!(tool["role"], "tool");
    let parsed: Value = serde_json::from_str(tool["content"].as_str().unwrap()).unwrap();
    assert_eq!(parsed["output"], "hi\n");
    assert_eq!(parsed["metadata"]["exit_code"], 0);
}

#[test]
fn a_session_restored_from_its_records_continues_the_conversation() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    let mut records = vec![];
    let mut collect = |effects: Vec<Effect>| {
        for e in effects {
            if let Effect::Persist { record } = e {
                records.push(record);
            }
        }
    };
    collect(start(&mut s, "remember 42"));
    collect(respond(&mut s, &[msg("Noted.")], 100));
    let mut restored = Session::restore(config(ApprovalPolicy::Never), &records).unwrap();
    assert_eq!(restored.history(), s.history());
    let a = requests(&start(&mut restored, "what number?"))[0].clone();
    let b = requests(&start(&mut s, "what number?"))[0].clone();
    assert_eq!(a, b);
    assert!(Session::restore(config(ApprovalPolicy::Never), &[]).is_err());
}

#[derive(Debug, Clone)]
enum Step {
    Text,
    Exec(u8),
    Plan,
    BadArgs,
    Interrupt,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Text),
        (1u8..4).prop_map(Step::Exec),
        Just(Step::Plan),
        Just(Step::BadArgs),
        Just(Step::Interrupt),
    ]
}

proptest! {
    /// Every request's input begins with the previous request's input (the prompt cache hits),
    /// whatever the model does and whenever the person interrupts.
    #[test]
    fn requests_are_append_only(steps in proptest::collection::vec(step(), 1..12)) {
        let mut s = Session::new(config(ApprovalPolicy::Never));
        let mut all = requests(&start(&mut s, "task"));
        let mut n = 0;
        for st in steps {
            if !s.is_turn_running() {
                all.extend(requests(&start(&mut s, "next")));
            }
            n += 1;
            match st {
                Step::Text => all.extend(requests(&respond(&mut s, &[msg("ok")], 10))),
                Step::Plan => all.extend(requests(&respond(&mut s, &[fcall(&format!("p{n}"), "update_plan", json!({"plan":[]}))], 10))),
                Step::BadArgs => all.extend(requests(&respond(&mut s, &[fcall(&format!("b{n}"), "exec_command", json!({"nope":1}))], 10))),
                Step::Interrupt => all.extend(requests(&s.handle(SessionEvent::Interrupt))),
                Step::Exec(k) => {
                    let calls: Vec<Value> = (0..k).map(|i| fcall(&format!("e{n}_{i}"), "exec_command", json!({"cmd":"true"}))).collect();
                    all.extend(requests(&respond(&mut s, &calls, 10)));
                    for i in (0..k).rev() {
                        all.extend(requests(&s.handle(exited(&format!("e{n}_{i}"), 0, "x"))));
                    }
                }
            }
        }
        for pair in all.windows(2) {
            let a = pair[0]["input"].as_array().unwrap();
            let b = pair[1]["input"].as_array().unwrap();
            prop_assert!(b.len() > a.len());
            prop_assert_eq!(&b[..a.len()], &a[..]);
        }
    }
}

#[test]
fn a_prefix_rule_approved_for_the_session_covers_later_commands_with_that_prefix() {
    let mut s = Session::new(config(ApprovalPolicy::Untrusted));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[fcall(
            "c1",
            "exec_command",
            json!({"cmd":"cargo test -p a","prefix_rule":["cargo","test"]}),
        )],
        100,
    );
    let Some(Effect::RequestApproval { request }) = out
        .iter()
        .find(|e| matches!(e, Effect::RequestApproval { .. }))
    else {
        panic!("no approval request")
    };
    s.handle(SessionEvent::ApprovalDecided {
        request_id: request.request_id.clone(),
        decision: ApprovalDecision::ApprovedForSession,
        message: None,
    });
    s.handle(exited("c1", 0, ""));
    let out = respond(
        &mut s,
        &[
            fcall("c2", "exec_command", json!({"cmd":"cargo test -p b"})),
            fcall("c3", "exec_command", json!({"cmd":"cargo publish"})),
        ],
        100,
    );
    assert_eq!(
        execs(&out).iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["c2"],
        "cargo test runs, cargo publish asks"
    );
    assert!(out
        .iter()
        .any(|e| matches!(e, Effect::RequestApproval { request } if request.call_id == "c3")));
}

#[test]
fn wild_numbers_in_arguments_do_not_break_the_session() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[fcall(
            "c1",
            "exec_command",
            json!({"cmd":"echo","max_output_tokens":1e300,"yield_time_ms":-5}),
        )],
        100,
    );
    assert_eq!(exec_yields(&out)[0], Some(10_000));
    let out = s.handle(exited("c1", 0, "x"));
    assert!(outputs(&requests(&out)[0])[0].1.ends_with("Output:\nx"));
    let out = respond(
        &mut s,
        &[fcall("c2", "write_stdin", json!({"session_id":1e300}))],
        100,
    );
    assert!(outputs(&requests(&out)[0])
        .last()
        .unwrap()
        .1
        .contains("unknown session ID"));
}

#[test]
fn view_image_reads_the_file_and_shows_it_after_the_outputs() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    start(&mut s, "look");
    let out = respond(
        &mut s,
        &[
            fcall("v1", "view_image", json!({"path":"shot.png"})),
            fcall("v2", "view_image", json!({"path":"/abs/missing.png"})),
        ],
        100,
    );
    assert!(out.contains(&Effect::ReadImage {
        call_id: "v1".into(),
        path: "/repo/shot.png".into()
    }));
    s.handle(SessionEvent::ImageRead {
        call_id: "v2".into(),
        data_url: None,
        error: Some("no such file".into()),
    });
    let out = s.handle(SessionEvent::ImageRead {
        call_id: "v1".into(),
        data_url: Some("data:image/png;base64,AAAA".into()),
        error: None,
    });
    let req = &requests(&out)[0];
    let outs = outputs(req);
    assert_eq!(outs[0].1, "Image attached: /repo/shot.png");
    assert_eq!(
        outs[1].1,
        "view_image failed for /abs/missing.png: no such file"
    );
    let last = req["input"].as_array().unwrap().last().unwrap();
    assert_eq!(
        last["content"][0],
        json!({"type":"input_image","image_url":"data:image/png;base64,AAAA"})
    );
}

#[test]
fn a_raw_patch_sent_as_function_arguments_is_still_applied() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    start(&mut s, "edit");
    let raw = json!({"type":"function_call","call_id":"p1","name":"apply_patch","arguments":PATCH});
    let out = respond(&mut s, &[raw], 100);
    assert!(
        out.iter().any(|e| matches!(e, Effect::ReadFiles { .. })),
        "{out:?}"
    );
}
