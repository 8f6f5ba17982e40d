//! The diff engine: original vs proposed text -> hunks with stable ids, word-level highlights, the
//! unified diff and a render model; and partial application of accepted hunks.
//!
//! - `diff_texts(original, proposed) -> FileDiff`
//! - `LineDiff::new(original, proposed)`: the line-level diff alone (hunks as line ranges), and the
//!   render model of chosen sections on demand (`line_diff.rs`)
//! - `apply_hunks(original, proposed, accepted_ids) -> String`
//!
//! Two groupings, for two purposes:
//! - a **hunk** (`DiffHunk`) is one maximal run of changed lines with no unchanged line inside. It is
//!   the unit a person accepts or rejects, so two edits three lines apart are two decisions;
//! - a **section** (`DiffSection`) is one `@@` block of the unified text: nearby hunks with up to 3
//!   lines of context around them. `rows` (the render model) holds exactly the sections' lines.
//!
//! Lines are compared with their endings, so a change of line ending is a real change and accepting
//! every hunk gives the proposed text byte for byte; the displayed `text` of a row never includes the
//! ending, so a CRLF file shows no stray `\r`.

use serde::{Deserialize, Serialize};
use std::ops::Range;
use ts_rs::TS;

mod json;
mod line_diff;
mod lines;
mod lockstep;
mod myers;
mod words;

pub use json::{file_diff_json, string as json_string};
pub use line_diff::{hunk_id_text, DiffLines, HunkLines, LineDiff, LineLevel};
pub use lines::{decide_hunk_lines, LineDecision};

/// Lines of unchanged context around changes in sections and the unified text.
pub const CONTEXT_LINES: usize = 3;

#[derive(Serialize, Deserialize, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum RowKind {
    Context,
    Insert,
    Delete,
}

/// A highlighted span inside a row's `text`, in UTF-16 code units (JavaScript string indices), end
/// exclusive.
#[derive(Serialize, Deserialize, TS, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HighlightRange {
    pub start: u32,
    pub end: u32,
}

/// One line of the render model.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DiffRow {
    pub kind: RowKind,
    /// 1-based line in the original (context and deleted rows).
    pub old_line: Option<u32>,
    /// 1-based line in the proposed text (context and inserted rows).
    pub new_line: Option<u32>,
    /// The line without its ending.
    pub text: String,
    /// Changed words within the line (UTF-16 offsets into `text`); empty when the whole line is new,
    /// or when the paired line shares nothing with it.
    pub highlights: Vec<HighlightRange>,
    /// The hunk this changed row belongs to; null for context rows.
    pub hunk_id: Option<String>,
    /// The line is the last of its text and has no line ending.
    pub no_newline: bool,
}

/// One acceptable/rejectable change: a run of changed lines.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DiffHunk {
    /// Stable: a hash of the hunk's position in the original and of its old and new lines.
    pub id: String,
    /// 1-based first original line the hunk replaces; for a pure insertion, the original line it
    /// follows (0 at the top), as in unified diffs.
    pub old_start: u32,
    pub old_lines: u32,
    /// Same for the proposed text.
    pub new_start: u32,
    pub new_lines: u32,
    /// Index into `FileDiff.rows` of the hunk's first changed row, and how many rows it spans
    /// (deleted rows first, then inserted rows).
    pub first_row: u32,
    pub row_count: u32,
}

/// One `@@` block of the unified text: nearby hunks with their context.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DiffSection {
    pub old_start: u32,
    pub old_lines: u32,
    pub new_start: u32,
    pub new_lines: u32,
    pub first_row: u32,
    pub row_count: u32,
    pub hunk_ids: Vec<String>,
}

