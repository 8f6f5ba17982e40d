//! The diff in two steps: the line-level diff (hunks as line ranges with their ids, what npm
//! `diff`'s `diffLines` also computes), cheap to make and to hand over; then the render model (rows
//! with word highlights, `@@` sections, the unified text) for the sections a caller shows, on demand.
//!
//! A `LineLevel` is the first step alone, made from bytes: it needs no valid text, so a caller that
//! wants only the numbers skips the UTF-8 check. A `LineDiff` keeps both texts (borrowed, or owned
//! when it outlives the caller's strings, as the wasm `TextDiff` handle does) with their
//! `LineLevel`, so rows for any section are made later without diffing again. `diff_texts` is
//! `LineDiff::new(..).file_diff()`: every section at once.

use super::{
    for_each_line_end, hunk_id_of_bytes, lockstep, strip_ending, unified_start, words, DiffHunk,
    DiffRow, DiffSection, FileDiff, Group, RowKind, CONTEXT_LINES,
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::ops::Range;
use ts_rs::TS;

/// One hunk of the line-level diff: its lines in both texts, no rows.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HunkLines {
    /// The same id `DiffHunk.id` has.
    pub id: String,
    /// As in `DiffHunk`: 1-based first line, or the line a pure insertion/deletion follows.
    pub old_start: u32,
    pub old_lines: u32,
    pub new_start: u32,
    pub new_lines: u32,
    /// The index (0-based, in file order) of the `@@` section the hunk belongs to; nearby hunks
    /// share one.
    pub section: u32,
}

/// The line-level diff of a file: what changed, as line ranges; no rows, highlights or unified text.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DiffLines {
    /// Hunk ids in file order (the same ids `FileDiff.hunk_ids` has).
    pub hunk_ids: Vec<String>,
    pub hunks: Vec<HunkLines>,
    /// Number of `@@` sections (nearby hunks share one).
    pub sections: u32,
    pub additions: u32,
    pub deletions: u32,
}

/// The line-level diff of two texts, from their bytes: the changed line groups with their ids and
/// sections. It keeps no text and needs none to be valid UTF-8 (lines are compared and hashed as
/// bytes), so a caller that wants only the hunks' numbers pays for no text check; `LineDiff` adds
/// the texts (and where each line ends), for rows. The lines both texts share are not split at all
/// (`lockstep.rs`).
pub struct LineLevel {
    groups: Vec<Group>,
    /// Each group's id hash (`hunk_id_of`).
    ids: Vec<u64>,
    /// Each section as the range of groups it holds.
    sections: Vec<Range<usize>>,
}

/// Two texts and their line-level diff; rows are made on request.
pub struct LineDiff<'a> {
    original: Cow<'a, str>,
    proposed: Cow<'a, str>,
    level: LineLevel,
    /// Byte offset just past each line (its ending included), per text.
    old_ends: Vec<usize>,
    new_ends: Vec<usize>,
}

/// Where each line of `text` ends (just past its '\n', or the end of a last line without one).
fn ends_of(text: &[u8]) -> Vec<usize> {
    let mut ends = Vec::with_capacity(text.len() / 64 + 1);
    for_each_line_end(text, |end| ends.push(end));
    ends
}

/// The id text of a hash: `h` and 16 hex digits.
pub fn hunk_id_text(hash: u64) -> String {
    format!("h{hash:016x}")
}

impl LineLevel {
    /// The line-level diff of `original` -> `proposed` (any bytes; lines end at '\n').
    pub fn new(original: &[u8], proposed: &[u8]) -> Self {
        let spans = lockstep::text_spans(original, proposed);
        let ids = spans
            .iter()
            .map(|s| {
                hunk_id_of_bytes(
                    s.group.old.start,
                    &original[s.old_bytes.clone()],
                    &proposed[s.new_bytes.clone()],
                )
            })
            .collect();
        let groups: Vec<Group> = spans.into_iter().map(|s| s.group).collect();
        // Sections: hunks whose unchanged gap is at most twice the context share one section.
        let mut sections: Vec<Range<usize>> = Vec::new();
        for (i, g) in groups.iter().enumerate() {
            match sections.last_mut() {
                Some(r) if g.old.start - groups[r.end - 1].old.end <= 2 * CONTEXT_LINES => {
                    r.end = i + 1
                }
                _ => sections.push(i..i + 1),
            }
        }
        LineLevel {
            groups,
            ids,
            sections,
        }
    }

