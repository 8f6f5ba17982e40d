//! The review of proposed edits: what the file_change item keeps after the decision, and what the
//! model is told.

use super::tests::*;
use super::*;
use crate::patch::{FileChange, FileState};
use serde_json::{json, Value};

fn patch_call(id: &str, patch: &str) -> Value {
    json!({"type":"custom_tool_call","id":"ctc","call_id":id,"name":"apply_patch","input":patch,"status":"completed"})
}

/// Two hunks in `a.txt` (lines 1 and 5) and one new file.
const PATCH: &str = "*** Begin Patch\n*** Add File: new.txt\n+hello\n*** Update File: a.txt\n@@\n-one\n+ONE\n@@\n-five\n+FIVE\n*** End Patch\n";

fn files() -> crate::patch::FileMap {
    let mut m = crate::patch::FileMap::new();
    m.insert("new.txt".into(), FileState::Missing);
    m.insert(
        "a.txt".into(),
        FileState::Text {
            contents: "one\ntwo\nthree\nfour\nfive\n".into(),
        },
    );
    m
}

/// Starts a turn whose model proposes PATCH; returns the proposal.
fn propose(s: &mut Session) -> ChangeProposal {
    start(s, "edit");
    respond(s, &[patch_call("p1", PATCH)], 100);
    let out = s.handle(SessionEvent::FilesRead {
        call_id: "p1".into(),
        files: files(),
    });
    out.into_iter()
        .find_map(|e| match e {
            Effect::ReviewChanges { proposal, .. } => Some(proposal),
            _ => None,
        })
        .expect("a review")
}

fn completed_file_change(
    out: &[Effect],
) -> (
    FileChangeStatus,
    Vec<diff::FileDiff>,
    Vec<crate::vec_map::VecMap<String, HunkState>>,
) {
    events(out)
        .into_iter()
        .find_map(|e| match e {
            ThreadEvent::ItemCompleted { item } => match item.details {
                ItemDetails::FileChange {
                    status,
                    diffs,
                    hunk_states,
                    ..
                } => Some((status, diffs, hunk_states)),
                _ => None,
            },
            _ => None,
        })
        .expect("a completed file_change item")
}

use crate::diff;

#[test]
fn the_completed_item_keeps_its_diffs_and_each_hunks_decision() {
    let mut s = Session::new(config(ApprovalPolicy::OnRequest));
    let proposal = propose(&mut s);
    let a = &proposal.files[1];
    assert_eq!(a.change.path, "a.txt");
    assert_eq!(a.diff.hunk_ids.len(), 2);
    let first = a.diff.hunk_ids[0].clone();
    let second = a.diff.hunk_ids[1].clone();
    let out = s.handle(SessionEvent::ChangesReviewed {
        call_id: "p1".into(),
        review: ChangeReview {
            files: vec![
                FileReview {
                    path: "new.txt".into(),
                    outcome: FileReviewOutcome::Rejected,
                    landed: None,
                },
                FileReview {
                    path: "a.txt".into(),
                    outcome: FileReviewOutcome::Partial {
                        accepted_hunk_ids: vec![first.clone()],
                    },
                    landed: None,
                },
            ],
            reason: None,
        },
    });
    let (status, diffs, states) = completed_file_change(&out);
    assert_eq!(status, FileChangeStatus::PartiallyApplied);
    // The same diffs the proposal showed, still there after the decision.
    assert_eq!(
        diffs,
        proposal
            .files
            .iter()
            .map(|f| f.diff.clone())
            .collect::<Vec<_>>()
    );
    assert!(diffs[1].unified.contains("+ONE"));
    assert_eq!(states.len(), 2);
    assert!(states[0].values().all(|s| *s == HunkState::Rejected));
    assert_eq!(states[1][&first], HunkState::Accepted);
    assert_eq!(states[1][&second], HunkState::Rejected);
    // The shape the UI and the session history read.
    let json = serde_json::to_value(events(&out)).unwrap();
    let text = json.to_string();
    assert!(text.contains("\"hunk_states\""), "{text}");
    assert!(text.contains("\"accepted\""), "{text}");
}

#[test]
fn a_pending_edit_stopped_by_the_person_keeps_its_diff_all_withdrawn() {
    let mut s = Session::new(config(ApprovalPolicy::OnRequest));
    let proposal = propose(&mut s);
    let out = s.handle(SessionEvent::Interrupt);
    let (status, diffs, states) = completed_file_change(&out);
    assert_eq!(status, FileChangeStatus::Declined);
    assert_eq!(diffs.len(), proposal.files.len());
    assert_eq!(states.len(), proposal.files.len());
    assert!(states
        .iter()
        .flat_map(|m| m.values())
        .all(|s| *s == HunkState::Rejected));
}

#[test]
fn a_pending_item_has_no_decisions_yet() {
    let mut s = Session::new(config(ApprovalPolicy::OnRequest));
    start(&mut s, "edit");
    respond(&mut s, &[patch_call("p1", PATCH)], 100);
    let out = s.handle(SessionEvent::FilesRead {
        call_id: "p1".into(),
        files: files(),
    });
    let started = events(&out)
        .into_iter()
        .find_map(|e| match e {
            ThreadEvent::ItemStarted { item } => Some(item),
            _ => None,
        })
        .unwrap();
    let json = serde_json::to_value(&started).unwrap();
    assert!(json.get("hunk_states").is_none(), "{json}");
    assert_eq!(json["diffs"].as_array().unwrap().len(), 2);
}

