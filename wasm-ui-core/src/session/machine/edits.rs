//! Edits and review: a parsed patch is applied to the files read, shown as a proposal, applied or
//! reviewed by the person, and the model is told exactly what landed.

use super::*;
use crate::vec_map::{VecMap, VecSet};

pub(super) fn summary_kind(c: &FileChange) -> FileChangeKind {
    match c.kind {
        ChangeKind::Add => FileChangeKind::Add,
        ChangeKind::Delete => FileChangeKind::Delete,
        ChangeKind::Modify => FileChangeKind::Update,
    }
}

pub(super) fn change_letter(c: &FileChange) -> (&'static str, &str) {
    match c.kind {
        ChangeKind::Add => ("A", &c.path),
        ChangeKind::Delete => ("D", &c.path),
        ChangeKind::Modify => ("M", c.move_path.as_deref().unwrap_or(&c.path)),
    }
}

pub(super) fn success_text(changes: &[FileChange]) -> String {
    let mut s = String::from("Success. Updated the following files:\n");
    for c in changes {
        let (l, p) = change_letter(c);
        s += &format!("{l} {p}\n");
    }
    s
}

impl Session {
    /// What the policy makes of an edit in this session: refused, applied, or reviewed.
    pub(super) fn edit_decision(&self) -> Decision {
        approval::decide(
            self.cfg.approval_policy,
            approval::SandboxFacts::of(&self.cfg),
            &approval::CallFacts::Edit,
            approval::Grants::default(),
        )
    }

    pub(super) fn patch_output(&self, via_exec: bool, text: &str, exit_code: i32) -> String {
        if via_exec {
            let seed = format!("patch:{text}");
            match self.family {
                ToolFamily::Codex => tools::format_exec_output(
                    &seed,
                    0,
                    ExecState::Exited(exit_code),
                    text,
                    tools::DEFAULT_MAX_OUTPUT_TOKENS,
                ),
                ToolFamily::Generic => tools::format_shell_output(exit_code, 0, text, false),
            }
        } else {
            text.to_string()
        }
    }

    pub(super) fn on_files_read(&mut self, call_id: &str, files: FileMap, out: &mut Vec<Effect>) {
        let Some(idx) = self.call_index(call_id) else {
            return;
        };
        let call = self.turn.as_ref().unwrap().calls[idx].clone();
        let (Some(Waiting::Files(parsed)), Action::Patch { via_exec, .. }) =
            (call.waiting, call.action)
        else {
            return;
        };
        let changes = match patch::apply(&parsed, &files) {
            Ok(c) => c,
            Err(e) => {
                let msg = self.patch_output(
                    via_exec,
                    &format!("apply_patch verification failed: {e}"),
                    1,
                );
                self.finish_call(idx, msg);
                return;
            }
        };
        let diffs: Vec<_> = changes
            .iter()
            .map(|c| {
                diff::diff_texts(
                    c.original.as_deref().unwrap_or(""),
                    c.new_contents.as_deref().unwrap_or(""),
                )
            })
            .collect();
        let id = self.new_item_id();
        self.call(idx).item_id = Some(id.clone());
        self.call(idx).diffs = diffs.clone();
        self.call(idx).diffs = diffs.clone();
        started(
            out,
            &id,
            items::file_change(&changes, FileChangeStatus::Pending, diffs.clone(), vec![]),
        );
        if self.edit_decision() == Decision::Apply {
            self.call(idx).waiting = Some(Waiting::Apply(changes.clone()));
            out.push(Effect::ApplyChanges {
                call_id: call_id.to_string(),
                changes,
            });
        } else {
            let files = changes
                .iter()
                .cloned()
                .zip(diffs)
                .map(|(change, diff)| ProposedFile { change, diff })
                .collect();
            self.call(idx).waiting = Some(Waiting::Review(changes));
            out.push(Effect::ReviewChanges {
                call_id: call_id.to_string(),
                proposal: ChangeProposal {
                    call_id: call_id.to_string(),
                    item_id: id,
                    files,
                },
            });
        }
    }

