//! Parsing the apply_patch text format into file operations. Every error names the 1-based line of
//! the patch text as given (heredoc wrapper and blank lines included in the count).

use super::paths::normalize_relative;
use super::PatchError;

const BEGIN: &str = "*** Begin Patch";
const END: &str = "*** End Patch";
const ADD: &str = "*** Add File:";
const DELETE: &str = "*** Delete File:";
const UPDATE: &str = "*** Update File:";
const MOVE: &str = "*** Move to:";
const END_OF_FILE: &str = "*** End of File";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Context,
    Remove,
    Insert,
}

/// One `@@` hunk of an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Patch line where the hunk starts (its first `@@` or its first body line).
    pub line: u32,
    /// `@@ <text>` lines before the body, outermost first, each with its patch line.
    pub contexts: Vec<(String, u32)>,
    pub lines: Vec<(LineKind, String)>,
    /// `*** End of File`: the hunk's old lines end the file.
    pub end_of_file: bool,
}

impl Chunk {
    pub fn old_lines(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter(|(k, _)| *k != LineKind::Insert)
            .map(|(_, t)| t.clone())
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Add {
        path: String,
        line: u32,
        lines: Vec<String>,
    },
    Delete {
        path: String,
        line: u32,
    },
    Update {
        path: String,
        line: u32,
        move_to: Option<(String, u32)>,
        chunks: Vec<Chunk>,
    },
}

fn err(line: usize, message: impl Into<String>) -> PatchError {
    PatchError {
        line: Some(line as u32 + 1),
        message: message.into(),
    }
}

/// `<<'EOF'`, `<<EOF`, `<<"EOF"`, optionally after `apply_patch` / `applypatch`: the heredoc tag.
fn heredoc_tag(line: &str) -> Option<String> {
    let t = line.trim();
    let rest = t
        .strip_prefix("apply_patch")
        .or_else(|| t.strip_prefix("applypatch"))
        .unwrap_or(t)
        .trim_start();
    let rest = rest.strip_prefix("<<")?;
    let rest = rest.strip_prefix('-').unwrap_or(rest).trim();
    let tag = rest
        .strip_prefix('\'')
        .and_then(|r| r.strip_suffix('\''))
        .or_else(|| rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')))
        .unwrap_or(rest);
    let valid = !tag.is_empty() && tag.chars().all(|c| c.is_alphanumeric() || c == '_');
    valid.then(|| tag.to_string())
}

fn header_path(line: usize, rest: &str, what: &str) -> Result<String, PatchError> {
    let header = what.trim_end_matches(':');
    normalize_relative(rest)
        .map_err(|reason| err(line, format!("bad path in '{header}': {reason}")))
}

fn is_file_header(trimmed: &str) -> bool {
    trimmed.starts_with(ADD) || trimmed.starts_with(DELETE) || trimmed.starts_with(UPDATE)
}

/// `@@`, `@@ text`, and the unified-diff form `@@ -1,3 +1,4 @@ text` (numbers ignored): the context.
fn hunk_header_context(trimmed: &str) -> Option<String> {
    let rest = trimmed.strip_prefix("@@")?.trim();
    if let Some(after) = rest.strip_prefix('-') {
        // `-a,b +c,d @@ ctx`: skip the numbers, keep what follows the closing @@.
        let looks_numeric = after.chars().next().is_some_and(|c| c.is_ascii_digit());
        if looks_numeric {
            if let Some(close) = after.find("@@") {
                let nums = &after[..close];
                if nums
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, ',' | ' ' | '+' | '-'))
                {
                    return Some(after[close + 2..].trim().to_string());
                }
            }
        }
    }
    Some(rest.to_string())
}

