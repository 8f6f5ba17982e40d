//! The line diff of two texts that are mostly the same, without splitting, hashing or interning the
//! lines they share.
//!
//! The texts are walked in lockstep 32 bytes a step while they agree (16-byte SIMD compares in
//! wasm), counting the newlines passed. At the first byte where they differ, both sides back up to the start of that line, and a
//! small window of the lines that follow on each side is diffed with the whole-text algorithm
//! (`line_groups`: trimming, unique-line anchors, Myers). The window's change groups up to the
//! first one followed by at least `SETTLE` equal lines inside the window are taken (all of them
//! once both windows reach the ends of their texts); when no group is followed by that many, the
//! window doubles. After the groups taken the lockstep walk resumes. A window that grows past
//! `MAX_WINDOW` lines, or one of 24 lines or more that is at least three quarters changed (a large
//! rewrite), hands the rest of both texts to `line_groups` whole, as before.
//!
//! What this gives up, precisely: the whole-text algorithm picks its anchors among lines unique in
//! the whole of both texts (for regions over 64 lines), and breaks ties between equally short edit
//! scripts by where the texts end; here both are decided inside the window. So the groups may
//! differ from `line_groups` on the same texts only where a window holds several equally short
//! scripts (repeated lines such as `}` or blank lines next to a change), or, in a window over 64
//! lines, where a line unique in the window occurs elsewhere too. Every group is what
//! `line_groups` finds for its window, and the lines between groups are truly equal, so the result
//! always turns one text into the other exactly. The tests check that, that the groups equal
//! `line_groups`' on sparse edits of lines that do not repeat, and that edits among repeated lines
//! change as many lines as `line_groups`' groups do.

use super::{for_each_line_end, line_groups, Group};
use std::ops::Range;

/// Equal lines that must follow a window's group before it (and those before it) are taken.
const SETTLE: usize = 4;
/// Lines per side in the first window.
const FIRST_WINDOW: usize = 6;
/// Past this many lines per side, the rest goes to `line_groups` whole.
const MAX_WINDOW: usize = 128;

/// One change group with the bytes its lines span in each text.
#[derive(Debug, Clone)]
pub struct Span {
    pub group: Group,
    pub old_bytes: Range<usize>,
    pub new_bytes: Range<usize>,
}

/// Eight bytes as a little-endian word (one unaligned load).
#[inline(always)]
fn word(c: &[u8]) -> u64 {
    u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))
}

/// Thirty-two bytes as four little-endian words.
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn block(c: &[u8]) -> [u64; 4] {
    let c: &[u8; 32] = c.try_into().unwrap_or(&[0; 32]);
    let w = |i: usize| {
        u64::from_le_bytes([
            c[i],
            c[i + 1],
            c[i + 2],
            c[i + 3],
            c[i + 4],
            c[i + 5],
            c[i + 6],
            c[i + 7],
        ])
    };
    [w(0), w(8), w(16), w(24)]
}

/// 0x80 in exactly the bytes of `w` that are '\n', nothing elsewhere (the exact zero-byte test).
#[inline(always)]
fn newlines(w: u64) -> u64 {
    const NL: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = w ^ NL;
    !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
}

/// The equal stretch at the starts of `a` and `b`, in whole lines: `None` when the two are equal
/// throughout, else `(lines, bytes)`, the number of whole lines both start with and the bytes
/// they span (up to just past the last newline before the first difference).
///
/// One pass, 32 bytes a step while the texts agree: the four word compares fold into one branch,
/// and the newline bytes of those words are summed bytewise in a register (a 1 in each newline
/// byte), folded into the count every 32 steps, before any lane can overflow.
fn equal_lines(a: &[u8], b: &[u8]) -> Option<(usize, usize)> {
    let whole = (a.len(), b.len());
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let (i, lines) = equal_blocks(a, b);
    // The rest: a word, then a byte, at a time, up to the first difference.
    let mut k = i;
    for (ca, cb) in a[i..].chunks_exact(8).zip(b[i..].chunks_exact(8)) {
        let d = word(ca) ^ word(cb);
        if d != 0 {
            k += d.trailing_zeros() as usize / 8;
            break;
        }
        k += 8;
    }
    if k == i + (n - i) / 8 * 8 {
        while k < n && a[k] == b[k] {
            k += 1;
        }
    }
    if (k, k) == whole {
        return None;
    }
    let tail = &a[i..k];
    let bytes = match tail.iter().rposition(|&c| c == b'\n') {
        Some(p) => i + p + 1,
        None => return Some((lines, last_line_start(&a[..i]))),
    };
    Some((lines + count_newlines(&a[i..bytes]), bytes))
}

