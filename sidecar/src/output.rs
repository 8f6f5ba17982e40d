//! Turning a command's raw bytes into protocol text: an incremental UTF-8 decoder that never splits
//! a character across notifications. The bounded head + tail kept for `exec/exited` is the protocol
//! crate's `HeadTail`, the one bounding the core uses too. Also the `exec/output` line itself,
//! written by hand: it carries nearly every byte a command prints, so its text is escaped eight
//! bytes at a time instead of through serde_json's byte loop (the same bytes serde_json writes).
use crate::protocol::OutputStream;
use std::sync::OnceLock;
pub use tack_protocol::output::HeadTail;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any of the eight bytes in `w` needs escaping in a JSON string: a control character
/// (below 0x20), `"` or `\`. Exact for "any" (a borrow only starts at a byte that matches).
#[inline]
fn word_needs_escape(w: u64) -> bool {
    let below_space = w.wrapping_sub(0x20 * ONES) & !w;
    let q = w ^ (b'"' as u64 * ONES);
    let quote = q.wrapping_sub(ONES) & !q;
    let b = w ^ (b'\\' as u64 * ONES);
    let backslash = b.wrapping_sub(ONES) & !b;
    (below_space | quote | backslash) & HIGHS != 0
}

/// Appends `s` escaped for the inside of a JSON string, byte for byte as serde_json escapes it
/// (`\"`, `\\`, `\b \t \n \f \r`, other control characters as `\u00xx`; everything else as is).
/// Only ASCII bytes are ever replaced, so what is appended is valid UTF-8 whenever `s` is.
pub fn push_json_escaped(out: &mut Vec<u8>, s: &str) {
    // Blocks, so the room reserved for the worst case (six bytes out per byte in) stays small.
    const BLOCK: usize = 4096;
    for block in s.as_bytes().chunks(BLOCK) {
        escape_block(out, block);
    }
}

fn escape_block(out: &mut Vec<u8>, b: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(6 * b.len());
    let spare = out.spare_capacity_mut();
    let room = spare.len();
    let dst = spare.as_mut_ptr().cast::<u8>();
    let mut o = 0;
    // Fixed-size stores (a word is one store, not a call to memcpy per run between escapes).
    macro_rules! put {
        ($bytes:expr) => {{
            let v = $bytes;
            assert!(o + v.len() <= room);
            // SAFETY: in bounds of the spare capacity (checked just above); u8 has no alignment.
            unsafe { dst.add(o).cast::<[u8; _]>().write_unaligned(v) };
            o += v.len();
        }};
    }
    let mut i = 0;
    while i < b.len() {
        if let Some(word) = b.get(i..i + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            if !word_needs_escape(u64::from_le_bytes(w)) {
                put!(w);
                i += 8;
                continue;
            }
        }
        let c = b[i];
        match c {
            b'"' => put!(*b"\\\""),
            b'\\' => put!(*b"\\\\"),
            0x08 => put!(*b"\\b"),
            0x09 => put!(*b"\\t"),
            0x0a => put!(*b"\\n"),
            0x0c => put!(*b"\\f"),
            0x0d => put!(*b"\\r"),
            0..=0x1f => put!([
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(c >> 4) as usize],
                HEX[(c & 0xf) as usize]
            ]),
            _ => put!([c]),
        }
        i += 1;
    }
    // SAFETY: the stores above initialised spare[..o] (o <= room), and the spare capacity starts
    // right at the old length.
    unsafe { out.set_len(out.len() + o) };
}

/// Whether `exec/output` goes out as raw frames (`InitializeParams.rawOutput`): decided once per
/// sidecar, by the first `initialize` or else by the first output (as JSON lines), so no line is
/// ever begun in one framing and ended in the other.
static RAW_FRAMES: OnceLock<bool> = OnceLock::new();

/// `initialize` asks for a framing; returns the one that holds (an earlier decision stands).
pub fn choose_raw_frames(want: bool) -> bool {
    *RAW_FRAMES.get_or_init(|| want)
}

/// How a raw frame's header starts: `bytes` first, so its value sits at a fixed offset and is
/// written once the text is in (left-aligned in a field of spaces, which JSON allows).
const RAW_HEADER_START: &[u8] = br#"{"jsonrpc":"2.0","method":"exec/output","params":{"bytes":"#;
/// Room for the decimal digits of any u64.
const BYTES_FIELD: usize = 20;

