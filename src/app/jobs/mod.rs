//! The job use cases: submit, batch, status, result, cancel, watch, list.
//! Each asks the caller's policy first (`access`).

mod access;
mod api;
mod cancel;
mod query;
mod run_to_end;
mod start_at_once;
mod streams;
mod submit;
mod submit_stream;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::backends::BackendRegistry;
use super::duties::DutyPorts;
use super::handoff::LocalHandoff;
use super::worker::WorkerPorts;
use crate::domain::{Error, Identity, Job, JobId, JobLimits, Policy, QueueLimits, Result};
use crate::ports::{
    AuditLog, CircuitFrontend, Clock, JobEvent, JobEvents, JobQueue, JobStore, Policies,
    RateLimiter, Telemetry, Traces,
};

pub use streams::{DEFAULT_CHUNK_SIZE, result_chunks};
pub use submit::queue_entry;

/// Limits and windows of the job use cases.
#[derive(Debug, Clone)]
pub struct JobRules {
    pub idempotency_window: Duration,
    /// Most one job may ask for, beyond its backend's own limits.
    pub job_limits: JobLimits,
    /// How many jobs may wait.
    pub queue_limits: QueueLimits,
    pub default_page_size: u32,
    pub max_page_size: u32,
    /// The workers' lease: a job submitted while a worker waits for work
    /// starts at once under a lease this long (`start_at_once`). `None`
    /// queues every job.
    pub start_lease: Option<Duration>,
}

/// The ports the job use cases work through: all the composition root
/// builds. The worker pool and the leader's duties take only their parts
/// (`for_workers`, `for_duties`); the status endpoint its own two.
#[derive(Clone)]
pub struct JobPorts {
    pub store: Arc<dyn JobStore>,
    pub queue: Arc<dyn JobQueue>,
    pub events: Arc<dyn JobEvents>,
    pub clock: Arc<dyn Clock>,
    pub frontend: Arc<dyn CircuitFrontend>,
    pub backends: Arc<BackendRegistry>,
    /// Metrics; `NoTelemetry` reports nothing.
    pub telemetry: Arc<dyn Telemetry>,
    /// Trace context carried from a submission to its job's run.
    pub traces: Arc<dyn Traces>,
    /// Who may do what; `AllowAll` without a policies file.
    pub policies: Arc<dyn Policies>,
    /// Per-client submission rates (`rate_limit_per_minute`).
    pub rate_limiter: Arc<dyn RateLimiter>,
    /// Refusals, submissions and cancellations; `NoAudit` records nothing.
    pub audit: Arc<dyn AuditLog>,
    /// Not an adapter: the queue as this node's workers claim from it, with
    /// jobs handed to an idle worker at their submission.
    pub handoff: Arc<LocalHandoff>,
}

#[derive(Clone)]
pub struct JobService {
    ports: JobPorts,
    rules: JobRules,
    /// Becomes true when the server shuts down; open streams then end.
    shutdown: watch::Receiver<bool>,
}

impl JobService {
    pub fn new(ports: JobPorts, rules: JobRules, shutdown: watch::Receiver<bool>) -> Self {
        Self {
            ports,
            rules,
            shutdown,
        }
    }

    pub fn backends(&self) -> &BackendRegistry {
        &self.ports.backends
    }

    /// The caller's job (any job for an admin); another tenant's job
    /// answers exactly like a missing one.
    async fn owned_job(&self, identity: &Identity, policy: &Policy, job_id: &str) -> Result<Job> {
        let id = JobId::parse(job_id)?;
        match self.ports.store.get(id).await? {
            Some(job) if policy.admin || job.client_id == identity.client_id => Ok(job),
            _ => Err(Error::not_found(format!("job '{id}' not found"))),
        }
    }

    async fn publish(&self, job: &Job) {
        self.ports.publish(job).await;
    }
}

impl JobPorts {
    /// In-memory store, queue and events, for unit tests.
    #[cfg(test)]
    pub(crate) fn in_memory(
        clock: Arc<dyn Clock>,
        frontend: Arc<dyn CircuitFrontend>,
        backends: BackendRegistry,
    ) -> Self {
        use crate::adapters::events::memory::MemoryJobEvents;
        use crate::adapters::queue::memory::MemoryJobQueue;
        use crate::adapters::store::memory::MemoryJobStore;
        let queue: Arc<dyn crate::ports::JobQueue> = Arc::new(MemoryJobQueue::new());
        Self {
            store: Arc::new(MemoryJobStore::new()),
            handoff: Arc::new(LocalHandoff::new(queue.clone())),
            queue,
            events: Arc::new(MemoryJobEvents::default()),
            clock,
            frontend,
            backends: Arc::new(backends),
            telemetry: Arc::new(crate::ports::NoTelemetry),
            traces: Arc::new(crate::ports::NoTraces),
            policies: Arc::new(crate::ports::AllowAll::default()),
            rate_limiter: Arc::new(crate::ports::NoRateLimit),
            audit: Arc::new(crate::ports::NoAudit),
        }
    }

    /// Tells watchers about a stored change; a failure here must not undo it.
    pub async fn publish(&self, job: &Job) {
        publish(&*self.events, &*self.clock, job).await;
    }

    /// What the worker pool uses.
    pub fn for_workers(&self) -> WorkerPorts {
        WorkerPorts {
            store: self.store.clone(),
            queue: self.queue.clone(),
            handoff: self.handoff.clone(),
            events: self.events.clone(),
            clock: self.clock.clone(),
            frontend: self.frontend.clone(),
            backends: self.backends.clone(),
            telemetry: self.telemetry.clone(),
            traces: self.traces.clone(),
        }
    }

    /// What the reconciling pass and the leader's duties use.
    pub fn for_duties(&self) -> DutyPorts {
        DutyPorts {
            store: self.store.clone(),
            queue: self.queue.clone(),
            events: self.events.clone(),
            clock: self.clock.clone(),
            telemetry: self.telemetry.clone(),
        }
    }
}

/// Tells watchers about a stored change; a failure here must not undo it.
pub async fn publish(events: &dyn JobEvents, clock: &dyn Clock, job: &Job) {
    let event = JobEvent::of(job, clock.now());
    if let Err(e) = events.publish(event).await {
        tracing::warn!(job_id = %job.id, error = %e, "could not publish a job event");
    }
}

#[cfg(test)]
mod tests;
