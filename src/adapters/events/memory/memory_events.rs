//! `JobEvents` over tokio broadcast channels: fan-out within one process.
//! One channel carries every event (for streams that follow many jobs); each
//! watched job has a channel of its own, so that a watcher of one job is
//! not woken for the events of all the others.

use std::sync::Mutex;

use async_trait::async_trait;
use futures::StreamExt;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use crate::domain::{JobId, Result};
use crate::ports::{EventStream, JobEvent, JobEvents, WatchItem};
use crate::support::FastMap;

/// Events buffered per watcher of one job before it is told it lagged (a
/// job changes state a handful of times).
const PER_JOB_CAPACITY: usize = 16;

pub struct MemoryJobEvents {
    all: broadcast::Sender<JobEvent>,
    /// Channels of the jobs someone watches. An entry goes when its job
    /// ends or when an event finds nobody listening.
    watched: Mutex<FastMap<JobId, broadcast::Sender<JobEvent>>>,
}

impl MemoryJobEvents {
    /// `capacity` events are buffered per subscriber to every event; one that
    /// falls further behind is told it lagged and re-reads the store.
    pub fn new(capacity: usize) -> Self {
        let (all, _) = broadcast::channel(capacity.max(1));
        Self {
            all,
            watched: Mutex::new(FastMap::default()),
        }
    }

    fn watched(&self) -> std::sync::MutexGuard<'_, FastMap<JobId, broadcast::Sender<JobEvent>>> {
        self.watched.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    fn watched_jobs(&self) -> usize {
        self.watched().len()
    }
}

impl Default for MemoryJobEvents {
    fn default() -> Self {
        Self::new(16_384)
    }
}

fn stream(receiver: broadcast::Receiver<JobEvent>) -> EventStream {
    BroadcastStream::new(receiver)
        .map(|item| match item {
            Ok(event) => WatchItem::Event(event),
            Err(BroadcastStreamRecvError::Lagged(_)) => WatchItem::Lagged,
        })
        .boxed()
}

#[async_trait]
impl JobEvents for MemoryJobEvents {
    async fn publish(&self, event: JobEvent) -> Result<()> {
        {
            let mut watched = self.watched();
            if let Some(channel) = watched.get(&event.job_id) {
                let delivered = channel.send(event.clone()).is_ok();
                if !delivered || event.state.is_terminal() {
                    // Its watchers have the last event buffered; nothing follows.
                    watched.remove(&event.job_id);
                }
            }
        }
        // No subscriber is not an error: nobody is watching.
        let _ = self.all.send(event);
        Ok(())
    }

    fn subscribe(&self) -> EventStream {
        stream(self.all.subscribe())
    }

    fn subscribe_to(&self, job: JobId) -> EventStream {
        let receiver = self
            .watched()
            .entry(job)
            .or_insert_with(|| broadcast::channel(PER_JOB_CAPACITY).0)
            .subscribe();
        stream(receiver)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientId, JobState, UnixMillis};

    fn event(job: u128, state: JobState, version: u64) -> JobEvent {
        JobEvent {
            job_id: JobId::from_uuid(uuid::Uuid::from_u128(job)),
            client_id: ClientId::anonymous(),
            state,
            version,
            at: UnixMillis(0),
            error_message: None,
        }
    }

    #[tokio::test]
    async fn a_job_watcher_sees_only_its_job_and_its_channel_goes_when_the_job_ends() {
        let events = MemoryJobEvents::default();
        let one = JobId::from_uuid(uuid::Uuid::from_u128(1));
        let mut watcher = events.subscribe_to(one);
        let mut everything = events.subscribe();
        events
            .publish(event(2, JobState::Running, 1))
            .await
            .unwrap();
        events
            .publish(event(1, JobState::Running, 1))
            .await
            .unwrap();
        events
            .publish(event(1, JobState::Completed, 2))
            .await
            .unwrap();
        assert_eq!(events.watched_jobs(), 0, "the job ended");
        let seen: Vec<_> = watcher.by_ref().take(2).collect().await;
        assert_eq!(
            seen,
            [
                WatchItem::Event(event(1, JobState::Running, 1)),
                WatchItem::Event(event(1, JobState::Completed, 2))
            ]
        );
        let all: Vec<_> = everything.by_ref().take(3).collect().await;
        assert_eq!(all.len(), 3);
    }

    #[tokio::test]
    async fn a_channel_nobody_listens_to_any_more_is_dropped_at_the_next_event() {
        let events = MemoryJobEvents::default();
        let one = JobId::from_uuid(uuid::Uuid::from_u128(1));
        drop(events.subscribe_to(one));
        assert_eq!(events.watched_jobs(), 1);
        events
            .publish(event(1, JobState::Running, 1))
            .await
            .unwrap();
        assert_eq!(events.watched_jobs(), 0);
    }
}