    pub fn hunk_count(&self) -> usize {
        self.groups.len()
    }

    pub fn section_count(&self) -> usize {
        self.sections.len()
    }

    /// Hunk `i`'s id hash; its text is `hunk_id_text(hash)`.
    pub fn hunk_hash(&self, i: usize) -> u64 {
        self.ids[i]
    }

    /// Hunk `i` as unified-diff numbers `(old_start, old_lines, new_start, new_lines)`.
    pub fn hunk_numbers(&self, i: usize) -> (u32, u32, u32, u32) {
        let g = &self.groups[i];
        (
            unified_start(&g.old),
            g.old.len() as u32,
            unified_start(&g.new),
            g.new.len() as u32,
        )
    }

    /// The section hunk `i` belongs to, for every hunk in order.
    pub fn hunk_sections(&self) -> impl Iterator<Item = u32> + '_ {
        self.sections
            .iter()
            .enumerate()
            .flat_map(|(s, r)| r.clone().map(move |_| s as u32))
    }

    pub fn additions(&self) -> u32 {
        self.groups.iter().map(|g| g.new.len() as u32).sum()
    }

    pub fn deletions(&self) -> u32 {
        self.groups.iter().map(|g| g.old.len() as u32).sum()
    }

    /// The line-level result as plain values.
    pub fn lines(&self) -> DiffLines {
        let hunk_ids: Vec<String> = self.ids.iter().map(|&h| hunk_id_text(h)).collect();
        let hunks = self
            .hunk_sections()
            .enumerate()
            .map(|(i, section)| {
                let (old_start, old_lines, new_start, new_lines) = self.hunk_numbers(i);
                HunkLines {
                    id: hunk_ids[i].clone(),
                    old_start,
                    old_lines,
                    new_start,
                    new_lines,
                    section,
                }
            })
            .collect();
        DiffLines {
            hunk_ids,
            hunks,
            sections: self.sections.len() as u32,
            additions: self.additions(),
            deletions: self.deletions(),
        }
    }
}

impl<'a> LineDiff<'a> {
    /// The line-level diff of `original` -> `proposed` (borrowed `&str` or owned `String`).
    pub fn new(original: impl Into<Cow<'a, str>>, proposed: impl Into<Cow<'a, str>>) -> Self {
        let (original, proposed) = (original.into(), proposed.into());
        let level = LineLevel::new(original.as_bytes(), proposed.as_bytes());
        let (old_ends, new_ends) = (ends_of(original.as_bytes()), ends_of(proposed.as_bytes()));
        LineDiff {
            original,
            proposed,
            level,
            old_ends,
            new_ends,
        }
    }

    pub fn original(&self) -> &str {
        &self.original
    }

    pub fn proposed(&self) -> &str {
        &self.proposed
    }

    /// The line-level diff (hunks as line ranges, ids, sections).
    pub fn level(&self) -> &LineLevel {
        &self.level
    }

    /// The line-level result as plain values.
    pub fn lines(&self) -> DiffLines {
        self.level.lines()
    }

