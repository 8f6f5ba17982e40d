//! `SessionEvent::Rewind`: the history is cut to just before a typed message, the next request
//! is that history plus the new message, the cut is recorded and survives a restore and a replay.

use super::replay::{replay, ReplayEntry};
use super::tests::{config, events, exited, fcall, requests, respond, start};
use super::*;
use serde_json::{json, Value};

fn answer(text: &str) -> Value {
    json!({"type":"message","id":"msg_a","role":"assistant","status":"completed","content":[{"type":"output_text","text":text,"annotations":[]}]})
}

/// Keeps what a session writes to its file.
#[derive(Default)]
struct File(Vec<SessionRecord>);

impl File {
    fn keep(&mut self, out: Vec<Effect>) -> Vec<Effect> {
        for e in &out {
            if let Effect::Persist { record } = e {
                self.0.push(record.clone());
            }
        }
        out
    }
}

fn with_context(s: &mut Session, text: &str) -> Vec<Effect> {
    s.handle(SessionEvent::UserInput {
        text: text.into(),
        editor_context: Some(EditorContext {
            active_file: Some("src/a.rs".into()),
            ..Default::default()
        }),
        images: None,
    })
}

fn rewind(s: &mut Session, n: u32) -> Vec<Effect> {
    s.handle(SessionEvent::Rewind { to_user_message: n })
}

fn errors(out: &[Effect]) -> Vec<String> {
    events(out)
        .into_iter()
        .filter_map(|e| match e {
            ThreadEvent::ItemCompleted {
                item:
                    ThreadItem {
                        details: ItemDetails::Error { message },
                        ..
                    },
            } => Some(message),
            _ => None,
        })
        .collect()
}

/// Two turns: "first" (a command, then an answer) and "second" (with editor context, answered).
fn two_turns(file: &mut File) -> (Session, Vec<Value>) {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    file.keep(start(&mut s, "first"));
    file.keep(respond(
        &mut s,
        &[fcall("c1", "exec_command", json!({"cmd":"touch x"}))],
        100,
    ));
    file.keep(s.handle(exited("c1", 0, "")));
    file.keep(respond(&mut s, &[answer("made x")], 120));
    let after_first = s.history().to_vec();
    file.keep(with_context(&mut s, "second"));
    file.keep(respond(&mut s, &[answer("done second")], 150));
    (s, after_first)
}

#[test]
fn rewinding_cuts_the_history_and_the_next_request_appends_only_the_new_message() {
    let mut file = File::default();
    let (mut s, after_first) = two_turns(&mut file);
    assert_eq!(s.typed_messages(), 2);
    let out = file.keep(rewind(&mut s, 1));
    // The editor context sent with "second" goes with it.
    assert_eq!(s.history(), after_first.as_slice());
    assert!(events(&out).contains(&ThreadEvent::ConversationRewound {
        to_user_message: 1,
        text: "second".into()
    }));
    assert!(out.contains(&Effect::Persist {
        record: SessionRecord::Rewind { to_user_message: 1 }
    }));
    assert!(
        requests(&out).is_empty(),
        "a rewind sends nothing by itself"
    );
    // The next request is exactly the kept history plus the new message: the body a session
    // that never had the second turn sends.
    let next = requests(&file.keep(start(&mut s, "second, better")))[0].clone();
    let mut control = Session::new(config(ApprovalPolicy::Never));
    start(&mut control, "first");
    respond(
        &mut control,
        &[fcall("c1", "exec_command", json!({"cmd":"touch x"}))],
        100,
    );
    control.handle(exited("c1", 0, ""));
    respond(&mut control, &[answer("made x")], 120);
    let expected = requests(&start(&mut control, "second, better"))[0].clone();
    assert_eq!(next, expected);
    let input = next["input"].as_array().unwrap();
    assert_eq!(&input[..after_first.len()], after_first.as_slice());
    assert_eq!(input.len(), after_first.len() + 1);
    assert!(!next.to_string().contains("done second"));
    // The numbering goes on from the cut: the new message is number 1.
    assert_eq!(s.typed_messages(), 2);
}

#[test]
fn rewinding_to_the_first_message_leaves_only_the_initial_context() {
    let mut file = File::default();
    let (mut s, _) = two_turns(&mut file);
    let initial = Session::new(config(ApprovalPolicy::Never))
        .history()
        .to_vec();
    rewind(&mut s, 0);
    assert_eq!(s.history(), initial.as_slice());
    assert_eq!(s.typed_messages(), 0);
}

#[test]
fn a_rewind_is_refused_while_a_turn_runs_and_for_an_unknown_message() {
    let mut file = File::default();
    let (mut s, _) = two_turns(&mut file);
    file.keep(start(&mut s, "third"));
    let before = s.history().to_vec();
    let out = rewind(&mut s, 0);
    assert!(errors(&out)[0].contains("while a turn is running"));
    assert_eq!(s.history(), before.as_slice());
    assert!(!out.iter().any(|e| matches!(
        e,
        Effect::Persist {
            record: SessionRecord::Rewind { .. }
        }
    )));
    assert!(s.is_turn_running(), "the refusal leaves the turn alone");
    respond(&mut s, &[answer("ok")], 100);
    let out = rewind(&mut s, 7);
    assert!(errors(&out)[0].contains("3 message(s) from you"), "{out:?}");
    assert_eq!(s.typed_messages(), 3);
}

