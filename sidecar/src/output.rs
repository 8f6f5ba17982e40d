//! Turning a command's raw bytes into protocol text: an incremental UTF-8 decoder that never splits
//! a character across notifications. The bounded head + tail kept for `exec/exited` is the protocol
//! crate's `HeadTail`, the one bounding the core uses too.
pub use tack_protocol::output::HeadTail;

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
}
