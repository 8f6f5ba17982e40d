//! The diff engine: original vs proposed text -> hunks with stable ids, word-level highlights, the
//! unified diff and a render model; and partial application of accepted hunks.
//!
//! Contract (used by the session core and the wasm API; the bodies land with the engine work):
//! - `diff_texts(original, proposed) -> FileDiff`
//! - `apply_hunks(original, proposed, accepted_ids) -> String`

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The diff of one file. The engine work owns the full shape (hunks, highlights, render model); this
/// much is the contract other modules rely on.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FileDiff {
    /// Hunk ids in file order; stable for a given (original, proposed) pair.
    pub hunk_ids: Vec<String>,
    /// The unified diff text (`@@ -a,b +c,d @@` hunks, 3 lines of context).
    pub unified: String,
}

pub fn diff_texts(_original: &str, _proposed: &str) -> FileDiff {
    unimplemented!("lands with the diff engine")
}

/// original + proposed + accepted hunk ids -> the resulting text.
pub fn apply_hunks(_original: &str, _proposed: &str, _accepted: &[String]) -> String {
    unimplemented!("lands with the diff engine")
}