/// The equal 32-byte blocks at the starts of `a` and `b` (of equal length): `(bytes, lines)`, the
/// bytes they span and the newlines in them. The four word compares of a block fold into one
/// branch, and the newline bytes of those words are summed bytewise in a register (a 1 in each
/// newline byte), folded into the count every 32 steps, before any lane can overflow.
#[cfg(not(target_arch = "wasm32"))]
fn equal_blocks(a: &[u8], b: &[u8]) -> (usize, usize) {
    let mut lines = 0usize;
    let mut i = 0;
    let (mut acc, mut steps) = (0u64, 0u32);
    for (ca, cb) in a.chunks_exact(32).zip(b.chunks_exact(32)) {
        let (ca, cb) = (block(ca), block(cb));
        let (x0, x1, x2, x3) = (ca[0], ca[1], ca[2], ca[3]);
        let d = (x0 ^ cb[0]) | (x1 ^ cb[1]) | (x2 ^ cb[2]) | (x3 ^ cb[3]);
        if d != 0 {
            break;
        }
        acc +=
            (newlines(x0) >> 7) + (newlines(x1) >> 7) + (newlines(x2) >> 7) + (newlines(x3) >> 7);
        steps += 1;
        if steps == 32 {
            lines += fold_bytes(acc);
            (acc, steps) = (0, 0);
        }
        i += 32;
    }
    (i, lines + fold_bytes(acc))
}

