//! Word-level highlights inside changed lines. Within a hunk the k-th deleted line is paired with the
//! k-th inserted line; each pair is diffed by tokens (words, runs of spaces, single punctuation marks)
//! and the changed tokens become highlight ranges in UTF-16 code units.

use super::myers::changed_runs;
use super::{strip_ending, HighlightRange};

/// Lines longer than this (in bytes) get no word highlights: the line kind says enough.
const MAX_HIGHLIGHT_LINE: usize = 4000;

pub struct Pairs {
    pub old: Vec<Vec<HighlightRange>>,
    pub new: Vec<Vec<HighlightRange>>,
}

fn tokenize(s: &str) -> Vec<&str> {
    #[derive(PartialEq, Clone, Copy)]
    enum Class {
        Word,
        Space,
        Other,
    }
    let class = |c: char| {
        if c.is_alphanumeric() || c == '_' {
            Class::Word
        } else if c.is_whitespace() {
            Class::Space
        } else {
            Class::Other
        }
    };
    let mut tokens = Vec::new();
    let mut start = 0;
    let mut prev: Option<Class> = None;
    for (i, c) in s.char_indices() {
        let k = class(c);
        let joins = prev == Some(k) && k != Class::Other;
        if !joins && i > start {
            tokens.push(&s[start..i]);
            start = i;
        }
        prev = Some(k);
    }
    if start < s.len() {
        tokens.push(&s[start..]);
    }
    tokens
}

fn utf16_offsets(tokens: &[&str]) -> Vec<u32> {
    let mut offsets = Vec::with_capacity(tokens.len() + 1);
    let mut at = 0u32;
    offsets.push(0);
    for t in tokens {
        at += t.encode_utf16().count() as u32;
        offsets.push(at);
    }
    offsets
}

fn push_range(ranges: &mut Vec<HighlightRange>, start: u32, end: u32) {
    if start == end {
        return;
    }
    match ranges.last_mut() {
        Some(last) if last.end == start => last.end = end,
        _ => ranges.push(HighlightRange { start, end }),
    }
}

/// Highlights for one pair of lines (without endings): (old ranges, new ranges).
pub fn line_highlights(old: &str, new: &str) -> (Vec<HighlightRange>, Vec<HighlightRange>) {
    if old.len() > MAX_HIGHLIGHT_LINE || new.len() > MAX_HIGHLIGHT_LINE {
        return (Vec::new(), Vec::new());
    }
    let (ot, nt) = (tokenize(old), tokenize(new));
    let runs = changed_runs(&ot, &nt);
    // Lines that share no word at all are a rewrite: marking every character adds nothing. The
    // equal tokens are the ones between the changed runs.
    let mut at = 0;
    let mut shares_a_word = false;
    for o in runs
        .iter()
        .map(|(o, _)| o.clone())
        .chain(std::iter::once(ot.len()..ot.len()))
    {
        shares_a_word |= ot[at..o.start].iter().any(|t| !t.trim().is_empty());
        at = o.end;
    }
    if !shares_a_word {
        return (Vec::new(), Vec::new());
    }
    let (oo, no) = (utf16_offsets(&ot), utf16_offsets(&nt));
    let (mut orr, mut nrr) = (Vec::new(), Vec::new());
    for (o, n) in runs {
        push_range(&mut orr, oo[o.start], oo[o.end]);
        push_range(&mut nrr, no[n.start], no[n.end]);
    }
    (orr, nrr)
}

pub fn pair_highlights(old: &[&str], new: &[&str]) -> Pairs {
    let mut pairs = Pairs {
        old: Vec::new(),
        new: Vec::new(),
    };
    for (o, n) in old.iter().zip(new) {
        let (a, b) = line_highlights(strip_ending(o), strip_ending(n));
        pairs.old.push(a);
        pairs.new.push(b);
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(start: u32, end: u32) -> HighlightRange {
        HighlightRange { start, end }
    }

    #[test]
    fn tokens_split_words_spaces_and_punctuation() {
        assert_eq!(
            tokenize("let x_1 = f(a, b);"),
            vec!["let", " ", "x_1", " ", "=", " ", "f", "(", "a", ",", " ", "b", ")", ";"]
        );
        assert_eq!(tokenize(""), Vec::<&str>::new());
        assert_eq!(tokenize("naïve  café"), vec!["naïve", "  ", "café"]);
    }

    #[test]
    fn changed_word_is_highlighted_on_both_sides() {
        let (o, n) = line_highlights("let x = 1;", "let x = 42;");
        assert_eq!(o, vec![r(8, 9)]);
        assert_eq!(n, vec![r(8, 10)]);
    }

    #[test]
    fn offsets_are_utf16_code_units() {
        // "é" is one UTF-16 unit, "😀" two; JavaScript indexes strings in UTF-16 units.
        let (o, n) = line_highlights("é 😀 old", "é 😀 new");
        assert_eq!(o, vec![r(5, 8)]);
        assert_eq!(n, vec![r(5, 8)]);
        let text: Vec<u16> = "é 😀 new".encode_utf16().collect();
        assert_eq!(String::from_utf16(&text[5..8]).unwrap(), "new");
    }

    #[test]
    fn lines_sharing_no_word_get_no_highlights() {
        assert_eq!(
            line_highlights("alpha beta", "gamma delta"),
            (vec![], vec![])
        );
    }

    #[test]
    fn adjacent_changes_merge_into_one_range() {
        let (o, n) = line_highlights("a bc d", "a xy+z d");
        assert_eq!(o, vec![r(2, 4)]);
        assert_eq!(n, vec![r(2, 6)]);
    }
}
