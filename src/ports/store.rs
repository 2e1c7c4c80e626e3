//! Durable truth about jobs and their results.

use async_trait::async_trait;

use crate::domain::{
    BackendId, ClientId, Error, Job, JobId, JobResult, JobState, Result, Tags, Transition,
    UnixMillis,
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

/// A leader's standing in the store, issued by `open_leader_epoch`; epochs
/// only grow. Leader-only writes carry the epoch of the leader that makes
/// them, and the store refuses one whose epoch is no longer the newest, in
/// the same transaction as the write: a leader that was deposed while
/// paused changes nothing when it wakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LeaderEpoch(pub u64);

impl LeaderEpoch {
    /// Refuses a leader-only write under this epoch unless it is `newest`,
    /// the newest the store has opened.
    pub fn check_is(self, newest: LeaderEpoch) -> Result<()> {
        if self == newest {
            return Ok(());
        }
        Err(Error::conflict(format!(
            "a leader-only write under leader epoch {} was refused: the store's newest is {}, \
             so another node has led since",
            self.0, newest.0
        )))
    }
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

    /// `apply` to a job the caller holds as the store last answered it (a
    /// worker's running job). A store that would read the job first may
    /// take `job` instead; its version still fences the write, and a job
    /// that has moved on since is read and the transition taken again, so
    /// the answer is `apply`'s.
    async fn apply_to(&self, job: Job, transition: Transition) -> Result<Job>;

    /// Opens a new leader epoch and returns it. From then on every
    /// leader-only write under an older epoch is refused (Conflict).
    async fn open_leader_epoch(&self) -> Result<LeaderEpoch>;

    /// `apply` for the leader's duties: refused (Conflict) unless `epoch` is
    /// still the newest, checked in the transaction that writes.
    async fn apply_as_leader(
        &self,
        id: JobId,
        transition: Transition,
        epoch: LeaderEpoch,
    ) -> Result<Job>;

    /// The stored result of a COMPLETED job.
    async fn result(&self, id: JobId) -> Result<Option<JobResult>>;

    async fn list(&self, query: JobQuery) -> Result<JobPage>;

    /// QUEUED and RUNNING jobs in id order, after `after`, for recovery.
    async fn unfinished(&self, after: Option<JobId>, limit: usize) -> Result<Vec<Job>>;

    /// How many QUEUED jobs `client` has (quotas).
    async fn count_queued(&self, client: ClientId) -> Result<u64>;

    /// Retention: COMPLETED jobs that finished before `before` become
    /// RESULT_EXPIRED and lose their result; at most `limit` per call.
    /// Returns how many changed. A leader-only write, fenced by `epoch`.
    async fn expire_results(
        &self,
        before: UnixMillis,
        limit: usize,
        epoch: LeaderEpoch,
    ) -> Result<u64>;

    /// Retention: deletes FAILED and CANCELED jobs that ended before
    /// `before`, at most `limit` per call. Returns how many went. A
    /// leader-only write, fenced by `epoch`.
    async fn delete_finished(
        &self,
        before: UnixMillis,
        limit: usize,
        epoch: LeaderEpoch,
    ) -> Result<u64>;

    /// Succeeds when the store can be read and written right now.
    async fn ping(&self) -> Result<()>;
}
