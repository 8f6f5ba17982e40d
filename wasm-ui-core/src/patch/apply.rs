//! Applying parsed operations to the files' current states, all in memory, so a failure anywhere
//! means no change at all.

use super::matching::{seek, seek_at_end};
use super::parse::{Chunk, LineKind, Op};
use super::{ChangeKind, FileChange, FileMap, FileState, PatchError};
use crate::vec_map::VecMap;

fn err(line: u32, message: impl Into<String>) -> PatchError {
    PatchError {
        line: Some(line),
        message: message.into(),
    }
}

/// One line of a file: its text and its own ending ("\n", "\r\n" or "" for a last line without one).
#[derive(Debug, Clone)]
struct FileLine {
    text: String,
    ending: &'static str,
}

fn split_lines(contents: &str) -> Vec<FileLine> {
    contents
        .split_inclusive('\n')
        .map(|piece| {
            if let Some(t) = piece.strip_suffix("\r\n") {
                FileLine {
                    text: t.to_string(),
                    ending: "\r\n",
                }
            } else if let Some(t) = piece.strip_suffix('\n') {
                FileLine {
                    text: t.to_string(),
                    ending: "\n",
                }
            } else {
                FileLine {
                    text: piece.to_string(),
                    ending: "",
                }
            }
        })
        .collect()
}

/// The ending new lines get: CRLF when most lines of the file use it, else LF.
fn dominant_ending(lines: &[FileLine]) -> &'static str {
    let crlf = lines.iter().filter(|l| l.ending == "\r\n").count();
    let lf = lines.iter().filter(|l| l.ending == "\n").count();
    if crlf > lf {
        "\r\n"
    } else {
        "\n"
    }
}

fn describe_unusable(path: &str, state: &FileState) -> Option<String> {
    match state {
        FileState::Directory => Some(format!("{path} is a directory")),
        FileState::OutsideWorkspace => Some(format!(
            "{path} resolves outside the workspace (a symlink leading out); Tack does not change files there"
        )),
        _ => None,
    }
}

fn state_of<'a>(files: &'a FileMap, path: &str, line: u32) -> Result<&'a FileState, PatchError> {
    files.get(path).ok_or_else(|| {
        err(
            line,
            format!("the caller did not provide the current state of {path}"),
        )
    })
}

/// Checks that `path` may be (over)written by an add or as a move destination.
fn check_writable(files: &FileMap, path: &str, line: u32, what: &str) -> Result<(), PatchError> {
    let state = state_of(files, path, line)?;
    match describe_unusable(path, state) {
        Some(reason) => Err(err(line, format!("cannot {what} {path}: {reason}"))),
        None => Ok(()),
    }
}

fn readable_text<'a>(
    files: &'a FileMap,
    path: &str,
    line: u32,
    what: &str,
) -> Result<&'a str, PatchError> {
    match state_of(files, path, line)? {
        FileState::Text { contents } => Ok(contents),
        FileState::Missing => Err(err(
            line,
            format!("cannot {what} {path}: the file does not exist"),
        )),
        FileState::Unreadable { reason } => {
            Err(err(line, format!("cannot {what} {path}: {reason}")))
        }
        other => Err(err(
            line,
            format!(
                "cannot {what} {path}: {}",
                describe_unusable(path, other).unwrap_or_default()
            ),
        )),
    }
}

/// Locates one chunk's old lines at or after `from`; returns (start, number of old lines, the chunk
/// body actually used: trailing empty context may be dropped to find a match).
fn locate(
    lines: &[String],
    chunk: &Chunk,
    from: usize,
) -> Option<(usize, Vec<(LineKind, String)>)> {
    let mut body = chunk.lines.clone();
    loop {
        let old: Vec<String> = body
            .iter()
            .filter(|(k, _)| *k != LineKind::Insert)
            .map(|(_, t)| t.clone())
            .collect();
        let found = if chunk.end_of_file {
            seek_at_end(lines, &old, from).or_else(|| seek(lines, &old, from))
        } else {
            seek(lines, &old, from)
        };
        if let Some((start, _level)) = found {
            return Some((start, body));
        }
        // Models often end a hunk with an empty context line the file does not have there.
        if body.last() == Some(&(LineKind::Context, String::new())) {
            body.pop();
            if body.iter().all(|(k, _)| *k == LineKind::Insert) {
                return None;
            }
        } else {
            return None;
        }
    }
}

