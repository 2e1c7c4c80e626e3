//! Waiting for work that any of several signals announces: interest is
//! registered before the waiter looks for work, so an announcement between
//! the look and the wait still wakes it. A wake-up the waiter does not use
//! (it returns first) passes to another waiter when this one is dropped.

use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::{Notify, futures::Notified};
use tokio::time::Instant;

pub struct AnyArrival<'a> {
    arrived: Vec<Pin<Box<Notified<'a>>>>,
}

impl<'a> AnyArrival<'a> {
    /// Interest in each of `signals`, from now on.
    pub fn register(signals: &'a [Arc<Notify>]) -> Self {
        let mut arrived: Vec<_> = signals.iter().map(|s| Box::pin(s.notified())).collect();
        for one in &mut arrived {
            one.as_mut().enable();
        }
        Self { arrived }
    }

    /// Until one of the signals fires; never, with no signal.
    pub async fn any(self) {
        if self.arrived.is_empty() {
            std::future::pending::<()>().await;
        }
        futures::future::select_all(self.arrived).await;
    }

    /// Until one of the signals fires or `wake_at`, whichever comes first.
    pub async fn until(self, wake_at: Instant) {
        let _ = tokio::time::timeout_at(wake_at, self.any()).await;
    }
}
