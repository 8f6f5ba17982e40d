//! The apply_patch engine: patch text + the current contents of the files it names -> the complete
//! list of file changes, or an error naming the patch line and the reason. Pure: callers read and
//! write the files.
//!
//! - `parse(text)` checks the whole patch and lists what it touches;
//! - `Patch::paths_to_read()` names every file whose current state `apply` needs;
//! - `apply(&patch, &files)` computes every change, all or nothing.
//!
//! Line endings: each updated file keeps its own line endings (LF or CRLF, per line); lines the patch
//! writes take the file's dominant ending and always end with one, so a file that lacked a final
//! newline keeps lacking it unless the patch rewrites or appends after its last line. Added files are
//! written with LF and a final newline (as the format's reference implementation does).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

mod apply;
pub mod matching;
mod parse;
pub mod paths;

pub use parse::{Chunk, LineKind, Op};

crate::session::tagged::internally_tagged! {
tag = "state", mirror = #[serde(rename_all = "camelCase")], read = by_hand;
/// What the caller knows of one path, relative to the workspace root.
#[derive(Serialize, TS, Debug, Clone, PartialEq, Eq)]
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
}}

/// Path (relative to the workspace root, `/`-separated) -> what the caller knows of it.
pub type FileMap = crate::vec_map::VecMap<String, FileState>;

// `FileMap` for TypeScript (a type alias has no ts-rs derive): exports `FileMap.ts`, and fields of
// type `FileMap` name it with `#[ts(as = "FileMapTs")]`. Never built.
/// Path (relative to the workspace root, `/`-separated) -> what the caller knows of it.
#[derive(TS)]
#[ts(export, rename = "FileMap", as = "BTreeMap<String, FileState>")]
pub struct FileMapTs;

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

/// A parsed, validated patch: its file operations in order, with normalised relative paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    ops: Vec<Op>,
}

impl Patch {
    /// Every path whose current state `apply` needs (sources, destinations of moves, adds), each once,
    /// in patch order.
    pub fn paths_to_read(&self) -> Vec<String> {
        let mut seen = crate::vec_map::VecSet::new();
        let mut out = Vec::new();
        for op in &self.ops {
            let (path, dest) = match op {
                Op::Add { path, .. } | Op::Delete { path, .. } => (path, None),
                Op::Update { path, move_to, .. } => (path, move_to.as_ref().map(|(d, _)| d)),
            };
            for p in std::iter::once(path).chain(dest) {
                if seen.insert(p.clone()) {
                    out.push(p.clone());
                }
            }
        }
        out
    }

    /// The operations in patch order.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }
}

/// Parses and validates a whole patch (heredoc wrapper accepted).
pub fn parse(text: &str) -> Result<Patch, PatchError> {
    parse::parse_ops(text).map(|ops| Patch { ops })
}

/// Applies a parsed patch to the files' current states: every change, or the first error. Each path
/// appears in at most one change; several `Update File` sections for one file are applied in order.
pub fn apply(patch: &Patch, files: &FileMap) -> Result<Vec<FileChange>, PatchError> {
    apply::apply_ops(&patch.ops, files)
}

/// Parse + apply in one step.
pub fn parse_and_apply(text: &str, files: &FileMap) -> Result<Vec<FileChange>, PatchError> {
    apply(&parse(text)?, files)
}

#[cfg(test)]
mod tests;
