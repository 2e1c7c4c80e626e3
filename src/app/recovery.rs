//! Recovery at start-up, before the server reports ready: the store is the
//! truth and the queue an index over it, so every job that has not ended is
//! put back where it belongs.
//!
//! - RUNNING jobs were interrupted (this node stopped while running them):
//!   they go back to QUEUED, or end FAILED once they have been started
//!   `max_attempts` times. One that a hardware backend had accepted under its
//!   own job id keeps that id, and the worker that claims it next hands it to
//!   the backend, which reattaches (asks for its status and result) instead
//!   of running it again.
//! - QUEUED jobs are offered to the queue again (offering one twice is
//!   harmless).
//!
//! With one node per store (the memory queue) every RUNNING job in the store
//! was this node's.

use futures::StreamExt;

use super::jobs::{JobPorts, queue_entry};
use crate::domain::{Job, JobState, Result, Transition};
use crate::ports::RecoveryAction;

/// Jobs read per page.
const PAGE: usize = 2_000;
/// Interrupted jobs changed at once.
const CONCURRENCY: usize = 32;

/// What recovery found and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Jobs that had not ended.
    pub found: u64,
    /// Interrupted RUNNING jobs put back in the queue to run again.
    pub requeued: u64,
    /// Interrupted jobs a backend holds under its own id, queued to be
    /// reattached rather than run again.
    pub reattached: u64,
    /// Interrupted jobs that had used up their attempts, now FAILED.
    pub failed: u64,
    /// QUEUED jobs offered to the queue again.
    pub queued: u64,
}

pub async fn recover(ports: &JobPorts, max_attempts: u32) -> Result<RecoveryReport> {
    let mut report = RecoveryReport::default();
    let mut after = None;
    loop {
        let jobs = ports.store.unfinished(after, PAGE).await?;
        let Some(last) = jobs.last() else { break };
        after = Some(last.id);
        report.found += jobs.len() as u64;
        let (running, queued): (Vec<Job>, Vec<Job>) =
            jobs.into_iter().partition(|j| j.state == JobState::Running);
        report.queued += queued.len() as u64;
        let mut entries: Vec<_> = queued.iter().map(queue_entry).collect();
        let outcomes: Vec<Result<Job>> = futures::stream::iter(running)
            .map(|job| interrupted(ports, job, max_attempts))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for outcome in outcomes {
            let job = outcome?;
            match job.state {
                JobState::Queued if job.backend_job_id.is_some() => {
                    report.reattached += 1;
                    entries.push(queue_entry(&job));
                }
                JobState::Queued => {
                    report.requeued += 1;
                    entries.push(queue_entry(&job));
                }
                JobState::Failed => report.failed += 1,
                _ => {}
            }
            ports.publish(&job).await;
        }
        ports.queue.offer(entries).await?;
    }
    for (action, count) in [
        (RecoveryAction::Requeued, report.requeued),
        (RecoveryAction::Reattached, report.reattached),
        (RecoveryAction::Failed, report.failed),
        (RecoveryAction::Queued, report.queued),
    ] {
        ports.telemetry.recovered(action, count);
    }
    tracing::info!(
        found = report.found,
        requeued = report.requeued,
        reattached = report.reattached,
        failed = report.failed,
        queued = report.queued,
        "recovery finished"
    );
    Ok(report)
}

/// A job that was RUNNING when the server stopped: back to the queue, or
/// FAILED after `max_attempts` starts.
async fn interrupted(ports: &JobPorts, job: Job, max_attempts: u32) -> Result<Job> {
    let transition = if job.attempts >= max_attempts {
        Transition::Fail {
            token: job.claim_token,
            at: ports.clock.now(),
            message: format!(
                "gave up after {} attempts: the server stopped while the job ran",
                job.attempts
            ),
        }
    } else {
        Transition::Requeue {
            token: job.claim_token,
        }
    };
    ports.store.apply(job.id, transition).await
}

#[cfg(test)]
mod tests;
