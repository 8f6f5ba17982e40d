//! Line-level decisions inside one hunk: the person accepts or rejects some lines of a proposed
//! change and leaves the rest pending.
//!
//! A hunk replaces old lines `O[0..m)` with new lines `N[0..n)`. Its lines pair up by position:
//! pair `k` is `(O[k], N[k])`, either side missing past its end (a pure insertion has only new
//! lines, a pure deletion only old ones). A decision on pairs `k in lines` is:
//! - accept: the current text takes those pairs (each `O[k]` present is replaced by `N[k]`, or
//!   removed when there is none; a lone `N[k]` is inserted in place); the proposal is unchanged;
//! - reject: the proposal drops those pairs (it keeps `O[k]` and loses `N[k]`); the current text is
//!   unchanged.
//!
//! Either way the result is a new (current, proposed) pair whose diff holds what is still pending,
//! so accepting a part then the rest gives exactly what accepting the whole hunk gives.

use super::{lockstep, span_id, split_keep_endings};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use ts_rs::TS;

/// The texts after a line-level decision.
#[derive(Serialize, Deserialize, TS, Debug, Clone, PartialEq, Eq)]
#[ts(export)]
pub struct LineDecision {
    /// What the file holds now (the buffer after an accept; unchanged after a reject).
    pub current: String,
    /// What is still proposed (unchanged after an accept; without the rejected lines after a reject).
    pub proposed: String,
}

