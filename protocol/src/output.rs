//! Head-and-tail bounding of command output, written once: the sidecar keeps `exec/exited`'s
//! summary with it, and the core bounds what the model reads with [`head_and_tail`].
use crate::sidecar::ExecOutputSummary;

/// Keeps the first and the last bytes of a text that arrives in pieces, cut at character
/// boundaries, and counts what fell between them.
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
    /// At most `limit` bytes in all: `limit/2` of head, the rest of tail.
    pub fn new(limit: usize) -> Self {
        let head_cap = limit / 2;
        Self::with_caps(head_cap, limit - head_cap)
    }

    /// At most `head_cap` bytes of head and `tail_cap` bytes of tail.
    pub fn with_caps(head_cap: usize, tail_cap: usize) -> Self {
        HeadTail {
            head_cap,
            tail_cap,
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

/// `text` cut to at most `max_bytes`: the first and the last `max_bytes/2` bytes (at character
/// boundaries) and how many bytes fell between them; `None` when it already fits.
pub fn head_and_tail(text: &str, max_bytes: usize) -> Option<ExecOutputSummary> {
    if text.len() <= max_bytes {
        return None;
    }
    let half = max_bytes / 2;
    let mut ht = HeadTail::with_caps(half, half);
    ht.push(text);
    Some(ht.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// The core's bounding before it used `HeadTail`, kept as the reference: the same bytes out.
    fn reference(text: &str, max_bytes: usize) -> Option<(String, String, usize)> {
        if text.len() <= max_bytes {
            return None;
        }
        let half = max_bytes / 2;
        let mut head_end = half;
        while !text.is_char_boundary(head_end) {
            head_end -= 1;
        }
        let mut tail_start = text.len() - half;
        while !text.is_char_boundary(tail_start) {
            tail_start += 1;
        }
        Some((
            text[..head_end].to_string(),
            text[tail_start..].to_string(),
            tail_start - head_end,
        ))
    }

    #[test]
    fn head_and_tail_is_the_cores_old_bounding_byte_for_byte() {
        let texts = [
            String::new(),
            "short".to_string(),
            "0123456789".repeat(50),
            "héllo €uro 😀 ".repeat(40),
            "😀".repeat(100),
            "a\nb\r\nc\té".repeat(77),
        ];
        for text in &texts {
            for max in [
                0, 1, 2, 3, 4, 5, 7, 8, 10, 33, 64, 100, 255, 256, 1000, 4096,
            ] {
                let got =
                    head_and_tail(text, max).map(|s| (s.head, s.tail, s.truncated_bytes as usize));
                assert_eq!(got, reference(text, max), "{max} bytes of {text:?}");
                if let Some((h, t, gap)) = got {
                    assert_eq!(h.len() + t.len() + gap, text.len());
                }
            }
        }
    }

    #[test]
    fn pieces_give_the_same_summary_as_the_whole() {
        let text = "héllo €uro 😀 line\n".repeat(30);
        for limit in [0, 1, 5, 16, 100, 1000] {
            let mut whole = HeadTail::new(limit);
            whole.push(&text);
            let whole = whole.finish();
            for step in [1, 2, 3, 7, 50] {
                let mut ht = HeadTail::new(limit);
                let mut rest = text.as_str();
                while !rest.is_empty() {
                    let mut cut = step.min(rest.len());
                    while !rest.is_char_boundary(cut) {
                        cut += 1;
                    }
                    ht.push(&rest[..cut]);
                    rest = &rest[cut..];
                }
                let s = ht.finish();
                assert_eq!(
                    (&s.head, &s.tail, s.total_bytes, s.truncated_bytes),
                    (
                        &whole.head,
                        &whole.tail,
                        whole.total_bytes,
                        whole.truncated_bytes
                    ),
                    "limit {limit}, step {step}"
                );
            }
        }
    }
}
