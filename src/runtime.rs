//! The server's async runtime: tokio's multi-threaded scheduler without its
//! LIFO slot.
//!
//! A task woken by another task on the same worker goes into that worker's
//! LIFO slot and runs next, ahead of everything queued. When a handler has
//! its answer, it wakes its HTTP/2 connection's task, which then ran at
//! once and wrote that one answer (0.79 `writev` calls per SubmitJob).
//! Without the slot the connection's task waits its turn behind the other
//! handlers the same commit woke, and writes their answers together (0.14
//! `writev` per call). In alternating 8 s runs on two cores: SubmitJob
//! 1.09-1.14 x, GetJobStatus 1.24-1.53 x, ListBackends 1.13-1.26 x as many
//! calls, with 0.86-0.90 x, 0.62-0.75 x and 0.75-0.85 x the server's CPU
//! per call (bench/README.md). The setting is still unstable in tokio, so it
//! needs `--cfg tokio_unstable` (.cargo/config.toml); without it the server
//! builds with the slot, and the test below fails.

use tokio::runtime::{Builder, Runtime};

use crate::allocator;

/// The runtime the server runs on, with `threads` worker threads (one per
/// core for 0).
pub fn build(threads: usize) -> std::io::Result<Runtime> {
    let mut builder = configured(Builder::new_multi_thread());
    if threads > 0 {
        builder.worker_threads(threads);
    }
    builder.build()
}

fn configured(mut builder: Builder) -> Builder {
    builder
        .enable_all()
        .on_thread_park(allocator::collect_on_park);
    #[cfg(tokio_unstable)]
    builder.disable_lifo_slot();
    builder
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tokio::sync::oneshot;

    use super::*;

    #[test]
    fn the_runtime_has_the_threads_asked_for_or_one_per_core() {
        assert_eq!(build(1).unwrap().metrics().num_workers(), 1);
        assert_eq!(build(3).unwrap().metrics().num_workers(), 3);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(build(0).unwrap().metrics().num_workers(), cores);
    }

    /// A task woken by another runs after the tasks queued before it, not
    /// straight after the task that woke it.
    #[test]
    fn a_woken_task_waits_behind_the_tasks_queued_before_it() {
        let runtime = configured(Builder::new_multi_thread())
            .worker_threads(1)
            .build()
            .unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let log = |order: &Arc<Mutex<Vec<&'static str>>>, what| {
            let order = order.clone();
            move || order.lock().unwrap().push(what)
        };
        let (woken, queued) = (log(&order, "woken"), log(&order, "queued"));
        runtime.block_on(async move {
            // Everything below runs on the one worker, so the order in
            // which it picks tasks is the order logged.
            let handles = tokio::spawn(async move {
                let (wake, wait) = oneshot::channel::<()>();
                let waiter = tokio::spawn(async move {
                    wait.await.unwrap();
                    woken();
                });
                // The waiter runs and parks on its channel.
                tokio::task::yield_now().await;
                let mut handles: Vec<_> = (0..3)
                    .map(|_| {
                        let queued = queued.clone();
                        tokio::spawn(async move { queued() })
                    })
                    .collect();
                wake.send(()).unwrap();
                handles.push(waiter);
                handles
            })
            .await
            .unwrap();
            for handle in handles {
                handle.await.unwrap();
            }
        });
        assert_eq!(
            *order.lock().unwrap(),
            ["queued", "queued", "queued", "woken"],
            "the runtime kept its LIFO slot: was the server built without \
             `--cfg tokio_unstable` (.cargo/config.toml; a RUSTFLAGS variable \
             replaces it)?"
        );
    }
}
