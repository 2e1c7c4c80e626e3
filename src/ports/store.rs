//! Durable truth about jobs and their results.

use async_trait::async_trait;

use crate::domain::{
    BackendId, ClientId, Job, JobId, JobResult, JobState, Result, Tags, Transition, UnixMillis,
};

/// What `create` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateOutcome {
    Created,
    /// The client's idempotency key was already used for this job.
    Existing(JobId),
}

/// Which jobs to list; newest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobQuery {
    /// Only this client's jobs; `None` lists every client's (admins).
    pub client_id: Option<ClientId>,
    pub state: Option<JobState>,
    pub backend_id: Option<BackendId>,
    /// Jobs carrying all of these tags.
    pub tags: Tags,
    pub page_size: usize,
    /// Only jobs older than this one (the previous page's last).
    pub before: Option<JobId>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobPage {
    pub jobs: Vec<Job>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<JobId>,
}

#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Writes new QUEUED jobs durably, all or none, before their ids are
    /// handed out. A job whose client already used its idempotency key for a
    /// job submitted at or after `dedup_since` is not written; its outcome
    /// names the earlier job.
    async fn create(&self, jobs: Vec<Job>, dedup_since: UnixMillis) -> Result<Vec<CreateOutcome>>;

    async fn get(&self, id: JobId) -> Result<Option<Job>>;

    /// Applies `transition` atomically through `Job::apply`, storing the
    /// result of a completion in the same step. NotFound when absent.
    async fn apply(&self, id: JobId, transition: Transition) -> Result<Job>;

    /// The stored result of a COMPLETED job.
    async fn result(&self, id: JobId) -> Result<Option<JobResult>>;

    async fn list(&self, query: JobQuery) -> Result<JobPage>;

    /// QUEUED and RUNNING jobs in id order, after `after`, for recovery.
    async fn unfinished(&self, after: Option<JobId>, limit: usize) -> Result<Vec<Job>>;

    /// How many QUEUED jobs `client` has (quotas).
    async fn count_queued(&self, client: ClientId) -> Result<u64>;

    /// Retention: COMPLETED jobs that finished before `before` become
    /// RESULT_EXPIRED and lose their result; at most `limit` per call.
    /// Returns how many changed.
    async fn expire_results(&self, before: UnixMillis, limit: usize) -> Result<u64>;

    /// Retention: deletes FAILED and CANCELED jobs that ended before
    /// `before`, at most `limit` per call. Returns how many went.
    async fn delete_finished(&self, before: UnixMillis, limit: usize) -> Result<u64>;

    /// Succeeds when the store can be read and written right now.
    async fn ping(&self) -> Result<()>;
}
