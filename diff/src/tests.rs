use super::*;
use proptest::prelude::*;
use std::ops::Range;

fn ids(d: &FileDiff) -> Vec<String> {
    d.hunks.iter().map(|h| h.id.clone()).collect()
}

#[test]
fn equal_texts_have_no_hunks() {
    let d = diff_texts("a\nb\n", "a\nb\n");
    assert!(d.hunks.is_empty() && d.rows.is_empty() && d.sections.is_empty());
    assert_eq!(d.unified, "");
    assert_eq!((d.additions, d.deletions), (0, 0));
}

#[test]
fn unified_text_and_render_model_for_one_change() {
    let d = diff_texts("a\nb\nc\n", "a\nB\nc\n");
    assert_eq!(d.unified, "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
    assert_eq!(d.hunks.len(), 1);
    let h = &d.hunks[0];
    assert_eq!(
        (
            h.old_start,
            h.old_lines,
            h.new_start,
            h.new_lines,
            h.first_row,
            h.row_count
        ),
        (2, 1, 2, 1, 1, 2)
    );
    let kinds: Vec<RowKind> = d.rows.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        vec![
            RowKind::Context,
            RowKind::Delete,
            RowKind::Insert,
            RowKind::Context
        ]
    );
    assert_eq!(d.rows[1].old_line, Some(2));
    assert_eq!(d.rows[1].new_line, None);
    assert_eq!(d.rows[2].new_line, Some(2));
    assert_eq!(d.rows[2].hunk_id.as_deref(), Some(h.id.as_str()));
    assert_eq!(d.rows[0].hunk_id, None);
    assert_eq!((d.rows[3].old_line, d.rows[3].new_line), (Some(3), Some(3)));
    assert_eq!(d.hunk_ids, vec![h.id.clone()]);
    assert_eq!((d.additions, d.deletions), (1, 1));
}

#[test]
fn each_change_group_is_its_own_hunk_but_nearby_ones_share_a_section() {
    let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
    let new = "1\nTWO\n3\n4\n5\n6\n7\nEIGHT\n9\n10\n";
    let d = diff_texts(old, new);
    assert_eq!(d.hunks.len(), 2);
    assert_eq!(d.sections.len(), 1);
    assert_eq!(d.sections[0].hunk_ids, d.hunk_ids);
    assert!(
        d.unified.starts_with("@@ -1,10 +1,10 @@\n"),
        "{}",
        d.unified
    );

    // Far apart: two sections.
    let old: String = (1..=40).map(|i| format!("{i}\n")).collect();
    let new = old
        .replace("\n5\n", "\nfive\n")
        .replace("\n30\n", "\nthirty\n");
    let d = diff_texts(&old, &new);
    assert_eq!(d.sections.len(), 2);
    assert_eq!(
        d.unified,
        "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n@@ -27,7 +27,7 @@\n 27\n 28\n 29\n-30\n+thirty\n 31\n 32\n 33\n"
    );
}

#[test]
fn pure_insertion_and_deletion_numbers_follow_unified_conventions() {
    let d = diff_texts("a\n", "x\na\n");
    assert_eq!(d.unified, "@@ -1 +1,2 @@\n+x\n a\n");
    assert_eq!((d.hunks[0].old_start, d.hunks[0].old_lines), (0, 0));
    let d = diff_texts("a\nb\n", "a\n");
    assert_eq!(d.unified, "@@ -1,2 +1 @@\n a\n-b\n");
    assert_eq!((d.hunks[0].new_start, d.hunks[0].new_lines), (1, 0));
}

#[test]
fn empty_files() {
    let d = diff_texts("", "a\n");
    assert_eq!(d.unified, "@@ -0,0 +1 @@\n+a\n");
    let d = diff_texts("a\n", "");
    assert_eq!(d.unified, "@@ -1 +0,0 @@\n-a\n");
    assert_eq!(apply_hunks("", "a\n", &[]), "");
    assert_eq!(apply_hunks("", "a\n", &d_ids("", "a\n")), "a\n");
}

fn d_ids(a: &str, b: &str) -> Vec<String> {
    ids(&diff_texts(a, b))
}

