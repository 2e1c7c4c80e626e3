//! Fan-out of job events to the watchers in this process, over tokio
//! broadcast channels: one carries every event (for streams that follow
//! many jobs); each watched job has a channel of its own, so that a watcher
//! of one job is not woken for the events of all the others. The event
//! adapters deliver into it, whatever carries the events between nodes.

use std::sync::Mutex;

use futures::StreamExt;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use crate::domain::JobId;
use crate::ports::{EventStream, JobEvent, WatchItem};
use crate::support::FastMap;

/// Events buffered per watcher of one job before it is told it lagged (a
/// job changes state a handful of times).
const PER_JOB_CAPACITY: usize = 16;

pub struct EventFanOut {
    all: broadcast::Sender<WatchItem>,
    /// Channels of the jobs someone watches. An entry goes when its job
    /// ends or when an event finds nobody listening.
    watched: Mutex<FastMap<JobId, broadcast::Sender<WatchItem>>>,
}

impl EventFanOut {
    /// `capacity` events are buffered per subscriber to every event; one that
    /// falls further behind is told it lagged and re-reads the store.
    pub fn new(capacity: usize) -> Self {
        let (all, _) = broadcast::channel(capacity.max(1));
        Self {
            all,
            watched: Mutex::new(FastMap::default()),
        }
    }

    /// Hands `event` to its job's watchers and to those of every event.
    pub fn deliver(&self, event: JobEvent) {
        {
            let mut watched = self.watched();
            if let Some(channel) = watched.get(&event.job_id) {
                let delivered = channel.send(WatchItem::Event(event.clone())).is_ok();
                if !delivered || event.state.is_terminal() {
                    // Its watchers have the last event buffered; nothing follows.
                    watched.remove(&event.job_id);
                }
            }
        }
        // No subscriber is not an error: nobody is watching.
        let _ = self.all.send(WatchItem::Event(event));
    }

    /// Events may have been missed (the link to other nodes was down): every
    /// watcher is told to re-read what it follows from the store.
    pub fn lagged(&self) {
        for channel in self.watched().values() {
            let _ = channel.send(WatchItem::Lagged);
        }
        let _ = self.all.send(WatchItem::Lagged);
    }

    pub fn subscribe(&self) -> EventStream {
        stream(self.all.subscribe())
    }

    pub fn subscribe_to(&self, job: JobId) -> EventStream {
        let receiver = self
            .watched()
            .entry(job)
            .or_insert_with(|| broadcast::channel(PER_JOB_CAPACITY).0)
            .subscribe();
        stream(receiver)
    }

    /// Jobs with a channel of their own now.
    pub fn watched_jobs(&self) -> usize {
        self.watched().len()
    }

    fn watched(&self) -> std::sync::MutexGuard<'_, FastMap<JobId, broadcast::Sender<WatchItem>>> {
        self.watched.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn stream(receiver: broadcast::Receiver<WatchItem>) -> EventStream {
    BroadcastStream::new(receiver)
        .map(|item| match item {
            Ok(item) => item,
            Err(BroadcastStreamRecvError::Lagged(_)) => WatchItem::Lagged,
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn after_a_gap_every_watcher_is_told_to_re_read() {
        let fan_out = EventFanOut::new(16);
        let job = JobId::from_uuid(uuid::Uuid::now_v7());
        let mut one = fan_out.subscribe_to(job);
        let mut all = fan_out.subscribe();
        fan_out.lagged();
        assert_eq!(one.next().await, Some(WatchItem::Lagged));
        assert_eq!(all.next().await, Some(WatchItem::Lagged));
    }
}
