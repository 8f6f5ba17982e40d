//! `FileDiff` as JSON text, written directly: the same text `serde_json::to_string` gives (the tests
//! compare them byte for byte), without serde's generic machinery. The wasm face returns this text
//! and the host parses it; written here it is built for speed with the rest of the diff crate.

use super::{DiffHunk, DiffRow, DiffSection, FileDiff, HighlightRange, RowKind};

/// The JSON text of `d`, as `serde_json::to_string(d)` would write it.
pub fn file_diff_json(d: &FileDiff) -> String {
    // Rows dominate: their text plus about a hundred bytes of keys each.
    let guess = d.unified.len() * 2 + d.rows.len() * 128 + d.hunks.len() * 160 + 128;
    let mut out = String::with_capacity(guess);
    out.push_str("{\"hunkIds\":");
    strings(&mut out, &d.hunk_ids);
    out.push_str(",\"unified\":");
    string(&mut out, &d.unified);
    out.push_str(",\"hunks\":[");
    for (i, h) in d.hunks.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        hunk(&mut out, h);
    }
    out.push_str("],\"sections\":[");
    for (i, s) in d.sections.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        section(&mut out, s);
    }
    out.push_str("],\"rows\":[");
    for (i, r) in d.rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        row(&mut out, r);
    }
    out.push_str("],\"additions\":");
    number(&mut out, d.additions);
    out.push_str(",\"deletions\":");
    number(&mut out, d.deletions);
    out.push('}');
    out
}

fn hunk(out: &mut String, h: &DiffHunk) {
    out.push_str("{\"id\":");
    string(out, &h.id);
    out.push_str(",\"oldStart\":");
    number(out, h.old_start);
    out.push_str(",\"oldLines\":");
    number(out, h.old_lines);
    out.push_str(",\"newStart\":");
    number(out, h.new_start);
    out.push_str(",\"newLines\":");
    number(out, h.new_lines);
    out.push_str(",\"firstRow\":");
    number(out, h.first_row);
    out.push_str(",\"rowCount\":");
    number(out, h.row_count);
    out.push('}');
}

fn section(out: &mut String, s: &DiffSection) {
    out.push_str("{\"oldStart\":");
    number(out, s.old_start);
    out.push_str(",\"oldLines\":");
    number(out, s.old_lines);
    out.push_str(",\"newStart\":");
    number(out, s.new_start);
    out.push_str(",\"newLines\":");
    number(out, s.new_lines);
    out.push_str(",\"firstRow\":");
    number(out, s.first_row);
    out.push_str(",\"rowCount\":");
    number(out, s.row_count);
    out.push_str(",\"hunkIds\":");
    strings(out, &s.hunk_ids);
    out.push('}');
}

fn row(out: &mut String, r: &DiffRow) {
    out.push_str(match r.kind {
        RowKind::Context => "{\"kind\":\"context\",\"oldLine\":",
        RowKind::Insert => "{\"kind\":\"insert\",\"oldLine\":",
        RowKind::Delete => "{\"kind\":\"delete\",\"oldLine\":",
    });
    optional_number(out, r.old_line);
    out.push_str(",\"newLine\":");
    optional_number(out, r.new_line);
    out.push_str(",\"text\":");
    string(out, &r.text);
    out.push_str(",\"highlights\":[");
    for (i, HighlightRange { start, end }) in r.highlights.iter().enumerate() {
        out.push_str(if i > 0 { ",{\"start\":" } else { "{\"start\":" });
        number(out, *start);
        out.push_str(",\"end\":");
        number(out, *end);
        out.push('}');
    }
    out.push_str("],\"hunkId\":");
    match &r.hunk_id {
        Some(id) => string(out, id),
        None => out.push_str("null"),
    }
    out.push_str(if r.no_newline {
        ",\"noNewline\":true}"
    } else {
        ",\"noNewline\":false}"
    });
}

fn strings(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, s);
    }
    out.push(']');
}

fn optional_number(out: &mut String, n: Option<u32>) {
    match n {
        Some(n) => number(out, n),
        None => out.push_str("null"),
    }
}

fn number(out: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

/// A JSON string, escaped as serde_json escapes: `"` and `\`, the short forms \b \f \n \r \t, any
/// other control character as \u00XX; everything else (non-ASCII included) as it is. The core's
/// hand writers (wasm-ui-core's json_write.rs) use it too, as `json_string`.
pub fn string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // Escaped characters are ASCII, so `start..i` lies on character boundaries.
        out.push_str(&s[start..i]);
        if short.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push_str(short);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::super::diff_texts;
    use super::*;
    use proptest::prelude::*;

    fn same_as_serde(a: &str, b: &str) {
        let d = diff_texts(a, b);
        assert_eq!(
            file_diff_json(&d),
            serde_json::to_string(&d).unwrap(),
            "{a:?} -> {b:?}"
        );
    }

    #[test]
    fn writes_what_serde_json_writes() {
        same_as_serde("", "");
        same_as_serde("a\n", "a\n");
        same_as_serde("a\nb\nc", "a\nB\nc\nd\n");
        same_as_serde(
            "quote \" back \\ tab \t\r\nbell \u{7} nul \u{0} esc \u{1b} del \u{7f}\n",
            "quote ' back / tab  \r\nbell \u{8} ff \u{c} unit \u{1f} é 😀 \u{2028}\n",
        );
        let big: String = (0..4_000_000u32)
            .step_by(9_973)
            .map(|i| format!("{i}\n"))
            .collect();
        same_as_serde(&big, &big.replacen('7', "x", 40));
    }

    proptest! {
        #[test]
        fn writes_what_serde_json_writes_for_any_texts(
            a in "(?s)[ab\"\\\\\u{0}-\u{1f}é😀\n]{0,60}",
            b in "(?s)[ab\"\\\\\u{0}-\u{1f}é😀\n]{0,60}",
        ) {
            let d = diff_texts(&a, &b);
            prop_assert_eq!(file_diff_json(&d), serde_json::to_string(&d).unwrap());
        }
    }
}