#[test]
fn missing_final_newline_is_shown() {
    let d = diff_texts("a\nb", "a\nb\n");
    assert_eq!(
        d.unified,
        "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"
    );
    assert!(d.rows[1].no_newline);
    assert!(!d.rows[2].no_newline);
}

#[test]
fn crlf_lines_show_no_carriage_returns() {
    let d = diff_texts("a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\n");
    assert_eq!(d.hunks.len(), 1);
    assert_eq!(d.unified, "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
    assert!(d.rows.iter().all(|r| !r.text.contains('\r')));
}

#[test]
fn word_highlights_in_the_render_model() {
    let d = diff_texts("let total = a + b;\n", "let total = a - b;\n");
    assert_eq!(
        d.rows[0].highlights,
        vec![HighlightRange { start: 14, end: 15 }]
    );
    assert_eq!(
        d.rows[1].highlights,
        vec![HighlightRange { start: 14, end: 15 }]
    );
}

#[test]
fn hunk_ids_are_stable_and_distinct() {
    let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
    let new = "a\nB\nc\nd\ne\nf\nG\nh\n";
    let one = diff_texts(old, new);
    let two = diff_texts(old, new);
    assert_eq!(one.hunk_ids, two.hunk_ids);
    assert_eq!(one.hunk_ids.len(), 2);
    assert_ne!(one.hunk_ids[0], one.hunk_ids[1]);
    assert!(one
        .hunk_ids
        .iter()
        .all(|id| id.len() == 17 && id.starts_with('h')));
    // A different change elsewhere does not move the first hunk's id.
    let other = diff_texts(old, "a\nB\nc\nd\ne\nf\ng\nH\n");
    assert_eq!(other.hunk_ids[0], one.hunk_ids[0]);
    assert_ne!(other.hunk_ids[1], one.hunk_ids[1]);
}

#[test]
fn partial_apply_takes_exactly_the_accepted_hunks() {
    let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
    let new = "a\nB\nc\nd\ne\nf\nG\nh\n";
    let d = diff_texts(old, new);
    assert_eq!(
        apply_hunks(old, new, &d.hunk_ids[..1]),
        "a\nB\nc\nd\ne\nf\ng\nh\n"
    );
    assert_eq!(
        apply_hunks(old, new, &d.hunk_ids[1..]),
        "a\nb\nc\nd\ne\nf\nG\nh\n"
    );
    assert_eq!(apply_hunks(old, new, &["nonsense".to_string()]), old);
}

#[test]
fn big_file_with_scattered_edits() {
    let old: String = (0..100_000)
        .map(|i| format!("line {i} of the file\n"))
        .collect();
    let mut new_lines: Vec<String> = old.lines().map(str::to_string).collect();
    for i in (0..100_000).step_by(997) {
        new_lines[i] = format!("edited {i}");
    }
    let new = new_lines.join("\n") + "\n";
    let d = diff_texts(&old, &new);
    assert_eq!(d.hunks.len(), (0..100_000).step_by(997).count());
    assert_eq!(apply_hunks(&old, &new, &d.hunk_ids), new);
}

fn text_strategy() -> impl Strategy<Value = String> {
    let line = prop::string::string_regex("[ab é日😀\t]{0,4}").unwrap();
    (
        prop::collection::vec((line, prop::bool::weighted(0.3)), 0..14),
        any::<bool>(),
    )
        .prop_map(|(lines, final_newline)| {
            let mut s = String::new();
            let n = lines.len();
            for (i, (l, crlf)) in lines.into_iter().enumerate() {
                s.push_str(&l);
                if i + 1 < n || final_newline {
                    s.push_str(if crlf { "\r\n" } else { "\n" });
                }
            }
            s
        })
}

proptest! {
    #[test]
    fn accepting_all_gives_proposed_and_none_gives_original(a in text_strategy(), b in text_strategy()) {
        let d = diff_texts(&a, &b);
        prop_assert_eq!(apply_hunks(&a, &b, &d.hunk_ids), b.clone());
        prop_assert_eq!(apply_hunks(&a, &b, &[]), a.clone());
    }

    #[test]
    fn any_subset_applies_cleanly_and_rows_are_consistent(
        a in text_strategy(),
        b in text_strategy(),
        mask in prop::collection::vec(any::<bool>(), 20),
    ) {
        let d = diff_texts(&a, &b);
        let chosen: Vec<String> = d.hunk_ids.iter().zip(mask.iter().cycle()).filter(|(_, m)| **m).map(|(id, _)| id.clone()).collect();
        let partial = apply_hunks(&a, &b, &chosen);
        // Applying the rest on top of the partial result reaches the proposed text.
        let rest = diff_texts(&partial, &b);
        prop_assert_eq!(apply_hunks(&partial, &b, &rest.hunk_ids), b.clone());
        // Row bookkeeping: every hunk's rows carry its id; highlight ranges lie within the text.
        for h in &d.hunks {
            let rows = &d.rows[h.first_row as usize..(h.first_row + h.row_count) as usize];
            prop_assert!(rows.iter().all(|r| r.hunk_id.as_deref() == Some(h.id.as_str())));
            prop_assert_eq!(rows.len() as u32, h.old_lines + h.new_lines);
        }
        for r in &d.rows {
            let len = r.text.encode_utf16().count() as u32;
            prop_assert!(r.highlights.iter().all(|x| x.start < x.end && x.end <= len));
            prop_assert!(!r.text.ends_with('\n'));
        }
        prop_assert_eq!(d.additions as usize, d.rows.iter().filter(|r| r.kind == RowKind::Insert).count());
    }
}

/// A file of `n` lines, mostly unique with some repeated ones (braces, blank lines), and a copy with
/// sparse edits: (position, lines deleted there, lines inserted there). Returns both texts and how
/// many lines the edits deleted plus inserted.
fn sparse_edit_case(n: usize, edits: &[(usize, usize, usize)]) -> (String, String, usize) {
    let base: Vec<String> = (0..n)
        .map(|i| match i % 7 {
            3 => "}\n".to_string(),
            5 => "\n".to_string(),
            _ => format!("line {i} of the file\n"),
        })
        .collect();
    let mut edits = edits.to_vec();
    edits.sort();
    let mut new = Vec::new();
    let mut at = 0;
    let mut changed = 0;
    for (k, &(pos, del, ins)) in edits.iter().enumerate() {
        let pos = pos % (n + 1);
        if pos < at {
            continue;
        }
        new.extend(base[at..pos].iter().cloned());
        let del = del.min(n - pos);
        for j in 0..ins {
            new.push(if j % 3 == 2 {
                "}\n".to_string()
            } else {
                format!("new {k}.{j}\n")
            });
        }
        changed += del + ins;
        at = pos + del;
    }
    new.extend(base[at..].iter().cloned());
    (base.concat(), new.concat(), changed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Big files with sparse edits go through the anchored path (not only Myers): the diff still
    /// rebuilds both texts, its hunks are ordered and disjoint, and it is no bigger than the edits.
    #[test]
    fn sparse_edits_in_big_files_reconstruct_both_texts(
        n in 100usize..600,
        edits in prop::collection::vec((0usize..600, 0usize..4, 0usize..4), 0..12),
    ) {
        let (a, b, changed) = sparse_edit_case(n, &edits);
        let d = diff_texts(&a, &b);
        prop_assert_eq!(apply_hunks(&a, &b, &d.hunk_ids), b.clone());
        prop_assert_eq!(apply_hunks(&a, &b, &[]), a.clone());
        prop_assert!((d.additions + d.deletions) as usize <= changed, "{} > {changed}", d.additions + d.deletions);
        for w in d.hunks.windows(2) {
            prop_assert!(w[0].old_start + w[0].old_lines <= w[1].old_start);
            prop_assert!(w[0].new_start + w[0].new_lines <= w[1].new_start);
        }
        // Every hunk alone applies and changes exactly its own lines.
        for h in &d.hunks {
            let one = apply_hunks(&a, &b, std::slice::from_ref(&h.id));
            let delta = one.lines().count() as i64 - a.lines().count() as i64;
            prop_assert_eq!(delta, i64::from(h.new_lines) - i64::from(h.old_lines));
        }
    }
}

/// The line diff as first written, the reference for the fast path: std's `split_inclusive`, a std
/// `HashMap` interning every line, the ids diffed whole. The fast path (its own splitter and hash,
/// the flat interning table, the common lines cut off before hashing) must find the same groups.
fn reference_groups(a: &str, b: &str) -> Vec<(Range<usize>, Range<usize>)> {
    let old: Vec<&str> = a.split_inclusive('\n').collect();
    let new: Vec<&str> = b.split_inclusive('\n').collect();
    fn intern<'a>(
        ids: &mut std::collections::HashMap<&'a str, u32>,
        lines: &[&'a str],
    ) -> Vec<u32> {
        lines
            .iter()
            .map(|l| {
                let next = ids.len() as u32;
                *ids.entry(l).or_insert(next)
            })
            .collect()
    }
    let mut ids = std::collections::HashMap::new();
    let (o, n) = (intern(&mut ids, &old), intern(&mut ids, &new));
    let mut groups = Vec::new();
    diff_ids(&o, &n, ids.len(), &mut groups);
    groups.into_iter().map(|g| (g.old, g.new)).collect()
}

fn fast_groups(a: &str, b: &str) -> Vec<(Range<usize>, Range<usize>)> {
    let (old, new) = (split_keep_endings(a), split_keep_endings(b));
    line_groups(&bytes_of(&old), &bytes_of(&new))
        .into_iter()
        .map(|g| (g.old, g.new))
        .collect()
}

/// Lines of every length around the 8-byte words the splitter and the hash read, with newlines,
/// carriage returns and multi-byte characters anywhere.
fn ragged_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            prop::string::string_regex("[abé😀 ]{0,19}").unwrap(),
        ],
        0..30,
    )
    .prop_map(|parts| parts.concat())
}

