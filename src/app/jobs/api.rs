//! The job service as the driving port the transports call: each method
//! is the use case of the same name.

use tokio_stream::wrappers::ReceiverStream;

use super::JobService;
use crate::domain::{Identity, Job, JobId, JobResult, Operation, Policy, Result};
use crate::ports::{
    BackendStatus, BatchStreamAnswer, CancelReply, JobEvent, JobView, JobsApi, ListJobsCommand,
    ResultChunkView, SubmissionStream, SubmitCommand, Telemetry, Traces,
};

impl JobsApi for JobService {
    type Watch = ReceiverStream<Result<JobEvent>>;
    type Answers = ReceiverStream<BatchStreamAnswer>;

    fn telemetry(&self) -> &dyn Telemetry {
        self.ports.telemetry.as_ref()
    }

    fn traces(&self) -> &dyn Traces {
        self.ports.traces.as_ref()
    }

    fn authorize(&self, identity: &Identity, operation: Operation) -> Result<Policy> {
        JobService::authorize(self, identity, operation)
    }

    async fn submit(&self, identity: &Identity, command: SubmitCommand) -> Result<JobId> {
        JobService::submit(self, identity, command).await
    }

    async fn submit_batch(
        &self,
        identity: &Identity,
        backend_id: &str,
        commands: Vec<SubmitCommand>,
    ) -> Result<Vec<JobId>> {
        JobService::submit_batch(self, identity, backend_id, commands).await
    }

    async fn status(&self, identity: &Identity, job_id: &str) -> Result<JobView> {
        JobService::status(self, identity, job_id).await
    }

    async fn result(&self, identity: &Identity, job_id: &str) -> Result<(Job, JobResult)> {
        JobService::result(self, identity, job_id).await
    }

    async fn cancel(&self, identity: &Identity, job_id: &str) -> Result<CancelReply> {
        JobService::cancel(self, identity, job_id).await
    }

    async fn list(
        &self,
        identity: &Identity,
        command: ListJobsCommand,
    ) -> Result<(Vec<JobView>, Option<JobId>)> {
        JobService::list(self, identity, command).await
    }

    async fn watch(&self, identity: &Identity, job_id: &str) -> Result<Self::Watch> {
        JobService::watch(self, identity, job_id).await
    }

    async fn stream_results(
        &self,
        identity: &Identity,
        job_id: &str,
        chunk_size: u32,
    ) -> Result<Vec<ResultChunkView>> {
        JobService::stream_results(self, identity, job_id, chunk_size).await
    }

    fn submit_stream(&self, identity: Identity, input: SubmissionStream) -> Result<Self::Answers> {
        JobService::submit_stream(self, identity, input)
    }

    async fn backend_statuses(&self) -> Vec<BackendStatus> {
        self.backends().statuses().await
    }

    async fn backend_status(&self, backend_id: &str) -> Result<BackendStatus> {
        self.backends().status(backend_id).await
    }
}
