//! Work that must finish once begun, even when its caller stops waiting.
//!
//! The transport drops a call's future when the client hangs up or its
//! deadline passes. A submission dropped between asking the store to keep
//! its jobs and offering them to the queue left jobs stored but never
//! queued (they waited for the next start's recovery), a job leased to an
//! idle worker waited out its whole lease before anyone ran it, and a
//! cancel dropped after taking its job off the queue left it QUEUED in no
//! queue.
//! `RunToEnd` polls its work in place, so the usual path costs one box;
//! dropped early, it hands the rest to a task of its own, within the
//! dropped call's origin, so its audit lines still name the call.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::ports::{current_call_origin, with_origin};

type Work<T> = Pin<Box<dyn Future<Output = T> + Send>>;

pub(super) struct RunToEnd<T: Send + 'static> {
    work: Option<Work<T>>,
}

/// `work`, finished even if the returned future is dropped first.
pub(super) fn run_to_end<T: Send + 'static>(
    work: impl Future<Output = T> + Send + 'static,
) -> RunToEnd<T> {
    RunToEnd {
        work: Some(Box::pin(work)),
    }
}

impl<T: Send + 'static> Future for RunToEnd<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let Some(work) = self.work.as_mut() else {
            panic!("RunToEnd polled after it finished");
        };
        let done = work.as_mut().poll(cx);
        if done.is_ready() {
            self.work = None;
        }
        done
    }
}

impl<T: Send + 'static> Drop for RunToEnd<T> {
    fn drop(&mut self) {
        let Some(work) = self.work.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                // Read here: the transport drops a call inside its origin.
                let origin = current_call_origin();
                runtime.spawn(with_origin(origin, async move {
                    work.await;
                }));
            }
            Err(_) => tracing::error!(
                "a call was dropped outside the runtime before it finished; \
                 start-up recovery will put back the jobs it left unfinished"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use tokio::sync::oneshot;

    use super::*;

    /// Dropped while waiting, the work still runs to its end.
    #[tokio::test]
    async fn work_dropped_half_way_runs_to_its_end() {
        let (release, released) = oneshot::channel::<()>();
        let finished = Arc::new(AtomicBool::new(false));
        let seen = finished.clone();
        let work = run_to_end(async move {
            let _ = released.await;
            seen.store(true, Ordering::SeqCst);
        });
        // Polled once, then dropped, as a call whose client hung up.
        let mut work = Box::pin(work);
        assert!(futures::poll!(work.as_mut()).is_pending());
        drop(work);
        release.send(()).unwrap();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while !finished.load(Ordering::SeqCst) && tokio::time::Instant::now() < deadline {
            tokio::task::yield_now().await;
        }
        assert!(
            finished.load(Ordering::SeqCst),
            "the rest of the work never ran"
        );
    }

    /// Awaited, it answers like the work itself.
    #[tokio::test]
    async fn awaited_it_answers_with_the_works_answer() {
        assert_eq!(run_to_end(async { 7 }).await, 7);
    }
}
