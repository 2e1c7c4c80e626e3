//! Reconciling the queue with the store. The store is the truth and the
//! queue an index over it: the leader runs a pass at its start-up, before
//! it reports ready, and periodically after (`duties`), so a job the queue
//! lost (a crash, a queue server restarted empty) is put back. Its writes
//! carry the leader's epoch (`Mandate`), and a pass stops between pages
//! once its node no longer leads.
//!
//! - QUEUED jobs the queue does not hold are offered to it again.
//! - RUNNING jobs whose lease the queue does not hold were interrupted
//!   (their node stopped while running them): they go back to QUEUED, or end
//!   FAILED once they have been started `max_attempts` times. One that a
//!   hardware backend had accepted under its own job id keeps that id, and
//!   the worker that claims it next hands it to the backend, which
//!   reattaches (asks for its status and result) instead of running it
//!   again.
//!
//! Jobs the queue holds are left alone: a lease alive on another node is
//! that node's. A job that ends while the pass looks at it is refused by the
//! store's state machine and skipped.

use futures::StreamExt;

use super::duties::{DutyPorts, LeaderOffice, Mandate};
use super::jobs::queue_entry;
use crate::domain::{ErrorKind, Job, JobState, Result, Transition};
use crate::ports::RecoveryAction;

/// Jobs read per page.
const PAGE: usize = 2_000;
/// Interrupted jobs changed at once.
const CONCURRENCY: usize = 32;

/// What a pass found and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Jobs that had not ended.
    pub found: u64,
    /// Of those, the ones the queue held, left alone.
    pub held: u64,
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

/// The pass before a node reports ready, when it leads. A node that starts
/// while another leads leaves the pass to that leader, whose periodic
/// passes cover every node's jobs.
pub async fn recover_at_start(
    ports: &DutyPorts,
    office: &LeaderOffice,
    max_attempts: u32,
) -> Result<()> {
    match office.mandate().await? {
        Some(mandate) => recover(ports, max_attempts, &mandate).await?.log(true),
        None => tracing::info!("another node leads: its passes reconcile the queue with the store"),
    }
    Ok(())
}

/// One pass over every job that has not ended, under `mandate`.
pub async fn recover(
    ports: &DutyPorts,
    max_attempts: u32,
    mandate: &Mandate,
) -> Result<RecoveryReport> {
    let mut report = RecoveryReport::default();
    let mut after = None;
    loop {
        mandate.check()?;
        let jobs = ports.store.unfinished(after, PAGE).await?;
        let Some(last) = jobs.last() else { break };
        after = Some(last.id);
        report.found += jobs.len() as u64;
        let held = ports
            .queue
            .holds(jobs.iter().map(|j| j.id).collect())
            .await?;
        let lost = jobs
            .into_iter()
            .zip(held)
            .filter_map(|(job, held)| (!held).then_some(job));
        let (running, queued): (Vec<Job>, Vec<Job>) =
            lost.partition(|j| j.state == JobState::Running);
        report.queued += queued.len() as u64;
        let mut entries: Vec<_> = queued.iter().map(queue_entry).collect();
        let outcomes: Vec<Result<Job>> = futures::stream::iter(running)
            .map(|job| interrupted(ports, job, max_attempts, mandate))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for outcome in outcomes {
            let job = match outcome {
                Ok(job) => job,
                // It ended, or another node took it, since it was read.
                Err(e)
                    if e.kind() == ErrorKind::Conflict
                        || e.kind() == ErrorKind::FailedPrecondition =>
                {
                    tracing::debug!(error = %e, "a job changed while reconciling; left as it is");
                    continue;
                }
                Err(e) => return Err(e),
            };
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
        if !entries.is_empty() {
            mandate.check()?;
            ports.queue.offer(entries).await?;
        }
    }
    report.held =
        report.found - report.queued - report.requeued - report.reattached - report.failed;
    for (action, count) in [
        (RecoveryAction::Requeued, report.requeued),
        (RecoveryAction::Reattached, report.reattached),
        (RecoveryAction::Failed, report.failed),
        (RecoveryAction::Queued, report.queued),
    ] {
        ports.telemetry.recovered(action, count);
    }
    Ok(report)
}

impl RecoveryReport {
    /// Whether the pass changed anything.
    pub fn changed_anything(&self) -> bool {
        self.queued + self.requeued + self.reattached + self.failed > 0
    }

    /// Logs the pass: always at start-up, later only when it put something back.
    pub fn log(&self, at_start: bool) {
        if at_start || self.changed_anything() {
            tracing::info!(
                found = self.found,
                held = self.held,
                requeued = self.requeued,
                reattached = self.reattached,
                failed = self.failed,
                queued = self.queued,
                "{}",
                if at_start {
                    "recovery finished"
                } else {
                    "reconciled the queue with the store"
                }
            );
        }
    }
}

/// A job that was RUNNING when the server stopped: back to the queue, or
/// FAILED after `max_attempts` starts.
async fn interrupted(
    ports: &DutyPorts,
    job: Job,
    max_attempts: u32,
    mandate: &Mandate,
) -> Result<Job> {
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
    ports
        .store
        .apply_as_leader(job.id, transition, mandate.epoch)
        .await
}

#[cfg(test)]
mod tests;