#[test]
fn messages_before_a_compaction_cannot_be_rewound_to_later_ones_can() {
    let mut cfg = config(ApprovalPolicy::Never);
    cfg.context_window = Some(1000);
    let mut s = Session::new(cfg);
    start(&mut s, "old task");
    respond(
        &mut s,
        &[fcall("c1", "exec_command", json!({"cmd":"ls"}))],
        940,
    );
    s.handle(exited("c1", 0, "a\n"));
    respond(&mut s, &[answer("SUMMARY: listed a")], 100);
    respond(&mut s, &[answer("done")], 100);
    start(&mut s, "new task");
    respond(&mut s, &[answer("done new")], 100);
    let out = rewind(&mut s, 0);
    assert!(errors(&out)[0].contains("compacted"), "{out:?}");
    let compacted_len = s.history().len();
    let out = rewind(&mut s, 1);
    assert!(errors(&out).is_empty());
    // Cut right before "new task": the compacted history, minus that turn's two items.
    assert_eq!(s.history().len(), compacted_len - 2);
    let kept = serde_json::to_string(s.history()).unwrap();
    assert!(kept.contains("SUMMARY: listed a"));
    assert!(!kept.contains("new task") && !kept.contains("done new"));
}

#[test]
fn a_restored_session_keeps_the_rewind_and_continues_identically() {
    let mut file = File::default();
    let (mut s, _) = two_turns(&mut file);
    file.keep(rewind(&mut s, 1));
    let mut restored = Session::restore(config(ApprovalPolicy::Never), &file.0).unwrap();
    assert_eq!(restored.history(), s.history());
    assert_eq!(restored.typed_messages(), 1);
    let a = requests(&start(&mut restored, "again"))[0].clone();
    let b = requests(&start(&mut s, "again"))[0].clone();
    assert_eq!(a, b);
    // A rewind to a message the file does not have is a broken file, said so.
    let mut broken = file.0.clone();
    broken.push(SessionRecord::Rewind { to_user_message: 9 });
    let err = Session::restore(config(ApprovalPolicy::Never), &broken)
        .err()
        .unwrap();
    assert!(err.contains("Cannot rewind to message 10"), "{err}");
}