/// Decides the pairs `lines` (0-based, end exclusive, clamped to the hunk) of hunk `id` of
/// `diff_texts(current, proposed)`. `None` when no hunk has that id (the texts moved on).
pub fn decide_hunk_lines(
    current: &str,
    proposed: &str,
    id: &str,
    lines: Range<u32>,
    accept: bool,
) -> Option<LineDecision> {
    let old = split_keep_endings(current);
    let new = split_keep_endings(proposed);
    let (cb, pb) = (current.as_bytes(), proposed.as_bytes());
    let spans = lockstep::text_spans(cb, pb);
    let g = &spans.iter().find(|s| span_id(s, cb, pb) == id)?.group;
    let o = &old[g.old.clone()];
    let n = &new[g.new.clone()];
    let pairs = o.len().max(n.len());
    let chosen = (lines.start as usize).min(pairs)..(lines.end as usize).min(pairs);
    // The hunk's region rebuilt pair by pair: chosen pairs from one side, the others from the other.
    let mut region = String::new();
    for k in 0..pairs {
        let take_new = chosen.contains(&k) == accept;
        let line = if take_new { n.get(k) } else { o.get(k) };
        if let Some(l) = line {
            // Only a file's last line lacks an ending; when it is followed here, it gets the ending
            // of the line it pairs with (or the hunk's first).
            if !region.is_empty() && !region.ends_with('\n') {
                let ending = o
                    .iter()
                    .chain(n.iter())
                    .find_map(|l| {
                        l.strip_prefix(l.trim_end_matches(['\r', '\n']))
                            .filter(|e| !e.is_empty())
                    })
                    .unwrap_or("\n");
                region.push_str(ending);
            }
            region.push_str(l);
        }
    }
    let splice = |lines: &[&str], range: &Range<usize>| -> String {
        let mut s = String::with_capacity(current.len().max(proposed.len()));
        lines[..range.start].iter().for_each(|l| s.push_str(l));
        s.push_str(&region);
        lines[range.end..].iter().for_each(|l| s.push_str(l));
        s
    };
    Some(if accept {
        LineDecision {
            current: splice(&old, &g.old),
            proposed: proposed.to_string(),
        }
    } else {
        LineDecision {
            current: current.to_string(),
            proposed: splice(&new, &g.new),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::{apply_hunks, diff_texts};
    use super::*;
    use proptest::prelude::*;

    const CUR: &str = "a\nb\nc\nd\ne\nf\n";
    const PRO: &str = "a\nB1\nB2\nB3\nB4\nB5\nf\n";

    #[test]
    fn accepting_two_of_five_lines_takes_exactly_those() {
        let d = diff_texts(CUR, PRO);
        assert_eq!(d.hunk_ids.len(), 1);
        // Old b..e (4 lines) -> new B1..B5: pairs (b,B1) (c,B2) (d,B3) (e,B4) (-,B5).
        let r = decide_hunk_lines(CUR, PRO, &d.hunk_ids[0], 1..3, true).unwrap();
        assert_eq!(r.current, "a\nb\nB2\nB3\ne\nf\n");
        assert_eq!(r.proposed, PRO);
        // What is left pending: b -> B1, e -> B4 + B5.
        let rest = diff_texts(&r.current, &r.proposed);
        assert_eq!(rest.hunk_ids.len(), 2);
    }

    #[test]
    fn rejecting_lines_drops_them_from_the_proposal() {
        let d = diff_texts(CUR, PRO);
        let r = decide_hunk_lines(CUR, PRO, &d.hunk_ids[0], 3..5, false).unwrap();
        assert_eq!(r.current, CUR);
        assert_eq!(r.proposed, "a\nB1\nB2\nB3\ne\nf\n");
    }

    #[test]
    fn an_unknown_hunk_is_none_and_ranges_are_clamped() {
        assert!(decide_hunk_lines(CUR, PRO, "h0000000000000000", 0..1, true).is_none());
        let d = diff_texts(CUR, PRO);
        let r = decide_hunk_lines(CUR, PRO, &d.hunk_ids[0], 0..99, true).unwrap();
        assert_eq!(r.current, PRO);
    }

    #[test]
    fn crlf_and_a_missing_final_newline_are_kept() {
        let cur = "x\r\ny";
        let pro = "x\r\nY1\r\nY2";
        let d = diff_texts(cur, pro);
        let r = decide_hunk_lines(cur, pro, &d.hunk_ids[0], 0..1, true).unwrap();
        assert_eq!(r.current, "x\r\nY1\r\n");
        let r = decide_hunk_lines(cur, pro, &d.hunk_ids[0], 1..2, true).unwrap();
        assert_eq!(r.current, "x\r\ny\r\nY2");
    }

    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(prop_oneof!["a", "b", "c", "d", "e"], 0..10)
            .prop_map(|ls| ls.iter().map(|l| format!("{l}\n")).collect::<String>())
    }

    proptest! {
        /// Every pair accepted is the whole hunk; every pair rejected removes the hunk from the
        /// proposal; an accept never changes the proposal, a reject never the current text; and a
        /// partial accept changes nothing outside the hunk.
        #[test]
        fn decisions_match_whole_hunks(cur in text(), pro in text(), a in 0u32..12, b in 0u32..12) {
            let d = diff_texts(&cur, &pro);
            let (lo, hi) = (a.min(b), a.max(b));
            for id in &d.hunk_ids {
                let all = decide_hunk_lines(&cur, &pro, id, 0..u32::MAX, true).unwrap();
                prop_assert_eq!(&all.current, &apply_hunks(&cur, &pro, std::slice::from_ref(id)));
                let rej = decide_hunk_lines(&cur, &pro, id, 0..u32::MAX, false).unwrap();
                prop_assert_eq!(&rej.current, &cur);
                let others: Vec<String> = d.hunk_ids.iter().filter(|h| *h != id).cloned().collect();
                prop_assert_eq!(&rej.proposed, &apply_hunks(&cur, &pro, &others));
                let part = decide_hunk_lines(&cur, &pro, id, lo..hi, true).unwrap();
                prop_assert_eq!(&part.proposed, &pro);
                let h = d.hunks.iter().find(|h| &h.id == id).unwrap();
                let before = if h.old_lines == 0 { h.old_start } else { h.old_start - 1 } as usize;
                let cl: Vec<&str> = cur.split_inclusive('\n').collect();
                let pl: Vec<&str> = part.current.split_inclusive('\n').collect();
                prop_assert_eq!(&cl[..before], &pl[..before]);
                let after = cl.len() - before - h.old_lines as usize;
                prop_assert_eq!(&cl[cl.len() - after..], &pl[pl.len() - after..]);
                // Accepting a part then everything still pending gives the proposal.
                let rest = diff_texts(&part.current, &pro);
                prop_assert_eq!(apply_hunks(&part.current, &pro, &rest.hunk_ids), pro.clone());
                let rpart = decide_hunk_lines(&cur, &pro, id, lo..hi, false).unwrap();
                prop_assert_eq!(&rpart.current, &cur);
            }
        }
    }

    #[test]
    fn a_part_then_the_rest_is_the_whole_change() {
        let d = diff_texts(CUR, PRO);
        let first = decide_hunk_lines(CUR, PRO, &d.hunk_ids[0], 1..3, true).unwrap();
        let rest = diff_texts(&first.current, PRO);
        assert_eq!(apply_hunks(&first.current, PRO, &rest.hunk_ids), PRO);
    }
}