#[test]
fn the_splitter_matches_split_inclusive() {
    for text in [
        "",
        "\n",
        "\n\n\n\n\n\n\n\n\n",
        "abcdefg\nabcdefgh\nabcdefghi\n",
        "no newline at all, longer than eight",
        "1234567\n",
        "12345678\n",
        "é\n😀😀\r\nx",
    ] {
        assert_eq!(
            split_keep_endings(text),
            text.split_inclusive('\n').collect::<Vec<_>>(),
            "{text:?}"
        );
    }
}

#[test]
fn the_interner_gives_equal_ids_to_equal_lines_only() {
    // Lines equal but for one byte, at every position of the 8-byte words the hash reads, and the
    // same bytes at different lengths (zero padding of the last word must not make them equal).
    let mut lines: Vec<String> = Vec::new();
    for len in 0..20 {
        let base: String = "x".repeat(len);
        lines.push(base.clone());
        for at in 0..len {
            let mut b = base.clone().into_bytes();
            b[at] = b'y';
            lines.push(String::from_utf8(b).unwrap());
        }
    }
    lines.push("\0".to_string());
    lines.push("\0\0".to_string());
    let old: Vec<&str> = lines.iter().map(String::as_str).collect();
    let new: Vec<&str> = lines.iter().rev().map(String::as_str).collect();
    let (old_b, new_b) = (bytes_of(&old), bytes_of(&new));
    let (old_ids, new_ids, n_ids) = Interner::new(&old_b, &new_b).intern_all();
    assert_eq!(n_ids, lines.len());
    let all: Vec<&str> = old.iter().chain(&new).copied().collect();
    let got: Vec<u32> = old_ids.iter().chain(&new_ids).copied().collect();
    for (i, a) in all.iter().enumerate() {
        for (j, b) in all.iter().enumerate() {
            assert_eq!(got[i] == got[j], a == b, "{a:?} vs {b:?}");
        }
    }
}