/// `equal_blocks` in wasm with 128-bit SIMD (Node 20 and VS Code's Electron run it without flags;
/// the module is still one module, this function and the wasm `next_newline` its only SIMD code):
/// two 16-byte compares a block, and each lane of a byte vector counts the newlines it has seen
/// (the compare gives -1 a newline, subtracted), widened into the count every 120 steps, before a
/// lane can overflow.
#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128")]
fn equal_blocks(a: &[u8], b: &[u8]) -> (usize, usize) {
    use core::arch::wasm32::*;
    let nl = u8x16_splat(b'\n');
    let zero = u8x16_splat(0);
    let fold = |acc: v128| -> usize {
        let wide = u32x4_extadd_pairwise_u16x8(u16x8_extadd_pairwise_u8x16(acc));
        (u32x4_extract_lane::<0>(wide)
            + u32x4_extract_lane::<1>(wide)
            + u32x4_extract_lane::<2>(wide)
            + u32x4_extract_lane::<3>(wide)) as usize
    };
    let mut lines = 0usize;
    let mut i = 0;
    let (mut acc, mut steps) = (zero, 0u32);
    // 64 bytes a step while they last and agree (one branch for four compares; a lane gains at most
    // 4 a step, so the count is widened every 60 steps), then 32 a step from there.
    for (ca, cb) in a.chunks_exact(64).zip(b.chunks_exact(64)) {
        // SAFETY: each chunk is 64 bytes long, so the four 16-byte loads of each are in bounds;
        // v128_load takes any alignment.
        let (a0, a1, a2, a3, b0, b1, b2, b3) = unsafe {
            let (pa, pb) = (ca.as_ptr(), cb.as_ptr());
            (
                v128_load(pa.cast()),
                v128_load(pa.add(16).cast()),
                v128_load(pa.add(32).cast()),
                v128_load(pa.add(48).cast()),
                v128_load(pb.cast()),
                v128_load(pb.add(16).cast()),
                v128_load(pb.add(32).cast()),
                v128_load(pb.add(48).cast()),
            )
        };
        let d = v128_or(
            v128_or(v128_xor(a0, b0), v128_xor(a1, b1)),
            v128_or(v128_xor(a2, b2), v128_xor(a3, b3)),
        );
        if v128_any_true(d) {
            break;
        }
        let n = i8x16_add(
            i8x16_add(i8x16_eq(a0, nl), i8x16_eq(a1, nl)),
            i8x16_add(i8x16_eq(a2, nl), i8x16_eq(a3, nl)),
        );
        acc = i8x16_sub(acc, n);
        steps += 1;
        if steps == 60 {
            lines += fold(acc);
            (acc, steps) = (zero, 0);
        }
        i += 64;
    }
    lines += fold(acc);
    (acc, steps) = (zero, 0);
    for (ca, cb) in a[i..].chunks_exact(32).zip(b[i..].chunks_exact(32)) {
        // SAFETY: each chunk is 32 bytes long, so both 16-byte loads of each are in bounds;
        // v128_load takes any alignment.
        let (a0, a1, b0, b1) = unsafe {
            (
                v128_load(ca.as_ptr().cast()),
                v128_load(ca.as_ptr().add(16).cast()),
                v128_load(cb.as_ptr().cast()),
                v128_load(cb.as_ptr().add(16).cast()),
            )
        };
        if v128_any_true(v128_or(v128_xor(a0, b0), v128_xor(a1, b1))) {
            break;
        }
        acc = i8x16_sub(acc, i8x16_add(i8x16_eq(a0, nl), i8x16_eq(a1, nl)));
        steps += 1;
        if steps == 120 {
            lines += fold(acc);
            (acc, steps) = (zero, 0);
        }
        i += 32;
    }
    (i, lines + fold(acc))
}

/// Just past the last '\n' of `s` (0 when none).
fn last_line_start(s: &[u8]) -> usize {
    s.iter().rposition(|&c| c == b'\n').map_or(0, |p| p + 1)
}

/// The sum of the eight bytes of `acc` (each at most 128, so no 16-bit lane overflows).
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn fold_bytes(acc: u64) -> usize {
    const BYTES: u64 = 0x00ff_00ff_00ff_00ff;
    let pairs = (acc & BYTES) + ((acc >> 8) & BYTES);
    (pairs.wrapping_mul(0x0001_0001_0001_0001) >> 48) as usize
}

/// The number of '\n' in `s`: per word, a 1 in each newline byte, summed bytewise over up to 31
/// words (no byte sum can carry) and folded with one multiply.
fn count_newlines(s: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut total = 0usize;
    let mut chunks = s.chunks_exact(8 * 31);
    for block in &mut chunks {
        let mut acc = 0u64;
        for c in block.chunks_exact(8) {
            acc += newlines(word(c)) >> 7;
        }
        total += (acc.wrapping_mul(ONES) >> 56) as usize;
    }
    let rest = chunks.remainder();
    let mut words = rest.chunks_exact(8);
    let mut acc = 0u64;
    for c in &mut words {
        acc += newlines(word(c)) >> 7;
    }
    total += (acc.wrapping_mul(ONES) >> 56) as usize;
    total + words.remainder().iter().filter(|&&c| c == b'\n').count()
}

/// The first lines of a text (each with its ending), taken a few at a time: a window that doubles
/// goes on from where it stopped, and one buffer serves every window of a diff.
struct Window<'a> {
    text: &'a [u8],
    lines: Vec<&'a [u8]>,
    /// Just past the last line taken.
    end: usize,
}

impl<'a> Window<'a> {
    fn new() -> Self {
        Window {
            text: &[],
            lines: Vec::with_capacity(FIRST_WINDOW * 4),
            end: 0,
        }
    }

