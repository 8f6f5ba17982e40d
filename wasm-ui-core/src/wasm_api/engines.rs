//! The engines' JavaScript face: apply_patch and diff. Structured values cross as JSON text (see
//! `json.rs`), typed by the ts-rs types generated from these structs.

use super::json::{parse, to_text, too_deep};
use crate::diff::{self, FileDiff};
use crate::patch::{self, ChangeKind, FileChange, FileMap, FileState, PatchError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
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

/// One path `applyPatch` is given (its `files` argument is a list of these, as JSON text): what the
/// host knows of it (`FileState`), except that a text file's contents are not in the JSON but in
/// the contents buffer, as its next `bytes` UTF-8 bytes (the text files' contents follow each other
/// there in list order). TypeScript's view of `read_files`' input; never built.
#[derive(TS)]
#[ts(export)]
pub struct PatchFile {
    pub path: String,
    #[ts(type = r#""text" | "missing" | "directory" | "outsideWorkspace" | "unreadable""#)]
    pub state: String,
    /// For `text`: the length of its contents in UTF-8 bytes.
    #[ts(optional)]
    pub bytes: Option<u32>,
    /// For `unreadable`: why (shown to the model).
    #[ts(optional)]
    pub reason: Option<String>,
}

/// The JSON header of `applyPatch`'s answer: the changes without their new contents, which follow
/// the header in the answer's bytes (see `apply_patch`), or the error. The host builds
/// `ApplyPatchResult` from it, taking each change's `original` from the files it passed in.
#[derive(Serialize, TS, Debug, PartialEq, Eq)]
#[serde(untagged)]
#[ts(export)]
pub enum PatchAnswerHeader {
    Applied {
        #[ts(type = "true")]
        ok: bool,
        changes: Vec<ChangeHeader>,
    },
    Failed {
        #[ts(type = "false")]
        ok: bool,
        error: PatchError,
    },
}

/// One change of `PatchAnswerHeader`: a `FileChange` whose new contents are in the answer's bytes.
#[derive(Serialize, TS, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ChangeHeader {
    pub kind: ChangeKind,
    pub path: String,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub move_path: Option<String>,
    /// The length of the new contents in UTF-8 bytes (null for a delete).
    pub new_bytes: Option<u32>,
}

/// The states a `PatchFile` may name, in the order the error message lists them.
const STATES: &str = "`text`, `missing`, `directory`, `outsideWorkspace`, `unreadable`";

/// `applyPatch`'s `files` (JSON text, a list of `PatchFile`) and contents buffer -> the `FileMap`.
/// Read by hand from a `serde_json::Value`: a derived reader would be one more set of visitors in the
/// module for a list of flat objects.
fn read_files(files: &str, contents: &[u8]) -> Result<FileMap, String> {
    // A list of flat objects is two levels deep; anything deeper is not one.
    if too_deep(files, 2) {
        return Err("nested too deeply".into());
    }
    let Value::Array(entries) = parse(files).map_err(|e| e.to_string())? else {
        return Err("not a list of files".into());
    };
    let mut map = FileMap::new();
    let mut at = 0usize;
    for (i, entry) in entries.into_iter().enumerate() {
        let Value::Object(mut fields) = entry else {
            return Err(format!("entry {i} is not an object"));
        };
        let string =
            |fields: &mut serde_json::Map<String, Value>, key: &str| match fields.remove(key) {
                Some(Value::String(s)) => Ok(s),
                Some(_) => Err(format!("entry {i}: `{key}` is not a string")),
                None => Err(format!("entry {i}: missing field `{key}`")),
            };
        let path = string(&mut fields, "path")?;
        let state = string(&mut fields, "state")?;
        let file = match state.as_str() {
            "text" => {
                let len = fields
                    .get("bytes")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| format!("{path}: a text file needs its length in `bytes`"))?;
                let end = usize::try_from(len)
                    .ok()
                    .and_then(|len| at.checked_add(len))
                    .filter(|&end| end <= contents.len())
                    .ok_or_else(|| format!("{path}: its contents run past the contents buffer"))?;
                let text = std::str::from_utf8(&contents[at..end])
                    .map_err(|e| format!("{path}: its contents are not UTF-8 text: {e}"))?;
                at = end;
                FileState::Text {
                    contents: text.to_owned(),
                }
            }
            "missing" => FileState::Missing,
            "directory" => FileState::Directory,
            "outsideWorkspace" => FileState::OutsideWorkspace,
            "unreadable" => FileState::Unreadable {
                reason: string(&mut fields, "reason")?,
            },
            other => {
                return Err(format!(
                    "{path}: unknown state `{other}`, expected one of {STATES}"
                ))
            }
        };
        if map.contains_key(&path) {
            return Err(format!("{path} is listed twice"));
        }
        map.insert(path, file);
    }
    if at != contents.len() {
        return Err(format!(
            "{} bytes of the contents buffer belong to no text file",
            contents.len() - at
        ));
    }
    Ok(map)
}

