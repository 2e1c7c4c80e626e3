//! `JobEvents` within one process: every event goes to this process's
//! watchers (`EventFanOut`), and nowhere else.

use async_trait::async_trait;

use crate::domain::{JobId, Result};
use crate::ports::{EventStream, JobEvent, JobEvents};
use crate::support::event_fan_out::EventFanOut;

pub struct MemoryJobEvents {
    fan_out: EventFanOut,
}

impl MemoryJobEvents {
    /// `capacity` events are buffered per subscriber to every event; one that
    /// falls further behind is told it lagged and re-reads the store.
    pub fn new(capacity: usize) -> Self {
        Self {
            fan_out: EventFanOut::new(capacity),
        }
    }

    #[cfg(test)]
    fn watched_jobs(&self) -> usize {
        self.fan_out.watched_jobs()
    }
}

impl Default for MemoryJobEvents {
    fn default() -> Self {
        Self::new(16_384)
    }
}

#[async_trait]
impl JobEvents for MemoryJobEvents {
    async fn publish(&self, event: JobEvent) -> Result<()> {
        self.fan_out.deliver(event);
        Ok(())
    }

    fn subscribe(&self) -> EventStream {
        self.fan_out.subscribe()
    }

    fn subscribe_to(&self, job: JobId) -> EventStream {
        self.fan_out.subscribe_to(job)
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;
    use crate::domain::{ClientId, JobState, UnixMillis};
    use crate::ports::WatchItem;

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
