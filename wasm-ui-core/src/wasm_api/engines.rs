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

/// The line-level diff as numbers, for the host to read without JSON: `[additions, deletions,
/// sections, hunks, then per hunk oldStart, oldLines, newStart, newLines, section, idHigh, idLow]`
/// (the id's 64-bit hash in two halves; its text is `h` and the 16 hex digits). The layout is read
/// by `decodeDiffLines` in extension/src/host/patch/engine.ts into a `DiffLines`.
pub fn lines_numbers(d: &diff::LineDiff) -> Vec<u32> {
    const PER_HUNK: usize = 7;
    let n = d.hunk_count();
    let mut out = Vec::with_capacity(4 + n * PER_HUNK);
    out.extend([
        d.additions(),
        d.deletions(),
        d.section_count() as u32,
        n as u32,
    ]);
    for (i, section) in d.hunk_sections().enumerate() {
        let (old_start, old_lines, new_start, new_lines) = d.hunk_numbers(i);
        let hash = d.hunk_hash(i);
        out.extend([
            old_start,
            old_lines,
            new_start,
            new_lines,
            section,
            (hash >> 32) as u32,
            hash as u32,
        ]);
    }
    out
}

/// The line-level diff of two texts (UTF-8 bytes): hunks as line ranges with their ids, no rows
/// (see `lines_numbers` for the layout). What a caller that needs no rows pays for a diff.
#[wasm_bindgen(js_name = diffLines)]
pub fn diff_lines(original: &[u8], proposed: &[u8]) -> Result<Vec<u32>, JsError> {
    let original = text(original, "diffLines", "original")?;
    let proposed = text(proposed, "diffLines", "proposed")?;
    Ok(lines_numbers(&diff::LineDiff::new(original, proposed)))
}

/// A diff kept in wasm memory with both its texts, for rows on demand: `lines()` is the line-level
/// diff, `part(start, end)` the render model (`FileDiff` JSON text) of sections `start..end` only.
/// The host must `free()` it (extension/src/host/patch/engine.ts `openDiff`).
#[wasm_bindgen]
pub struct TextDiff {
    inner: diff::LineDiff<'static>,
}

#[wasm_bindgen]
impl TextDiff {
    /// Diffs two texts (UTF-8 bytes, moved into wasm memory and kept there).
    #[wasm_bindgen(constructor)]
    pub fn new(original: Vec<u8>, proposed: Vec<u8>) -> Result<TextDiff, JsError> {
        let utf8 = |bytes: Vec<u8>, what: &str| {
            String::from_utf8(bytes).map_err(|e| {
                JsError::new(&format!(
                    "TextDiff: {what} is not UTF-8 text: {}",
                    e.utf8_error()
                ))
            })
        };
        let original = utf8(original, "original")?;
        let proposed = utf8(proposed, "proposed")?;
        Ok(TextDiff {
            inner: diff::LineDiff::new(original, proposed),
        })
    }

    /// The line-level diff (the layout of `diffLines`).
    pub fn lines(&self) -> Vec<u32> {
        lines_numbers(&self.inner)
    }

    /// The render model of sections `start..end` (clamped) as `FileDiff` JSON text, row indices
    /// counted from the part's first row.
    pub fn part(&self, start: u32, end: u32) -> String {
        diff::file_diff_json(&self.inner.file_diff_part(start as usize..end as usize))
    }
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
    fn line_numbers_layout() {
        let d = diff::LineDiff::new("a\nb\nc\n", "a\nB\nc\nd\n");
        let n = lines_numbers(&d);
        let full = diff::diff_texts("a\nb\nc\n", "a\nB\nc\nd\n");
        assert_eq!(&n[..4], &[2, 1, 1, 2]);
        assert_eq!(n.len(), 4 + 2 * 7);
        for (i, h) in full.hunks.iter().enumerate() {
            let x = &n[4 + i * 7..4 + (i + 1) * 7];
            assert_eq!(
                &x[..5],
                &[h.old_start, h.old_lines, h.new_start, h.new_lines, 0]
            );
            let hash = (u64::from(x[5]) << 32) | u64::from(x[6]);
            assert_eq!(format!("h{hash:016x}"), h.id);
        }
        assert_eq!(
            lines_numbers(&diff::LineDiff::new("same", "same")),
            [0, 0, 0, 0]
        );
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