    pub(super) fn on_changes_applied(
        &mut self,
        call_id: &str,
        error: Option<String>,
        out: &mut Vec<Effect>,
    ) {
        let Some(idx) = self.call_index(call_id) else {
            return;
        };
        let call = self.turn.as_ref().unwrap().calls[idx].clone();
        let (Some(Waiting::Apply(changes)), Action::Patch { via_exec, .. }) =
            (call.waiting, call.action)
        else {
            return;
        };
        let item_id = call.item_id.unwrap_or_default();
        let (status, text, code) = match error {
            None => (FileChangeStatus::Completed, success_text(&changes), 0),
            Some(e) => (
                FileChangeStatus::Failed,
                format!("apply_patch failed: {e}. No files were changed."),
                1,
            ),
        };
        completed(
            out,
            &item_id,
            items::file_change(&changes, status, call.diffs.clone(), vec![]),
        );
        let text = self.patch_output(via_exec, &text, code);
        self.finish_call(idx, text);
    }

    pub(super) fn on_changes_reviewed(
        &mut self,
        call_id: &str,
        review: ChangeReview,
        out: &mut Vec<Effect>,
    ) {
        let Some(idx) = self.call_index(call_id) else {
            return;
        };
        let call = self.turn.as_ref().unwrap().calls[idx].clone();
        let (Some(Waiting::Review(changes)), Action::Patch { via_exec, .. }) =
            (call.waiting, call.action)
        else {
            return;
        };
        let (status, text) = review_text(&changes, &review);
        let item_id = call.item_id.unwrap_or_default();
        completed(
            out,
            &item_id,
            items::file_change(
                &changes,
                status,
                call.diffs.clone(),
                hunk_states(&changes, &call.diffs, &review),
            ),
        );
        let code = if status == FileChangeStatus::Completed {
            0
        } else {
            1
        };
        let text = self.patch_output(via_exec, &text, code);
        self.finish_call(idx, text);
    }
}

pub(super) fn summaries(changes: &[FileChange]) -> Vec<FileChangeSummary> {
    changes
        .iter()
        .map(|c| FileChangeSummary {
            path: c.path.clone(),
            kind: summary_kind(c),
            move_path: c.move_path.clone(),
        })
        .collect()
}

/// Each file's hunks with the person's decision (a file without a review outcome was rejected). An
/// accepted hunk of which not every line landed as proposed (the person took some of its lines, or
/// edited the proposal before accepting) is `Partial`, so the card, live or reopened from the
/// session file, says "partly accepted" rather than claiming the model's text landed.
pub(super) fn hunk_states(
    changes: &[FileChange],
    diffs: &[diff::FileDiff],
    review: &ChangeReview,
) -> Vec<VecMap<String, HunkState>> {
    changes
        .iter()
        .zip(diffs)
        .map(|(c, d)| {
            let file = review
                .files
                .iter()
                .find(|f| f.path == c.path || Some(&f.path) == c.move_path.as_ref());
            let partly = match file.and_then(|f| f.landed.as_deref()) {
                Some(landed) => partly_landed(c, d, landed),
                None => VecSet::new(),
            };
            let mut states = VecMap::new();
            states.extend(d.hunk_ids.iter().map(|id| {
                let accepted = match file.map(|f| &f.outcome) {
                    Some(FileReviewOutcome::Accepted) => true,
                    Some(FileReviewOutcome::Partial { accepted_hunk_ids }) => {
                        accepted_hunk_ids.contains(id)
                    }
                    _ => false,
                };
                let state = match (accepted, partly.contains(id)) {
                    (true, true) => HunkState::Partial,
                    (true, false) => HunkState::Accepted,
                    (false, _) => HunkState::Rejected,
                };
                (id.clone(), state)
            }));
            states
        })
        .collect()
}

/// The hunks of `d` (original -> proposal) that did not land whole in `landed`: some of the lines
/// they remove are still there, or some of the lines they add are not.
fn partly_landed(c: &FileChange, d: &diff::FileDiff, landed: &str) -> VecSet<String> {
    let original = c.original.as_deref().unwrap_or("");
    let proposed = c.new_contents.as_deref().unwrap_or("");
    // 1-based line numbers of `from` that a diff to `to` changes.
    let changed = |from: &str, to: &str| -> VecSet<u32> {
        // The line-level diff alone: no rows are needed here.
        let d = diff::LineLevel::new(from.as_bytes(), to.as_bytes());
        let mut lines = VecSet::new();
        lines.extend((0..d.hunk_count()).flat_map(|i| {
            let (old_start, old_lines, _, _) = d.hunk_numbers(i);
            old_start..old_start + old_lines
        }));
        lines
    };
    let gone = changed(original, landed);
    let missing = changed(proposed, landed);
    let mut partly = VecSet::new();
    partly.extend(
        d.hunks
            .iter()
            .filter(|h| {
                let removed_all =
                    (h.old_start..h.old_start + h.old_lines).all(|l| gone.contains(&l));
                let added_all =
                    (h.new_start..h.new_start + h.new_lines).all(|l| !missing.contains(&l));
                !(removed_all && added_all)
            })
            .map(|h| h.id.clone()),
    );
    partly
}

