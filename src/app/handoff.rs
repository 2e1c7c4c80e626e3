//! Handing a job to an idle worker of this node at its submission: the
//! node-local layer over the job queue, which any queue (in memory or shared
//! by a cluster) sits under.
//!
//! Workers claim through it. A submission that finds a worker of its
//! backend waiting here takes a lease from the queue at once
//! (`JobQueue::offer_claimed`, which refuses when any job of that backend
//! waits, so the job passes nobody), stores the job already RUNNING under
//! it, and hands the lease over with the job as stored and its circuit as
//! parsed: the job's run costs one store write, one read and one parse
//! fewer (the parse was a tenth of the
//! instructions per SubmitJob, callgrind, a Bell job). Each lease is
//! promised to one of the idle workers, so no more are taken than workers
//! wait, and what is kept here stays as small as the pool.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::domain::circuit::Circuit;
use crate::domain::{BackendId, Error, Job, JobId, Result};
use crate::ports::{Claim, JobQueue, QueueEntry};
use crate::support::FastMap;
use crate::support::arrivals::AnyArrival;

/// A claimed job for a worker, with the job as its submission stored it
/// when it was handed over here (a queued job's worker reads and parses it).
#[derive(Debug)]
pub struct Work {
    pub claim: Claim,
    pub submitted: Option<Submitted>,
}

/// A job as its submission stored it (RUNNING under the lease handed
/// over), and its circuit as parsed: its worker needs neither read nor
/// parse.
#[derive(Debug)]
pub struct Submitted {
    pub job: Job,
    pub circuit: Arc<Circuit>,
}

pub struct LocalHandoff {
    queue: Arc<dyn JobQueue>,
    state: Mutex<State>,
}

/// A lease taken for one of the idle workers and not yet taken by one.
struct Promise {
    backend: BackendId,
    /// When the lease ends unless a worker extends it; past this the queue
    /// gives the job to whoever claims it next, so it is not handed out.
    ends: Instant,
    /// Set once the job is stored: the lease, and the job as stored.
    handed: Option<(Claim, Submitted)>,
}

#[derive(Default)]
struct State {
    /// Workers waiting for work right now, by backend.
    idle: FastMap<BackendId, usize>,
    promised: FastMap<JobId, Promise>,
    /// Promised jobs handed over, oldest first.
    handed: VecDeque<JobId>,
    /// What idle workers of each backend wait on; a hand-over wakes one.
    arrivals: FastMap<BackendId, Arc<Notify>>,
}

impl State {
    /// Whether a worker of `backend` waits that no promise is for. Every
    /// promise counts, whatever its backend: a worker may wait for several
    /// backends, and is then idle for each of them.
    fn has_unpromised_worker(&mut self, backend: &BackendId, now: Instant) -> bool {
        let idle = self.idle.get(backend).copied().unwrap_or(0);
        if idle > self.promised.len() {
            return true;
        }
        // Promises whose lease ended (a submission dropped midway) free
        // their place; looked for only when they would decide.
        self.promised.retain(|_, promise| promise.ends > now);
        idle > self.promised.len()
    }

    /// The oldest handed-over job for one of `backends` whose lease holds.
    fn take_handed(&mut self, backends: &[BackendId], now: Instant) -> Option<Work> {
        loop {
            let position = self.handed.iter().position(|id| {
                self.promised
                    .get(id)
                    .is_none_or(|promise| backends.contains(&promise.backend))
            })?;
            let job_id = self.handed.remove(position)?;
            let Some(promise) = self.promised.remove(&job_id) else {
                continue;
            };
            if let (Some((claim, submitted)), true) = (promise.handed, promise.ends > now) {
                return Some(Work {
                    claim,
                    submitted: Some(submitted),
                });
            }
        }
    }

    fn arrivals(&mut self, backend: &BackendId) -> Arc<Notify> {
        match self.arrivals.get(backend) {
            Some(signal) => signal.clone(),
            None => self.arrivals.entry(backend.clone()).or_default().clone(),
        }
    }
}

impl LocalHandoff {
    pub fn new(queue: Arc<dyn JobQueue>) -> Self {
        Self {
            queue,
            state: Mutex::new(State::default()),
        }
    }

    /// The queue underneath.
    pub fn queue(&self) -> &Arc<dyn JobQueue> {
        &self.queue
    }

