//! For tests: the in-memory store with a say in two places, so that a test
//! can make a write fail or hold an answer back without restating every
//! method of `JobStore`.

use async_trait::async_trait;

use crate::adapters::store::memory::MemoryJobStore;
use crate::domain::{ClientId, Job, JobId, JobResult, Result, Transition, UnixMillis};
use crate::ports::{CreateOutcome, JobPage, JobQuery, JobStore, LeaderEpoch};

/// What a test does around the store's writes; both do nothing by default.
#[async_trait]
pub trait StoreHooks: Send + Sync + 'static {
    /// After `create` kept the jobs, before it answers.
    async fn after_create(&self) {}

    /// Before `apply` writes `transition`; an error is the answer instead.
    async fn before_apply(&self, _transition: &Transition) -> Result<()> {
        Ok(())
    }
}

/// `MemoryJobStore` with `hooks` around its writes.
pub struct HookedStore<H> {
    pub inner: MemoryJobStore,
    pub hooks: H,
}

impl<H: StoreHooks> HookedStore<H> {
    pub fn new(hooks: H) -> Self {
        Self {
            inner: MemoryJobStore::new(),
            hooks,
        }
    }
}

#[async_trait]
impl<H: StoreHooks> JobStore for HookedStore<H> {
    async fn create(&self, jobs: Vec<Job>, since: UnixMillis) -> Result<Vec<CreateOutcome>> {
        let outcomes = self.inner.create(jobs, since).await;
        self.hooks.after_create().await;
        outcomes
    }
    async fn get(&self, id: JobId) -> Result<Option<Job>> {
        self.inner.get(id).await
    }
    async fn apply(&self, id: JobId, transition: Transition) -> Result<Job> {
        self.hooks.before_apply(&transition).await?;
        self.inner.apply(id, transition).await
    }
    async fn apply_to(&self, job: Job, transition: Transition) -> Result<Job> {
        self.hooks.before_apply(&transition).await?;
        self.inner.apply_to(job, transition).await
    }
    async fn open_leader_epoch(&self) -> Result<LeaderEpoch> {
        self.inner.open_leader_epoch().await
    }
    async fn apply_as_leader(
        &self,
        id: JobId,
        transition: Transition,
        epoch: LeaderEpoch,
    ) -> Result<Job> {
        self.hooks.before_apply(&transition).await?;
        self.inner.apply_as_leader(id, transition, epoch).await
    }
    async fn result(&self, id: JobId) -> Result<Option<JobResult>> {
        self.inner.result(id).await
    }
    async fn list(&self, query: JobQuery) -> Result<JobPage> {
        self.inner.list(query).await
    }
    async fn unfinished(&self, after: Option<JobId>, limit: usize) -> Result<Vec<Job>> {
        self.inner.unfinished(after, limit).await
    }
    async fn count_queued(&self, client: ClientId) -> Result<u64> {
        self.inner.count_queued(client).await
    }
    async fn expire_results(
        &self,
        before: UnixMillis,
        limit: usize,
        epoch: LeaderEpoch,
    ) -> Result<u64> {
        self.inner.expire_results(before, limit, epoch).await
    }
    async fn delete_finished(
        &self,
        before: UnixMillis,
        limit: usize,
        epoch: LeaderEpoch,
    ) -> Result<u64> {
        self.inner.delete_finished(before, limit, epoch).await
    }
    async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }
}
