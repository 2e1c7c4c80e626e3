//! Waking the claimers of this node when a job arrives on any node: one
//! subscription to the arrivals channel per queue, which wakes one local
//! claimer of the announced backend per message. A message lost while the
//! subscription reconnects only delays a claim until its next look.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use bb8_redis::redis;
use futures::StreamExt;
use tokio::sync::Notify;

use crate::domain::BackendId;
use crate::support::FastMap;

/// Pause before subscribing again after the subscription failed.
const RESUBSCRIBE_PAUSE: Duration = Duration::from_millis(500);

#[derive(Default)]
pub(super) struct Wakeups {
    signals: Mutex<FastMap<BackendId, Arc<Notify>>>,
}

impl Wakeups {
    /// What claimers of `backend` wait on.
    pub(super) fn signal(&self, backend: &BackendId) -> Arc<Notify> {
        let mut signals = self.lock();
        match signals.get(backend) {
            Some(signal) => signal.clone(),
            None => signals.entry(backend.clone()).or_default().clone(),
        }
    }

    fn wake_one(&self, backend: &str) {
        let Ok(backend) = BackendId::parse(backend) else {
            return;
        };
        if let Some(signal) = self.lock().get(&backend) {
            signal.notify_one();
        }
    }

    /// After a gap in the subscription: every waiting claimer looks again.
    fn wake_all(&self) {
        for signal in self.lock().values() {
            signal.notify_waiters();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FastMap<BackendId, Arc<Notify>>> {
        self.signals.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Follows `channel` until the queue that owns `wakeups` is gone.
pub(super) async fn listen(client: redis::Client, channel: String, wakeups: Weak<Wakeups>) {
    let mut first = true;
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    if !first {
                        let Some(wakeups) = wakeups.upgrade() else {
                            return;
                        };
                        wakeups.wake_all();
                    }
                    first = false;
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        let Some(wakeups) = wakeups.upgrade() else {
                            return;
                        };
                        if let Ok(backend) = message.get_payload::<String>() {
                            wakeups.wake_one(&backend);
                        }
                    }
                    tracing::warn!(
                        "the job queue's arrivals subscription ended; subscribing again"
                    );
                }
                Err(e) => {
                    tracing::warn!(error = %super::error::queue_error("subscribing to arrivals", &e), "retrying")
                }
            },
            Err(e) => {
                tracing::warn!(error = %super::error::queue_error("subscribing to arrivals", &e), "retrying")
            }
        }
        if wakeups.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(RESUBSCRIBE_PAUSE).await;
    }
}