    /// Starts again on `text`, with no lines taken.
    fn reset(&mut self, text: &'a [u8]) {
        self.text = text;
        self.lines.clear();
        self.end = 0;
    }

    /// Takes lines until there are `max` (or the text ends) -> whether they are all of it.
    fn fill(&mut self, max: usize) -> bool {
        let text = self.text;
        let mut start = self.end;
        while self.lines.len() < max && start < text.len() {
            let end = match next_newline(&text[start..]) {
                Some(p) => start + p + 1,
                None => text.len(),
            };
            self.lines.push(&text[start..end]);
            start = end;
        }
        self.end = start;
        start == text.len()
    }
}

/// The index of the first '\n' in `s`, sixteen bytes at a time (wasm SIMD: a compare and a bitmask).
#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128")]
fn next_newline(s: &[u8]) -> Option<usize> {
    use core::arch::wasm32::*;
    let nl = u8x16_splat(b'\n');
    let mut chunks = s.chunks_exact(16);
    let mut base = 0;
    for c in &mut chunks {
        // SAFETY: the chunk is 16 bytes long; v128_load takes any alignment.
        let v = unsafe { v128_load(c.as_ptr().cast()) };
        let m = i8x16_bitmask(i8x16_eq(v, nl));
        if m != 0 {
            return Some(base + m.trailing_zeros() as usize);
        }
        base += 16;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == b'\n')
        .map(|p| base + p)
}

/// The index of the first '\n' in `s`, eight bytes at a time.
#[cfg(not(target_arch = "wasm32"))]
#[inline]
fn next_newline(s: &[u8]) -> Option<usize> {
    let mut chunks = s.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let nl = newlines(word(c));
        if nl != 0 {
            return Some(base + nl.trailing_zeros() as usize / 8);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == b'\n')
        .map(|p| base + p)
}

/// Bytes the first `k` lines of `lines` span (they are consecutive slices of one text).
fn span_len(lines: &[&[u8]], k: usize) -> usize {
    lines[..k].iter().map(|l| l.len()).sum()
}

/// The changed line groups of `old` -> `new`, with their bytes, in order.
pub fn text_spans(old: &[u8], new: &[u8]) -> Vec<Span> {
    let mut out = Vec::new();
    // The window lines of each side, one buffer each for the whole diff.
    let (mut win_o, mut win_n) = (Window::new(), Window::new());
    // Line and byte positions in each text, always at the start of a line.
    let (mut lo, mut ln, mut po, mut pn) = (0usize, 0usize, 0usize, 0usize);
    loop {
        let Some((lines, bytes)) = equal_lines(&old[po..], &new[pn..]) else {
            return out;
        };
        lo += lines;
        ln += lines;
        po += bytes;
        pn += bytes;
        // The lines at po and pn differ (or one text has ended): diff a window of what follows.
        let mut w = FIRST_WINDOW;
        win_o.reset(&old[po..]);
        win_n.reset(&new[pn..]);
        loop {
            let o_all = win_o.fill(w);
            let n_all = win_n.fill(w);
            let (wo, wn) = (&win_o.lines[..], &win_n.lines[..]);
            let whole = o_all && n_all;
            if !whole && w > MAX_WINDOW {
                rest_whole(&mut out, old, new, (lo, ln, po, pn));
                return out;
            }
            let mut groups = line_groups(wo, wn);
            if whole {
                push_groups(&mut out, groups, wo, wn, (lo, ln, po, pn));
                return out;
            }
            debug_assert!(groups[0].old.start == 0 && groups[0].new.start == 0);
            // The groups up to the first one followed by SETTLE equal lines are settled.
            let settled = (0..groups.len()).find(|&k| {
                let next = groups.get(k + 1).map_or(wo.len(), |g| g.old.start);
                next - groups[k].old.end >= SETTLE
            });
            if let Some(k) = settled {
                let (oe, ne) = (groups[k].old.end, groups[k].new.end);
                let (ob, nb) = (span_len(wo, oe), span_len(wn, ne));
                groups.truncate(k + 1);
                push_groups(&mut out, groups, wo, wn, (lo, ln, po, pn));
                lo += oe;
                ln += ne;
                po += ob;
                pn += nb;
                break;
            }
            // Nothing settled. A window at least three quarters changed is a rewrite: the rest
            // goes whole now rather than through ever bigger windows.
            let changed: usize = groups.iter().map(|g| g.old.len() + g.new.len()).sum();
            if w >= 4 * FIRST_WINDOW && changed * 4 >= (wo.len() + wn.len()) * 3 {
                rest_whole(&mut out, old, new, (lo, ln, po, pn));
                return out;
            }
            w *= 2;
        }
    }
}

