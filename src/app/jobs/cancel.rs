//! Cancellation. The store arbitrates races: whichever of the client's cancel
//! and the worker's outcome is written first stands.

use crate::domain::{ErrorKind, Identity, Job, JobState, Operation, Policy, Result, Transition};
use crate::ports::{AuditAction, CancelOutcome, CancelReply};

use super::JobService;
use super::run_to_end::run_to_end;

impl JobService {
    #[tracing::instrument(skip_all, fields(client_id = %identity.client_id, job_id))]
    pub async fn cancel(&self, identity: &Identity, job_id: &str) -> Result<CancelReply> {
        let policy = self.authorize(identity, Operation::CancelJob)?;
        let job = self.owned_job(identity, &policy, job_id).await?;
        // Taking the job off the queue (or stopping its run) and writing
        // CANCELED go together: begun, they end even if the caller hangs
        // up, or the job would sit QUEUED in the store and in no queue.
        let (service, identity, job_id) = (self.clone(), identity.clone(), job_id.to_owned());
        run_to_end(async move { service.cancel_owned(&identity, &policy, &job_id, job).await })
            .await
    }

    /// `cancel` of a job the caller may cancel, as last read.
    async fn cancel_owned(
        &self,
        identity: &Identity,
        policy: &Policy,
        job_id: &str,
        mut job: Job,
    ) -> Result<CancelReply> {
        // A job may move on between our read and our write; look again then.
        for _ in 0..3 {
            let attempt = match job.state {
                JobState::Queued => self.cancel_queued(&job).await,
                JobState::Running => self.cancel_running(&job).await,
                _ => return Ok(CancelReply::refused(&job)),
            };
            match attempt {
                Err(e) if e.kind() == ErrorKind::FailedPrecondition => {}
                Ok(reply) if reply.success => {
                    let id = job.id.to_string();
                    self.audit(
                        identity,
                        Operation::CancelJob,
                        AuditAction::JobCanceled,
                        "ok",
                        id,
                    );
                    return Ok(reply);
                }
                other => return other,
            }
            job = self.owned_job(identity, policy, job_id).await?;
        }
        Ok(CancelReply::refused(&job))
    }

    async fn cancel_queued(&self, job: &Job) -> Result<CancelReply> {
        let removed = self.ports.queue.remove(job.id).await?;
        match self.write_cancel(job).await {
            Ok(canceled) => Ok(CancelReply::canceled(&canceled, "before it ran")),
            Err(e) => {
                // The store still says QUEUED (it could not be written): put
                // the job back, or it would wait in no queue until a restart.
                if removed && e.kind() != ErrorKind::FailedPrecondition {
                    let entry = super::queue_entry(job);
                    if let Err(again) = self.ports.queue.offer(vec![entry]).await {
                        tracing::error!(job_id = %job.id, error = %again, "a job taken off the queue could not be put back");
                    }
                }
                Err(e)
            }
        }
    }

    async fn cancel_running(&self, job: &Job) -> Result<CancelReply> {
        if let Ok(backend) = self.ports.backends.get(job.backend_id.as_str()) {
            match backend.cancel(job.id).await {
                Ok(CancelOutcome::AlreadyFinished) => {
                    return Ok(CancelReply {
                        success: false,
                        message: format!(
                            "job {} already finished on backend '{}'; its result is being recorded",
                            job.id, job.backend_id
                        ),
                    });
                }
                Ok(CancelOutcome::Stopped | CancelOutcome::NotRunning) => {}
                // The store still decides: a canceled job's late result is refused.
                Err(e) => {
                    tracing::warn!(job_id = %job.id, error = %e, "backend could not stop the job")
                }
            }
        }
        let canceled = self.write_cancel(job).await?;
        Ok(CancelReply::canceled(&canceled, "while running"))
    }

    async fn write_cancel(&self, job: &Job) -> Result<Job> {
        let transition = Transition::Cancel {
            at: self.ports.clock.now(),
            message: "canceled by client".to_owned(),
        };
        let canceled = self.ports.store.apply(job.id, transition).await?;
        self.ports.telemetry.job_canceled(&canceled.backend_id);
        self.publish(&canceled).await;
        Ok(canceled)
    }
}