/// Where the first line of a hunk that failed to match does occur, so the model (or person) can see
/// that the lines after it differ; empty when it occurs nowhere after `from`.
fn near_miss_hint(texts: &[String], old: &[String], from: usize, path: &str) -> String {
    let Some(first) = old.iter().find(|l| !l.trim().is_empty()) else {
        return String::new();
    };
    match seek(texts, std::slice::from_ref(first), from) {
        Some((at, _)) => format!(
            "\n(the line '{}' is at line {} of {path}, but the lines around it differ from the hunk)",
            first.trim(),
            at + 1
        ),
        None => String::new(),
    }
}

/// One located hunk: (start line, number of old lines, the hunk body used).
type Edit = (usize, usize, Vec<(LineKind, String)>);

/// Orders the edits by start line, keeping the patch order of equal starts (as a stable sort does).
/// They arrive in order except pure insertions at the end of the file, so each is placed by a binary
/// search over the ordered prefix and a rotate: a slice sort would be a stable-sort instance of its
/// own for this element type, about 3.5 KB of wasm.
fn sort_by_start(edits: &mut [Edit]) {
    for i in 1..edits.len() {
        let start = edits[i].0;
        // After every earlier edit that starts at or before this one: equal starts keep their order.
        let at = edits[..i].partition_point(|e| e.0 <= start);
        edits[at..=i].rotate_right(1);
    }
}

/// The new contents of one file after its hunks.
fn update_text(path: &str, original: &str, chunks: &[Chunk]) -> Result<String, PatchError> {
    // A byte-order mark is not part of the first line's text (hunks never show it); it stays first.
    let (bom, original) = match original.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", original),
    };
    let file = split_lines(original);
    let eol = dominant_ending(&file);
    let texts: Vec<String> = file.iter().map(|l| l.text.clone()).collect();

    let mut edits: Vec<Edit> = Vec::new();
    let mut cursor = 0usize;
    for chunk in chunks {
        for (ctx, ctx_line) in &chunk.contexts {
            match seek(&texts, std::slice::from_ref(ctx), cursor) {
                Some((idx, _)) => cursor = idx + 1,
                None => {
                    return Err(err(
                        *ctx_line,
                        format!("could not find the context line '{ctx}' in {path}"),
                    ))
                }
            }
        }
        let old = chunk.old_lines();
        if old.is_empty() {
            // Pure insertion: after the `@@` context line if there is one, else at the end of the file.
            let at = if chunk.contexts.is_empty() {
                texts.len()
            } else {
                cursor
            };
            edits.push((at, 0, chunk.lines.clone()));
            continue;
        }
        match locate(&texts, chunk, cursor) {
            Some((start, body)) => {
                let old_len = body.iter().filter(|(k, _)| *k != LineKind::Insert).count();
                cursor = start + old_len;
                edits.push((start, old_len, body));
            }
            None => {
                let shown: Vec<String> = old.iter().map(|l| format!("  {l}")).collect();
                return Err(err(
                    chunk.line,
                    format!(
                        "could not find the lines to replace in {path}:\n{}{}",
                        shown.join("\n"),
                        near_miss_hint(&texts, &old, cursor, path)
                    ),
                ));
            }
        }
    }
    sort_by_start(&mut edits);
    for pair in edits.windows(2) {
        if pair[0].0 + pair[0].1 > pair[1].0 {
            return Err(PatchError {
                line: None,
                message: format!("two hunks of the changes to {path} overlap"),
            });
        }
    }

    let mut out: Vec<FileLine> = Vec::with_capacity(file.len());
    let mut next = 0usize;
    for (start, old_len, body) in edits {
        out.extend_from_slice(&file[next..start]);
        let mut pos = start;
        for (kind, text) in body {
            match kind {
                // Context keeps the file's own text and ending, even when it matched only loosely.
                LineKind::Context => {
                    out.push(file[pos].clone());
                    pos += 1;
                }
                LineKind::Remove => pos += 1,
                LineKind::Insert => out.push(FileLine { text, ending: eol }),
            }
        }
        debug_assert_eq!(pos, start + old_len);
        next = start + old_len;
    }
    out.extend_from_slice(&file[next..]);

    let count = out.len();
    let mut result = String::with_capacity(original.len() + 64);
    result.push_str(bom);
    for (i, line) in out.iter().enumerate() {
        result.push_str(&line.text);
        // A line that was last in the file (no ending) and no longer is needs one.
        let ending = if line.ending.is_empty() && i + 1 < count {
            eol
        } else {
            line.ending
        };
        result.push_str(ending);
    }
    Ok(result)
}

