//! Reading jobs: status, result, listing.

use crate::domain::{
    BackendId, Error, Identity, Job, JobId, JobResult, JobState, Operation, Policy, Result, Tags,
};
use crate::ports::{JobQuery, JobView, ListJobsCommand};

use super::JobService;

impl JobService {
    pub async fn status(&self, identity: &Identity, job_id: &str) -> Result<JobView> {
        let policy = self.authorize(identity, Operation::GetJobStatus)?;
        let job = self.owned_job(identity, &policy, job_id).await?;
        self.view(job).await
    }

    /// The result of a COMPLETED job; any other state is FAILED_PRECONDITION
    /// with the reason.
    pub async fn result(&self, identity: &Identity, job_id: &str) -> Result<(Job, JobResult)> {
        let policy = self.authorize(identity, Operation::GetJobResult)?;
        self.result_for(identity, &policy, job_id).await
    }

    /// The result, for a caller already authorized (GetJobResult, StreamResults).
    pub(super) async fn result_for(
        &self,
        identity: &Identity,
        policy: &Policy,
        job_id: &str,
    ) -> Result<(Job, JobResult)> {
        let job = self.owned_job(identity, policy, job_id).await?;
        match job.state {
            JobState::Completed => {}
            JobState::ResultExpired => {
                return Err(Error::failed_precondition(format!(
                    "job {} completed, but its result was purged by retention",
                    job.id
                )));
            }
            JobState::Failed => {
                return Err(Error::failed_precondition(format!(
                    "job {} FAILED and has no result: {}",
                    job.id,
                    job.error_message.as_deref().unwrap_or("no reason recorded")
                )));
            }
            state => {
                return Err(Error::failed_precondition(format!(
                    "job {} is {state}; a result exists only once it is COMPLETED",
                    job.id
                )));
            }
        }
        let result = self.ports.store.result(job.id).await?.ok_or_else(|| {
            Error::internal(format!(
                "job {} is COMPLETED but its result is missing",
                job.id
            ))
        })?;
        Ok((job, result))
    }

    /// The caller's jobs (every client's for an admin), newest first, one
    /// page at a time.
    pub async fn list(
        &self,
        identity: &Identity,
        command: ListJobsCommand,
    ) -> Result<(Vec<JobView>, Option<JobId>)> {
        let policy = self.authorize(identity, Operation::ListJobs)?;
        let page_size = match command.page_size {
            0 => self.rules.default_page_size,
            n => n.min(self.rules.max_page_size),
        };
        let before = match command.page_token.as_str() {
            "" => None,
            token => Some(JobId::parse(token).map_err(|_| {
                Error::invalid_argument(
                    "page_token is not one this server issued; pass next_page_token unchanged",
                )
            })?),
        };
        let backend_id = match command.backend_id.as_str() {
            "" => None,
            id => Some(BackendId::parse(id)?),
        };
        let query = JobQuery {
            client_id: (!policy.admin).then(|| identity.client_id.clone()),
            state: command.state,
            backend_id,
            tags: Tags::parse(command.tags)?,
            page_size: page_size as usize,
            before,
        };
        let page = self.ports.store.list(query).await?;
        let mut views = Vec::with_capacity(page.jobs.len());
        for job in page.jobs {
            views.push(self.view(job).await?);
        }
        Ok((views, page.next))
    }

    async fn view(&self, job: Job) -> Result<JobView> {
        let queue_position = match (&job.state, &job.backend_job_id) {
            // A queue that cannot answer should not hide the job itself.
            (JobState::Queued, _) => self.ports.queue.position(job.id).await.unwrap_or(None),
            // Running here means handed to a QPU, which may still queue it.
            (JobState::Running, Some(backend_job_id)) => {
                match self.ports.backends.get(job.backend_id.as_str()) {
                    Ok(backend) => backend.queue_position(backend_job_id).await,
                    Err(_) => None,
                }
            }
            _ => None,
        };
        Ok(JobView {
            job,
            queue_position,
        })
    }
}