/// The answer's bytes: the header's length (4 bytes, little-endian), the header (JSON text, a
/// `PatchAnswerHeader`), then every change's new contents one after another, in the header's order.
fn answer_bytes(result: Result<Vec<FileChange>, PatchError>) -> Result<Vec<u8>, JsError> {
    let (header, changes) = match result {
        Ok(changes) => {
            let mut headers = Vec::with_capacity(changes.len());
            for c in &changes {
                let new_bytes = match &c.new_contents {
                    Some(t) => Some(u32::try_from(t.len()).map_err(|_| {
                        JsError::new(&format!("applyPatch: the new {} is over 4 GiB", c.path))
                    })?),
                    None => None,
                };
                headers.push(ChangeHeader {
                    kind: c.kind,
                    path: c.path.clone(),
                    move_path: c.move_path.clone(),
                    new_bytes,
                });
            }
            let header = PatchAnswerHeader::Applied {
                ok: true,
                changes: headers,
            };
            (header, changes)
        }
        Err(error) => (PatchAnswerHeader::Failed { ok: false, error }, Vec::new()),
    };
    let header = to_text(&header)?;
    let body: usize = changes
        .iter()
        .filter_map(|c| c.new_contents.as_ref())
        .map(String::len)
        .sum();
    let mut out = Vec::with_capacity(4 + header.len() + body);
    // The header is far below 4 GiB (paths and error messages).
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for c in &changes {
        if let Some(t) = &c.new_contents {
            out.extend_from_slice(t.as_bytes());
        }
    }
    Ok(out)
}

/// Applies a patch (UTF-8 bytes) to `files` (JSON text: a list of `PatchFile`) whose text files'
/// contents are `contents` (UTF-8 bytes, one after another) -> the answer's bytes (`answer_bytes`:
/// a `PatchAnswerHeader` and the new contents). No file's contents are JSON-escaped or parsed on
/// either side: the host encodes them into one buffer and decodes each new one with a TextDecoder
/// (applyPatch in extension/src/host/patch/engine.ts). A bad patch is an answer
/// (`PatchAnswerHeader::Failed`); this throws only when `files` and `contents` are not a `FileMap`.
#[wasm_bindgen(js_name = applyPatch)]
pub fn apply_patch(patch: &[u8], files: &str, contents: &[u8]) -> Result<Vec<u8>, JsError> {
    let files = read_files(files, contents)
        .map_err(|e| JsError::new(&format!("applyPatch: files is not a FileMap: {e}")))?;
    let patch = text(patch, "applyPatch", "patch")?;
    let result = patch::parse_and_apply(patch, &files);
    // The host takes `original` from the files it passed: it is always the path's text contents.
    debug_assert!(result.as_ref().map_or(true, |changes| changes
        .iter()
        .all(|c| c.original.as_ref() == text_of(&files, &c.path))));
    answer_bytes(result)
}

/// A path's text contents in `files`, if it is a text file there.
fn text_of<'a>(files: &'a FileMap, path: &str) -> Option<&'a String> {
    match files.get(path) {
        Some(FileState::Text { contents }) => Some(contents),
        _ => None,
    }
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

/// The line-level diff as 32-bit words, for the host to read without JSON: `[additions,
/// deletions, sections, hunks, then per hunk oldStart, oldLines, newStart, newLines, section]`,
/// then every hunk's id as text (`h` and 16 hex digits, 17 ASCII bytes each, one after another),
/// zero-padded to a whole word. The host decodes the ids with one TextDecoder call and slices them,
/// rather than writing 16 hex digits a hunk in JavaScript. Read by `decodeDiffLines` in
/// extension/src/host/patch/engine.ts into a `DiffLines`.
pub fn lines_numbers(d: &diff::LineLevel) -> Vec<u32> {
    const PER_HUNK: usize = 5;
    let n = d.hunk_count();
    let id_words = (n * ID_BYTES).div_ceil(4);
    let mut out = Vec::with_capacity(4 + n * PER_HUNK + id_words);
    out.extend([
        d.additions(),
        d.deletions(),
        d.section_count() as u32,
        n as u32,
    ]);
    for (i, section) in d.hunk_sections().enumerate() {
        let (old_start, old_lines, new_start, new_lines) = d.hunk_numbers(i);
        out.extend([old_start, old_lines, new_start, new_lines, section]);
    }
    let mut ids = Vec::with_capacity(id_words * 4);
    for i in 0..n {
        push_id(&mut ids, d.hunk_hash(i));
    }
    ids.resize(id_words * 4, 0);
    out.extend(
        ids.chunks_exact(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])),
    );
    out
}