#[test]
fn the_replay_drops_what_was_rewound_and_offers_checkpoints_on_messages() {
    let mut file = File::default();
    let mut s = Session::new(config(ApprovalPolicy::Never));
    file.keep(start(&mut s, "first"));
    file.0.push(SessionRecord::Checkpoint {
        id: "1-aaaaaa".into(),
    });
    file.keep(respond(&mut s, &[answer("one")], 100));
    file.keep(start(&mut s, "second"));
    file.0.push(SessionRecord::Checkpoint {
        id: "2-bbbbbb".into(),
    });
    file.keep(respond(&mut s, &[answer("two")], 100));
    let entries = replay(&file.0);
    let users: Vec<_> = entries
        .iter()
        .filter_map(|e| match e {
            ReplayEntry::User {
                text,
                index,
                checkpoint,
            } => Some((text.as_str(), *index, checkpoint.as_deref())),
            _ => None,
        })
        .collect();
    assert_eq!(
        users,
        vec![
            ("first", 0, Some("1-aaaaaa")),
            ("second", 1, Some("2-bbbbbb"))
        ]
    );
    file.keep(rewind(&mut s, 1));
    file.keep(start(&mut s, "second, better"));
    file.keep(respond(&mut s, &[answer("better")], 100));
    let entries = replay(&file.0);
    let texts: Vec<String> = entries
        .iter()
        .map(|e| match e {
            ReplayEntry::User { text, index, .. } => format!("user {index}: {text}"),
            ReplayEntry::Item { item, .. } => match &item.details {
                ItemDetails::AgentMessage { text } => format!("agent: {text}"),
                other => format!("{other:?}"),
            },
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        texts,
        vec![
            "user 0: first",
            "agent: one",
            "user 1: second, better",
            "agent: better"
        ]
    );
}

fn user_entries(entries: &[ReplayEntry]) -> Vec<(String, u32, Option<String>)> {
    entries
        .iter()
        .filter_map(|e| match e {
            ReplayEntry::User {
                text,
                index,
                checkpoint,
            } => Some((text.clone(), *index, checkpoint.clone())),
            _ => None,
        })
        .collect()
}

/// A message whose turn failed, sent again by Retry (twice), whose retried turn recorded the
/// checkpoint: the live session and the replay give its entry the same number (the first send's),
/// and rewinding to it drops every send.
#[test]
fn a_retried_message_has_one_number_live_and_in_the_replay() {
    let mut file = File::default();
    let mut s = Session::new(config(ApprovalPolicy::Never));
    assert_eq!(s.last_message_entry(), None);
    file.keep(start(&mut s, "first"));
    file.keep(respond(&mut s, &[answer("one")], 100));
    let after_first = s.history().to_vec();
    assert_eq!(s.last_message_entry(), Some(0));
    for _ in 0..2 {
        file.keep(start(&mut s, "make x"));
        file.keep(s.handle(SessionEvent::ModelFailed {
            message: "HTTP 503".into(),
            retryable: true,
        }));
        assert_eq!(s.last_message_entry(), Some(1));
    }
    // Retry: the third send of "make x" (typed message 3) is shown as entry 1.
    file.keep(start(&mut s, "make x"));
    assert_eq!(s.typed_messages(), 4);
    assert_eq!(s.last_message_entry(), Some(1), "live: the Retry's entry");
    file.0.push(SessionRecord::Checkpoint {
        id: "1-cccccc".into(),
    });
    file.keep(respond(&mut s, &[answer("made x")], 100));
    // A new message that happens to repeat it after a success is a message of its own.
    file.keep(start(&mut s, "make x"));
    assert_eq!(s.last_message_entry(), Some(4));
    file.keep(respond(&mut s, &[answer("again")], 100));

    let users = user_entries(&replay(&file.0));
    assert_eq!(
        users,
        vec![
            ("first".to_string(), 0, None),
            ("make x".to_string(), 1, Some("1-cccccc".to_string())),
            ("make x".to_string(), 4, None),
        ],
        "the replay numbers the entry as the live session did"
    );
    // A restored session numbers it the same way.
    let restored = Session::restore(config(ApprovalPolicy::Never), &file.0).unwrap();
    assert_eq!(restored.last_message_entry(), Some(4));

    // Rewinding to the entry's number drops the failed sends and the Retry alike.
    let out = file.keep(rewind(&mut s, 1));
    assert!(errors(&out).is_empty(), "{out:?}");
    assert_eq!(s.history(), after_first.as_slice());
    assert_eq!(s.last_message_entry(), Some(0));
    let users = user_entries(&replay(&file.0));
    assert_eq!(users, vec![("first".to_string(), 0, None)]);
}

/// A session file that ends with a failed turn (the host records the failure when the core trapped,
/// then restores the session): the Retry after the restore gets the failed message's number too.
#[test]
fn a_restored_session_remembers_the_failed_turn_for_retry() {
    let mut file = File::default();
    let mut s = Session::new(config(ApprovalPolicy::Never));
    file.keep(start(&mut s, "make x"));
    file.0.push(SessionRecord::TurnEnded {
        status: TurnStatus::Failed,
        usage: Usage::default(),
        error: Some("the core failed".into()),
    });
    let mut s = Session::restore(config(ApprovalPolicy::Never), &file.0).unwrap();
    file.keep(start(&mut s, "make x"));
    assert_eq!(s.last_message_entry(), Some(0));
    file.0.push(SessionRecord::Checkpoint {
        id: "1-dddddd".into(),
    });
    let users = user_entries(&replay(&file.0));
    assert_eq!(
        users,
        vec![("make x".to_string(), 0, Some("1-dddddd".to_string()))]
    );
}

/// A "Files only" restore is recorded; the replay shows its notice where it happened, and a rewind
/// to before it takes it away with the rest. `Session::restore` ignores it.
#[test]
fn a_files_restored_record_replays_as_its_notice() {
    let mut file = File::default();
    let (mut s, _) = two_turns(&mut file);
    let history = s.history().to_vec();
    file.0.push(SessionRecord::FilesRestored {
        checkpoint: "2-bbbbbb".into(),
        text: "Restored checkpoint (1 file).".into(),
    });
    let restored = Session::restore(config(ApprovalPolicy::Never), &file.0).unwrap();
    assert_eq!(restored.history(), history.as_slice());
    assert_eq!(restored.typed_messages(), 2);
    let entries = replay(&file.0);
    assert_eq!(
        entries.last(),
        Some(&ReplayEntry::Notice {
            text: "Restored checkpoint (1 file).".into()
        })
    );
    // The record's JSON shape (what the host appends).
    assert_eq!(
        serde_json::to_value(&file.0[file.0.len() - 1]).unwrap(),
        json!({"type":"filesRestored","checkpoint":"2-bbbbbb","text":"Restored checkpoint (1 file)."})
    );
    // The conversation continues; a later rewind to message 1 removes the notice with it.
    file.keep(start(&mut s, "third"));
    file.keep(respond(&mut s, &[answer("three")], 100));
    assert!(replay(&file.0)
        .iter()
        .any(|e| matches!(e, ReplayEntry::Notice { .. })));
    file.keep(rewind(&mut s, 1));
    let entries = replay(&file.0);
    assert!(!entries
        .iter()
        .any(|e| matches!(e, ReplayEntry::Notice { .. })));
    assert_eq!(user_entries(&entries).len(), 1);
}
