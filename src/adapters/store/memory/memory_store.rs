//! A `JobStore` in process memory. Loses everything on exit; durable stores
//! implement the same contract.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::{
    ClientId, Error, IdempotencyKey, Job, JobId, JobResult, JobState, Result, Transition,
    UnixMillis,
};
use crate::ports::{CreateOutcome, JobPage, JobQuery, JobStore, LeaderEpoch};
use crate::support::job_table::JobTable;

#[derive(Default)]
pub struct MemoryJobStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// In shards, so that a growing store does not stall every call
    /// while one table is copied (`super::table`).
    jobs: JobTable<Job>,
    results: JobTable<JobResult>,
    /// Every job id in creation order (ids are time-ordered UUIDs).
    all: BTreeSet<JobId>,
    /// The same per client, so a tenant's listing never scans other tenants.
    by_client: HashMap<ClientId, BTreeSet<JobId>>,
    idempotency: HashMap<(ClientId, IdempotencyKey), (JobId, UnixMillis)>,
    /// The newest leader epoch opened.
    leader_epoch: u64,
}

impl MemoryJobStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a job half-updated:
        // every change is made on a copy and swapped in at the end.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Inner {
    /// Refuses a leader-only write under an epoch that is no longer the newest.
    fn check_epoch(&self, epoch: LeaderEpoch) -> Result<()> {
        epoch.check_is(LeaderEpoch(self.leader_epoch))
    }

    fn earlier_job(&self, job: &Job, dedup_since: UnixMillis) -> Option<JobId> {
        let key = job.idempotency_key.clone()?;
        match self.idempotency.get(&(job.client_id.clone(), key)) {
            Some((id, at)) if *at >= dedup_since => Some(*id),
            _ => None,
        }
    }
}

#[async_trait]
impl JobStore for MemoryJobStore {
    async fn create(&self, jobs: Vec<Job>, dedup_since: UnixMillis) -> Result<Vec<CreateOutcome>> {
        let mut inner = self.lock();
        let mut outcomes = Vec::with_capacity(jobs.len());
        for job in jobs {
            if let Some(earlier) = inner.earlier_job(&job, dedup_since) {
                outcomes.push(CreateOutcome::Existing(earlier));
                continue;
            }
            if inner.jobs.contains_key(&job.id) {
                return Err(Error::internal(format!("job {} already exists", job.id)));
            }
            if let Some(key) = job.idempotency_key.clone() {
                inner
                    .idempotency
                    .insert((job.client_id.clone(), key), (job.id, job.submitted_at));
            }
            inner.all.insert(job.id);
            inner
                .by_client
                .entry(job.client_id.clone())
                .or_default()
                .insert(job.id);
            inner.jobs.insert(job.id, job);
            outcomes.push(CreateOutcome::Created);
        }
        Ok(outcomes)
    }

    async fn get(&self, id: JobId) -> Result<Option<Job>> {
        Ok(self.lock().jobs.get(&id).cloned())
    }

    async fn apply(&self, id: JobId, transition: Transition) -> Result<Job> {
        self.lock().apply(id, transition)
    }

    /// Every job is at hand here: the copy is not needed.
    async fn apply_to(&self, job: Job, transition: Transition) -> Result<Job> {
        self.lock().apply(job.id, transition)
    }

    async fn open_leader_epoch(&self) -> Result<LeaderEpoch> {
        let mut inner = self.lock();
        inner.leader_epoch += 1;
        Ok(LeaderEpoch(inner.leader_epoch))
    }

    async fn apply_as_leader(
        &self,
        id: JobId,
        transition: Transition,
        epoch: LeaderEpoch,
    ) -> Result<Job> {
        let mut inner = self.lock();
        inner.check_epoch(epoch)?;
        inner.apply(id, transition)
    }

    async fn result(&self, id: JobId) -> Result<Option<JobResult>> {
        Ok(self.lock().results.get(&id).cloned())
    }

