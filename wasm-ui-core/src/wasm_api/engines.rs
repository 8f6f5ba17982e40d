//! The engines' JavaScript face: apply_patch and diff. Structured values cross as JSON text (see
//! `json.rs`), typed by the ts-rs types generated from these structs.

use super::json::{from_text, to_text, too_deep};
use crate::diff::{self, FileDiff};
use crate::patch::{self, FileChange, FileMap, PatchError};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use wasm_bindgen::prelude::*;

/// `applyPatch`'s answer: the changes, or the error (a bad patch is an answer, not an exception).
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(untagged)]
#[ts(export)]
pub enum ApplyPatchResult {
    Applied {
        #[ts(type = "true")]
        ok: bool,
        changes: Vec<FileChange>,
    },
    Failed {
        #[ts(type = "false")]
        ok: bool,
        error: PatchError,
    },
}

/// `patchPaths`'s answer: the paths whose state `applyPatch` needs, or the parse error.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(untagged)]
#[ts(export)]
pub enum PatchPathsResult {
    Parsed {
        #[ts(type = "true")]
        ok: bool,
        paths: Vec<String>,
    },
    Failed {
        #[ts(type = "false")]
        ok: bool,
        error: PatchError,
    },
}

pub fn apply_patch_result(patch_text: &str, files: &FileMap) -> ApplyPatchResult {
    match patch::parse_and_apply(patch_text, files) {
        Ok(changes) => ApplyPatchResult::Applied { ok: true, changes },
        Err(error) => ApplyPatchResult::Failed { ok: false, error },
    }
}

pub fn patch_paths_result(patch_text: &str) -> PatchPathsResult {
    match patch::parse(patch_text) {
        Ok(p) => PatchPathsResult::Parsed {
            ok: true,
            paths: p.paths_to_read(),
        },
        Err(error) => PatchPathsResult::Failed { ok: false, error },
    }
}

/// Applies `patchText` to `files` (`FileMap` as JSON text: path -> `FileState`) ->
/// `ApplyPatchResult` as JSON text. Throws only when `files` is not a `FileMap`.
#[wasm_bindgen(js_name = applyPatch)]
pub fn apply_patch(patch_text: &str, files: &str) -> Result<String, JsError> {
    // A FileMap is two levels deep (path -> {state, contents}); anything deeper is not one.
    if too_deep(files, 2) {
        return Err(JsError::new(
            "applyPatch: files is not a FileMap: nested too deeply",
        ));
    }
    let files: FileMap = from_text(files)
        .map_err(|e| JsError::new(&format!("applyPatch: files is not a FileMap: {e}")))?;
    to_text(&apply_patch_result(patch_text, &files))
}

/// The paths a patch touches (to read before `applyPatch`) -> `PatchPathsResult` as JSON text.
#[wasm_bindgen(js_name = patchPaths)]
pub fn patch_paths(patch_text: &str) -> Result<String, JsError> {
    to_text(&patch_paths_result(patch_text))
}

/// The text of a diff function's argument: the host hands texts over as UTF-8 bytes (a
/// `TextEncoder`'s output, copied into wasm memory in one go; wasm-bindgen's own string passing
/// copies them a character at a time in JavaScript, which cost more than the diff itself).
fn text<'a>(bytes: &'a [u8], func: &str, what: &str) -> Result<&'a str, JsError> {
    std::str::from_utf8(bytes)
        .map_err(|e| JsError::new(&format!("{func}: {what} is not UTF-8 text: {e}")))
}

/// Diff of two texts (UTF-8 bytes) -> `FileDiff` as JSON text, which the host parses (engines() in
/// extension/src/host/patch/engine.ts): one string across the boundary and V8's JSON.parse beat
/// building thousands of row objects field by field from wasm.
#[wasm_bindgen(js_name = diffTexts)]
pub fn diff_texts(original: &[u8], proposed: &[u8]) -> Result<String, JsError> {
    let original = text(original, "diffTexts", "original")?;
    let proposed = text(proposed, "diffTexts", "proposed")?;
    let d: FileDiff = diff::diff_texts(original, proposed);
    // The same text serde_json writes, written by the diff crate (diff/src/json.rs).
    Ok(diff::file_diff_json(&d))
}

/// original + proposed (UTF-8 bytes) + accepted hunk ids -> the resulting text.
#[wasm_bindgen(js_name = applyHunks)]
pub fn apply_hunks(
    original: &[u8],
    proposed: &[u8],
    accepted_ids: Vec<String>,
) -> Result<String, JsError> {
    let original = text(original, "applyHunks", "original")?;
    let proposed = text(proposed, "applyHunks", "proposed")?;
    Ok(diff::apply_hunks(original, proposed, &accepted_ids))
}

/// A decision on some lines of one hunk (`decide_hunk_lines`; texts as UTF-8 bytes) ->
/// `LineDecision` as JSON text, or `null` when the texts have no hunk with that id.
#[wasm_bindgen(js_name = decideHunkLines)]
pub fn decide_hunk_lines(
    current: &[u8],
    proposed: &[u8],
    hunk_id: &str,
    start: u32,
    end: u32,
    accept: bool,
) -> Result<String, JsError> {
    let current = text(current, "decideHunkLines", "current")?;
    let proposed = text(proposed, "decideHunkLines", "proposed")?;
    to_text(&diff::decide_hunk_lines(
        current,
        proposed,
        hunk_id,
        start..end,
        accept,
    ))
}

/// Whether a command is known not to change anything (the table the `untrusted` policy uses); the
/// host takes a checkpoint before the first command of a turn that is not.
#[wasm_bindgen(js_name = isKnownSafeCommand)]
pub fn is_known_safe_command(argv: Vec<String>, configured_shell: &str) -> bool {
    crate::tools::is_known_safe(&argv, configured_shell)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::FileState;

    #[test]
    fn results_serialize_with_an_ok_flag() {
        let mut files = FileMap::new();
        files.insert("a".into(), FileState::Missing);
        let ok = apply_patch_result(
            "*** Begin Patch\n*** Add File: a\n+x\n*** End Patch",
            &files,
        );
        let json = serde_json::to_value(&ok).unwrap();
        assert_eq!(json["ok"], true);
        assert_eq!(json["changes"][0]["newContents"], "x\n");
        assert_eq!(json["changes"][0]["kind"], "add");
        let bad = apply_patch_result("nope", &files);
        let json = serde_json::to_value(&bad).unwrap();
        assert_eq!(json["ok"], false);
        assert_eq!(json["error"]["line"], 1);
        let paths = serde_json::to_value(patch_paths_result(
            "*** Begin Patch\n*** Delete File: ./d/x\n*** End Patch",
        ))
        .unwrap();
        assert_eq!(paths, serde_json::json!({"ok": true, "paths": ["d/x"]}));
    }

    #[test]
    fn file_map_reads_from_json_objects() {
        let files: FileMap = serde_json::from_value(serde_json::json!({
            "a": {"state": "text", "contents": "hi"},
            "b": {"state": "missing"},
            "c": {"state": "unreadable", "reason": "binary"},
            "d": {"state": "outsideWorkspace"},
        }))
        .unwrap();
        assert_eq!(
            files["a"],
            FileState::Text {
                contents: "hi".into()
            }
        );
        assert_eq!(files["d"], FileState::OutsideWorkspace);
    }
}
