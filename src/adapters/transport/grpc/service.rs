//! `arvak.v1.ArvakService` over the job use cases. Decodes, calls, encodes;
//! no rules live here. Every call goes through `rpc()`.

use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use super::convert::{self, SubmitFields};
use super::rpc::{CallSetup, rpc};
use super::status::{to_status, to_text};
use crate::domain::{Error, Operation, Result};
use crate::ports::Authenticator;
use crate::ports::{BatchSubmission, JobsApi, ListJobsCommand, StreamOutcome};
use crate::proto::{self, arvak_service_server::ArvakService};

type RpcStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;
type Reply<T> = Result<Response<T>, Status>;

pub struct ArvakGrpc<J> {
    jobs: J,
    authenticator: Arc<dyn Authenticator>,
}

impl<J: JobsApi> ArvakGrpc<J> {
    pub fn new(jobs: J, authenticator: Arc<dyn Authenticator>) -> Self {
        Self {
            jobs,
            authenticator,
        }
    }

    fn setup(&self) -> CallSetup<'_> {
        CallSetup {
            telemetry: self.jobs.telemetry(),
            authenticator: self.authenticator.as_ref(),
            traces: self.jobs.traces(),
            spans: self.jobs.traces().exporting(),
        }
    }
}

impl From<proto::SubmitJobRequest> for SubmitFields {
    fn from(r: proto::SubmitJobRequest) -> Self {
        Self {
            circuit: r.circuit,
            backend_id: r.backend_id,
            shots: r.shots,
            optimization_level: r.optimization_level,
            priority: r.priority,
            idempotency_key: r.idempotency_key,
            tags: r.tags,
            seed: r.seed,
        }
    }
}

impl From<proto::BatchJobSubmission> for SubmitFields {
    fn from(s: proto::BatchJobSubmission) -> Self {
        Self {
            circuit: s.circuit,
            backend_id: s.backend_id,
            shots: s.shots,
            optimization_level: s.optimization_level,
            priority: s.priority,
            idempotency_key: s.idempotency_key,
            tags: s.tags,
            seed: s.seed,
        }
    }
}

/// A batch entry, with the batch's backend.
fn batch_fields(backend_id: &str, job: proto::BatchJobRequest) -> SubmitFields {
    SubmitFields {
        circuit: job.circuit,
        backend_id: backend_id.to_owned(),
        shots: job.shots,
        optimization_level: job.optimization_level,
        priority: job.priority,
        idempotency_key: job.idempotency_key,
        tags: job.tags,
        seed: job.seed,
    }
}

#[tonic::async_trait]
impl<J: JobsApi> ArvakService for ArvakGrpc<J> {
    async fn submit_job(
        &self,
        request: Request<proto::SubmitJobRequest>,
    ) -> Reply<proto::SubmitJobResponse> {
        rpc(
            self.setup(),
            Operation::SubmitJob.as_str(),
            request,
            |identity, r| async move {
                let command = SubmitFields::from(r).into_command()?;
                let id = self.jobs.submit(&identity, command).await?;
                Ok(proto::SubmitJobResponse {
                    job_id: id.to_string(),
                })
            },
        )
        .await
    }