#[test]
fn the_model_is_told_how_what_landed_differs_and_why() {
    let mut s = Session::new(config(ApprovalPolicy::OnRequest));
    let proposal = propose(&mut s);
    let first = proposal.files[1].diff.hunk_ids[0].clone();
    // The person took the first change but wrote "One" instead of "ONE", and left out the second.
    let out = s.handle(SessionEvent::ChangesReviewed {
        call_id: "p1".into(),
        review: ChangeReview {
            files: vec![
                FileReview {
                    path: "new.txt".into(),
                    outcome: FileReviewOutcome::Accepted,
                    landed: Some("hello\n".into()),
                },
                FileReview {
                    path: "a.txt".into(),
                    outcome: FileReviewOutcome::Partial {
                        accepted_hunk_ids: vec![first],
                    },
                    landed: Some("One\ntwo\nthree\nfour\nfive\n".into()),
                },
            ],
            reason: Some("  keep five lowercase  ".into()),
        },
    });
    let text = outputs(&requests(&out)[0])[0].1.clone();
    assert!(text.contains("Partially applied"), "{text}");
    assert!(
        text.contains("The user changed your proposal for a.txt"),
        "{text}"
    );
    assert!(text.contains("-ONE\n+One\n"), "{text}");
    assert!(text.contains("-FIVE\n+five\n"), "{text}");
    // A file that landed as proposed gets no diff.
    assert!(!text.contains("proposal for new.txt"), "{text}");
    assert!(
        text.contains("The user's reason: keep five lowercase\n"),
        "{text}"
    );
}

#[test]
fn a_landed_diff_is_bounded() {
    let big: String = (0..5000).map(|i| format!("line {i}\n")).collect();
    let changes = vec![FileChange {
        path: "a.txt".into(),
        kind: crate::patch::ChangeKind::Modify,
        move_path: None,
        original: Some("x\n".into()),
        new_contents: Some("y\n".into()),
    }];
    let review = ChangeReview {
        files: vec![FileReview {
            path: "a.txt".into(),
            outcome: FileReviewOutcome::Accepted,
            landed: Some(big),
        }],
        reason: None,
    };
    let (_, text) = review_text(&changes, &review);
    assert!(text.len() < 20 * 1024, "{}", text.len());
    assert!(text.contains("[... diff cut; read the file]"));
}

#[test]
fn an_accepted_hunk_that_did_not_land_whole_is_recorded_as_partly_accepted() {
    let mut s = Session::new(config(ApprovalPolicy::OnRequest));
    let proposal = propose(&mut s);
    let first = proposal.files[1].diff.hunk_ids[0].clone();
    let second = proposal.files[1].diff.hunk_ids[1].clone();
    // Both hunks accepted; the person edited the first ("One", not "ONE") before accepting. The
    // new file landed exactly as proposed, though the host sent its text.
    let out = s.handle(SessionEvent::ChangesReviewed {
        call_id: "p1".into(),
        review: ChangeReview {
            files: vec![
                FileReview {
                    path: "new.txt".into(),
                    outcome: FileReviewOutcome::Accepted,
                    landed: Some("hello\n".into()),
                },
                FileReview {
                    path: "a.txt".into(),
                    outcome: FileReviewOutcome::Accepted,
                    landed: Some("One\ntwo\nthree\nfour\nFIVE\n".into()),
                },
            ],
            reason: None,
        },
    });
    let (_, _, states) = completed_file_change(&out);
    assert!(states[0].values().all(|s| *s == HunkState::Accepted));
    assert_eq!(states[1][&first], HunkState::Partial);
    assert_eq!(states[1][&second], HunkState::Accepted);
    // What the session file keeps, so a reopened session shows the same.
    let persisted = out
        .iter()
        .filter_map(|e| match e {
            Effect::Persist { record } => Some(serde_json::to_string(record).unwrap()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(persisted.contains("\"partial\""), "{persisted}");
}

#[test]
fn some_lines_of_a_hunk_taken_make_it_partial_and_a_rejected_hunk_stays_rejected() {
    let mut s = Session::new(config(ApprovalPolicy::OnRequest));
    start(&mut s, "edit");
    let patch = "*** Begin Patch\n*** Update File: a.txt\n@@\n-one\n-two\n+ONE\n+TWO\n@@\n-five\n+FIVE\n*** End Patch\n";
    respond(&mut s, &[patch_call("p1", patch)], 100);
    let mut files = crate::patch::FileMap::new();
    files.insert(
        "a.txt".into(),
        FileState::Text {
            contents: "one\ntwo\nthree\nfour\nfive\n".into(),
        },
    );
    let out = s.handle(SessionEvent::FilesRead {
        call_id: "p1".into(),
        files,
    });
    let proposal = out
        .into_iter()
        .find_map(|e| match e {
            Effect::ReviewChanges { proposal, .. } => Some(proposal),
            _ => None,
        })
        .expect("a review");
    let ids = proposal.files[0].diff.hunk_ids.clone();
    assert_eq!(ids.len(), 2);
    // Of the first hunk only "one" -> "ONE" was taken; the second hunk was rejected.
    let out = s.handle(SessionEvent::ChangesReviewed {
        call_id: "p1".into(),
        review: ChangeReview {
            files: vec![FileReview {
                path: "a.txt".into(),
                outcome: FileReviewOutcome::Partial {
                    accepted_hunk_ids: vec![ids[0].clone()],
                },
                landed: Some("ONE\ntwo\nthree\nfour\nfive\n".into()),
            }],
            reason: None,
        },
    });
    let (_, _, states) = completed_file_change(&out);
    assert_eq!(states[0][&ids[0]], HunkState::Partial);
    assert_eq!(states[0][&ids[1]], HunkState::Rejected);
}
