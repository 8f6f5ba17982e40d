//! Turning a command's raw bytes into protocol text: an incremental UTF-8 decoder that never splits
//! a character across notifications, and the bounded head + tail kept for `exec/exited`.
use crate::protocol::ExecOutputSummary;

/// Decodes a byte stream chunk by chunk. An incomplete character at the end of a chunk is carried
/// to the next one; bytes that can never be valid become U+FFFD.
#[derive(Default)]
pub struct Utf8Stream {
    carry: Vec<u8>,
}

impl Utf8Stream {
    pub fn decode(&mut self, chunk: &[u8]) -> String {
        let mut buf;
        let mut input: &[u8] = if self.carry.is_empty() {
            chunk
        } else {
            buf = std::mem::take(&mut self.carry);
            buf.extend_from_slice(chunk);
            &buf
        };
        let mut out = String::with_capacity(input.len());
        loop {
            match std::str::from_utf8(input) {
                Ok(s) => {
                    out.push_str(s);
                    break;
                }
                Err(e) => {
                    let (valid, rest) = input.split_at(e.valid_up_to());
                    // from_utf8 vouched for these bytes, so this never falls back to the default.
                    out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        Some(bad) => {
                            out.push('\u{FFFD}');
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
        out
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

/// Keeps the first `limit/2` and the last `limit/2` bytes of text, cut at character boundaries.
pub struct HeadTail {
    head_cap: usize,
    tail_cap: usize,
    head: String,
    tail: String,
    total: u64,
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl HeadTail {
    pub fn new(limit: usize) -> Self {
        let head_cap = limit / 2;
        HeadTail {
            head_cap,
            tail_cap: limit - head_cap,
            head: String::new(),
            tail: String::new(),
            total: 0,
        }
    }

    pub fn push(&mut self, text: &str) {
        self.total += text.len() as u64;
        let mut rest = text;
        if self.head.len() < self.head_cap {
            let room = self.head_cap - self.head.len();
            let cut = floor_char_boundary(rest, room);
            self.head.push_str(&rest[..cut]);
            rest = &rest[cut..];
            if cut < room && !rest.is_empty() {
                // The next character does not fit whole; the head is complete.
                self.head_cap = self.head.len();
            }
        }
        if rest.is_empty() {
            return;
        }
        if rest.len() >= self.tail_cap {
            let mut s = rest.len() - self.tail_cap;
            while !rest.is_char_boundary(s) {
                s += 1;
            }
            self.tail.clear();
            self.tail.push_str(&rest[s..]);
        } else {
            self.tail.push_str(rest);
            // Trim lazily (at twice the cap) so pushing many small chunks stays linear.
            if self.tail.len() > 2 * self.tail_cap {
                self.trim_tail();
            }
        }
    }

    fn trim_tail(&mut self) {
        if self.tail.len() > self.tail_cap {
            let mut s = self.tail.len() - self.tail_cap;
            while !self.tail.is_char_boundary(s) {
                s += 1;
            }
            self.tail.drain(..s);
        }
    }

    pub fn finish(mut self) -> ExecOutputSummary {
        self.trim_tail();
        let kept = (self.head.len() + self.tail.len()) as u64;
        ExecOutputSummary {
            head: self.head,
            tail: self.tail,
            total_bytes: self.total,
            truncated_bytes: self.total - kept,
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

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let mut d = Utf8Stream::default();
        assert_eq!(d.decode(b"a\xffb\xc3"), "a\u{FFFD}b");
        assert_eq!(d.decode(b"("), "\u{FFFD}(");
        assert_eq!(d.decode(b"\xe2\x82"), "");
        assert_eq!(d.finish(), "\u{FFFD}");
    }

    #[test]
    fn head_and_tail_keep_both_ends_and_count_the_gap() {
        let mut ht = HeadTail::new(10);
        for i in 0..100 {
            ht.push(&format!("{}", i % 10));
        }
        let s = ht.finish();
        assert_eq!(s.head, "01234");
        assert_eq!(s.tail, "56789");
        assert_eq!(s.total_bytes, 100);
        assert_eq!(s.truncated_bytes, 90);
    }

    #[test]
    fn short_output_is_all_in_head() {
        let mut ht = HeadTail::new(100);
        ht.push("hello ");
        ht.push("world");
        let s = ht.finish();
        assert_eq!(s.head, "hello world");
        assert_eq!(s.tail, "");
        assert_eq!(s.truncated_bytes, 0);
    }

    #[test]
    fn cuts_never_split_characters() {
        let mut ht = HeadTail::new(7);
        ht.push("ééééééééé"); // 2 bytes each
        let s = ht.finish();
        assert!(s.head.chars().all(|c| c == 'é'));
        assert!(s.tail.chars().all(|c| c == 'é'));
        assert_eq!(s.head.len() + s.tail.len() + s.truncated_bytes as usize, 18);
        assert!(s.head.len() + s.tail.len() <= 7);
    }
}
