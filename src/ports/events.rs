//! State changes fanned out to watchers (on every node, once clustered).

use async_trait::async_trait;
use futures::stream::BoxStream;

use crate::domain::{ClientId, Job, JobId, JobState, Result, UnixMillis};

/// One state change of one job.
#[derive(Debug, Clone, PartialEq)]
pub struct JobEvent {
    pub job_id: JobId,
    pub client_id: ClientId,
    pub state: JobState,
    /// The job's version after the change; later changes have larger ones.
    pub version: u64,
    pub at: UnixMillis,
    pub error_message: Option<String>,
}

impl JobEvent {
    /// The event that describes `job` as it is now.
    pub fn of(job: &Job, at: UnixMillis) -> Self {
        Self {
            job_id: job.id,
            client_id: job.client_id.clone(),
            state: job.state,
            version: job.version,
            at,
            error_message: job.error_message.clone(),
        }
    }
}

/// What a subscriber receives.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchItem {
    Event(JobEvent),
    /// Events were dropped because the subscriber fell behind; it should
    /// re-read the state it cares about from the store.
    Lagged,
}

pub type EventStream = BoxStream<'static, WatchItem>;

#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait JobEvents: Send + Sync {
    async fn publish(&self, event: JobEvent) -> Result<()>;

    /// Every event published from now on. Subscribe before reading the store
    /// so that no change between the two is missed.
    fn subscribe(&self) -> EventStream;

    /// The events of one job from now on (the same guarantee), without
    /// seeing, or costing anything for, the events of other jobs.
    fn subscribe_to(&self, job: JobId) -> EventStream;
}
