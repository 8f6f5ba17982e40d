//! Myers' O((N+M)D) difference algorithm (the greedy forward search with a trace of the frontier for
//! each edit distance), for the line diff (interned line ids) and the word highlights (tokens).
//! Written here instead of taken from a general diff crate: the core needs one algorithm on two
//! element types, and a crate's several algorithms, hooks and their generic instances were a fifth
//! of the wasm module.

use std::ops::Range;

/// The most frontier cells the trace may hold (about 16 MB as u32) before the search gives up and
/// reports what is left as one changed run: an edit distance of about 2,800 in one region. Such a
/// region (after the common prefix and suffix, and between anchors) is a rewrite either way.
const MAX_TRACE_CELLS: usize = 4 << 20;

/// The changed runs turning `a` into `b`: (range in `a`, range in `b`) pairs, in order, each a
/// maximal run of deletions and insertions with nothing equal inside; everything between runs is
/// equal. The edit script is a shortest one (unless the work bound above was reached).
pub fn changed_runs<T: PartialEq>(a: &[T], b: &[T]) -> Vec<(Range<usize>, Range<usize>)> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let (n, m) = (a.len(), b.len());
    if n == 0 && m == 0 {
        return Vec::new();
    }
    let whole = || vec![(prefix..prefix + n, prefix..prefix + m)];
    if n == 0 || m == 0 {
        return whole();
    }
    let max = n + m;
    let off = max as isize;
    // v[k + off]: the furthest x reached on diagonal k (k = x - y).
    let mut v = vec![0u32; 2 * max + 2];
    // trace[d]: the frontier v[-d..=d] after d edits, stored flat; starts[d] is where it begins.
    let mut trace: Vec<u32> = Vec::new();
    let mut starts: Vec<usize> = Vec::new();
    let mut found = None;
    'search: for d in 0..=max as isize {
        let mut k = -d;
        while k <= d {
            let i = (k + off) as usize;
            let mut x = if k == -d || (k != d && v[i - 1] < v[i + 1]) {
                v[i + 1] as usize
            } else {
                v[i - 1] as usize + 1
            };
            let mut y = (x as isize - k) as usize;
            while x < n && y < m && a[x] == b[y] {
                x += 1;
                y += 1;
            }
            v[i] = x as u32;
            if x >= n && y >= m {
                starts.push(trace.len());
                trace.extend_from_slice(&v[(off - d) as usize..=(off + d) as usize]);
                found = Some(d);
                break 'search;
            }
            k += 2;
        }
        if trace.len() + (2 * d as usize + 1) > MAX_TRACE_CELLS {
            return whole();
        }
        starts.push(trace.len());
        trace.extend_from_slice(&v[(off - d) as usize..=(off + d) as usize]);
    }
    let Some(dist) = found else {
        return whole();
    };
    // Walk back from (n, m): each step is one edit at (x0, y0), preceded by the snake that ended there.
    let frontier = |d: isize, k: isize| trace[starts[d as usize] + (k + d) as usize] as isize;
    let (mut x, mut y) = (n as isize, m as isize);
    let mut edits: Vec<(usize, usize, bool)> = Vec::with_capacity(dist as usize);
    for d in (1..=dist).rev() {
        let k = x - y;
        let down = k == -d || (k != d && frontier(d - 1, k - 1) < frontier(d - 1, k + 1));
        let pk = if down { k + 1 } else { k - 1 };
        let px = frontier(d - 1, pk);
        let py = px - pk;
        // down: b[py] inserted before a[px]; otherwise a[px] deleted.
        edits.push((px as usize, py as usize, down));
        x = px;
        y = py;
    }
    edits.reverse();
    let mut runs: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    for (x, y, insert) in edits {
        let (o, nr) = if insert {
            (x..x, y..y + 1)
        } else {
            (x..x + 1, y..y)
        };
        match runs.last_mut() {
            Some((lo, ln)) if lo.end == o.start && ln.end == nr.start => {
                lo.end = o.end;
                ln.end = nr.end;
            }
            _ => runs.push((o, nr)),
        }
    }
    for (o, nr) in &mut runs {
        *o = o.start + prefix..o.end + prefix;
        *nr = nr.start + prefix..nr.end + prefix;
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Applies the runs: equal parts from `a`, changed parts from `b`.
    fn rebuild(a: &[u8], b: &[u8], runs: &[(Range<usize>, Range<usize>)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut at = 0;
        for (o, n) in runs {
            out.extend_from_slice(&a[at..o.start]);
            out.extend_from_slice(&b[n.clone()]);
            at = o.end;
        }
        out.extend_from_slice(&a[at..]);
        out
    }

    fn cost(runs: &[(Range<usize>, Range<usize>)]) -> usize {
        runs.iter().map(|(o, n)| o.len() + n.len()).sum()
    }

    /// The edit distance (insertions and deletions only) by the textbook LCS table.
    fn lcs_distance(a: &[u8], b: &[u8]) -> usize {
        let mut t = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                t[i][j] = if a[i] == b[j] {
                    t[i + 1][j + 1] + 1
                } else {
                    t[i + 1][j].max(t[i][j + 1])
                };
            }
        }
        a.len() + b.len() - 2 * t[0][0]
    }

    #[test]
    fn small_cases() {
        assert!(changed_runs(b"abc", b"abc").is_empty());
        assert_eq!(changed_runs(b"", b"xy"), vec![(0..0, 0..2)]);
        assert_eq!(changed_runs(b"abc", b"axc"), vec![(1..2, 1..2)]);
        assert_eq!(changed_runs(b"abcd", b"acd"), vec![(1..2, 1..1)]);
        assert_eq!(changed_runs(b"ad", b"abcd"), vec![(1..1, 1..3)]);
    }

    proptest! {
        #[test]
        fn runs_rebuild_b_with_a_shortest_script(a in proptest::collection::vec(0u8..4, 0..40), b in proptest::collection::vec(0u8..4, 0..40)) {
            let runs = changed_runs(&a, &b);
            prop_assert_eq!(rebuild(&a, &b, &runs), b.clone());
            prop_assert_eq!(cost(&runs), lcs_distance(&a, &b));
            for w in runs.windows(2) {
                // Maximal: something equal separates consecutive runs.
                prop_assert!(w[0].0.end < w[1].0.start && w[0].1.end < w[1].1.start);
            }
        }
    }
}
