//! mimalloc as the global allocator, and the one call that lets it give
//! memory back once the server goes quiet.
//!
//! mimalloc frees into the heap of the thread that allocated, and returns
//! whole free pages to the system only when that thread next works on its
//! heap. After a backlog drains, tokio's workers go idle with those pages
//! still resident (after 100,000 jobs, 10 of the server's 83 MiB). So each
//! worker, as it parks, collects its own heap, at most once a second: under
//! load workers park thousands of times a second, and a collection walks
//! the whole heap.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// mimalloc rather than glibc's malloc: under load glibc spent a sixth of
/// the server's CPU in malloc and free, and held on to the memory of a
/// drained backlog (README, figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const COLLECT_EVERY: Duration = Duration::from_secs(1);

thread_local! {
    static LAST_COLLECTED: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// For `tokio::runtime::Builder::on_thread_park`: gives this thread's freed
/// pages back to the system if it has not done so in the last second.
pub fn collect_on_park() {
    LAST_COLLECTED.with(|last| {
        let now = Instant::now();
        if !collection_due(last.get(), now) {
            return;
        }
        last.set(Some(now));
        // SAFETY: mi_collect only walks and trims the calling thread's own
        // heap; it takes no pointers and may be called at any time.
        unsafe { libmimalloc_sys::mi_collect(true) };
    });
}

fn collection_due(last: Option<Instant>, now: Instant) -> bool {
    last.is_none_or(|at| now.duration_since(at) >= COLLECT_EVERY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_collects_at_first_and_then_once_a_second_at_most() {
        let now = Instant::now();
        assert!(collection_due(None, now));
        assert!(!collection_due(Some(now), now));
        assert!(!collection_due(Some(now), now + COLLECT_EVERY / 2));
        assert!(collection_due(Some(now), now + COLLECT_EVERY));
    }

    #[test]
    fn collecting_leaves_live_memory_intact() {
        let kept: Vec<u64> = (0..100_000).collect();
        drop((0..100_000).map(|n| vec![n; 8]).collect::<Vec<_>>());
        collect_on_park();
        assert_eq!(kept.iter().sum::<u64>(), 99_999 * 100_000 / 2);
    }
}