/// The start of an `exec/output` message: a JSON line up to the opening quote of its text, or a
/// raw frame's header line (with its newline) when the sidecar sends raw frames.
pub fn begin_exec_output_line(out: &mut Vec<u8>, exec_id: &str, stream: OutputStream) {
    begin_exec_output_as(out, exec_id, stream, *RAW_FRAMES.get_or_init(|| false));
}

fn begin_exec_output_as(out: &mut Vec<u8>, exec_id: &str, stream: OutputStream, raw: bool) {
    let stream = match stream {
        OutputStream::Stdout => "stdout",
        OutputStream::Stderr => "stderr",
    };
    if raw {
        out.extend_from_slice(RAW_HEADER_START);
        out.extend_from_slice(&[b' '; BYTES_FIELD]);
        out.extend_from_slice(br#","execId":""#);
        push_json_escaped(out, exec_id);
        out.extend_from_slice(br#"","stream":""#);
        out.extend_from_slice(stream.as_bytes());
        out.extend_from_slice(b"\"}}\n");
    } else {
        out.extend_from_slice(br#"{"jsonrpc":"2.0","method":"exec/output","params":{"execId":""#);
        push_json_escaped(out, exec_id);
        out.extend_from_slice(br#"","stream":""#);
        out.extend_from_slice(stream.as_bytes());
        out.extend_from_slice(br#"","text":""#);
    }
}

fn is_raw_frame(out: &[u8]) -> bool {
    out.starts_with(RAW_HEADER_START)
}

/// Appends text to a message begun by `begin_exec_output_line`: as it is in a raw frame, escaped
/// in a JSON line.
pub fn push_text(out: &mut Vec<u8>, text: &str) {
    if is_raw_frame(out) {
        out.extend_from_slice(text.as_bytes());
    } else {
        push_json_escaped(out, text);
    }
}

/// Ends a message begun by `begin_exec_output_line`: closes the JSON line, or writes the frame's
/// text length into its header. (The writer adds the newline that ends either.)
pub fn end_exec_output_line(out: &mut Vec<u8>) {
    if !is_raw_frame(out) {
        out.extend_from_slice(b"\"}}");
        return;
    }
    // The header holds no raw newline (the execId is escaped): the first one ends it.
    let header = out
        .iter()
        .position(|&b| b == b'\n')
        .map_or(out.len(), |i| i + 1);
    let digits = (out.len() - header).to_string();
    let at = RAW_HEADER_START.len();
    out[at..at + digits.len()].copy_from_slice(digits.as_bytes());
}

/// The whole `exec/output` notification line (no newline), the same bytes
/// `notification_line("exec/output", &ExecOutputNotification { .. })` produces.
#[cfg(test)]
pub fn exec_output_line(exec_id: &str, stream: OutputStream, text: &str) -> String {
    exec_output_message(exec_id, stream, text, false)
}

/// The whole `exec/output` message in either framing (a raw frame without its final newline).
#[cfg(test)]
fn exec_output_message(exec_id: &str, stream: OutputStream, text: &str, raw: bool) -> String {
    let mut out = Vec::new();
    begin_exec_output_as(&mut out, exec_id, stream, raw);
    // In pieces, as the runner adds them.
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = rest.len().min(7);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        push_text(&mut out, &rest[..cut]);
        rest = &rest[cut..];
    }
    end_exec_output_line(&mut out);
    String::from_utf8(out).expect("escaping keeps UTF-8 valid")
}

/// Decodes a byte stream chunk by chunk. An incomplete character at the end of a chunk is carried
/// to the next one; bytes that can never be valid become U+FFFD.
#[derive(Default)]
pub struct Utf8Stream {
    carry: Vec<u8>,
}

impl Utf8Stream {
    #[cfg(test)]
    pub fn decode(&mut self, chunk: &[u8]) -> String {
        let mut out = String::new();
        self.decode_into(chunk, &mut out);
        out
    }

    /// Appends the text of `chunk` to `out`.
    #[cfg(test)]
    pub fn decode_into(&mut self, chunk: &[u8], out: &mut String) {
        self.decode_each(chunk, |piece| out.push_str(piece));
    }

    /// Hands the text of `chunk` to `f` in pieces (valid runs borrowed from `chunk` itself, U+FFFD
    /// for bytes that can never be valid); nothing is copied unless a character straddles the
    /// previous chunk.
    pub fn decode_each(&mut self, chunk: &[u8], mut f: impl FnMut(&str)) {
        let mut input = chunk;
        if !self.carry.is_empty() {
            // The carry is the valid start of one character: complete it (or find it invalid) with
            // the few bytes it still needs, then decode the rest of the chunk in place.
            let had = self.carry.len();
            let want: usize = match self.carry[0] {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                _ => 4,
            };
            let k = want.saturating_sub(had).min(chunk.len());
            let mut head = std::mem::take(&mut self.carry);
            head.extend_from_slice(&chunk[..k]);
            match std::str::from_utf8(&head) {
                Ok(s) => {
                    f(s);
                    input = &chunk[k..];
                }
                Err(e) if e.valid_up_to() == 0 && e.error_len().is_none() && k == chunk.len() => {
                    // Still incomplete, and the chunk is used up.
                    self.carry = head;
                    return;
                }
                Err(e) if e.valid_up_to() == 0 && e.error_len().is_some_and(|n| n >= had) => {
                    // Never completes: one U+FFFD for it; the byte that broke it is decoded anew.
                    f("\u{FFFD}");
                    input = &chunk[e.error_len().unwrap_or(had) - had..];
                }
                Err(_) => {
                    // Not expected from a carry; decode everything together, as is always correct.
                    head.extend_from_slice(&chunk[k..]);
                    self.decode_plain(&head, &mut f);
                    return;
                }
            }
        }
        self.decode_plain(input, &mut f);
    }

    fn decode_plain(&mut self, mut input: &[u8], f: &mut impl FnMut(&str)) {
        loop {
            match std::str::from_utf8(input) {
                Ok(s) => {
                    if !s.is_empty() {
                        f(s);
                    }
                    break;
                }
                Err(e) => {
                    let (valid, rest) = input.split_at(e.valid_up_to());
                    // from_utf8 vouched for these bytes, so this never falls back to the default.
                    if !valid.is_empty() {
                        f(std::str::from_utf8(valid).unwrap_or_default());
                    }
                    match e.error_len() {
                        Some(bad) => {
                            f("\u{FFFD}");
                            input = &rest[bad..];
                        }
                        None => {
                            // A character that may still complete: keep it for the next chunk.
                            self.carry = rest.to_vec();
                            break;
                        }
                    }
                }
            }
        }
    }

    /// End of stream: whatever incomplete character is left can never complete.
    pub fn finish(&mut self) -> String {
        if self.carry.is_empty() {
            String::new()
        } else {
            self.carry.clear();
            "\u{FFFD}".to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multibyte_character_split_across_chunks_is_carried() {
        let text = "héllo €uro 😀";
        let bytes = text.as_bytes();
        for split in 0..=bytes.len() {
            let mut d = Utf8Stream::default();
            let mut out = d.decode(&bytes[..split]);
            out.push_str(&d.decode(&bytes[split..]));
            out.push_str(&d.finish());
            assert_eq!(out, text, "split at {split}");
        }
    }

    fn serde_line(exec_id: &str, stream: OutputStream, text: &str) -> String {
        crate::exec::notification_line(
            "exec/output",
            &crate::protocol::ExecOutputNotification {
                exec_id: exec_id.into(),
                stream,
                text: text.into(),
            },
        )
    }

    #[test]
    fn output_line_matches_serde_json_byte_for_byte() {
        let mut every_byte = String::new();
        for c in 0u8..0x80 {
            every_byte.push(c as char);
        }
        let cases = [
            "",
            "plain ascii text, longer than one word of eight bytes",
            "a\nb\r\n\t\"quoted\" back\\slash \u{7f} \u{1b}[31mred\u{1b}[0m",
            "héllo €uro 😀 \u{FFFD}\u{0}\u{1f}",
            "\"\"\"\"\"\"\"\"\"\\\\\\\\\\\\\\\\\\",
            &every_byte,
        ];
        for text in cases {
            for stream in [OutputStream::Stdout, OutputStream::Stderr] {
                for id in ["e1", "id with \"quote\" and \\ and \n"] {
                    assert_eq!(
                        exec_output_line(id, stream, text),
                        serde_line(id, stream, text),
                        "{text:?}"
                    );
                }
            }
        }
        // Every offset of an escaped byte relative to the eight-byte words.
        for len in 0..40 {
            for at in 0..len {
                for special in ['"', '\\', '\n', '\u{1}', '\u{1f}', 'é'] {
                    let mut t: String = "x".repeat(len);
                    t.replace_range(at..at + 1, &special.to_string());
                    assert_eq!(
                        exec_output_line("e", OutputStream::Stdout, &t),
                        serde_line("e", OutputStream::Stdout, &t)
                    );
                }
            }
        }
    }

    /// A raw frame split into its header (parsed) and its text.
    fn split_frame(frame: &str) -> (crate::protocol::ExecOutputFrame, serde_json::Value, &str) {
        let (header, text) = frame.split_once('\n').expect("a header line");
        let v: serde_json::Value = serde_json::from_str(header).expect("the header is JSON");
        let parsed = serde_json::from_value(v["params"].clone()).expect("an ExecOutputFrame");
        (parsed, v, text)
    }

    #[test]
    fn raw_frames_carry_the_text_as_is_after_a_json_header() {
        let texts = [
            "plain",
            "a\nb\r\n\t\"quoted\" back\\slash \u{7f} \u{1b}[31mred\u{1b}[0m \u{2028}",
            "héllo €uro 😀 \u{FFFD}\u{0}\u{1f}",
        ];
        for text in texts {
            for id in ["e1", "id with \"quote\" and \\ and \n"] {
                let frame = exec_output_message(id, OutputStream::Stdout, text, true);
                let (parsed, v, payload) = split_frame(&frame);
                assert_eq!(payload, text);
                assert_eq!(v["jsonrpc"], "2.0");
                assert_eq!(v["method"], "exec/output");
                assert_eq!(
                    parsed,
                    crate::protocol::ExecOutputFrame {
                        exec_id: id.into(),
                        stream: OutputStream::Stdout,
                        bytes: text.len() as u64,
                    }
                );
            }
        }
        // A JSON-line message is never taken for a frame, whatever its text.
        let line = exec_output_message("e1", OutputStream::Stdout, "x\ny", false);
        assert!(!is_raw_frame(line.as_bytes()));
        assert_eq!(line, serde_line("e1", OutputStream::Stdout, "x\ny"));
    }

    proptest::proptest! {
        #[test]
        fn raw_frames_hold_any_text(text in ".{0,300}", id in ".{0,20}") {
            let frame = exec_output_message(&id, OutputStream::Stderr, &text, true);
            let (parsed, _, payload) = split_frame(&frame);
            proptest::prop_assert_eq!(payload, text.as_str());
            proptest::prop_assert_eq!(parsed.exec_id, id);
            proptest::prop_assert_eq!(parsed.stream, OutputStream::Stderr);
            proptest::prop_assert_eq!(parsed.bytes, text.len() as u64);
        }
    }

    proptest::proptest! {
        #[test]
        fn output_line_matches_serde_json_for_any_text(text in ".{0,300}", id in ".{0,20}") {
            proptest::prop_assert_eq!(
                exec_output_line(&id, OutputStream::Stderr, &text),
                serde_line(&id, OutputStream::Stderr, &text)
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_in_any_chunks_decode_as_the_whole(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::any::<u8>(),
                    0x80u8..0xc0,
                    0xc2u8..0xf5,
                    proptest::prelude::Just(b'a'),
                ],
                0..64,
            ),
            cuts in proptest::collection::vec(0usize..64, 0..8),
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
            cuts.sort_unstable();
            let mut d = Utf8Stream::default();
            let mut out = String::new();
            let mut from = 0;
            for c in cuts.into_iter().chain([bytes.len()]) {
                d.decode_into(&bytes[from..c], &mut out);
                from = c;
            }
            out.push_str(&d.finish());
            proptest::prop_assert_eq!(out, String::from_utf8_lossy(&bytes).into_owned());
        }
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let mut d = Utf8Stream::default();
        assert_eq!(d.decode(b"a\xffb\xc3"), "a\u{FFFD}b");
        assert_eq!(d.decode(b"("), "\u{FFFD}(");
        assert_eq!(d.decode(b"\xe2\x82"), "");
        assert_eq!(d.finish(), "\u{FFFD}");
    }
}