/// The diff of one file.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FileDiff {
    /// Hunk ids in file order; stable for a given (original, proposed) pair.
    pub hunk_ids: Vec<String>,
    /// The unified diff body: `@@ -a,b +c,d @@` sections with 3 lines of context, no `---`/`+++`
    /// header (callers add the file names), `\ No newline at end of file` where it applies. Empty
    /// when the texts are equal.
    pub unified: String,
    pub hunks: Vec<DiffHunk>,
    pub sections: Vec<DiffSection>,
    /// The render model: every row of every section, in order.
    pub rows: Vec<DiffRow>,
    /// Number of inserted and deleted lines.
    pub additions: u32,
    pub deletions: u32,
}

/// Splits into lines, each keeping its ending ("\n" or "\r\n"); the last may have none. One pass
/// over the bytes eight at a time: every newline in a word is found at once (the exact zero-byte
/// test of `word ^ 0x0a0a..`), so the cost is one load and a few operations per eight bytes, with no
/// per-line search restart (`str::split_inclusive` restarts a character search for every line).
fn split_keep_endings(text: &str) -> Vec<&str> {
    let mut lines = Vec::with_capacity(text.len() / 64 + 1);
    let mut start = 0;
    // Every end is just past a '\n' (or the end of the text): a character boundary.
    for_each_line_end(text.as_bytes(), |end| {
        lines.push(&text[start..end]);
        start = end;
    });
    lines
}

/// `split_keep_endings` over bytes (the tests' reference splitter for bytes).
#[cfg(test)]
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    lockstep::all_lines(bytes)
}

/// Calls `f` with the end of every line of `bytes` (just past its '\n', or the end of a last line
/// without one), in order. The callers reserve a guess at the line count: source lines average a
/// few dozen bytes, which saves most regrowth.
#[inline(always)]
fn for_each_line_end(bytes: &[u8], mut f: impl FnMut(usize)) {
    const NL: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let x = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) ^ NL;
        // 0x80 in exactly the bytes of `x` that are zero (the newlines), nothing elsewhere.
        let mut found = !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7);
        while found != 0 {
            f(base + (found.trailing_zeros() / 8) as usize + 1);
            found &= found - 1;
        }
        base += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == b'\n' {
            f(base + i + 1);
        }
    }
    // A last line without an ending (the bytes after the last '\n').
    if bytes.last().is_some_and(|&b| b != b'\n') {
        f(bytes.len());
    }
}

/// Text lines as the byte lines the line-level diff compares.
#[cfg(test)]
fn bytes_of<'a>(lines: &[&'a str]) -> Vec<&'a [u8]> {
    lines.iter().map(|l| l.as_bytes()).collect()
}

fn strip_ending(line: &str) -> &str {
    line.strip_suffix('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .unwrap_or(line)
}

/// A maximal run of changed lines: old and new index ranges.
#[derive(Debug, Clone)]
struct Group {
    old: Range<usize>,
    new: Range<usize>,
}

/// A line's hash: the FxHash recipe (rotate, xor, multiply) over its bytes eight at a time, the
/// length mixed in first. Cheap, and only a hint: equal hashes are confirmed by comparing the
/// lines, so a collision costs time, never correctness (and hash flooding is no concern for a diff
/// of the person's own files).
fn line_hash(line: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let mut h = mix(0, line.len() as u64);
    let mut chunks = line.chunks_exact(8);
    for c in &mut chunks {
        h = mix(
            h,
            u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        );
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = mix(h, u64::from_le_bytes(word));
    }
    // The multiply leaves the low bits of the last word's influence only in the high bits; folding
    // the high half down spreads it to the bits the table tag uses.
    h ^ (h >> 32)
}

/// Whether two lines are equal. In wasm, `==` on slices calls the runtime's `memcmp`, which compares
/// a byte at a time; `equal_by_words` compares 8 bytes at a time. Native builds keep libc's `memcmp`.
#[inline]
fn same_line(a: &[u8], b: &[u8]) -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        equal_by_words(a, b)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        a == b
    }
}

#[cfg(any(test, target_arch = "wasm32"))]
#[inline]
fn equal_by_words(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut wa, mut wb) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in (&mut wa).zip(&mut wb) {
        let x = u64::from_le_bytes([x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]]);
        let y = u64::from_le_bytes([y[0], y[1], y[2], y[3], y[4], y[5], y[6], y[7]]);
        if x != y {
            return false;
        }
    }
    wa.remainder() == wb.remainder()
}

