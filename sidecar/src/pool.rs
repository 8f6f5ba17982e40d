//! Recycled byte buffers for the output path. Every chunk a command prints passes through a read
//! buffer and an `exec/output` line of up to a few hundred KiB; allocating and freeing those per
//! chunk costs an mmap, an munmap and a page fault per 4 KiB with musl's allocator (the static
//! Linux sidecar), more than the copying itself. The pool keeps a bounded number of them.
use std::sync::Mutex;

/// Buffers kept at most...
const MAX_KEPT: usize = 32;
/// ...each of at least this capacity...
const MIN_CAPACITY: usize = 16 * 1024;
/// ...and at most this one (anything else is freed).
const MAX_CAPACITY: usize = 1024 * 1024;

static POOL: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// An empty buffer with room for at least `capacity` bytes: the smallest kept one that is big
/// enough, else a new one. A kept buffer that is too small is never grown: that is a realloc,
/// which for buffers this size is an mremap (page tables moved, every CPU's TLB flushed), and it
/// would turn a read buffer into a line buffer that the next read then refuses as too big.
pub fn take(capacity: usize) -> Vec<u8> {
    take_from(
        &mut POOL.lock().unwrap_or_else(|e| e.into_inner()),
        capacity,
    )
}

fn take_from(pool: &mut Vec<Vec<u8>>, capacity: usize) -> Vec<u8> {
    let best = pool
        .iter()
        .enumerate()
        .filter(|(_, b)| b.capacity() >= capacity)
        .min_by_key(|(_, b)| b.capacity())
        .map(|(i, _)| i);
    match best {
        Some(i) => pool.swap_remove(i),
        None => Vec::with_capacity(capacity),
    }
}

/// Gives a buffer back for reuse. Small ones are not kept (the allocator serves those cheaply,
/// and a pool full of them would leave no room for the big ones); when the pool is full, a bigger
/// buffer takes the place of the smallest kept one.
pub fn give(buf: Vec<u8>) {
    give_to(&mut POOL.lock().unwrap_or_else(|e| e.into_inner()), buf);
}

fn give_to(pool: &mut Vec<Vec<u8>>, mut buf: Vec<u8>) {
    if buf.capacity() < MIN_CAPACITY || buf.capacity() > MAX_CAPACITY {
        return;
    }
    buf.clear();
    if pool.len() < MAX_KEPT {
        pool.push(buf);
    } else if let Some(smallest) = pool.iter_mut().min_by_key(|b| b.capacity()) {
        if smallest.capacity() < buf.capacity() {
            *smallest = buf;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_empty_and_big_ones_are_not_kept() {
        let mut pool = Vec::new();
        let mut b = take_from(&mut pool, MIN_CAPACITY);
        assert!(b.is_empty() && b.capacity() >= MIN_CAPACITY);
        b.extend_from_slice(b"leftover");
        let at = b.as_ptr();
        give_to(&mut pool, b);
        let again = take_from(&mut pool, 10);
        assert_eq!(again.as_ptr(), at);
        assert!(again.is_empty(), "a reused buffer starts empty");
        give_to(&mut pool, Vec::with_capacity(MAX_CAPACITY + 1));
        give_to(&mut pool, Vec::with_capacity(100));
        assert!(pool.is_empty(), "neither a huge nor a tiny buffer is kept");
    }

    #[test]
    fn the_smallest_buffer_that_fits_is_handed_out_and_none_is_grown() {
        let mut pool = vec![Vec::<u8>::with_capacity(900), Vec::with_capacity(700)];
        let (big_at, small_at) = (pool[0].as_ptr(), pool[1].as_ptr());
        let got = take_from(&mut pool, 600);
        assert_eq!(got.as_ptr(), small_at, "the smaller of the two that fit");
        let fresh = take_from(&mut pool, 950);
        assert!(fresh.capacity() >= 950);
        assert_eq!(pool.len(), 1, "too small to fit: kept as it was, not grown");
        assert_eq!(pool[0].as_ptr(), big_at);
        assert_eq!(pool[0].capacity(), 900);
        let got_big = take_from(&mut pool, 800);
        assert_eq!(got_big.as_ptr(), big_at);
        assert!(pool.is_empty());
    }

    #[test]
    fn a_full_pool_trades_its_smallest_buffer_for_a_bigger_one() {
        let mut pool = Vec::new();
        for _ in 0..MAX_KEPT {
            give_to(&mut pool, Vec::with_capacity(MIN_CAPACITY));
        }
        give_to(&mut pool, Vec::with_capacity(MIN_CAPACITY));
        assert_eq!(pool.len(), MAX_KEPT);
        give_to(&mut pool, Vec::with_capacity(4 * MIN_CAPACITY));
        assert_eq!(pool.len(), MAX_KEPT);
        assert_eq!(
            pool.iter()
                .filter(|b| b.capacity() >= 4 * MIN_CAPACITY)
                .count(),
            1
        );
    }
}
