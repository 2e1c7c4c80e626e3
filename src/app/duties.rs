//! The duties a cluster needs done once rather than on every node, run by
//! its leader (a node alone always leads): reconciling the queue with the
//! store (`recovery`) and retention, each at its own interval. A node that
//! does not lead when a duty falls due skips it; one that has just begun to
//! lead reconciles at once. Every leader-only write carries the store's
//! leader epoch (`office`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::recovery::recover;
use super::retention::{self, RetentionPass, RetentionSettings};
use crate::domain::Job;
use crate::ports::{Clock, JobEvents, JobQueue, JobStore, Telemetry};

mod office;
#[cfg(test)]
pub(crate) use office::fixed_leadership;
pub use office::{LeaderOffice, Mandate};

/// How often a node that does not lead looks whether it has begun to.
const LEAD_CHECK: Duration = Duration::from_secs(1);

/// What the duties (and the start-up pass) work through.
#[derive(Clone)]
pub struct DutyPorts {
    pub store: Arc<dyn JobStore>,
    pub queue: Arc<dyn JobQueue>,
    pub events: Arc<dyn JobEvents>,
    pub clock: Arc<dyn Clock>,
    pub telemetry: Arc<dyn Telemetry>,
}

impl DutyPorts {
    /// In-memory store, queue and events, for unit tests.
    #[cfg(test)]
    pub(crate) fn in_memory(clock: Arc<dyn Clock>) -> Self {
        use crate::adapters::events::memory::MemoryJobEvents;
        use crate::adapters::queue::memory::MemoryJobQueue;
        use crate::adapters::store::memory::MemoryJobStore;
        Self {
            store: Arc::new(MemoryJobStore::new()),
            queue: Arc::new(MemoryJobQueue::new()),
            events: Arc::new(MemoryJobEvents::default()),
            clock,
            telemetry: Arc::new(crate::ports::NoTelemetry),
        }
    }

    /// Tells watchers about a stored change.
    pub async fn publish(&self, job: &Job) {
        super::jobs::publish(&*self.events, &*self.clock, job).await;
    }
}

#[derive(Debug, Clone, Copy)]
pub struct DutySettings {
    /// Between reconciling passes; `None` reconciles only at start-up.
    pub reconcile_every: Option<Duration>,
    pub retention: RetentionSettings,
    pub max_attempts: u32,
}

/// Runs each duty when it falls due and this node leads, until `stop`.
pub async fn run(
    ports: DutyPorts,
    office: Arc<LeaderOffice>,
    settings: DutySettings,
    mut stop: watch::Receiver<bool>,
) {
    let retention_every = Some(settings.retention.interval).filter(|every| !every.is_zero());
    let mut reconcile = settings.reconcile_every.map(every);
    let mut lead_check = settings.reconcile_every.map(|_| every(LEAD_CHECK));
    let mut retention = retention_every.map(every);
    if reconcile.is_none() && retention.is_none() {
        return;
    }
    let stopped = async move {
        // The guard `wait_for` returns must not live across the duties' awaits.
        let _ = stop.wait_for(|stop| *stop).await.is_ok();
    };
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = &mut stopped => return,
            () = tick(&mut reconcile) => {
                if let Some(mandate) = mandate(&office).await {
                    reconcile_once(&ports, settings.max_attempts, &mandate).await;
                }
            }
            // A new leader reconciles at once rather than at its next
            // interval: the duties of the one it replaces may be overdue.
            () = tick(&mut lead_check) => {
                if let Some(mandate) = mandate(&office).await.filter(|m| m.fresh) {
                    reconcile_once(&ports, settings.max_attempts, &mandate).await;
                }
            }
            () = tick(&mut retention) => {
                if let Some(mandate) = mandate(&office).await {
                    retain_once(&ports, settings.retention, &mandate).await;
                }
            }
        }
    }
}

/// Ticks every `period`, the first a period from now; a late tick does not
/// bring the next one closer.
fn every(period: Duration) -> Interval {
    let period = period.max(Duration::from_millis(10));
    let mut interval = tokio::time::interval_at(Instant::now() + period, period);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    interval
}

async fn tick(interval: &mut Option<Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Leave to run a duty now, or `None` (another node leads, or the store
/// could not open this node's epoch: the duty waits for its next turn).
async fn mandate(office: &LeaderOffice) -> Option<Mandate> {
    office.mandate().await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "could not open a leader epoch in the store; duties wait");
        None
    })
}

async fn reconcile_once(ports: &DutyPorts, max_attempts: u32, mandate: &Mandate) {
    match recover(ports, max_attempts, mandate).await {
        Ok(report) => report.log(false),
        Err(e) => {
            tracing::warn!(error = %e, "reconciling the queue failed; trying again next interval")
        }
    }
}

async fn retain_once(ports: &DutyPorts, settings: RetentionSettings, mandate: &Mandate) {
    match retention::run_once(&*ports.store, &*ports.clock, settings, mandate).await {
        Ok(pass) if pass != RetentionPass::default() => tracing::info!(
            results_expired = pass.results_expired,
            jobs_deleted = pass.jobs_deleted,
            "retention pass"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "retention pass failed; trying again next interval"),
    }
}

#[cfg(test)]
mod tests;