proptest! {
    #[test]
    fn the_splitter_matches_split_inclusive_on_any_text(t in ragged_text()) {
        prop_assert_eq!(split_keep_endings(&t), t.split_inclusive('\n').collect::<Vec<_>>());
    }

    #[test]
    fn the_byte_splitter_matches_split_inclusive_on_any_bytes(b in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), any::<u8>()], 0..80)) {
        prop_assert_eq!(split_lines(&b), b.split_inclusive(|&x| x == b'\n').collect::<Vec<_>>());
    }

    #[test]
    fn the_fast_line_diff_matches_the_reference(a in text_strategy(), b in text_strategy()) {
        prop_assert_eq!(fast_groups(&a, &b), reference_groups(&a, &b));
    }

    #[test]
    fn the_fast_line_diff_matches_the_reference_on_ragged_lines(a in ragged_text(), b in ragged_text()) {
        prop_assert_eq!(fast_groups(&a, &b), reference_groups(&a, &b));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn the_fast_line_diff_matches_the_reference_on_big_files(
        n in 100usize..600,
        edits in prop::collection::vec((0usize..600, 0usize..4, 0usize..4), 0..12),
    ) {
        let (a, b, _) = sparse_edit_case(n, &edits);
        prop_assert_eq!(fast_groups(&a, &b), reference_groups(&a, &b));
    }
}

