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

#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Adds entries; an entry whose job is already waiting or claimed is
    /// ignored. Fails with ResourceExhausted, adding none, when full.
    async fn offer(&self, entries: Vec<QueueEntry>) -> Result<()>;

    /// Leases the best waiting job of any of `backends` (highest priority,
    /// then oldest), waiting up to `wait` for one to arrive. A lease that is
    /// not extended within `lease` ends, and the job can be claimed again.
    async fn claim(
        &self,
        backends: Vec<BackendId>,
        lease: Duration,
        wait: Duration,
    ) -> Result<Option<Claim>>;

    /// Leases `entry`'s job before it is stored, so that it can be stored
    /// already RUNNING under this claim: only while a claimer of its backend
    /// waits for work that no other job or lease taken this way is promised
    /// to, and no job of that backend waits (so the job passes nobody).
    /// `None` otherwise. Give the claim to the waiting claimer with
    /// `hand_over` once the job is stored, or end it with `ack` if it was not.
    async fn claim_for_idle(&self, entry: QueueEntry, lease: Duration) -> Result<Option<Claim>>;

    /// Passes a claim from `claim_for_idle` to a claimer, whose `claim`
    /// returns it. Conflict when the lease was lost.
    async fn hand_over(&self, claim: &Claim) -> Result<()>;

    /// Renews a lease; Conflict when it was already lost.
    async fn extend(&self, claim: &Claim, lease: Duration) -> Result<()>;

    /// The job is done with; forgets it. Conflict when the lease was lost.
    async fn ack(&self, claim: &Claim) -> Result<()>;

    /// Gives the job back to wait for another claim.
    async fn release(&self, claim: &Claim) -> Result<()>;

    /// Takes a waiting job out (it was canceled); false if it was not waiting.
    async fn remove(&self, job_id: JobId) -> Result<bool>;

    /// The job's 1-based place among the waiting jobs of its backend.
    async fn position(&self, job_id: JobId) -> Result<Option<u32>>;

    /// Jobs waiting (not claimed): for `backend`, or in all when `None`.
    async fn waiting(&self, backend: Option<BackendId>) -> Result<u64>;

    /// Waiting jobs by backend and priority (for the queue-size gauge).
    async fn depths(&self) -> Result<Vec<(BackendId, Priority, u64)>>;
}
