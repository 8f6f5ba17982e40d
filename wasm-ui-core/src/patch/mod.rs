//! The apply_patch engine: patch text + the current contents of the files it names -> the complete
//! list of file changes, or an error naming the patch line and the reason. Pure: callers read and
//! write the files.
//!
//! Contract (used by the session core and the wasm API; the bodies land with the engine work):
//! - `parse(text)` checks the whole patch and lists what it touches;
//! - `Patch::paths_to_read()` names every file whose current contents `apply` needs;
//! - `apply(&patch, &files)` computes every change, all or nothing.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// What the caller knows of one path, relative to the workspace root.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "state", rename_all = "camelCase")]
#[ts(export)]
pub enum FileState {
    /// A regular text file with these contents (as in the editor's buffer when it is open).
    Text {
        contents: String,
    },
    Missing,
    Directory,
    /// The path resolves outside the workspace (a symlink leading out), so it must not be touched.
    OutsideWorkspace,
    /// Present but not usable as text (binary, unreadable); the reason is shown to the model.
    Unreadable {
        reason: String,
    },
}

pub type FileMap = BTreeMap<String, FileState>;

#[derive(Serialize, Deserialize, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ChangeKind {
    Add,
    Modify,
    Delete,
}

/// One file's change. A move is a `Modify` with `movePath` set.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FileChange {
    pub kind: ChangeKind,
    pub path: String,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub move_path: Option<String>,
    /// The contents before (None for an add).
    pub original: Option<String>,
    /// The contents after (None for a delete).
    pub new_contents: Option<String>,
}

#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PatchError {
    /// 1-based line of the patch text the error is about, when there is one.
    pub line: Option<u32>,
    pub message: String,
}

impl std::fmt::Display for PatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "patch line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for PatchError {}

/// A parsed patch. The engine work owns its fields; callers use the methods below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    paths: Vec<String>,
}

impl Patch {
    /// Every path whose current state `apply` needs (sources, destinations of moves, adds).
    pub fn paths_to_read(&self) -> Vec<String> {
        self.paths.clone()
    }
}

/// Parses and validates a whole patch (heredoc wrapper accepted).
pub fn parse(_text: &str) -> Result<Patch, PatchError> {
    unimplemented!("lands with the apply_patch engine")
}

/// Applies a parsed patch to the files' current states: every change, or the first error.
pub fn apply(_patch: &Patch, _files: &FileMap) -> Result<Vec<FileChange>, PatchError> {
    unimplemented!("lands with the apply_patch engine")
}
