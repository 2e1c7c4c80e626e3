//! The driving port: what the transports may ask of the service. The job
//! and backend use cases, as commands in and views out; the gRPC adapter
//! decodes a call into a command and encodes the answer, and holds no rule.

use std::future::Future;
use std::pin::Pin;

use futures::Stream;

use crate::domain::{
    BackendCapabilities, CircuitSource, Error, Identity, Job, JobId, JobResult, JobState,
    Operation, Policy, Priority, Result,
};
use crate::ports::{JobEvent, Telemetry, Traces};

/// Submissions arriving on a stream, each decoded or answered with its error.
pub type SubmissionStream = Pin<Box<dyn Stream<Item = Result<BatchSubmission>> + Send>>;

/// The job and backend use cases, for a transport. Implemented by the app's
/// `JobService`; transports are generic over it, so a call costs no more
/// than calling the service directly.
pub trait JobsApi: Clone + Send + Sync + 'static {
    /// Each job's state changes, current state first, until it ends.
    type Watch: Stream<Item = Result<JobEvent>> + Send + 'static;
    /// The answers of a submission stream.
    type Answers: Stream<Item = BatchStreamAnswer> + Send + 'static;

    /// Counts calls and their outcomes.
    fn telemetry(&self) -> &dyn Telemetry;
    /// Trace context; calls get spans only when it exports them.
    fn traces(&self) -> &dyn Traces;

    /// The caller's policy for `operation`, or PERMISSION_DENIED.
    fn authorize(&self, identity: &Identity, operation: Operation) -> Result<Policy>;
    fn submit(
        &self,
        identity: &Identity,
        command: SubmitCommand,
    ) -> impl Future<Output = Result<JobId>> + Send;
    /// All jobs or none.
    fn submit_batch(
        &self,
        identity: &Identity,
        backend_id: &str,
        commands: Vec<SubmitCommand>,
    ) -> impl Future<Output = Result<Vec<JobId>>> + Send;
    fn status(
        &self,
        identity: &Identity,
        job_id: &str,
    ) -> impl Future<Output = Result<JobView>> + Send;
    fn result(
        &self,
        identity: &Identity,
        job_id: &str,
    ) -> impl Future<Output = Result<(Job, JobResult)>> + Send;
    fn cancel(
        &self,
        identity: &Identity,
        job_id: &str,
    ) -> impl Future<Output = Result<CancelReply>> + Send;
    fn list(
        &self,
        identity: &Identity,
        command: ListJobsCommand,
    ) -> impl Future<Output = Result<(Vec<JobView>, Option<JobId>)>> + Send;
    fn watch(
        &self,
        identity: &Identity,
        job_id: &str,
    ) -> impl Future<Output = Result<Self::Watch>> + Send;
    fn stream_results(
        &self,
        identity: &Identity,
        job_id: &str,
        chunk_size: u32,
    ) -> impl Future<Output = Result<Vec<ResultChunkView>>> + Send;
    fn submit_stream(&self, identity: Identity, input: SubmissionStream) -> Result<Self::Answers>;
    /// Every backend served, as it stands.
    fn backend_statuses(&self) -> impl Future<Output = Vec<BackendStatus>> + Send;
    fn backend_status(
        &self,
        backend_id: &str,
    ) -> impl Future<Output = Result<BackendStatus>> + Send;
}

/// One job as a client asked for it, before any check.
#[derive(Debug, Clone, Default)]
pub struct SubmitCommand {
    pub circuit: Option<CircuitSource>,
    pub backend_id: String,
    pub shots: u32,
    pub optimization_level: u32,
    pub priority: Priority,
    /// Empty means no idempotency.
    pub idempotency_key: String,
    pub tags: Vec<(String, String)>,
    pub seed: Option<u64>,
}

/// A job as a client sees it, with its place in the queue when waiting.
#[derive(Debug, Clone, PartialEq)]
pub struct JobView {
    pub job: Job,
    pub queue_position: Option<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct ListJobsCommand {
    pub state: Option<JobState>,
    /// Empty means every backend.
    pub backend_id: String,
    pub tags: Vec<(String, String)>,
    pub page_size: u32,
    /// Empty for the first page.
    pub page_token: String,
}

/// The answer to CancelJob: whether the job is now CANCELED, and why (not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelReply {
    pub success: bool,
    pub message: String,
}

impl CancelReply {
    pub fn canceled(job: &Job, how: &str) -> Self {
        Self {
            success: true,
            message: format!("job {} canceled {how}", job.id),
        }
    }

    pub fn refused(job: &Job) -> Self {
        Self {
            success: false,
            message: format!(
                "job {} is already {} and cannot be canceled",
                job.id, job.state
            ),
        }
    }
}

/// One item of a submission stream; a command that could not even be
/// decoded is answered with its error, and the stream goes on.
#[derive(Debug, Clone)]
pub struct BatchSubmission {
    pub client_request_id: String,
    pub command: Result<SubmitCommand>,
    /// Whether the client wants the `submitted` answer (it may ask for
    /// only the final one).
    pub answer_submitted: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StreamOutcome {
    Submitted,
    Completed(JobResult),
    Error(Error),
}

/// One answer of a submission stream.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchStreamAnswer {
    /// Empty when the submission was refused.
    pub job_id: String,
    pub client_request_id: String,
    pub outcome: StreamOutcome,
}

impl BatchStreamAnswer {
    pub fn submitted(id: JobId, client_request_id: String) -> Self {
        Self {
            job_id: id.to_string(),
            client_request_id,
            outcome: StreamOutcome::Submitted,
        }
    }
}

/// One chunk of a streamed result.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultChunkView {
    pub job_id: JobId,
    pub counts: Vec<(String, u64)>,
    pub chunk_index: u32,
    pub total_chunks: u32,
    pub is_final: bool,
}

/// A backend's description with its current availability.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendStatus {
    pub capabilities: BackendCapabilities,
    pub is_available: bool,
}