/// The lines of two texts -> small integer ids (equal lines, equal ids), in a flat open-addressing
/// table sized once: each slot holds 32 bits of the line's hash and its id + 1 (0: empty), so a
/// probe touches one word and compares bytes only when the hash bits agree. An id remembers where
/// its line first occurred (an index into `old` then `new`), not the line itself: 4 bytes an id.
struct Interner<'a> {
    slots: Vec<u64>,
    /// Bits of the table index (taken from the top of the hash, the best-mixed bits of a multiply).
    shift: u32,
    old: &'a [&'a [u8]],
    new: &'a [&'a [u8]],
    first: Vec<u32>,
}

impl<'a> Interner<'a> {
    fn new(old: &'a [&'a [u8]], new: &'a [&'a [u8]]) -> Self {
        let lines = old.len() + new.len();
        // Never full, so a probe ends; at most four fifths full even when every line differs, and
        // usually (most lines occur on both sides) about two fifths.
        let size = (lines + lines / 4 + 1).next_power_of_two().max(16);
        Interner {
            slots: vec![0; size],
            shift: 64 - size.trailing_zeros(),
            old,
            new,
            first: Vec::with_capacity(lines / 2 + 1),
        }
    }

    fn len(&self) -> usize {
        self.first.len()
    }

    /// Line `at` of `old` then `new`.
    fn line(&self, at: u32) -> &'a [u8] {
        let at = at as usize;
        match self.old.get(at) {
            Some(l) => l,
            None => self.new[at - self.old.len()],
        }
    }

    /// The ids of every line of `old`, then of every line of `new`.
    ///
    /// A line of `new` is first compared with the line of `old` on the diagonal of the last match
    /// (a sparse edit leaves most lines on one diagonal): when they are equal it takes that line's
    /// id without being hashed or looked up. The ids are the same either way (equal lines have
    /// equal ids, and a line equal to none of `old` still gets its id from the table, in order).
    fn intern_all(mut self) -> (Vec<u32>, Vec<u32>, usize) {
        let old_ids: Vec<u32> = (0..self.old.len() as u32).map(|at| self.id(at)).collect();
        let (old, new) = (self.old, self.new);
        let base = old.len() as u32;
        // The old index of the next line on the current diagonal.
        let mut guess = 0usize;
        let mut new_ids = Vec::with_capacity(new.len());
        for (j, line) in new.iter().enumerate() {
            let id = match old.get(guess) {
                Some(o) if same_line(o, line) => old_ids[guess],
                _ => {
                    let id = self.id(base + j as u32);
                    // Follow the diagonal of the line's first occurrence when it is in `old`.
                    let first = self.first[id as usize] as usize;
                    if first < old.len() {
                        guess = first;
                    }
                    id
                }
            };
            new_ids.push(id);
            guess += 1;
        }
        (old_ids, new_ids, self.len())
    }

    fn id(&mut self, at: u32) -> u32 {
        let line = self.line(at);
        let h = line_hash(line);
        let tag = h & 0xffff_ffff;
        let mask = self.slots.len() - 1;
        let mut i = (h >> self.shift) as usize;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                let id = self.first.len() as u32;
                self.slots[i] = (tag << 32) | u64::from(id + 1);
                self.first.push(at);
                return id;
            }
            if slot >> 32 == tag {
                let id = (slot & 0xffff_ffff) as u32 - 1;
                if same_line(self.line(self.first[id as usize]), line) {
                    return id;
                }
            }
            i = (i + 1) & mask;
        }
    }
}

/// A line compared by `same_line`.
#[derive(Clone, Copy)]
struct Line<'a>(&'a [u8]);

impl PartialEq for Line<'_> {
    fn eq(&self, other: &Self) -> bool {
        same_line(self.0, other.0)
    }
}

