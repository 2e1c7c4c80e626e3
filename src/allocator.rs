//! mimalloc as the global allocator, and the one call that lets it give
//! memory back once the server goes quiet.
//!
//! mimalloc frees into the heap of the thread that allocated, and returns
//! whole free pages to the system only when that thread next works on its
//! heap. After a backlog drains, tokio's workers go idle with those pages
//! still resident: after a million jobs they were about a quarter of the
//! server's memory. So each worker, as it parks, collects its own heap, at
//! most once a second (under load workers park thousands of times a
//! second, and a collection walks the whole heap).

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
        if last
            .get()
            .is_some_and(|at| now.duration_since(at) < COLLECT_EVERY)
        {
            return;
        }
        last.set(Some(now));
        // SAFETY: mi_collect only walks and trims the calling thread's own
        // heap; it takes no pointers and may be called at any time.
        unsafe { libmimalloc_sys::mi_collect(true) };
    });
}