/// A large rewrite: the rest of both texts (from line/byte positions `at`) diffed whole, as the
/// whole-text algorithm would.
fn rest_whole(out: &mut Vec<Span>, old: &[u8], new: &[u8], at: (usize, usize, usize, usize)) {
    let (ro, rn) = (all_lines(&old[at.2..]), all_lines(&new[at.3..]));
    push_groups(out, line_groups(&ro, &rn), &ro, &rn, at);
}

/// Every line of `text`, by the splitter that finds the newlines of a word at once.
pub(crate) fn all_lines(text: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::with_capacity(text.len() / 32 + 1);
    let mut start = 0;
    for_each_line_end(text, |end| {
        lines.push(&text[start..end]);
        start = end;
    });
    lines
}

/// Appends `groups` (line ranges into the window lines `wo`/`wn`, which start at line/byte
/// positions `at`) as spans of the whole texts.
fn push_groups(
    out: &mut Vec<Span>,
    groups: Vec<Group>,
    wo: &[&[u8]],
    wn: &[&[u8]],
    at: (usize, usize, usize, usize),
) {
    let (lo, ln, po, pn) = at;
    // Byte offsets of window lines, walked forward once per side (the groups come in order).
    let (mut oo, mut on) = (Offsets::new(wo), Offsets::new(wn));
    for g in groups {
        let old_bytes = po + oo.at(g.old.start)..po + oo.at(g.old.end);
        let new_bytes = pn + on.at(g.new.start)..pn + on.at(g.new.end);
        out.push(Span {
            old_bytes,
            new_bytes,
            group: Group {
                old: lo + g.old.start..lo + g.old.end,
                new: ln + g.new.start..ln + g.new.end,
            },
        });
    }
}

/// The byte offset of line `k` of consecutive lines, for `k` that never decrease.
struct Offsets<'l, 'a> {
    lines: &'l [&'a [u8]],
    line: usize,
    byte: usize,
}