/// `increasing_run` as first written (a binary search over the pairs' indexes, every time): the
/// fast path must pick the very same run, not only one as long.
fn reference_increasing_run(pairs: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut tails: Vec<usize> = Vec::new();
    let mut prev: Vec<usize> = vec![usize::MAX; pairs.len()];
    for (i, p) in pairs.iter().enumerate() {
        let k = tails.partition_point(|&t| pairs[t].1 < p.1);
        if k > 0 {
            prev[i] = tails[k - 1];
        }
        if k == tails.len() {
            tails.push(i);
        } else {
            tails[k] = i;
        }
    }
    let mut run = Vec::new();
    let mut at = tails.last().copied().unwrap_or(usize::MAX);
    while at != usize::MAX {
        run.push(pairs[at]);
        at = prev[at];
    }
    run.reverse();
    run
}

proptest! {
    #[test]
    fn the_increasing_run_matches_the_reference(
        seconds in prop::collection::vec(0u32..40, 0..60),
        sorted_prefix in 0usize..60,
    ) {
        // Distinct second members (anchors are unique lines), partly in order as in real files.
        let mut seen = std::collections::HashSet::new();
        let mut seconds: Vec<u32> = seconds.into_iter().filter(|s| seen.insert(*s)).collect();
        let cut = sorted_prefix.min(seconds.len());
        seconds[..cut].sort_unstable();
        let pairs: Vec<(u32, u32)> = seconds.iter().enumerate().map(|(i, &s)| (i as u32, s)).collect();
        prop_assert_eq!(increasing_run(&pairs), reference_increasing_run(&pairs));
    }
}

proptest! {
    /// The wasm build's line comparison (8 bytes at a time) agrees with `==`, at every length and
    /// with the difference anywhere.
    #[test]
    fn comparing_by_words_is_equality(
        a in prop::collection::vec(0u8..3, 0..40),
        flip in 0usize..40,
        extra in 0usize..2,
    ) {
        prop_assert!(equal_by_words(&a, &a));
        let mut b = a.clone();
        if let Some(x) = b.get_mut(flip) {
            *x ^= 1;
        }
        b.extend(std::iter::repeat_n(0u8, extra));
        prop_assert_eq!(equal_by_words(&a, &b), a == b);
    }
}

// ---- The lazy API against the diff_texts this crate had before it (kept here as the reference) ----

fn reference_context_row(old: &[&str], oi: usize, ni: usize) -> DiffRow {
    DiffRow {
        kind: RowKind::Context,
        old_line: Some(oi as u32 + 1),
        new_line: Some(ni as u32 + 1),
        text: strip_ending(old[oi]).to_string(),
        highlights: Vec::new(),
        hunk_id: None,
        no_newline: !old[oi].ends_with('\n'),
    }
}

