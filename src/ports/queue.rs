//! The per-backend work queue. An index over the store's QUEUED jobs that can
//! be rebuilt from it; claims are leases with fencing tokens.

use std::time::Duration;

use async_trait::async_trait;

use crate::domain::{BackendId, ClientId, FencingToken, JobId, Priority, Result, UnixMillis};

/// A job waiting to be claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    pub job_id: JobId,
    pub backend_id: BackendId,
    pub client_id: ClientId,
    pub priority: Priority,
    /// Orders entries of equal priority, oldest first.
    pub submitted_at: UnixMillis,
}

/// A worker's lease on one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub job_id: JobId,
    pub backend_id: BackendId,
    /// Larger than any earlier claim's token; the store refuses outcomes
    /// written with an older one.
    pub token: FencingToken,
}

/// What a queue adapter can promise beyond the contract every queue keeps;
/// the contract suite checks each promise an adapter makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueCapabilities {
    /// Several processes (nodes) share one queue: what one offers, another
    /// can claim, and a lease one takes, another cannot.
    pub shared: bool,
}

/// A queue of work any node of a cluster can use: offers, claims with a
/// lease and a fencing token, and waiting counts. What only one process can
/// do (handing a job to its own idle worker) is built on top, in the app.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// What this queue promises beyond the contract.
    fn capabilities(&self) -> QueueCapabilities;

    /// Adds entries; an entry whose job is already waiting or claimed is
    /// ignored. Fails with ResourceExhausted, adding none, when full.
    async fn offer(&self, entries: Vec<QueueEntry>) -> Result<()>;

    /// Leases the best waiting job of any of `backends` (highest priority,
    /// then oldest), waiting up to `wait` for one to arrive. A lease that is
    /// not extended within `lease` ends, and the job can be claimed again.
    /// Dropping the call before it returns takes no lease.
    async fn claim(
        &self,
        backends: Vec<BackendId>,
        lease: Duration,
        wait: Duration,
    ) -> Result<Option<Claim>>;

    /// Offers `entry` and claims it in one step, when no job of its
    /// backend waits (so it passes nobody) and the job is neither waiting
    /// nor claimed: the lease a job stored already RUNNING is run under.
    /// `None`, changing nothing, otherwise. End the lease with `ack` if the
    /// job is not stored after all.
    async fn offer_claimed(&self, entry: QueueEntry, lease: Duration) -> Result<Option<Claim>>;

    /// Renews a lease; Conflict when it was already lost.
    async fn extend(&self, claim: &Claim, lease: Duration) -> Result<()>;

    /// The job is done with; forgets it. Conflict when the lease was lost.
    async fn ack(&self, claim: &Claim) -> Result<()>;

    /// Gives the job back to wait for another claim.
    async fn release(&self, claim: &Claim) -> Result<()>;

    /// Takes a waiting job out (it was canceled); false if it was not waiting.
    async fn remove(&self, job_id: JobId) -> Result<bool>;

    /// For each job, whether the queue holds it (waiting, or claimed under
    /// a lease that has not been given up), in the order asked. A job the
    /// store says is QUEUED or RUNNING but the queue does not hold was lost
    /// from it, and is put back.
    async fn holds(&self, jobs: Vec<JobId>) -> Result<Vec<bool>>;

    /// The job's 1-based place among the waiting jobs of its backend.
    async fn position(&self, job_id: JobId) -> Result<Option<u32>>;

    /// Jobs waiting (not claimed): for `backend`, or in all when `None`.
    async fn waiting(&self, backend: Option<BackendId>) -> Result<u64>;

    /// Waiting jobs by backend and priority (for the queue-size gauge).
    async fn depths(&self) -> Result<Vec<(BackendId, Priority, u64)>>;
}