/// The changed line groups of old -> new.
fn line_groups(old: &[&[u8]], new: &[&[u8]]) -> Vec<Group> {
    // The common first and last lines are cut off before anything is hashed: a small edit in a big
    // file costs a comparison per line, not an interning.
    let prefix = old
        .iter()
        .zip(new)
        .take_while(|(a, b)| same_line(a, b))
        .count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| same_line(a, b))
        .count();
    let (o, n) = (
        &old[prefix..old.len() - suffix],
        &new[prefix..new.len() - suffix],
    );
    let mut groups = Vec::new();
    if o.is_empty() || n.is_empty() || (o.len() == 1 && n.len() == 1) {
        // Nothing to align (the most common window: one line edited, inserted or deleted). The
        // trimmed ends differ, so a line against a line is one change group, as Myers finds it.
        if !(o.is_empty() && n.is_empty()) {
            groups.push(Group {
                old: prefix..prefix + o.len(),
                new: prefix..prefix + n.len(),
            });
        }
        return groups;
    }
    if o.len() + n.len() <= SMALL_REGION {
        // What `diff_ids` does with a small region (Myers directly), on the lines themselves:
        // equal lines are exactly equal ids, so the groups are the same without the interning.
        let (o, n): (Vec<Line>, Vec<Line>) = (
            o.iter().map(|l| Line(l)).collect(),
            n.iter().map(|l| Line(l)).collect(),
        );
        myers_region(&o, &n, 0, 0, &mut groups);
    } else {
        // Lines (with their endings, see the module doc) become small integers, so the diff
        // compares numbers, not strings.
        let (old_ids, new_ids, n_ids) = Interner::new(o, n).intern_all();
        diff_ids(&old_ids, &new_ids, n_ids, &mut groups);
    }
    for g in &mut groups {
        g.old = g.old.start + prefix..g.old.end + prefix;
        g.new = g.new.start + prefix..g.new.end + prefix;
    }
    groups
}

/// Below this many lines (after trimming) a region goes to Myers directly.
const SMALL_REGION: usize = 64;

/// Diffs two id sequences (ids below `n_ids`), appending the changed groups in order. Sparse edits
/// in big files are the common case: the common prefix and suffix are cut off, then lines that
/// occur exactly once on each side and in the same order (the patience diff's anchors) split the
/// rest into small regions, and only those go to (heuristic) Myers. Inputs without such anchors
/// (repetitive text) go to Myers whole, as before.
fn diff_ids(old: &[u32], new: &[u32], n_ids: usize, out: &mut Vec<Group>) {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (o_end, n_end) = (old.len() - suffix, new.len() - suffix);
    let (o, n) = (&old[prefix..o_end], &new[prefix..n_end]);
    if o.is_empty() && n.is_empty() {
        return;
    }
    if o.is_empty() || n.is_empty() || o.len() + n.len() <= SMALL_REGION {
        myers_region(o, n, prefix, prefix, out);
        return;
    }
    // Anchors: ids seen once in `o` and once in `n`, as (index in o, index in n) in o's order.
    const MANY: u32 = 2;
    let mut count_o = vec![0u32; n_ids];
    let mut count_n = vec![0u32; n_ids];
    let mut pos_n = vec![0u32; n_ids];
    for &id in o {
        let c = &mut count_o[id as usize];
        *c = (*c + 1).min(MANY);
    }
    for (j, &id) in n.iter().enumerate() {
        let c = &mut count_n[id as usize];
        *c = (*c + 1).min(MANY);
        pos_n[id as usize] = j as u32;
    }
    let candidates: Vec<(u32, u32)> = o
        .iter()
        .enumerate()
        .filter(|(_, &id)| count_o[id as usize] == 1 && count_n[id as usize] == 1)
        .map(|(i, &id)| (i as u32, pos_n[id as usize]))
        .collect();
    let anchors = increasing_run(&candidates);
    if anchors.is_empty() {
        myers_region(o, n, prefix, prefix, out);
        return;
    }
    // The regions between anchors (an anchor line itself is equal on both sides).
    let (mut oi, mut ni) = (0usize, 0usize);
    for &(ai, aj) in anchors
        .iter()
        .chain(std::iter::once(&(o.len() as u32, n.len() as u32)))
    {
        let (ai, aj) = (ai as usize, aj as usize);
        region(&o[oi..ai], &n[ni..aj], prefix + oi, prefix + ni, out);
        oi = ai + 1;
        ni = aj + 1;
    }
}