/// `diff_texts` as it was written before `LineDiff`: every row built in one pass. The change groups
/// are the line diff's (`lockstep::text_spans`; lockstep.rs tests them against `line_groups`).
fn reference_diff_texts(original: &str, proposed: &str) -> FileDiff {
    let old = split_keep_endings(original);
    let new = split_keep_endings(proposed);
    let (old_b, new_b) = (bytes_of(&old), bytes_of(&new));
    let groups: Vec<Group> = lockstep::text_spans(original.as_bytes(), proposed.as_bytes())
        .into_iter()
        .map(|s| s.group)
        .collect();
    let mut section_groups: Vec<Range<usize>> = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        match section_groups.last_mut() {
            Some(r) if g.old.start - groups[r.end - 1].old.end <= 2 * CONTEXT_LINES => {
                r.end = i + 1
            }
            _ => section_groups.push(i..i + 1),
        }
    }
    let mut diff = FileDiff {
        hunk_ids: Vec::new(),
        unified: String::new(),
        hunks: Vec::new(),
        sections: Vec::new(),
        rows: Vec::new(),
        additions: 0,
        deletions: 0,
    };
    for members in section_groups {
        let first = &groups[members.start];
        let last = &groups[members.end - 1];
        let lead = first.old.start.min(CONTEXT_LINES);
        let old_begin = first.old.start - lead;
        let new_begin = first.new.start - lead;
        let trail = (old.len() - last.old.end).min(CONTEXT_LINES);
        let old_end = last.old.end + trail;
        let new_end = last.new.end + trail;
        let first_row = diff.rows.len();
        let mut hunk_ids = Vec::new();
        let (mut oi, mut ni) = (old_begin, new_begin);
        for g in &groups[members] {
            while oi < g.old.start {
                diff.rows.push(reference_context_row(&old, oi, ni));
                oi += 1;
                ni += 1;
            }
            let id = hunk_id(g, &old_b, &new_b);
            let hunk_first_row = diff.rows.len();
            let pairs = words::pair_highlights(&old[g.old.clone()], &new[g.new.clone()]);
            for (k, o) in g.old.clone().enumerate() {
                diff.rows.push(DiffRow {
                    kind: RowKind::Delete,
                    old_line: Some(o as u32 + 1),
                    new_line: None,
                    text: strip_ending(old[o]).to_string(),
                    highlights: pairs.old.get(k).cloned().unwrap_or_default(),
                    hunk_id: Some(id.clone()),
                    no_newline: !old[o].ends_with('\n'),
                });
            }
            for (k, n) in g.new.clone().enumerate() {
                diff.rows.push(DiffRow {
                    kind: RowKind::Insert,
                    old_line: None,
                    new_line: Some(n as u32 + 1),
                    text: strip_ending(new[n]).to_string(),
                    highlights: pairs.new.get(k).cloned().unwrap_or_default(),
                    hunk_id: Some(id.clone()),
                    no_newline: !new[n].ends_with('\n'),
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
            diff.rows.push(reference_context_row(&old, oi, ni));
            oi += 1;
            ni += 1;
        }
        assert_eq!(ni, new_end);
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
        write_unified_section(&mut diff.unified, &section, &diff.rows[first_row..]);
        diff.sections.push(section);
    }
    diff
}

/// Everything the lazy API says about (a, b) agrees with the reference `FileDiff`: the line-level
/// result with its hunks, the whole render model, and every split of the sections into two parts.
fn lazy_matches_reference(a: &str, b: &str) -> Result<(), TestCaseError> {
    let want = reference_diff_texts(a, b);
    prop_assert_eq!(&diff_texts(a, b), &want);
    let owned = LineDiff::new(a.to_string(), b.to_string());
    let borrowed = LineDiff::new(a, b);
    prop_assert_eq!(&owned.file_diff(), &want);
    let lines = borrowed.lines();
    prop_assert_eq!(&lines.hunk_ids, &want.hunk_ids);
    prop_assert_eq!(lines.sections as usize, want.sections.len());
    prop_assert_eq!(
        (lines.additions, lines.deletions),
        (want.additions, want.deletions)
    );
    prop_assert_eq!(lines.hunks.len(), want.hunks.len());
    for (h, w) in lines.hunks.iter().zip(&want.hunks) {
        prop_assert_eq!(
            (&h.id, h.old_start, h.old_lines, h.new_start, h.new_lines),
            (&w.id, w.old_start, w.old_lines, w.new_start, w.new_lines)
        );
        prop_assert!(want.sections[h.section as usize].hunk_ids.contains(&h.id));
    }
    for (i, id) in want.hunk_ids.iter().enumerate() {
        prop_assert_eq!(&hunk_id_text(borrowed.level().hunk_hash(i)), id);
    }
    // The line level from the bytes alone is the same.
    prop_assert_eq!(&LineLevel::new(a.as_bytes(), b.as_bytes()).lines(), &lines);
    // Section parts: each one alone, and any two-way split, put back together, is the whole.
    let n = want.sections.len();
    for cut in 0..=n {
        let (mut head, tail) = (
            borrowed.file_diff_part(0..cut),
            borrowed.file_diff_part(cut..n),
        );
        let offset = head.rows.len() as u32;
        head.hunk_ids.extend(tail.hunk_ids);
        head.unified.push_str(&tail.unified);
        head.hunks.extend(tail.hunks.into_iter().map(|mut h| {
            h.first_row += offset;
            h
        }));
        head.sections.extend(tail.sections.into_iter().map(|mut s| {
            s.first_row += offset;
            s
        }));
        head.rows.extend(tail.rows);
        head.additions += tail.additions;
        head.deletions += tail.deletions;
        prop_assert_eq!(&head, &want);
    }
    for s in 0..n {
        let part = borrowed.file_diff_part(s..s + 1);
        let w = &want.sections[s];
        prop_assert_eq!(
            &part.rows[..],
            &want.rows[w.first_row as usize..(w.first_row + w.row_count) as usize]
        );
        prop_assert_eq!(&part.hunk_ids, &w.hunk_ids);
    }
    // Out-of-range parts are clamped, never a panic.
    prop_assert!(borrowed.file_diff_part(n..n + 3).rows.is_empty());
    prop_assert_eq!(&borrowed.file_diff_part(0..usize::MAX), &want);
    Ok(())
}

#[test]
fn the_lazy_api_matches_the_reference_on_fixed_cases() {
    for (a, b) in [
        ("", ""),
        ("", "a\n"),
        ("a\n", ""),
        ("a\nb", "a\nb\n"),
        ("a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\n"),
        ("let total = a + b;\n", "let total = a - b;\n"),
        (
            "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",
            "1\nTWO\n3\n4\n5\n6\n7\nEIGHT\n9\n10\n",
        ),
    ] {
        lazy_matches_reference(a, b).unwrap();
    }
    let (a, b, _) = sparse_edit_case(
        3_000,
        &[(5, 1, 2), (400, 3, 0), (1_500, 0, 4), (2_990, 2, 2)],
    );
    lazy_matches_reference(&a, &b).unwrap();
}

proptest! {
    #[test]
    fn the_lazy_api_matches_the_reference(a in text_strategy(), b in text_strategy()) {
        lazy_matches_reference(&a, &b)?;
    }

    #[test]
    fn the_lazy_api_matches_the_reference_on_ragged_lines(a in ragged_text(), b in ragged_text()) {
        lazy_matches_reference(&a, &b)?;
    }
}

#[test]
fn the_line_level_diff_takes_any_bytes() {
    // Not UTF-8 (Latin-1 and a lone continuation byte): lines are still lines.
    let d = LineLevel::new(b"caf\xe9\nsame\n\x80\n", b"caf\xe8\nsame\n\x80\nnew\n");
    assert_eq!(d.hunk_count(), 2);
    assert_eq!(d.hunk_numbers(0), (1, 1, 1, 1));
    assert_eq!(d.hunk_numbers(1), (3, 0, 4, 1));
    // The same lines as text give the same hunk ids.
    let t = LineLevel::new("café\nsame\n".as_bytes(), "cafè\nsame\n".as_bytes()).lines();
    let text = LineDiff::new("café\nsame\n", "cafè\nsame\n").lines();
    assert_eq!(t, text);
}
