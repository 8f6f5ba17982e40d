//! Recycled byte buffers for the output path. Every chunk a command prints passes through a read
//! buffer and an `exec/output` line of up to a few hundred KiB; allocating and freeing those per
//! chunk costs an mmap, an munmap and a page fault per 4 KiB with musl's allocator (the static
//! Linux sidecar), more than the copying itself. The pool keeps a bounded number of them.
use std::sync::Mutex;

/// Buffers kept at most...
const MAX_KEPT: usize = 32;
/// ...each of at most this capacity (anything larger is freed).
const MAX_CAPACITY: usize = 1024 * 1024;

static POOL: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// An empty buffer with room for at least `capacity` bytes.
pub fn take(capacity: usize) -> Vec<u8> {
    let kept = {
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        // One that is big enough already, else any (grown below).
        match pool.iter().rposition(|b| b.capacity() >= capacity) {
            Some(i) => Some(pool.swap_remove(i)),
            None => pool.pop(),
        }
    };
    let mut buf = kept.unwrap_or_default();
    buf.reserve(capacity);
    buf
}

/// Gives a buffer back for reuse.
pub fn give(mut buf: Vec<u8>) {
    if buf.capacity() == 0 || buf.capacity() > MAX_CAPACITY {
        return;
    }
    buf.clear();
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if pool.len() < MAX_KEPT {
        pool.push(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_empty_and_big_ones_are_not_kept() {
        let mut b = take(100);
        assert!(b.is_empty() && b.capacity() >= 100);
        b.extend_from_slice(b"leftover");
        give(b);
        let again = take(10);
        assert!(again.is_empty(), "a reused buffer starts empty");
        give(Vec::with_capacity(MAX_CAPACITY + 1));
        assert!(POOL
            .lock()
            .unwrap()
            .iter()
            .all(|b| b.capacity() <= MAX_CAPACITY && b.is_empty()));
    }
}