/// One region between anchors: trimmed again, then Myers.
fn region(o: &[u32], n: &[u32], o_off: usize, n_off: usize, out: &mut Vec<Group>) {
    let prefix = o.iter().zip(n).take_while(|(a, b)| a == b).count();
    let suffix = o[prefix..]
        .iter()
        .rev()
        .zip(n[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (o, n) = (&o[prefix..o.len() - suffix], &n[prefix..n.len() - suffix]);
    myers_region(o, n, o_off + prefix, n_off + prefix, out);
}

/// Myers on one region (offsets into the whole texts); groups touching the previous one merge.
fn myers_region<T: PartialEq>(o: &[T], n: &[T], o_off: usize, n_off: usize, out: &mut Vec<Group>) {
    if o.is_empty() && n.is_empty() {
        return;
    }
    let mut push = |g: Group| match out.last_mut() {
        Some(last) if last.old.end == g.old.start && last.new.end == g.new.start => {
            last.old.end = g.old.end;
            last.new.end = g.new.end;
        }
        _ => out.push(g),
    };
    if o.is_empty() || n.is_empty() {
        push(Group {
            old: o_off..o_off + o.len(),
            new: n_off..n_off + n.len(),
        });
        return;
    }
    // Myers bounds its work on pathological inputs (one run for the rest), so big files stay fast.
    for (or, nr) in myers::changed_runs(o, n) {
        push(Group {
            old: o_off + or.start..o_off + or.end,
            new: n_off + nr.start..n_off + nr.end,
        });
    }
}

/// The longest run of pairs whose second members increase too (pairs come with increasing first
/// members): patience sorting, O(k log k). The run's tail values are kept in their own array, so the
/// binary search reads one contiguous array, and a pair beyond every tail (the usual case: anchors
/// of a file with sparse edits are nearly all in order) extends the run without a search.
fn increasing_run(pairs: &[(u32, u32)]) -> Vec<(u32, u32)> {
    // tails[k]: index of the pair ending the best run of length k+1 found so far; tail_values[k]
    // its second member.
    let mut tails: Vec<usize> = Vec::new();
    let mut tail_values: Vec<u32> = Vec::new();
    let mut prev: Vec<usize> = vec![usize::MAX; pairs.len()];
    for (i, p) in pairs.iter().enumerate() {
        let k = match tail_values.last() {
            Some(&last) if last < p.1 => tail_values.len(),
            _ => tail_values.partition_point(|&v| v < p.1),
        };
        if k > 0 {
            prev[i] = tails[k - 1];
        }
        if k == tails.len() {
            tails.push(i);
            tail_values.push(p.1);
        } else {
            tails[k] = i;
            tail_values[k] = p.1;
        }
    }
    let mut run = Vec::with_capacity(tails.len());
    let mut at = tails.last().copied().unwrap_or(usize::MAX);
    while at != usize::MAX {
        run.push(pairs[at]);
        at = prev[at];
    }
    run.reverse();
    run
}

/// FNV-1a, 64 bit: small, deterministic on every platform and in wasm.
fn fnv1a(hash: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *hash ^= u64::from(*b);
        *hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

/// A hunk's id hash from the bytes its lines span: the same value as `hunk_id_of` (each line is
/// hashed with its ending, after a '-' or '+').
fn hunk_id_of_bytes(old_start: usize, old: &[u8], new: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    fnv1a(&mut h, &(old_start as u64).to_le_bytes());
    fnv1a_lines(&mut h, b'-', old);
    fnv1a_lines(&mut h, b'+', new);
    h
}

/// FNV-1a over `lines` (whole lines) with `mark` before each line: in one pass over the bytes, a
/// mark goes in at the start and after every '\n' but the last byte's.
fn fnv1a_lines(hash: &mut u64, mark: u8, lines: &[u8]) {
    let Some((&last, body)) = lines.split_last() else {
        return;
    };
    let step = |h: u64, b: u8| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    let mut h = step(*hash, mark);
    for &b in body {
        h = step(h, b);
        if b == b'\n' {
            h = step(h, mark);
        }
    }
    *hash = step(h, last);
}

/// A hunk's id hash: its position in the original and its old and new lines.
#[cfg(test)]
fn hunk_id_of(group: &Group, old: &[&[u8]], new: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    fnv1a(&mut h, &(group.old.start as u64).to_le_bytes());
    for l in &old[group.old.clone()] {
        fnv1a(&mut h, b"-");
        fnv1a(&mut h, l);
    }
    for l in &new[group.new.clone()] {
        fnv1a(&mut h, b"+");
        fnv1a(&mut h, l);
    }
    h
}

#[cfg(test)]
fn hunk_id(group: &Group, old: &[&[u8]], new: &[&[u8]]) -> String {
    hunk_id_text(hunk_id_of(group, old, new))
}

/// A span's id text.
fn span_id(s: &lockstep::Span, original: &[u8], proposed: &[u8]) -> String {
    hunk_id_text(hunk_id_of_bytes(
        s.group.old.start,
        &original[s.old_bytes.clone()],
        &proposed[s.new_bytes.clone()],
    ))
}

/// Unified-diff start number: 1-based first line, or the preceding line when the range is empty.
fn unified_start(range: &Range<usize>) -> u32 {
    if range.is_empty() {
        range.start as u32
    } else {
        range.start as u32 + 1
    }
}

/// The whole diff: hunks, rows with word highlights, sections and the unified text (see `LineDiff`
/// for the line-level diff alone and the render model of some sections).
pub fn diff_texts(original: &str, proposed: &str) -> FileDiff {
    LineDiff::new(original, proposed).file_diff()
}

fn write_unified_section(out: &mut String, s: &DiffSection, rows: &[DiffRow]) {
    let range = |start: u32, len: u32| {
        if len == 1 {
            format!("{start}")
        } else {
            format!("{start},{len}")
        }
    };
    out.push_str(&format!(
        "@@ -{} +{} @@\n",
        range(s.old_start, s.old_lines),
        range(s.new_start, s.new_lines)
    ));
    for row in rows {
        out.push(match row.kind {
            RowKind::Context => ' ',
            RowKind::Insert => '+',
            RowKind::Delete => '-',
        });
        out.push_str(&row.text);
        out.push('\n');
        if row.no_newline {
            out.push_str("\\ No newline at end of file\n");
        }
    }
}

/// original + proposed + accepted hunk ids -> the resulting text: the proposed lines of every accepted
/// hunk, the original lines everywhere else. Unknown ids are ignored (a stale id changes nothing).
pub fn apply_hunks(original: &str, proposed: &str, accepted: &[String]) -> String {
    let (ob, pb) = (original.as_bytes(), proposed.as_bytes());
    let mut out = String::with_capacity(original.len().max(proposed.len()));
    let mut at = 0;
    // Spans start and end at line starts, so every slice below is on a character boundary.
    for s in lockstep::text_spans(ob, pb) {
        out.push_str(&original[at..s.old_bytes.start]);
        if accepted.iter().any(|a| *a == span_id(&s, ob, pb)) {
            out.push_str(&proposed[s.new_bytes.clone()]);
        } else {
            out.push_str(&original[s.old_bytes.clone()]);
        }
        at = s.old_bytes.end;
    }
    out.push_str(&original[at..]);
    out
}

#[cfg(test)]
mod tests;