pub fn apply_ops(ops: &[Op], files: &FileMap) -> Result<Vec<FileChange>, PatchError> {
    let mut changes: Vec<FileChange> = Vec::new();
    // Every path a change touches (its path and its move destination) -> index of that change.
    let mut touched: VecMap<String, (usize, u32)> = VecMap::new();

    let claim = |touched: &mut VecMap<String, (usize, u32)>,
                 path: &str,
                 index: usize,
                 line: u32|
     -> Result<(), PatchError> {
        if let Some((_, earlier)) = touched.get(path) {
            return Err(err(
                line,
                format!("{path} is already changed by this patch (patch line {earlier}); a file can be added, deleted or moved only once per patch"),
            ));
        }
        touched.insert(path.to_string(), (index, line));
        Ok(())
    };

    for op in ops {
        match op {
            Op::Add { path, line, lines } => {
                check_writable(files, path, *line, "add")?;
                claim(&mut touched, path, changes.len(), *line)?;
                let original = match files.get(path) {
                    Some(FileState::Text { contents }) => Some(contents.clone()),
                    _ => None,
                };
                let new: String = lines.iter().map(|l| format!("{l}\n")).collect();
                let kind = if original.is_some() {
                    ChangeKind::Modify
                } else {
                    ChangeKind::Add
                };
                changes.push(FileChange {
                    kind,
                    path: path.clone(),
                    move_path: None,
                    original,
                    new_contents: Some(new),
                });
            }
            Op::Delete { path, line } => {
                let original = match state_of(files, path, *line)? {
                    FileState::Text { contents } => Some(contents.clone()),
                    // A binary file can be deleted without reading it.
                    FileState::Unreadable { .. } => None,
                    FileState::Missing => {
                        return Err(err(
                            *line,
                            format!("cannot delete {path}: the file does not exist"),
                        ))
                    }
                    other => {
                        return Err(err(
                            *line,
                            format!(
                                "cannot delete {path}: {}",
                                describe_unusable(path, other).unwrap_or_default()
                            ),
                        ))
                    }
                };
                claim(&mut touched, path, changes.len(), *line)?;
                changes.push(FileChange {
                    kind: ChangeKind::Delete,
                    path: path.clone(),
                    move_path: None,
                    original,
                    new_contents: None,
                });
            }
            Op::Update {
                path,
                line,
                move_to,
                chunks,
            } => {
                // A second Update File section for a file this patch already added or updated in place
                // continues from that result.
                if let Some(&(index, earlier)) = touched.get(path) {
                    let prior = &changes[index];
                    let continuable = prior.path == *path
                        && prior.move_path.is_none()
                        && prior.kind != ChangeKind::Delete
                        && move_to.is_none();
                    if !continuable {
                        return Err(err(
                            *line,
                            format!("{path} is already changed by this patch (patch line {earlier}) in a way later hunks cannot build on; put all edits to a file in one Update File section"),
                        ));
                    }
                    let current = prior.new_contents.clone().unwrap_or_default();
                    let new = update_text(path, &current, chunks)?;
                    changes[index].new_contents = Some(new);
                    continue;
                }
                let original = readable_text(files, path, *line, "update")?.to_string();
                let new = update_text(path, &original, chunks)?;
                let index = changes.len();
                claim(&mut touched, path, index, *line)?;
                let mut move_path = None;
                if let Some((dest, dest_line)) = move_to {
                    if dest != path {
                        check_writable(files, dest, *dest_line, "move to")?;
                        claim(&mut touched, dest, index, *dest_line)?;
                        move_path = Some(dest.clone());
                    }
                }
                changes.push(FileChange {
                    kind: ChangeKind::Modify,
                    path: path.clone(),
                    move_path,
                    original: Some(original),
                    new_contents: Some(new),
                });
            }
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod sort_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same order as the stable sort it replaces, ties in patch order included.
        #[test]
        fn sort_by_start_is_a_stable_sort(starts in proptest::collection::vec(0usize..8, 0..40)) {
            let edits: Vec<Edit> = starts
                .iter()
                .enumerate()
                .map(|(i, s)| (*s, i, vec![(LineKind::Context, i.to_string())]))
                .collect();
            let mut ours = edits.clone();
            sort_by_start(&mut ours);
            let mut theirs = edits;
            theirs.sort_by_key(|(start, _, _)| *start);
            prop_assert_eq!(ours, theirs);
        }
    }
}