    async fn list(&self, query: JobQuery) -> Result<JobPage> {
        let inner = self.lock();
        let ids = match &query.client_id {
            Some(client) => match inner.by_client.get(client) {
                Some(ids) => ids,
                None => return Ok(JobPage::default()),
            },
            None => &inner.all,
        };
        let newest_first: Box<dyn Iterator<Item = &JobId>> = match query.before {
            Some(before) => Box::new(ids.range(..before).rev()),
            None => Box::new(ids.iter().rev()),
        };
        let page_size = query.page_size.max(1);
        let mut jobs: Vec<Job> = newest_first
            .filter_map(|id| inner.jobs.get(id))
            .filter(|job| matches_query(job, &query))
            .take(page_size + 1)
            .cloned()
            .collect();
        let next = if jobs.len() > page_size {
            jobs.truncate(page_size);
            jobs.last().map(|j| j.id)
        } else {
            None
        };
        Ok(JobPage { jobs, next })
    }

    async fn unfinished(&self, after: Option<JobId>, limit: usize) -> Result<Vec<Job>> {
        let inner = self.lock();
        let ids: Box<dyn Iterator<Item = &JobId>> = match after {
            Some(after) => Box::new(
                inner
                    .all
                    .range((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded)),
            ),
            None => Box::new(inner.all.iter()),
        };
        Ok(ids
            .filter_map(|id| inner.jobs.get(id))
            .filter(|job| !job.state.is_terminal())
            .take(limit)
            .cloned()
            .collect())
    }

    async fn count_queued(&self, client: ClientId) -> Result<u64> {
        let inner = self.lock();
        let Some(ids) = inner.by_client.get(&client) else {
            return Ok(0);
        };
        let queued = ids
            .iter()
            .filter(|id| {
                inner
                    .jobs
                    .get(id)
                    .is_some_and(|j| j.state == JobState::Queued)
            })
            .count();
        Ok(queued as u64)
    }

    async fn expire_results(
        &self,
        before: UnixMillis,
        limit: usize,
        epoch: LeaderEpoch,
    ) -> Result<u64> {
        let mut inner = self.lock();
        inner.check_epoch(epoch)?;
        let ids = inner.ended_before(&[JobState::Completed], before, limit);
        for id in &ids {
            if let Some(job) = inner.jobs.get_mut(id) {
                job.apply(&Transition::ExpireResult)?;
            }
            inner.results.remove(id);
        }
        Ok(ids.len() as u64)
    }

    async fn delete_finished(
        &self,
        before: UnixMillis,
        limit: usize,
        epoch: LeaderEpoch,
    ) -> Result<u64> {
        let mut inner = self.lock();
        inner.check_epoch(epoch)?;
        let ids = inner.ended_before(&[JobState::Failed, JobState::Canceled], before, limit);
        for id in &ids {
            inner.remove(*id);
        }
        Ok(ids.len() as u64)
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }
}

impl Inner {
    fn apply(&mut self, id: JobId, transition: Transition) -> Result<Job> {
        let stored = self
            .jobs
            .get_mut(&id)
            .ok_or_else(|| Error::not_found(format!("job {id} not found")))?;
        let mut job = stored.clone();
        job.apply(&transition)?;
        *stored = job.clone();
        match transition {
            Transition::Complete { result, .. } => {
                self.results.insert(id, result);
            }
            Transition::ExpireResult => {
                self.results.remove(&id);
            }
            _ => {}
        }
        Ok(job)
    }

    fn remove(&mut self, id: JobId) {
        if let Some(job) = self.jobs.remove(&id) {
            self.all.remove(&id);
            if let Some(ids) = self.by_client.get_mut(&job.client_id) {
                ids.remove(&id);
            }
            self.results.remove(&id);
            if let Some(key) = job.idempotency_key {
                let slot = (job.client_id, key);
                if self
                    .idempotency
                    .get(&slot)
                    .is_some_and(|(owner, _)| *owner == id)
                {
                    self.idempotency.remove(&slot);
                }
            }
        }
    }

    /// Ids of jobs in `states` that ended before `before`, oldest ids first.
    fn ended_before(&self, states: &[JobState], before: UnixMillis, limit: usize) -> Vec<JobId> {
        self.all
            .iter()
            .filter(|id| {
                self.jobs.get(id).is_some_and(|job| {
                    states.contains(&job.state) && job.completed_at.is_some_and(|t| t < before)
                })
            })
            .take(limit)
            .copied()
            .collect()
    }
}

fn matches_query(job: &Job, query: &JobQuery) -> bool {
    query.state.is_none_or(|s: JobState| job.state == s)
        && query
            .backend_id
            .as_ref()
            .is_none_or(|b| &job.backend_id == b)
        && job.tags.contains_all(&query.tags)
}
