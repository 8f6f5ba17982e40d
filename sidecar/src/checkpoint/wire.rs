//! The checkpoint methods' shapes (`checkpoint/*`), exported to TypeScript like protocol.rs's.
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where a workspace's checkpoints live and which workspace: every checkpoint method takes these.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct CheckpointCreateParams {
    /// Absolute: Tack's checkpoint directory (`$TACK_HOME/checkpoints`). Each workspace gets its own
    /// subdirectory, named by a hash of the workspace's real path.
    pub store_dir: String,
    /// Absolute: the workspace root whose files are recorded.
    pub root: String,
    /// The session and turn the checkpoint belongs to, and the turn's prompt (its first line is shown).
    #[serde(default)]
    #[ts(optional)]
    pub session: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub turn: Option<u32>,
    #[serde(default)]
    #[ts(optional)]
    pub prompt: Option<String>,
    /// Record files `.gitignore` excludes too (default false).
    #[serde(default)]
    #[ts(optional)]
    pub include_ignored: Option<bool>,
    /// Files larger than this are skipped and reported (default 64 MiB).
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub max_file_bytes: Option<u64>,
    /// The workspace's store is pruned, oldest checkpoint first, to stay under this (default 2 GiB).
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub max_store_bytes: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckpointSkipped {
    pub path: String,
    /// Why it was not recorded: "too-large", "unreadable", "not-utf8-name", "special-file".
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckpointCreateResult {
    pub id: String,
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub created_at: u64,
    /// Files and symbolic links recorded.
    pub files: u32,
    /// Bytes of new content the store took for this checkpoint (unchanged files cost nothing).
    #[ts(type = "number")]
    pub new_bytes: u64,
    pub skipped: Vec<CheckpointSkipped>,
    /// Checkpoints removed to keep the store under its cap (oldest first).
    pub pruned: Vec<String>,
    /// The checkpoint of the same session this one closed (its end state was recorded now).
    #[ts(optional)]
    pub finished: Option<String>,
}

/// `checkpoint/finish`: records the workspace as a turn left it (used to tell the person's later
/// edits from the agent's at restore).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct CheckpointFinishParams {
    pub store_dir: String,
    pub root: String,
    pub id: String,
    #[serde(default)]
    #[ts(optional)]
    pub include_ignored: Option<bool>,
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub max_file_bytes: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct CheckpointListParams {
    pub store_dir: String,
    pub root: String,
    /// Also count, per checkpoint, the files a restore would change now (default false).
    #[serde(default)]
    #[ts(optional)]
    pub with_changes: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckpointInfo {
    pub id: String,
    #[ts(type = "number")]
    pub created_at: u64,
    /// "turn" (before an agent's turn) or "restore" (the workspace just before a restore, to undo it).
    pub kind: String,
    #[ts(optional)]
    pub session: Option<String>,
    #[ts(optional)]
    pub turn: Option<u32>,
    #[ts(optional)]
    pub prompt: Option<String>,
    /// Whether the state the turn left was recorded.
    pub finished: bool,
    pub files: u32,
    /// With `withChanges`: how many files a restore would change now.
    #[ts(optional)]
    pub changed: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckpointListResult {
    /// Oldest first.
    pub checkpoints: Vec<CheckpointInfo>,
    /// The workspace's store directory and its size.
    pub store: String,
    #[ts(type = "number")]
    pub store_bytes: u64,
}

/// `checkpoint/diff` and `checkpoint/restore`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct CheckpointRestoreParams {
    pub store_dir: String,
    pub root: String,
    pub id: String,
    #[serde(default)]
    #[ts(optional)]
    pub include_ignored: Option<bool>,
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub max_file_bytes: Option<u64>,
    /// Only these workspace-relative files (the Changes view's "Revert file"); every recorded path
    /// when absent. Directories are created for them as needed and none is removed.
    #[serde(default)]
    #[ts(optional)]
    pub paths: Option<Vec<String>>,
}

/// `checkpoint/read`: one file as a checkpoint recorded it (the Changes view's diff).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct CheckpointReadParams {
    pub store_dir: String,
    pub root: String,
    pub id: String,
    pub path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckpointReadResult {
    /// "file", "symlink", or "absent" (the checkpoint has no such file).
    pub kind: String,
    /// The content (a link's target) when it is UTF-8 text.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Not UTF-8: `text` is left out.
    pub binary: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckpointChange {
    pub path: String,
    /// "restore" (deleted since: written back), "remove" (created since: removed), "modify"
    /// (content or kind differs), "mode" (only the executable bit differs).
    pub action: String,
    /// The person changed this file after the agent's turn: what the restore replaces is kept.
    pub person_edited: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckpointKept {
    pub path: String,
    /// Absolute path of the copy of what the restore replaced.
    pub copy: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckpointFailure {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckpointDiffResult {
    pub id: String,
    /// Sorted by path.
    pub changes: Vec<CheckpointChange>,
    /// Files present now that are not recorded (too large, unreadable): a restore leaves them alone.
    pub skipped: Vec<CheckpointSkipped>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckpointRestoreResult {
    pub id: String,
    pub changes: Vec<CheckpointChange>,
    /// Copies of the person-edited files' replaced content.
    pub kept: Vec<CheckpointKept>,
    /// A checkpoint of the workspace as it was just before this restore: restoring it undoes this one.
    pub undo_id: String,
    /// Paths that could not be restored (the rest were).
    pub failed: Vec<CheckpointFailure>,
    pub skipped: Vec<CheckpointSkipped>,
}