/// The bytes of one hunk id's text in `lines_numbers`: `h` and 16 hex digits.
const ID_BYTES: usize = 17;

/// Appends a hunk id's text (`hunk_id_text`: `h` and the hash in 16 hex digits, leading zeros kept).
fn push_id(out: &mut Vec<u8>, hash: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'h');
    out.extend((0..16).rev().map(|k| HEX[(hash >> (4 * k)) as usize & 15]));
}

/// The line-level diff of two texts (UTF-8 bytes): hunks as line ranges with their ids, no rows
/// (see `lines_numbers` for the layout). What a caller that needs no rows pays for a diff.
///
/// The host calls the raw export directly (`diffLinesThrough` in extension/src/host/patch/engine.ts):
/// it encodes each text into an allocation of wasm-bindgen's allocator exactly as long as its bytes,
/// and this export takes both allocations over (wasm-bindgen frees a byte-slice argument when the
/// call returns), so the texts are copied once, by the encoder. Keep the arguments byte slices.
#[wasm_bindgen(js_name = diffLines)]
pub fn diff_lines(original: &[u8], proposed: &[u8]) -> Vec<u32> {
    // Lines are compared as bytes and only numbers come back: no text, so no UTF-8 check.
    lines_numbers(&diff::LineLevel::new(original, proposed))
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
        lines_numbers(self.inner.level())
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

    /// `apply_patch` without its JsError: the header as JSON and the new contents.
    fn answer(patch: &str, files: &str, contents: &str) -> (serde_json::Value, Vec<u8>) {
        let files = read_files(files, contents.as_bytes()).unwrap();
        let result = patch::parse_and_apply(patch, &files);
        if let Ok(changes) = &result {
            for c in changes {
                assert_eq!(c.original.as_ref(), text_of(&files, &c.path));
            }
        }
        let out = answer_bytes(result).unwrap();
        let len = u32::from_le_bytes(out[..4].try_into().unwrap()) as usize;
        let header = serde_json::from_slice(&out[4..4 + len]).unwrap();
        (header, out[4 + len..].to_vec())
    }

    #[test]
    fn the_answer_is_a_header_then_the_new_contents() {
        let patch =
            "*** Begin Patch\n*** Update File: a.txt\n*** Move to: b/c.txt\n@@\n-x\n+y\u{e9}\n\
                     *** Delete File: gone\n*** Add File: n.txt\n+new\n*** End Patch";
        let files = r#"[{"path":"a.txt","state":"text","bytes":3},{"path":"b/c.txt","state":"missing"},
            {"path":"gone","state":"text","bytes":5},{"path":"n.txt","state":"missing"}]"#;
        let (header, rest) = answer(patch, files, "x\r\nbye!\n");
        assert_eq!(
            header,
            serde_json::json!({"ok": true, "changes": [
                {"kind": "modify", "path": "a.txt", "movePath": "b/c.txt", "newBytes": 5},
                {"kind": "delete", "path": "gone", "newBytes": null},
                {"kind": "add", "path": "n.txt", "newBytes": 4},
            ]})
        );
        assert_eq!(String::from_utf8(rest).unwrap(), "y\u{e9}\r\nnew\n");
        let (header, rest) = answer(
            "*** Begin Patch\n*** Update File: a.txt\n@@\n-nope\n+y\n*** End Patch",
            r#"[{"path":"a.txt","state":"text","bytes":2}]"#,
            "x\n",
        );
        assert_eq!(
            header,
            serde_json::json!({"ok": false, "error": {"line": 3,
                "message": "could not find the lines to replace in a.txt:\n  nope"}})
        );
        assert!(rest.is_empty());
    }

    #[test]
    fn files_read_every_state_and_refuse_what_is_not_a_file_map() {
        let files = read_files(
            r#"[{"path":"a","state":"text","bytes":2},{"path":"b","state":"missing"},
                {"path":"c","state":"unreadable","reason":"binary"},{"path":"d","state":"outsideWorkspace"},
                {"path":"e","state":"directory"},{"path":"f","state":"text","bytes":0}]"#,
            "hi".as_bytes(),
        )
        .unwrap();
        assert_eq!(
            files["a"],
            FileState::Text {
                contents: "hi".into()
            }
        );
        assert_eq!(files["b"], FileState::Missing);
        assert_eq!(
            files["c"],
            FileState::Unreadable {
                reason: "binary".into()
            }
        );
        assert_eq!(files["d"], FileState::OutsideWorkspace);
        assert_eq!(files["e"], FileState::Directory);
        assert_eq!(
            files["f"],
            FileState::Text {
                contents: String::new()
            }
        );
        let err = |files: &str, contents: &[u8]| read_files(files, contents).unwrap_err();
        assert_eq!(
            err(r#"[{"path":"a","state":"banana"}]"#, b""),
            "a: unknown state `banana`, expected one of `text`, `missing`, `directory`, `outsideWorkspace`, `unreadable`"
        );
        assert_eq!(err("42", b""), "not a list of files");
        assert_eq!(err("[42]", b""), "entry 0 is not an object");
        assert_eq!(
            err(r#"[{"state":"missing"}]"#, b""),
            "entry 0: missing field `path`"
        );
        assert_eq!(
            err(r#"[{"path":1,"state":"missing"}]"#, b""),
            "entry 0: `path` is not a string"
        );
        assert_eq!(
            err(r#"[{"path":"c","state":"unreadable"}]"#, b""),
            "entry 0: missing field `reason`"
        );
        assert_eq!(
            err(r#"[{"path":"a","state":"text"}]"#, b""),
            "a: a text file needs its length in `bytes`"
        );
        assert_eq!(
            err(r#"[{"path":"a","state":"text","bytes":3}]"#, b"hi"),
            "a: its contents run past the contents buffer"
        );
        assert_eq!(
            err(r#"[{"path":"a","state":"text","bytes":1}]"#, b"hi"),
            "1 bytes of the contents buffer belong to no text file"
        );
        assert!(err(r#"[{"path":"a","state":"text","bytes":1}]"#, b"\xff")
            .starts_with("a: its contents are not UTF-8 text"));
        assert_eq!(
            err(
                r#"[{"path":"a","state":"missing"},{"path":"a","state":"directory"}]"#,
                b""
            ),
            "a is listed twice"
        );
        assert_eq!(err(r#"[{"path":{"a":[1]}}]"#, b""), "nested too deeply");
        assert!(err("[", b"").starts_with("EOF while parsing"));
    }

    #[test]
    fn line_numbers_layout() {
        let d = diff::LineDiff::new("a\nb\nc\n", "a\nB\nc\nd\n");
        let n = lines_numbers(d.level());
        assert_eq!(n, diff_lines(b"a\nb\nc\n", b"a\nB\nc\nd\n"));
        let full = diff::diff_texts("a\nb\nc\n", "a\nB\nc\nd\n");
        assert_eq!(&n[..4], &[2, 1, 1, 2]);
        // Two hunks of 5 numbers, then 34 bytes of ids padded to 9 words.
        assert_eq!(n.len(), 4 + 2 * 5 + 9);
        let bytes: Vec<u8> = n[4 + 2 * 5..]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        for (i, h) in full.hunks.iter().enumerate() {
            let x = &n[4 + i * 5..4 + (i + 1) * 5];
            assert_eq!(x, &[h.old_start, h.old_lines, h.new_start, h.new_lines, 0]);
            assert_eq!(
                std::str::from_utf8(&bytes[i * ID_BYTES..(i + 1) * ID_BYTES]).unwrap(),
                h.id
            );
        }
        assert_eq!(&bytes[2 * ID_BYTES..], &[0, 0]);
        assert_eq!(
            lines_numbers(&diff::LineLevel::new(b"same", b"same")),
            [0, 0, 0, 0]
        );
        // Every id is 16 digits whatever its hash, as `hunk_id_text` writes it.
        for hash in [0, 0xab_ffff_ffff, 0x8000_0000_0102_0304, u64::MAX] {
            let mut id = Vec::new();
            push_id(&mut id, hash);
            assert_eq!(
                String::from_utf8(id).unwrap(),
                diff::hunk_id_text(hash),
                "{hash:x}"
            );
        }
        let mut id = Vec::new();
        push_id(&mut id, 0xab_ffff_ffff);
        assert_eq!(id, b"h000000abffffffff");
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