    async fn submit_batch(
        &self,
        request: Request<proto::SubmitBatchRequest>,
    ) -> Reply<proto::SubmitBatchResponse> {
        rpc(
            self.setup(),
            Operation::SubmitBatch.as_str(),
            request,
            |identity, r| async move {
                let commands = r
                    .jobs
                    .into_iter()
                    .enumerate()
                    .map(|(i, job)| {
                        batch_fields(&r.backend_id, job)
                            .into_command()
                            .map_err(|e| e.context(format_args!("jobs[{i}]")))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let ids = self
                    .jobs
                    .submit_batch(&identity, &r.backend_id, commands)
                    .await?;
                Ok(proto::SubmitBatchResponse {
                    job_ids: ids.iter().map(ToString::to_string).collect(),
                })
            },
        )
        .await
    }

    async fn get_job_status(
        &self,
        request: Request<proto::GetJobStatusRequest>,
    ) -> Reply<proto::GetJobStatusResponse> {
        rpc(
            self.setup(),
            Operation::GetJobStatus.as_str(),
            request,
            |identity, r| async move {
                let view = self.jobs.status(&identity, &r.job_id).await?;
                Ok(proto::GetJobStatusResponse {
                    job: Some(convert::job(view)),
                })
            },
        )
        .await
    }

    async fn get_job_result(
        &self,
        request: Request<proto::GetJobResultRequest>,
    ) -> Reply<proto::GetJobResultResponse> {
        rpc(
            self.setup(),
            Operation::GetJobResult.as_str(),
            request,
            |identity, r| async move {
                let (job, result) = self.jobs.result(&identity, &r.job_id).await?;
                Ok(proto::GetJobResultResponse {
                    result: Some(convert::result(job.id.to_string(), result)),
                })
            },
        )
        .await
    }

    async fn cancel_job(
        &self,
        request: Request<proto::CancelJobRequest>,
    ) -> Reply<proto::CancelJobResponse> {
        rpc(
            self.setup(),
            Operation::CancelJob.as_str(),
            request,
            |identity, r| async move {
                let reply = self.jobs.cancel(&identity, &r.job_id).await?;
                Ok(proto::CancelJobResponse {
                    success: reply.success,
                    message: reply.message,
                })
            },
        )
        .await
    }

    async fn list_backends(
        &self,
        request: Request<proto::ListBackendsRequest>,
    ) -> Reply<proto::ListBackendsResponse> {
        rpc(
            self.setup(),
            Operation::ListBackends.as_str(),
            request,
            |identity, _| async move {
                self.jobs.authorize(&identity, Operation::ListBackends)?;
                let statuses = self.jobs.backend_statuses().await;
                Ok(proto::ListBackendsResponse {
                    backends: statuses.into_iter().map(convert::backend).collect(),
                })
            },
        )
        .await
    }

    async fn get_backend_info(
        &self,
        request: Request<proto::GetBackendInfoRequest>,
    ) -> Reply<proto::GetBackendInfoResponse> {
        rpc(
            self.setup(),
            Operation::GetBackendInfo.as_str(),
            request,
            |identity, r| async move {
                self.jobs.authorize(&identity, Operation::GetBackendInfo)?;
                let status = self.jobs.backend_status(&r.backend_id).await?;
                Ok(proto::GetBackendInfoResponse {
                    backend: Some(convert::backend(status)),
                })
            },
        )
        .await
    }

    type WatchJobStream = RpcStream<proto::JobStatusUpdate>;

    async fn watch_job(
        &self,
        request: Request<proto::WatchJobRequest>,
    ) -> Reply<Self::WatchJobStream> {
        rpc(
            self.setup(),
            Operation::WatchJob.as_str(),
            request,
            |identity, r| async move {
                let events = self.jobs.watch(&identity, &r.job_id).await?;
                let updates = events.map(|item| {
                    item.map(|event| proto::JobStatusUpdate {
                        job_id: event.job_id.to_string(),
                        state: convert::state_to_proto(event.state).into(),
                        timestamp: event.at.as_secs(),
                        error_message: event.error_message.unwrap_or_default(),
                    })
                    .map_err(to_status)
                });
                Ok(Box::pin(updates) as Self::WatchJobStream)
            },
        )
        .await
    }

    type StreamResultsStream = RpcStream<proto::ResultChunk>;

    async fn stream_results(
        &self,
        request: Request<proto::StreamResultsRequest>,
    ) -> Reply<Self::StreamResultsStream> {
        rpc(
            self.setup(),
            Operation::StreamResults.as_str(),
            request,
            |identity, r| async move {
                let chunks = self
                    .jobs
                    .stream_results(&identity, &r.job_id, r.chunk_size)
                    .await?;
                let messages = chunks.into_iter().map(|chunk| {
                    Ok(proto::ResultChunk {
                        job_id: chunk.job_id.to_string(),
                        counts: chunk.counts.into_iter().collect(),
                        is_final: chunk.is_final,
                        chunk_index: chunk.chunk_index,
                        total_chunks: chunk.total_chunks,
                    })
                });
                Ok(Box::pin(futures::stream::iter(messages)) as Self::StreamResultsStream)
            },
        )
        .await
    }

    type SubmitBatchStreamStream = RpcStream<proto::BatchJobResult>;

    async fn submit_batch_stream(
        &self,
        request: Request<Streaming<proto::BatchJobSubmission>>,
    ) -> Reply<Self::SubmitBatchStreamStream> {
        rpc(
            self.setup(),
            Operation::SubmitBatchStream.as_str(),
            request,
            |identity, input| async move {
                let submissions = input.map(|item| {
                    let s = item.map_err(|status| Error::canceled(status.message().to_owned()))?;
                    let client_request_id = s.client_request_id.clone();
                    let answer_submitted = !s.skip_submitted_answer;
                    Ok(BatchSubmission {
                        client_request_id,
                        command: SubmitFields::from(s).into_command(),
                        answer_submitted,
                    })
                });
                let answers = self
                    .jobs
                    .submit_stream(identity, Box::pin(submissions))?
                    .map(|answer| {
                        let result = match answer.outcome {
                            StreamOutcome::Submitted => {
                                proto::batch_job_result::Result::Submitted(answer.job_id.clone())
                            }
                            StreamOutcome::Completed(result) => {
                                proto::batch_job_result::Result::Completed(convert::result(
                                    answer.job_id.clone(),
                                    result,
                                ))
                            }
                            StreamOutcome::Error(error) => {
                                proto::batch_job_result::Result::Error(to_text(&error))
                            }
                        };
                        Ok(proto::BatchJobResult {
                            job_id: answer.job_id,
                            client_request_id: answer.client_request_id,
                            result: Some(result),
                        })
                    });
                Ok(Box::pin(answers) as Self::SubmitBatchStreamStream)
            },
        )
        .await
    }

    async fn list_jobs(
        &self,
        request: Request<proto::ListJobsRequest>,
    ) -> Reply<proto::ListJobsResponse> {
        rpc(
            self.setup(),
            Operation::ListJobs.as_str(),
            request,
            |identity, r| async move {
                let command = ListJobsCommand {
                    state: convert::state_filter(r.state)?,
                    backend_id: r.backend_id,
                    tags: r.tags.into_iter().collect(),
                    page_size: r.page_size,
                    page_token: r.page_token,
                };
                let (views, next) = self.jobs.list(&identity, command).await?;
                Ok(proto::ListJobsResponse {
                    jobs: views.into_iter().map(convert::job).collect(),
                    next_page_token: next.map(|id| id.to_string()).unwrap_or_default(),
                })
            },
        )
        .await
    }
}