impl<'l, 'a> Offsets<'l, 'a> {
    fn new(lines: &'l [&'a [u8]]) -> Self {
        Offsets {
            lines,
            line: 0,
            byte: 0,
        }
    }

    fn at(&mut self, k: usize) -> usize {
        debug_assert!(k >= self.line);
        while self.line < k {
            self.byte += self.lines[self.line].len();
            self.line += 1;
        }
        self.byte
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{split_lines, LineLevel};
    use proptest::prelude::*;

    /// Groups as (old lines, new lines).
    type Ranges = Vec<(Range<usize>, Range<usize>)>;

    /// The whole-text algorithm's groups (the oracle), and the lockstep spans.
    fn both(a: &[u8], b: &[u8]) -> (Ranges, Vec<Span>) {
        let whole = line_groups(&split_lines(a), &split_lines(b))
            .into_iter()
            .map(|g| (g.old, g.new))
            .collect();
        (whole, text_spans(a, b))
    }

    fn ranges(spans: &[Span]) -> Ranges {
        spans
            .iter()
            .map(|s| (s.group.old.clone(), s.group.new.clone()))
            .collect()
    }

    /// Checks that the spans are a diff of `a` -> `b`: ordered, disjoint, separated by equal lines,
    /// their bytes are exactly their lines, and replacing each span's old bytes by its new bytes
    /// turns `a` into `b`.
    fn check_rebuilds(a: &[u8], b: &[u8], spans: &[Span]) -> Result<(), TestCaseError> {
        let (old, new) = (split_lines(a), split_lines(b));
        let start =
            |lines: &[&[u8]], i: usize| -> usize { lines[..i].iter().map(|l| l.len()).sum() };
        let mut out = Vec::new();
        let (mut oi, mut ni) = (0usize, 0usize);
        for s in spans {
            let g = &s.group;
            prop_assert!(g.old.start >= oi && g.new.start >= ni);
            prop_assert!(!g.old.is_empty() || !g.new.is_empty());
            // Between groups: equal lines, as many on each side.
            prop_assert_eq!(g.old.start - oi, g.new.start - ni);
            prop_assert_eq!(&old[oi..g.old.start], &new[ni..g.new.start]);
            // Maximal: an equal line separates a group from the one before.
            if !std::ptr::eq(s, &spans[0]) {
                prop_assert!(g.old.start > oi);
            }
            prop_assert_eq!(
                s.old_bytes.clone(),
                start(&old, g.old.start)..start(&old, g.old.end)
            );
            prop_assert_eq!(
                s.new_bytes.clone(),
                start(&new, g.new.start)..start(&new, g.new.end)
            );
            out.extend_from_slice(&a[start(&old, oi)..s.old_bytes.start]);
            out.extend_from_slice(&b[s.new_bytes.clone()]);
            oi = g.old.end;
            ni = g.new.end;
        }
        prop_assert_eq!(old.len() - oi, new.len() - ni);
        prop_assert_eq!(&old[oi..], &new[ni..]);
        out.extend_from_slice(&a[start(&old, oi)..]);
        prop_assert_eq!(out, b.to_vec());
        Ok(())
    }

    #[test]
    fn the_equal_stretch_counts_whole_lines_only() {
        assert_eq!(equal_lines(b"", b""), None);
        assert_eq!(equal_lines(b"same\ntext", b"same\ntext"), None);
        assert_eq!(equal_lines(b"a\nb", b"a\nb\n"), Some((1, 2)));
        assert_eq!(equal_lines(b"a\n", b"a\nb\n"), Some((1, 2)));
        assert_eq!(equal_lines(b"", b"x"), Some((0, 0)));
        // A difference at every byte, in the 32-byte steps, the words and the bytes after them,
        // past the 32 steps after which the newline count is folded (lines of 0 to 12 bytes).
        let mut a = Vec::new();
        for i in 0..260 {
            a.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, i % 13));
            a.push(b'\n');
        }
        a.extend_from_slice(b"no newline");
        for at in 0..a.len() {
            let mut b = a.clone();
            b[at] = b'#';
            let lines = a[..at].iter().filter(|&&c| c == b'\n').count();
            let bytes = a[..at]
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |p| p + 1);
            assert_eq!(equal_lines(&a, &b), Some((lines, bytes)), "at {at}");
            // One text a prefix of the other.
            assert_eq!(
                equal_lines(&a[..at], &a),
                Some((lines, bytes)),
                "prefix {at}"
            );
        }
        assert_eq!(equal_lines(&a, &a.clone()), None);
    }

    #[test]
    fn newlines_are_counted_in_any_block() {
        for len in [0usize, 1, 7, 8, 9, 247, 248, 249, 255, 256, 500, 2000] {
            for every in [1usize, 2, 3, 8, 50] {
                let s: Vec<u8> = (0..len)
                    .map(|i| if i % every == 0 { b'\n' } else { 0x8a })
                    .collect();
                let want = s.iter().filter(|&&c| c == b'\n').count();
                assert_eq!(count_newlines(&s), want, "len {len} every {every}");
            }
        }
    }

    /// Mostly unique lines, some repeated ones (`}`, blank, CRLF), the last without a newline when
    /// `open_end`.
    fn file(n: usize, seed: usize, open_end: bool) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| {
                let mut l = match (i * 7 + seed) % 11 {
                    3 => b"}\n".to_vec(),
                    5 => b"\n".to_vec(),
                    8 => b"  return x;\r\n".to_vec(),
                    _ => format!("line {i} of the file {seed}\n").into_bytes(),
                };
                if open_end && i + 1 == n {
                    l.pop();
                }
                l
            })
            .collect()
    }

    /// Applies (position, deleted lines, inserted lines) edits; the inserted lines are repeated
    /// ones (`}`, blank) when `repeated`, else new unique ones.
    fn edit(base: &[Vec<u8>], edits: &[(usize, usize, usize)], repeated: bool) -> Vec<u8> {
        let mut edits = edits.to_vec();
        edits.sort();
        let mut out = Vec::new();
        let mut at = 0;
        for (k, &(pos, del, ins)) in edits.iter().enumerate() {
            let pos = pos % (base.len() + 1);
            if pos < at {
                continue;
            }
            base[at..pos].iter().for_each(|l| out.extend_from_slice(l));
            for j in 0..ins {
                match (repeated, j % 3) {
                    (true, 0) => out.extend_from_slice(b"}\n"),
                    (true, 1) => out.extend_from_slice(b"\n"),
                    _ => out.extend_from_slice(format!("new {k}.{j}\n").as_bytes()),
                }
            }
            at = (pos + del).min(base.len());
        }
        base[at..].iter().for_each(|l| out.extend_from_slice(l));
        out
    }

    #[test]
    fn fixed_cases() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"", b""),
            (b"", b"a\n"),
            (b"a\n", b""),
            (b"a", b"a\n"),
            (b"a\n", b"a"),
            (b"a\r\nb\r\n", b"a\nb\r\n"),
            (b"x\ny\nz", b"x\nY\nz"),
            (b"\0\xff\xfe\n\x01", b"\0\xff\xfe\n\x02"),
            (b"}\n}\n}\n}\n}\n", b"}\n}\n}\n"),
            (
                b"\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n",
                b"\n\n\n\nx\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n",
            ),
        ];
        for (a, b) in cases {
            let (whole, spans) = both(a, b);
            check_rebuilds(a, b, &spans).unwrap();
            assert_eq!(ranges(&spans), whole, "{a:?} -> {b:?}");
        }
    }

    #[test]
    fn a_large_rewrite_is_diffed_whole_as_before() {
        // Over MAX_WINDOW lines changed at once, between shared lines: the fallback path.
        let base = file(5000, 1, false);
        let mut b = Vec::new();
        base[..100].iter().for_each(|l| b.extend_from_slice(l));
        for i in 0..3000 {
            b.extend_from_slice(format!("rewritten {i}\n").as_bytes());
            if i % 5 == 0 {
                b.extend_from_slice(b"}\n");
            }
        }
        base[3100..].iter().for_each(|l| b.extend_from_slice(l));
        let a: Vec<u8> = base.concat();
        let (whole, spans) = both(&a, &b);
        check_rebuilds(&a, &b, &spans).unwrap();
        assert_eq!(ranges(&spans), whole);
    }

    #[test]
    fn dense_changes_fall_back_to_the_whole_text_diff() {
        // Every third line changed: no group is ever followed by SETTLE equal lines.
        let base = file(3000, 4, false);
        let a = base.concat();
        let mut b = Vec::new();
        for (i, l) in base.iter().enumerate() {
            if i % 3 == 1 {
                b.extend_from_slice(format!("changed {i}\n").as_bytes());
            } else {
                b.extend_from_slice(l);
            }
        }
        let (whole, spans) = both(&a, &b);
        check_rebuilds(&a, &b, &spans).unwrap();
        assert_eq!(ranges(&spans), whole);
        assert!(spans.len() > 900);
    }

    #[test]
    fn repeated_lines_everywhere() {
        // Every line is one of three: many equally short scripts; still a shortest, exact diff.
        let pick = |s: &[u8]| -> Vec<u8> {
            s.iter()
                .flat_map(|c| match c % 3 {
                    0 => b"}\n".to_vec(),
                    1 => b"\n".to_vec(),
                    _ => b"  x\n".to_vec(),
                })
                .collect()
        };
        let a = pick(
            &(0..200u8)
                .map(|i| i.wrapping_mul(37) ^ 5)
                .collect::<Vec<_>>(),
        );
        let b = pick(
            &(0..190u8)
                .map(|i| i.wrapping_mul(37) ^ 9)
                .collect::<Vec<_>>(),
        );
        let spans = text_spans(&a, &b);
        check_rebuilds(&a, &b, &spans).unwrap();
    }

    /// The cost (lines deleted plus inserted) of a list of groups.
    fn cost(r: &[(Range<usize>, Range<usize>)]) -> usize {
        r.iter().map(|(o, n)| o.len() + n.len()).sum()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Sparse edits (the "1% changed" case) of a file whose changed and inserted lines do not
        /// repeat: the very groups the whole-text algorithm finds, and the same hunk ids.
        #[test]
        fn sparse_unique_edits_give_the_whole_text_groups(
            n in 1usize..700,
            seed in 0usize..11,
            open_end in any::<bool>(),
            edits in prop::collection::vec((0usize..700, 0usize..4, 0usize..4), 0..12),
        ) {
            let base = file(n, seed, open_end);
            let a = base.concat();
            let b = edit(&base, &edits, false);
            let (whole, spans) = both(&a, &b);
            check_rebuilds(&a, &b, &spans)?;
            prop_assert_eq!(ranges(&spans), whole);
            // The ids made from a span's bytes are the ids made from its lines.
            let (old, new) = (split_lines(&a), split_lines(&b));
            for s in &spans {
                prop_assert_eq!(crate::span_id(s, &a, &b), crate::hunk_id(&s.group, &old, &new));
            }
        }

        /// Edits that insert repeated lines (`}`, blank) next to repeated lines: an exact diff, no
        /// bigger than the whole-text one by more than... nothing: the same cost.
        #[test]
        fn edits_of_repeated_lines_rebuild_at_the_same_cost(
            n in 1usize..400,
            seed in 0usize..11,
            open_end in any::<bool>(),
            edits in prop::collection::vec((0usize..400, 0usize..6, 0usize..6), 0..12),
        ) {
            let base = file(n, seed, open_end);
            let a = base.concat();
            let b = edit(&base, &edits, true);
            let (whole, spans) = both(&a, &b);
            check_rebuilds(&a, &b, &spans)?;
            prop_assert_eq!(cost(&ranges(&spans)), cost(&whole));
        }

        /// Any bytes (newlines, CRs, NULs, invalid UTF-8), any two texts.
        #[test]
        fn any_bytes_rebuild(
            a in prop::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'a'), any::<u8>()], 0..200),
            b in prop::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'a'), any::<u8>()], 0..200),
        ) {
            check_rebuilds(&a, &b, &text_spans(&a, &b))?;
            let mut c = a.clone();
            c.extend_from_slice(&b);
            c.extend_from_slice(&a);
            check_rebuilds(&a, &c, &text_spans(&a, &c))?;
        }

        /// The line-level numbers match what `LineLevel` reports.
        #[test]
        fn the_line_level_diff_uses_these_spans(
            n in 1usize..300,
            edits in prop::collection::vec((0usize..300, 0usize..3, 0usize..3), 0..6),
        ) {
            let base = file(n, 2, false);
            let a = base.concat();
            let b = edit(&base, &edits, false);
            let level = LineLevel::new(&a, &b);
            let spans = text_spans(&a, &b);
            prop_assert_eq!(level.hunk_count(), spans.len());
            prop_assert_eq!(level.additions() as usize, spans.iter().map(|s| s.group.new.len()).sum::<usize>());
        }
    }
}
