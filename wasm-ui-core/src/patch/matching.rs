//! Finding a hunk's old lines in a file, as forgivingly as the format's reference implementation:
//! exact first, then ignoring trailing whitespace, then ignoring surrounding whitespace, then with
//! typographic punctuation folded to ASCII. Each level scans the whole range before the next is tried,
//! so an exact match anywhere always wins over a fuzzy one nearer the start.

/// How closely a match had to be sought; reported so callers can tell the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchLevel {
    Exact,
    TrailingWhitespace,
    SurroundingWhitespace,
    Typographic,
}

const LEVELS: [MatchLevel; 4] = [
    MatchLevel::Exact,
    MatchLevel::TrailingWhitespace,
    MatchLevel::SurroundingWhitespace,
    MatchLevel::Typographic,
];

/// Folds the characters models and editors swap for each other (dashes, curly quotes, odd spaces).
pub fn fold_typographic(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
            | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => '-',
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{FF07}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
            | '\u{00BB}' | '\u{FF02}' => '"',
            '\u{00A0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200A}'
            | '\u{202F}'
            | '\u{205F}'
            | '\u{3000}' => ' ',
            '\u{2026}' => '.',
            other => other,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

fn equal_at(level: MatchLevel, a: &str, b: &str) -> bool {
    match level {
        MatchLevel::Exact => a == b,
        MatchLevel::TrailingWhitespace => a.trim_end() == b.trim_end(),
        MatchLevel::SurroundingWhitespace => a.trim() == b.trim(),
        // Handled in `seek` with each line folded once.
        MatchLevel::Typographic => fold_typographic(a) == fold_typographic(b),
    }
}

/// First index `i >= start` where `pattern` matches `lines[i..]`, at the least forgiving level that
/// matches anywhere. An empty pattern matches at `start`.
pub fn seek<S: AsRef<str>>(
    lines: &[S],
    pattern: &[String],
    start: usize,
) -> Option<(usize, MatchLevel)> {
    if pattern.is_empty() {
        return Some((start.min(lines.len()), MatchLevel::Exact));
    }
    if pattern.len() > lines.len() || start > lines.len() - pattern.len() {
        return None;
    }
    let last_start = lines.len() - pattern.len();
    for level in LEVELS {
        if level == MatchLevel::Typographic {
            // Folding allocates: fold each line once, not once per candidate position.
            let folded: Vec<String> = lines[start..]
                .iter()
                .map(|l| fold_typographic(l.as_ref()))
                .collect();
            let want: Vec<String> = pattern.iter().map(|p| fold_typographic(p)).collect();
            if let Some(k) =
                (0..=last_start - start).find(|&k| folded[k..k + want.len()] == want[..])
            {
                return Some((start + k, level));
            }
            continue;
        }
        for i in start..=last_start {
            if pattern
                .iter()
                .zip(&lines[i..i + pattern.len()])
                .all(|(p, l)| equal_at(level, l.as_ref(), p))
            {
                return Some((i, level));
            }
        }
    }
    None
}

/// Like `seek`, but only at the very end of the file (for hunks marked `*** End of File`).
pub fn seek_at_end<S: AsRef<str>>(
    lines: &[S],
    pattern: &[String],
    start: usize,
) -> Option<(usize, MatchLevel)> {
    if pattern.len() > lines.len() {
        return None;
    }
    let at = lines.len() - pattern.len();
    if at < start {
        return None;
    }
    seek(&lines[at..], pattern, 0).map(|(_, level)| (at, level))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn exact_beats_fuzzy_even_when_fuzzy_comes_first() {
        let lines = ["foo  ", "bar", "foo"];
        assert_eq!(seek(&lines, &s(&["foo"]), 0), Some((2, MatchLevel::Exact)));
    }

    #[test]
    fn each_level_in_turn() {
        assert_eq!(
            seek(&["a", "b  \t"], &s(&["b"]), 0),
            Some((1, MatchLevel::TrailingWhitespace))
        );
        assert_eq!(
            seek(&["a", "    b"], &s(&["b"]), 0),
            Some((1, MatchLevel::SurroundingWhitespace))
        );
        assert_eq!(
            seek(
                &["let s = \u{201C}hi\u{201D} \u{2014} it\u{2019}s"],
                &s(&["let s = \"hi\" - it's"]),
                0
            ),
            Some((0, MatchLevel::Typographic))
        );
        assert_eq!(
            seek(&["a\u{00A0}=\u{2009}1"], &s(&["a = 1"]), 0),
            Some((0, MatchLevel::Typographic))
        );
        assert_eq!(seek(&["a", "b"], &s(&["c"]), 0), None);
    }

    #[test]
    fn respects_start_and_end_anchor() {
        let lines = ["x", "y", "x", "y"];
        assert_eq!(seek(&lines, &s(&["x"]), 1), Some((2, MatchLevel::Exact)));
        assert_eq!(seek(&lines, &s(&["x", "y"]), 3), None);
        assert_eq!(
            seek_at_end(&lines, &s(&["x", "y"]), 0),
            Some((2, MatchLevel::Exact))
        );
        assert_eq!(seek_at_end(&lines, &s(&["x"]), 0), None);
        assert_eq!(seek(&lines, &[], 2), Some((2, MatchLevel::Exact)));
        assert_eq!(seek(&lines, &s(&["a", "b", "c", "d", "e"]), 0), None);
    }
}