/// At most this much of a diff between the proposal and what landed goes to the model.
pub(super) const LANDED_DIFF_MAX: usize = 16 * 1024;

/// What the model is told after the person reviewed a patch: exactly which files and hunks landed,
/// how what landed differs from the proposal where the person changed it, and their reason.
pub fn review_text(changes: &[FileChange], review: &ChangeReview) -> (FileChangeStatus, String) {
    let (status, mut s) = decisions_text(changes, review);
    for c in changes {
        let Some(f) = review
            .files
            .iter()
            .find(|f| f.path == c.path || Some(&f.path) == c.move_path.as_ref())
        else {
            continue;
        };
        let Some(landed) = &f.landed else { continue };
        if matches!(
            f.outcome,
            FileReviewOutcome::Rejected | FileReviewOutcome::Failed { .. }
        ) {
            continue;
        }
        let proposed = c.new_contents.as_deref().unwrap_or("");
        let d = diff::diff_texts(proposed, landed);
        if d.unified.is_empty() {
            continue;
        }
        let (_, path) = change_letter(c);
        let mut unified = d.unified;
        if unified.len() > LANDED_DIFF_MAX {
            let mut cut = LANDED_DIFF_MAX;
            while !unified.is_char_boundary(cut) {
                cut -= 1;
            }
            unified.truncate(cut);
            unified += "\n[... diff cut; read the file]\n";
        }
        s += &format!(
            "The user changed your proposal for {path} before it landed; the file now differs from what you proposed by this diff (--- your proposal, +++ what landed):\n--- a/{path}\n+++ b/{path}\n{unified}"
        );
    }
    if let Some(reason) = review
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        s += &format!("The user's reason: {reason}\n");
    }
    (status, s)
}

pub(super) fn decisions_text(
    changes: &[FileChange],
    review: &ChangeReview,
) -> (FileChangeStatus, String) {
    let mut applied = vec![];
    let mut rejected = vec![];
    let mut partial = vec![];
    let mut failed = vec![];
    for c in changes {
        let (letter, path) = change_letter(c);
        let outcome = review
            .files
            .iter()
            .find(|f| f.path == c.path || Some(&f.path) == c.move_path.as_ref());
        match outcome.map(|f| &f.outcome) {
            Some(FileReviewOutcome::Accepted) => applied.push(format!("{letter} {path}")),
            Some(FileReviewOutcome::Partial { accepted_hunk_ids }) => {
                let total = diff::LineLevel::new(
                    c.original.as_deref().unwrap_or("").as_bytes(),
                    c.new_contents.as_deref().unwrap_or("").as_bytes(),
                )
                .hunk_count();
                partial.push(format!(
                    "{path} ({} of {total} hunks applied)",
                    accepted_hunk_ids.len()
                ));
            }
            Some(FileReviewOutcome::Failed { message }) => {
                failed.push(format!("{path}: {message}"))
            }
            Some(FileReviewOutcome::Rejected) | None => rejected.push(path.to_string()),
        }
    }
    if rejected.is_empty() && partial.is_empty() && failed.is_empty() {
        return (FileChangeStatus::Completed, success_text(changes));
    }
    let status = if applied.is_empty() && partial.is_empty() {
        if failed.is_empty() {
            FileChangeStatus::Declined
        } else {
            FileChangeStatus::Failed
        }
    } else {
        FileChangeStatus::PartiallyApplied
    };
    let mut s = String::from("The user reviewed the patch; only part of it was applied.\n");
    if status == FileChangeStatus::Declined {
        s = String::from("The user rejected the patch; no files were changed.\n");
    }
    if !applied.is_empty() {
        s += &format!("Applied:\n{}\n", applied.join("\n"));
    }
    if !partial.is_empty() {
        s += &format!(
            "Partially applied (the other hunks were rejected; read these files again before editing them):\n{}\n",
            partial.join("\n")
        );
    }
    if !rejected.is_empty() && status != FileChangeStatus::Declined {
        s += &format!(
            "Rejected by the user (unchanged):\n{}\n",
            rejected.join("\n")
        );
    }
    if !failed.is_empty() {
        s += &format!("Could not be written (unchanged):\n{}\n", failed.join("\n"));
    }
    (status, s)
}
