//! The duties a cluster needs done once rather than on every node, run by
//! its leader (a node alone always leads): reconciling the queue with the
//! store (`recovery`) and retention, each at its own interval. A node that
//! does not lead when a duty falls due skips it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::recovery::recover;
use super::retention::{self, RetentionPass, RetentionSettings};
use crate::domain::Job;
use crate::ports::{Clock, JobEvents, JobQueue, JobStore, Leadership, Telemetry};

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
    leadership: Arc<dyn Leadership>,
    settings: DutySettings,
    mut stop: watch::Receiver<bool>,
) {
    let retention_every = Some(settings.retention.interval).filter(|every| !every.is_zero());
    let mut reconcile = settings.reconcile_every.map(every);
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
                if leadership.term().is_some() {
                    reconcile_once(&ports, settings.max_attempts).await;
                }
            }
            () = tick(&mut retention) => {
                if leadership.term().is_some() {
                    retain_once(&ports, settings.retention).await;
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

async fn reconcile_once(ports: &DutyPorts, max_attempts: u32) {
    match recover(ports, max_attempts).await {
        Ok(report) => report.log(false),
        Err(e) => {
            tracing::warn!(error = %e, "reconciling the queue failed; trying again next interval")
        }
    }
}

async fn retain_once(ports: &DutyPorts, settings: RetentionSettings) {
    match retention::run_once(&*ports.store, &*ports.clock, settings).await {
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
