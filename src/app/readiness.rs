//! Readiness: the service is ready when recovery has finished, the store
//! answers, and it is not shutting down. A monitor checks the store
//! periodically and tells whoever reports health (the gRPC health service).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::ports::JobStore;

/// Why the service is not ready, or `None` when it is.
pub type NotReady = Option<String>;

#[derive(Clone)]
pub struct Readiness {
    state: Arc<watch::Sender<NotReady>>,
}

impl Default for Readiness {
    fn default() -> Self {
        Self::new()
    }
}

impl Readiness {
    /// Starts not ready: recovery has not run yet.
    pub fn new() -> Self {
        let (state, _) = watch::channel(Some("recovery has not finished".to_owned()));
        Self {
            state: Arc::new(state),
        }
    }

    pub fn set(&self, not_ready: NotReady) {
        self.state.send_if_modified(|current| {
            let changed = *current != not_ready;
            *current = not_ready;
            changed
        });
    }

    pub fn reason(&self) -> NotReady {
        self.state.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<NotReady> {
        self.state.subscribe()
    }

    /// Pings the store every `every` until `stop`; the store failing makes
    /// the service not ready, its answering again makes it ready.
    pub async fn monitor(
        self,
        store: Arc<dyn JobStore>,
        every: Duration,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            tokio::select! {
                _ = stop.wait_for(|stop| *stop) => return,
                () = tokio::time::sleep(every) => {}
            }
            match store.ping().await {
                Ok(()) => self.set(None),
                Err(e) => {
                    if self.reason().is_none() {
                        tracing::warn!(error = %e, "the job store stopped answering; not ready");
                    }
                    self.set(Some(format!("job store: {}", e.message())));
                }
            }
        }
    }
}