    fn old_line(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.old_ends[i - 1] };
        &self.original[start..self.old_ends[i]]
    }

    fn new_line(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.new_ends[i - 1] };
        &self.proposed[start..self.new_ends[i]]
    }

    fn context_row(&self, oi: usize, ni: usize) -> DiffRow {
        let line = self.old_line(oi);
        DiffRow {
            kind: RowKind::Context,
            old_line: Some(oi as u32 + 1),
            new_line: Some(ni as u32 + 1),
            text: strip_ending(line).to_string(),
            highlights: Vec::new(),
            hunk_id: None,
            no_newline: !line.ends_with('\n'),
        }
    }

    /// The whole render model: every section, as `diff_texts` gives it.
    pub fn file_diff(&self) -> FileDiff {
        self.file_diff_part(0..self.level.sections.len())
    }

    /// The render model of sections `sections` (clamped) only: their hunks, rows (with word
    /// highlights), sections and unified text, row indices counted from the part's first row, and
    /// the additions and deletions of those hunks. The parts of every section, one after another,
    /// are `file_diff()`.
    pub fn file_diff_part(&self, sections: Range<usize>) -> FileDiff {
        let end = sections.end.min(self.level.sections.len());
        let sections = sections.start.min(end)..end;
        let hunks = self
            .level
            .sections
            .get(sections.start)
            .map_or(0, |r| r.start)
            ..self
                .level
                .sections
                .get(end.wrapping_sub(1))
                .map_or(0, |r| r.end);
        let hunks = if sections.is_empty() { 0..0 } else { hunks };
        let mut diff = FileDiff {
            hunk_ids: Vec::with_capacity(hunks.len()),
            unified: String::new(),
            hunks: Vec::with_capacity(hunks.len()),
            sections: Vec::with_capacity(sections.len()),
            rows: Vec::new(),
            additions: 0,
            deletions: 0,
        };
        for s in sections {
            self.push_section(s, &mut diff);
        }
        diff
    }

    /// Appends section `s`'s hunks, rows, section and unified text to `diff`.
    fn push_section(&self, s: usize, diff: &mut FileDiff) {
        let members = self.level.sections[s].clone();
        let first = &self.level.groups[members.start];
        let last = &self.level.groups[members.end - 1];
        let lead = first.old.start.min(CONTEXT_LINES);
        let old_begin = first.old.start - lead;
        let new_begin = first.new.start - lead;
        let trail = (self.old_ends.len() - last.old.end).min(CONTEXT_LINES);
        let old_end = last.old.end + trail;
        let new_end = last.new.end + trail;
        let first_row = diff.rows.len();
        let mut hunk_ids = Vec::with_capacity(members.len());

        let (mut oi, mut ni) = (old_begin, new_begin);
        for gi in members {
            let g = &self.level.groups[gi];
            while oi < g.old.start {
                diff.rows.push(self.context_row(oi, ni));
                oi += 1;
                ni += 1;
            }
            let id = hunk_id_text(self.level.ids[gi]);
            let hunk_first_row = diff.rows.len();
            let old: Vec<&str> = g.old.clone().map(|o| self.old_line(o)).collect();
            let new: Vec<&str> = g.new.clone().map(|n| self.new_line(n)).collect();
            let pairs = words::pair_highlights(&old, &new);
            for (k, line) in old.iter().enumerate() {
                diff.rows.push(DiffRow {
                    kind: RowKind::Delete,
                    old_line: Some((g.old.start + k) as u32 + 1),
                    new_line: None,
                    text: strip_ending(line).to_string(),
                    highlights: pairs.old.get(k).cloned().unwrap_or_default(),
                    hunk_id: Some(id.clone()),
                    no_newline: !line.ends_with('\n'),
                });
            }
            for (k, line) in new.iter().enumerate() {
                diff.rows.push(DiffRow {
                    kind: RowKind::Insert,
                    old_line: None,
                    new_line: Some((g.new.start + k) as u32 + 1),
                    text: strip_ending(line).to_string(),
                    highlights: pairs.new.get(k).cloned().unwrap_or_default(),
                    hunk_id: Some(id.clone()),
                    no_newline: !line.ends_with('\n'),
                });
            }
            diff.deletions += g.old.len() as u32;
            diff.additions += g.new.len() as u32;
            diff.hunks.push(DiffHunk {
                id: id.clone(),
                old_start: unified_start(&g.old),
                old_lines: g.old.len() as u32,
                new_start: unified_start(&g.new),
                new_lines: g.new.len() as u32,
                first_row: hunk_first_row as u32,
                row_count: (diff.rows.len() - hunk_first_row) as u32,
            });
            diff.hunk_ids.push(id.clone());
            hunk_ids.push(id);
            oi = g.old.end;
            ni = g.new.end;
        }
        while oi < old_end {
            diff.rows.push(self.context_row(oi, ni));
            oi += 1;
            ni += 1;
        }
        debug_assert_eq!(ni, new_end);

        let old_range = old_begin..old_end;
        let new_range = new_begin..new_end;
        let section = DiffSection {
            old_start: unified_start(&old_range),
            old_lines: old_range.len() as u32,
            new_start: unified_start(&new_range),
            new_lines: new_range.len() as u32,
            first_row: first_row as u32,
            row_count: (diff.rows.len() - first_row) as u32,
            hunk_ids,
        };
        super::write_unified_section(&mut diff.unified, &section, &diff.rows[first_row..]);
        diff.sections.push(section);
    }
}
