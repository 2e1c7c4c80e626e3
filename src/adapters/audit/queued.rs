//! The part every audit destination shares: requests hand events to a
//! bounded channel and never wait for the disk or the database; one task
//! takes whatever is waiting and hands it to each sink as one batch (one
//! flush of the file, one INSERT into the table), and again when the server
//! shuts down.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot};

use crate::ports::{AuditEvent, AuditFlusher, AuditLog, AuditSink};

/// Events waiting for the writer at most; past it they are dropped (and
/// counted) rather than slowing requests down.
const QUEUE: usize = 16_384;

/// Events handed to the sinks in one batch at most.
const BATCH: usize = 1_024;

enum Command {
    Record(AuditEvent),
    Flush(oneshot::Sender<()>),
}

/// The audit trail in front of one or more sinks.
pub struct QueuedAudit {
    sender: mpsc::Sender<Command>,
    dropped: Arc<AtomicU64>,
}

/// Waits until everything recorded so far has reached the sinks.
#[derive(Clone)]
pub struct AuditFlush(mpsc::Sender<Command>);

#[async_trait::async_trait]
impl AuditFlusher for AuditFlush {
    async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        if self.0.send(Command::Flush(done)).await.is_ok() {
            let _ = flushed.await;
        }
    }
}

impl QueuedAudit {
    /// Starts the writer task (on the current tokio runtime).
    pub fn start(sinks: Vec<Box<dyn AuditSink>>) -> (Self, AuditFlush) {
        let (sender, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(receiver, sinks));
        let audit = Self {
            sender: sender.clone(),
            dropped: Arc::default(),
        };
        (audit, AuditFlush(sender))
    }
}

impl AuditLog for QueuedAudit {
    fn record(&self, event: AuditEvent) {
        if self.sender.try_send(Command::Record(event)).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::error!(
                    dropped,
                    "audit events dropped: the audit trail cannot keep up"
                );
            }
        }
    }
}

async fn write_batches(mut commands: mpsc::Receiver<Command>, sinks: Vec<Box<dyn AuditSink>>) {
    let mut sinks: Vec<_> = sinks.into_iter().map(ReportingSink::new).collect();
    let mut batch = Vec::with_capacity(BATCH);
    let mut waiting = Vec::new();
    while let Some(first) = commands.recv().await {
        let mut next = Some(first);
        // Everything already waiting goes into one batch.
        while let Some(command) = next.take() {
            match command {
                Command::Record(event) => batch.push(event),
                Command::Flush(done) => waiting.push(done),
            }
            if batch.len() == BATCH {
                write_all(&mut sinks, &batch).await;
                batch.clear();
            }
            next = commands.try_recv().ok();
        }
        write_all(&mut sinks, &batch).await;
        batch.clear();
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

async fn write_all(sinks: &mut [ReportingSink], batch: &[AuditEvent]) {
    if batch.is_empty() {
        return;
    }
    for sink in sinks {
        sink.write(batch).await;
    }
}

/// Logs the first failure of a series and the recovery, not every batch.
struct ReportingSink {
    sink: Box<dyn AuditSink>,
    failing: bool,
}

impl ReportingSink {
    fn new(sink: Box<dyn AuditSink>) -> Self {
        Self {
            sink,
            failing: false,
        }
    }

    async fn write(&mut self, batch: &[AuditEvent]) {
        match self.sink.write(batch).await {
            Ok(()) if self.failing => {
                self.failing = false;
                tracing::warn!(sink = %self.sink.name(), "the audit trail is written again");
            }
            Ok(()) => {}
            Err(error) => {
                if !self.failing {
                    tracing::error!(sink = %self.sink.name(), %error, "cannot write the audit trail");
                }
                self.failing = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::domain::UnixMillis;
    use crate::ports::AuditAction;

    /// Remembers every batch it was given.
    struct Recording(Arc<Mutex<Vec<usize>>>, Arc<Mutex<Vec<AuditEvent>>>);

    #[async_trait::async_trait]
    impl AuditSink for Recording {
        fn name(&self) -> String {
            "recording".into()
        }
        async fn write(&mut self, events: &[AuditEvent]) -> Result<(), String> {
            self.0.lock().unwrap().push(events.len());
            self.1.lock().unwrap().extend_from_slice(events);
            Ok(())
        }
    }

    fn event(n: i64) -> AuditEvent {
        AuditEvent {
            at: UnixMillis(n),
            action: AuditAction::JobSubmitted,
            client_id: "alice".into(),
            method: "SubmitJob".into(),
            peer: None,
            request_id: None,
            outcome: "ok".into(),
            detail: format!("job {n}"),
        }
    }

    #[tokio::test]
    async fn every_sink_gets_every_event_in_order_before_the_flush_returns() {
        let (sizes_a, events_a) = (Arc::default(), Arc::default());
        let (sizes_b, events_b) = (Arc::default(), Arc::default());
        let (audit, flush) = QueuedAudit::start(vec![
            Box::new(Recording(Arc::clone(&sizes_a), Arc::clone(&events_a))),
            Box::new(Recording(Arc::clone(&sizes_b), Arc::clone(&events_b))),
        ]);
        for n in 0..3_000 {
            audit.record(event(n));
        }
        flush.flush().await;
        for events in [&events_a, &events_b] {
            let at: Vec<i64> = events.lock().unwrap().iter().map(|e| e.at.0).collect();
            assert_eq!(at, (0..3_000).collect::<Vec<_>>());
        }
        let sizes = sizes_a.lock().unwrap();
        assert!(
            sizes.iter().all(|&size| (1..=BATCH).contains(&size)),
            "batches are never empty nor over {BATCH}: {sizes:?}"
        );
        assert!(
            sizes.len() < 3_000,
            "events were batched: {} writes",
            sizes.len()
        );
    }
}
