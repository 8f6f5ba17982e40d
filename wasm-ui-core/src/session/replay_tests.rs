use super::*;
use crate::session::tests::{config, exited, fcall, respond, start};
use crate::session::Session;
use serde_json::json;

fn msg(id: &str, text: &str) -> Value {
    json!({"type":"message","id":id,"role":"assistant","status":"completed","content":[{"type":"output_text","text":text,"annotations":[]}]})
}

/// Runs effects' bookkeeping for a test: the records written and the items completed, in order.
#[derive(Default)]
struct Log {
    records: Vec<SessionRecord>,
    completed: Vec<ThreadItem>,
}

impl Log {
    fn take(&mut self, out: &[Effect]) -> Vec<Effect> {
        for e in out {
            match e {
                Effect::Persist { record } => self.records.push(record.clone()),
                Effect::Emit {
                    event: ThreadEvent::ItemCompleted { item },
                } => self.completed.push(item.clone()),
                _ => {}
            }
        }
        out.to_vec()
    }
}

fn approval(out: &[Effect]) -> ApprovalRequest {
    out.iter()
        .find_map(|e| match e {
            Effect::RequestApproval { request } => Some(request.clone()),
            _ => None,
        })
        .expect("an approval")
}

fn items(entries: &[ReplayEntry]) -> Vec<ThreadItem> {
    entries
        .iter()
        .filter_map(|e| match e {
            ReplayEntry::Item { item, .. } => Some(item.clone()),
            _ => None,
        })
        .collect()
}