    /// A lease on `entry`'s job for an idle worker of its backend, when one
    /// waits here that no other lease is promised to and no job of that
    /// backend waits in the queue; `None` otherwise. Store the job under it,
    /// then `hand_over` it, or `withdraw` it if the job was not stored.
    pub async fn lease_for_idle(
        &self,
        entry: QueueEntry,
        lease: Duration,
    ) -> Result<Option<Claim>> {
        let job_id = entry.job_id;
        {
            let mut state = self.lock();
            let now = Instant::now();
            if !state.has_unpromised_worker(&entry.backend_id, now)
                || state.promised.contains_key(&job_id)
            {
                return Ok(None);
            }
            // Promised before the queue is asked, so that two submissions
            // at once do not both count the same worker.
            let promise = Promise {
                backend: entry.backend_id.clone(),
                ends: now + lease,
                handed: None,
            };
            state.promised.insert(job_id, promise);
        }
        let leased = self.queue.offer_claimed(entry, lease).await;
        if !matches!(leased, Ok(Some(_))) {
            self.lock().promised.remove(&job_id);
        }
        leased
    }

    /// Gives a lease from `lease_for_idle`, its job now stored, to an idle
    /// worker, with the job as stored. Conflict when it was not promised or
    /// its lease has ended.
    pub fn hand_over(&self, claim: Claim, submitted: Submitted) -> Result<()> {
        let job_id = claim.job_id;
        let mut state = self.lock();
        match state.promised.get(&job_id).map(|promise| promise.ends) {
            None => {
                return Err(Error::conflict(format!(
                    "job {job_id} was not leased for an idle worker"
                )));
            }
            Some(ends) if ends <= Instant::now() => {
                state.promised.remove(&job_id);
                return Err(Error::conflict(format!(
                    "the lease on job {job_id} ended before it was handed over"
                )));
            }
            Some(_) => {}
        }
        let signal = state.arrivals(&claim.backend_id);
        if let Some(promise) = state.promised.get_mut(&job_id) {
            promise.handed = Some((claim, submitted));
        }
        state.handed.push_back(job_id);
        drop(state);
        signal.notify_one();
        Ok(())
    }

    /// Ends a lease from `lease_for_idle` whose job was not stored.
    pub async fn withdraw(&self, claim: &Claim) -> Result<()> {
        self.lock().promised.remove(&claim.job_id);
        self.queue.ack(claim).await
    }

    /// A job for a worker of `backends`: one handed over here first, else
    /// one claimed from the queue, waiting up to `wait` for either.
    pub async fn claim(
        &self,
        backends: &[BackendId],
        lease: Duration,
        wait: Duration,
    ) -> Result<Option<Work>> {
        let deadline = Instant::now() + wait;
        loop {
            let signals: Vec<Arc<Notify>> = {
                let mut state = self.lock();
                backends.iter().map(|b| state.arrivals(b)).collect()
            };
            let handed = AnyArrival::register(&signals);
            let _idle = {
                let mut state = self.lock();
                if let Some(work) = state.take_handed(backends, Instant::now()) {
                    return Ok(Some(work));
                }
                IdleWorker::enter(self, &mut state, backends)
            };
            let remaining = deadline.saturating_duration_since(Instant::now());
            let claimed = self.queue.claim(backends.to_vec(), lease, remaining);
            tokio::select! {
                claimed = claimed => return Ok(claimed?.map(Work::queued)),
                // A hand-over: look again (another worker may have taken it).
                () = handed.any() => {}
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the state half-changed.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Work {
    fn queued(claim: Claim) -> Self {
        Self {
            claim,
            submitted: None,
        }
    }
}

/// Counts a worker among the idle ones of its backends while it waits,
/// including when its wait is dropped.
pub(crate) struct IdleWorker<'h> {
    handoff: &'h LocalHandoff,
    backends: &'h [BackendId],
}

impl<'h> IdleWorker<'h> {
    fn enter(handoff: &'h LocalHandoff, state: &mut State, backends: &'h [BackendId]) -> Self {
        for backend in backends {
            *state.idle.entry(backend.clone()).or_default() += 1;
        }
        Self { handoff, backends }
    }

    /// A worker of `backends` waiting, for tests that have none running.
    #[cfg(test)]
    pub(crate) fn pretend(handoff: &'h LocalHandoff, backends: &'h [BackendId]) -> Self {
        let mut state = handoff.lock();
        Self::enter(handoff, &mut state, backends)
    }
}

impl Drop for IdleWorker<'_> {
    fn drop(&mut self) {
        let mut state = self.handoff.lock();
        for backend in self.backends {
            if let Some(count) = state.idle.get_mut(backend) {
                *count = count.saturating_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests;