pub fn parse_ops(text: &str) -> Result<Vec<Op>, PatchError> {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let non_blank: Vec<usize> = (0..lines.len())
        .filter(|&i| !lines[i].trim().is_empty())
        .collect();
    let (Some(&first), Some(&last)) = (non_blank.first(), non_blank.last()) else {
        return Err(PatchError {
            line: None,
            message: format!("the patch is empty; it must start with '{BEGIN}'"),
        });
    };
    let (mut first, mut last) = (first, last);
    if let Some(tag) = heredoc_tag(lines[first]) {
        if first == last || lines[last].trim() != tag {
            return Err(err(
                last,
                format!(
                    "the heredoc opened at patch line {} is not closed by '{tag}'",
                    first + 1
                ),
            ));
        }
        let inner: Vec<usize> = non_blank
            .iter()
            .copied()
            .filter(|&i| i > first && i < last)
            .collect();
        match (inner.first(), inner.last()) {
            (Some(&f), Some(&l)) => (first, last) = (f, l),
            _ => return Err(err(first, "the heredoc holds no patch")),
        }
    }
    if lines[first].trim() != BEGIN {
        return Err(err(
            first,
            format!(
                "the patch must start with '{BEGIN}', found '{}'",
                lines[first].trim()
            ),
        ));
    }
    if first == last || lines[last].trim() != END {
        return Err(err(
            last,
            format!(
                "the patch must end with '{END}', found '{}'",
                lines[last].trim()
            ),
        ));
    }

    let mut ops = Vec::new();
    let mut i = first + 1;
    while i < last {
        let t = lines[i].trim();
        if t.is_empty() {
            i += 1;
            continue;
        }
        if let Some(rest) = t.strip_prefix(ADD) {
            let path = header_path(i, rest, ADD)?;
            let op_line = i;
            i += 1;
            let mut body = Vec::new();
            while i < last {
                if let Some(content) = lines[i].strip_prefix('+') {
                    body.push(content.to_string());
                    i += 1;
                } else if lines[i].is_empty() && i + 1 < last && lines[i + 1].starts_with('+') {
                    // A bare empty line between `+` lines: an empty line of the new file whose `+` got lost.
                    body.push(String::new());
                    i += 1;
                } else {
                    break;
                }
            }
            ops.push(Op::Add {
                path,
                line: op_line as u32 + 1,
                lines: body,
            });
        } else if let Some(rest) = t.strip_prefix(DELETE) {
            ops.push(Op::Delete {
                path: header_path(i, rest, DELETE)?,
                line: i as u32 + 1,
            });
            i += 1;
        } else if let Some(rest) = t.strip_prefix(UPDATE) {
            let path = header_path(i, rest, UPDATE)?;
            let op_line = i;
            i += 1;
            let mut move_to = None;
            if i < last {
                if let Some(rest) = lines[i].trim().strip_prefix(MOVE) {
                    move_to = Some((header_path(i, rest, MOVE)?, i as u32 + 1));
                    i += 1;
                }
            }
            let mut chunks = Vec::new();
            loop {
                while i < last && lines[i].trim().is_empty() {
                    i += 1;
                }
                if i >= last || lines[i].starts_with("***") || is_file_header(lines[i].trim()) {
                    break;
                }
                let (chunk, next) = parse_chunk(&lines, i, last, chunks.is_empty(), &path)?;
                chunks.push(chunk);
                i = next;
            }
            if chunks.is_empty() && move_to.is_none() {
                return Err(err(
                    op_line,
                    format!("'{UPDATE} {path}' has no hunks: expected '@@' followed by lines starting with ' ', '-' or '+'"),
                ));
            }
            ops.push(Op::Update {
                path,
                line: op_line as u32 + 1,
                move_to,
                chunks,
            });
        } else {
            return Err(err(
                i,
                format!("'{t}' is not a valid file operation; expected '{ADD} <path>', '{DELETE} <path>' or '{UPDATE} <path>'"),
            ));
        }
    }
    if ops.is_empty() {
        return Err(err(
            first,
            "the patch contains no file operations (Add File, Delete File or Update File)",
        ));
    }
    Ok(ops)
}

/// Parses one hunk starting at `start`; returns it and the index of the line after it.
fn parse_chunk(
    lines: &[&str],
    start: usize,
    last: usize,
    first_chunk: bool,
    path: &str,
) -> Result<(Chunk, usize), PatchError> {
    let mut i = start;
    let mut contexts = Vec::new();
    let mut saw_header = false;
    // Several `@@` lines in a row narrow the position down step by step (class, then method).
    while i < last {
        let Some(ctx) = hunk_header_context(lines[i].trim_start()) else {
            break;
        };
        saw_header = true;
        if !ctx.is_empty() {
            contexts.push((ctx, i as u32 + 1));
        }
        i += 1;
    }
    if !saw_header && !first_chunk {
        return Err(err(
            start,
            format!("unexpected line '{}' in the changes to {path}: every hunk line starts with ' ', '-' or '+', and a new hunk starts with '@@'", lines[start]),
        ));
    }
    let mut body = Vec::new();
    let mut end_of_file = false;
    while i < last {
        let line = lines[i];
        if line.trim() == END_OF_FILE {
            end_of_file = true;
            i += 1;
            break;
        }
        match line.chars().next() {
            None => body.push((LineKind::Context, String::new())),
            Some(' ') => body.push((LineKind::Context, line[1..].to_string())),
            Some('-') => body.push((LineKind::Remove, line[1..].to_string())),
            Some('+') => body.push((LineKind::Insert, line[1..].to_string())),
            _ if line.starts_with("@@") || line.starts_with("***") => break,
            _ => {
                return Err(err(
                    i,
                    format!("unexpected line '{line}' in the changes to {path}: every hunk line starts with ' ', '-' or '+'"),
                ))
            }
        }
        i += 1;
    }
    // Blank lines that only separate this hunk from the next header are not part of it.
    while i > start
        && body.last() == Some(&(LineKind::Context, String::new()))
        && lines[i - 1].is_empty()
    {
        body.pop();
        i -= 1;
    }
    if body.is_empty() {
        return Err(err(
            start,
            format!("a hunk of {path} has no lines: expected lines starting with ' ', '-' or '+' after '@@'"),
        ));
    }
    Ok((
        Chunk {
            line: start as u32 + 1,
            contexts,
            lines: body,
            end_of_file,
        },
        i,
    ))
}