fn users(entries: &[ReplayEntry]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|e| match e {
            ReplayEntry::User { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_replayed_session_shows_what_the_live_one_showed() {
    let mut cfg = config(ApprovalPolicy::Untrusted);
    cfg.agents_md = vec![AgentsMd {
        dir: "/repo".into(),
        contents: "Always run the tests.".into(),
    }];
    let mut s = Session::new(cfg);
    let mut log = Log::default();
    log.take(&s.handle(SessionEvent::UserInput {
        text: "run the tests".into(),
        editor_context: Some(EditorContext {
            active_file: Some("src/a.ts".into()),
            ..Default::default()
        }),
        images: None,
    }));
    let plan = fcall(
        "p1",
        "update_plan",
        json!({"plan":[{"step":"Run tests","status":"in_progress"}]}),
    );
    let run = fcall("c1", "exec_command", json!({"cmd":"npm test"}));
    let out = log.take(&respond(
        &mut s,
        &[msg("m1", "I will run them."), plan, run],
        100,
    ));
    let asked = approval(&out);
    log.take(&s.handle(SessionEvent::ApprovalDecided {
        request_id: asked.request_id.clone(),
        decision: ApprovalDecision::Approved,
        message: None,
    }));
    let long: String = (1..=100).map(|i| format!("line {i}\n")).collect();
    log.take(&s.handle(exited("c1", 0, &long)));
    log.take(&respond(&mut s, &[msg("m2", "All 100 pass.")], 200));

    let entries = replay(&log.records);
    // The person's message once; no AGENTS.md, environment or editor context as their text.
    assert_eq!(users(&entries), ["run the tests"]);
    assert!(matches!(&entries[0], ReplayEntry::User { .. }));
    // The same items in the same order as the live view completed them.
    let shown = items(&entries);
    let ids = |v: &[ThreadItem]| v.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&shown), ids(&log.completed));
    for (replayed, live) in shown.iter().zip(&log.completed) {
        match (&replayed.details, &live.details) {
            (
                ItemDetails::CommandExecution {
                    aggregated_output,
                    exit_code,
                    status,
                    ..
                },
                ItemDetails::CommandExecution {
                    exit_code: e2,
                    status: s2,
                    ..
                },
            ) => {
                assert_eq!((exit_code, status), (e2, s2));
                assert_eq!(*exit_code, Some(0));
                // The output is summarised: its tail, saying what was left out.
                assert!(aggregated_output.starts_with("[60 earlier lines not kept]\nline 61\n"));
                assert!(aggregated_output.ends_with("line 100\n"));
            }
            _ => assert_eq!(replayed, live),
        }
    }
    // The approval sits on its command, with the answer.
    let with_approval: Vec<_> = entries
        .iter()
        .filter_map(|e| match e {
            ReplayEntry::Item { item, approvals } if !approvals.is_empty() => {
                Some((item.id.clone(), approvals.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(with_approval.len(), 1);
    assert_eq!(with_approval[0].0, asked.item_id);
    assert_eq!(with_approval[0].1[0].decision, ApprovalDecision::Approved);
    assert_eq!(with_approval[0].1[0].request, asked);
    // A plan and both answers are there.
    assert!(shown
        .iter()
        .any(|i| matches!(i.details, ItemDetails::TodoList { .. })));
    let texts: Vec<_> = shown
        .iter()
        .filter_map(|i| match &i.details {
            ItemDetails::AgentMessage { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["I will run them.", "All 100 pass."]);
    // The session still restores from a file holding the new records.
    assert!(Session::restore(config(ApprovalPolicy::Untrusted), &log.records).is_ok());
}

#[test]
fn a_denial_with_a_message_a_stop_and_a_retried_failure_replay_faithfully() {
    let mut s = Session::new(config(ApprovalPolicy::Untrusted));
    let mut log = Log::default();
    log.take(&start(&mut s, "clean up"));
    let out = log.take(&respond(
        &mut s,
        &[fcall("c1", "exec_command", json!({"cmd":"rm -rf build"}))],
        100,
    ));
    let asked = approval(&out);
    log.take(&s.handle(SessionEvent::ApprovalDecided {
        request_id: asked.request_id.clone(),
        decision: ApprovalDecision::Denied,
        message: Some("keep build".into()),
    }));
    log.take(&s.handle(SessionEvent::Interrupt));
    // A failing turn, then Retry sends the same message again and it works.
    log.take(&start(&mut s, "say hi"));
    log.take(&s.handle(SessionEvent::ModelFailed {
        message: "HTTP 503".into(),
        retryable: true,
    }));
    log.take(&start(&mut s, "say hi"));
    log.take(&respond(&mut s, &[msg("m1", "hi")], 100));
    // Another failure, not retried, stays.
    log.take(&start(&mut s, "say bye"));
    log.take(&s.handle(SessionEvent::ModelFailed {
        message: "HTTP 401".into(),
        retryable: false,
    }));

    let entries = replay(&log.records);
    assert_eq!(users(&entries), ["clean up", "say hi", "say bye"]);
    let declined = entries
        .iter()
        .find_map(|e| match e {
            ReplayEntry::Item { item, approvals } if !approvals.is_empty() => {
                Some((item, approvals))
            }
            _ => None,
        })
        .expect("the declined command with its question");
    assert!(matches!(
        declined.0.details,
        ItemDetails::CommandExecution {
            status: CommandStatus::Declined,
            ..
        }
    ));
    assert_eq!(declined.1[0].decision, ApprovalDecision::Denied);
    assert_eq!(declined.1[0].message.as_deref(), Some("keep build"));
    assert!(entries.contains(&ReplayEntry::Stopped));
    let failures: Vec<_> = entries
        .iter()
        .filter_map(|e| match e {
            ReplayEntry::Failed { message } => Some(message.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(failures.len(), 1, "{entries:?}");
    assert!(failures[0].contains("401"));
    // No harness text anywhere (the interrupt note is a user message in the history).
    assert!(users(&entries).iter().all(|t| !t.starts_with('<')));
}

#[test]
fn an_older_file_without_shown_items_replays_its_messages() {
    let records = vec![
        SessionRecord::Item {
            item: crate::prompt::user_message("<environment_context>\n</environment_context>"),
        },
        SessionRecord::Item {
            item: json!({"type":"message","role":"user","content":"fix it"}),
        },
        SessionRecord::Item {
            item: msg("m", "Fixed."),
        },
        SessionRecord::TurnEnded {
            status: TurnStatus::Completed,
            usage: Usage::default(),
            error: None,
        },
    ];
    let entries = replay(&records);
    assert_eq!(entries.len(), 2);
    assert_eq!(users(&entries), ["fix it"]);
    assert!(
        matches!(&entries[1], ReplayEntry::Item { item, .. } if item.details == ItemDetails::AgentMessage { text: "Fixed.".into() })
    );
}

#[test]
fn the_output_summary_keeps_the_tail_within_bounds() {
    assert_eq!(output_summary(""), "");
    assert_eq!(output_summary("a\nb\n"), "a\nb\n");
    let long_line = "x".repeat(SUMMARY_MAX_CHARS * 2);
    let s = output_summary(&format!("first\n{long_line}"));
    assert!(s.starts_with("[1 earlier lines and the start of this one not kept]\n"));
    assert!(s.chars().count() < SUMMARY_MAX_CHARS + 100);
    let many: String = (0..1000).map(|i| format!("{i}\n")).collect();
    let s = output_summary(&many);
    assert_eq!(s.lines().count(), SUMMARY_MAX_LINES + 1);
    assert!(s.ends_with("999\n"));
    // Multi-byte text is cut on character boundaries.
    let s = output_summary(&"é".repeat(SUMMARY_MAX_CHARS * 2));
    assert!(s.ends_with('é'));
}
