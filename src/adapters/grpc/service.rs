//! `arvak.v1.ArvakService` over the job use cases. Decodes, calls, encodes;
//! no rules live here.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use super::convert::{self, SubmitFields};
use super::status::{to_status, to_text};
use crate::app::jobs::{BatchSubmission, JobService, ListJobsCommand, StreamOutcome};
use crate::domain::{Identity, Result};
use crate::proto::{self, arvak_service_server::ArvakService};

type RpcStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

pub struct ArvakGrpc {
    jobs: JobService,
}

impl ArvakGrpc {
    pub fn new(jobs: JobService) -> Self {
        Self { jobs }
    }
}

/// The caller as the authentication layer left it in the request; anonymous
/// when no authentication is configured.
fn identity<T>(request: &Request<T>) -> Identity {
    request
        .extensions()
        .get::<Identity>()
        .cloned()
        .unwrap_or_else(Identity::anonymous)
}

fn reply<T, U>(outcome: Result<T>, encode: impl FnOnce(T) -> U) -> Result<Response<U>, Status> {
    outcome
        .map(|value| Response::new(encode(value)))
        .map_err(to_status)
}

#[tonic::async_trait]
impl ArvakService for ArvakGrpc {
    async fn submit_job(
        &self,
        request: Request<proto::SubmitJobRequest>,
    ) -> Result<Response<proto::SubmitJobResponse>, Status> {
        let identity = identity(&request);
        let r = request.into_inner();
        let fields = SubmitFields {
            circuit: r.circuit,
            backend_id: r.backend_id,
            shots: r.shots,
            optimization_level: r.optimization_level,
            priority: r.priority,
            idempotency_key: r.idempotency_key,
            tags: r.tags,
            seed: r.seed,
        };
        let outcome = match fields.into_command() {
            Ok(command) => self.jobs.submit(&identity, command).await,
            Err(e) => Err(e),
        };
        reply(outcome, |id| proto::SubmitJobResponse {
            job_id: id.to_string(),
        })
    }

    async fn submit_batch(
        &self,
        request: Request<proto::SubmitBatchRequest>,
    ) -> Result<Response<proto::SubmitBatchResponse>, Status> {
        let identity = identity(&request);
        let r = request.into_inner();
        let commands = r
            .jobs
            .into_iter()
            .enumerate()
            .map(|(i, job)| {
                SubmitFields {
                    circuit: job.circuit,
                    backend_id: r.backend_id.clone(),
                    shots: job.shots,
                    optimization_level: job.optimization_level,
                    priority: job.priority,
                    idempotency_key: job.idempotency_key,
                    tags: job.tags,
                    seed: job.seed,
                }
                .into_command()
                .map_err(|e| e.context(format_args!("jobs[{i}]")))
            })
            .collect::<Result<Vec<_>>>();
        let outcome = match commands {
            Ok(commands) => {
                self.jobs
                    .submit_batch(&identity, &r.backend_id, commands)
                    .await
            }
            Err(e) => Err(e),
        };
        reply(outcome, |ids| proto::SubmitBatchResponse {
            job_ids: ids.iter().map(ToString::to_string).collect(),
        })
    }

    async fn get_job_status(
        &self,
        request: Request<proto::GetJobStatusRequest>,
    ) -> Result<Response<proto::GetJobStatusResponse>, Status> {
        let identity = identity(&request);
        let outcome = self.jobs.status(&identity, &request.get_ref().job_id).await;
        reply(outcome, |view| proto::GetJobStatusResponse {
            job: Some(convert::job(view)),
        })
    }

    async fn get_job_result(
        &self,
        request: Request<proto::GetJobResultRequest>,
    ) -> Result<Response<proto::GetJobResultResponse>, Status> {
        let identity = identity(&request);
        let outcome = self.jobs.result(&identity, &request.get_ref().job_id).await;
        reply(outcome, |(job, result)| proto::GetJobResultResponse {
            result: Some(convert::result(job.id.to_string(), result)),
        })
    }

    async fn cancel_job(
        &self,
        request: Request<proto::CancelJobRequest>,
    ) -> Result<Response<proto::CancelJobResponse>, Status> {
        let identity = identity(&request);
        let outcome = self.jobs.cancel(&identity, &request.get_ref().job_id).await;
        reply(outcome, |r| proto::CancelJobResponse {
            success: r.success,
            message: r.message,
        })
    }

    async fn list_backends(
        &self,
        _request: Request<proto::ListBackendsRequest>,
    ) -> Result<Response<proto::ListBackendsResponse>, Status> {
        let statuses = self.jobs.backends().statuses().await;
        Ok(Response::new(proto::ListBackendsResponse {
            backends: statuses.into_iter().map(convert::backend).collect(),
        }))
    }

    async fn get_backend_info(
        &self,
        request: Request<proto::GetBackendInfoRequest>,
    ) -> Result<Response<proto::GetBackendInfoResponse>, Status> {
        let outcome = self
            .jobs
            .backends()
            .status(&request.get_ref().backend_id)
            .await;
        reply(outcome, |status| proto::GetBackendInfoResponse {
            backend: Some(convert::backend(status)),
        })
    }

    type WatchJobStream = RpcStream<proto::JobStatusUpdate>;

    async fn watch_job(
        &self,
        request: Request<proto::WatchJobRequest>,
    ) -> Result<Response<Self::WatchJobStream>, Status> {
        let identity = identity(&request);
        let events = self
            .jobs
            .watch(&identity, &request.get_ref().job_id)
            .await
            .map_err(to_status)?;
        let updates = events.map(|item| {
            item.map(|event| proto::JobStatusUpdate {
                job_id: event.job_id.to_string(),
                state: convert::state_to_proto(event.state).into(),
                timestamp: event.at.as_secs(),
                error_message: event.error_message.unwrap_or_default(),
            })
            .map_err(to_status)
        });
        Ok(Response::new(Box::pin(updates)))
    }

    type StreamResultsStream = RpcStream<proto::ResultChunk>;

    async fn stream_results(
        &self,
        request: Request<proto::StreamResultsRequest>,
    ) -> Result<Response<Self::StreamResultsStream>, Status> {
        let identity = identity(&request);
        let r = request.into_inner();
        let chunks = self
            .jobs
            .stream_results(&identity, &r.job_id, r.chunk_size)
            .await
            .map_err(to_status)?;
        let messages = chunks.into_iter().map(|chunk| {
            Ok(proto::ResultChunk {
                job_id: chunk.job_id.to_string(),
                counts: chunk.counts.into_iter().collect(),
                is_final: chunk.is_final,
                chunk_index: chunk.chunk_index,
                total_chunks: chunk.total_chunks,
            })
        });
        Ok(Response::new(Box::pin(futures::stream::iter(messages))))
    }

    type SubmitBatchStreamStream = RpcStream<proto::BatchJobResult>;

    async fn submit_batch_stream(
        &self,
        request: Request<Streaming<proto::BatchJobSubmission>>,
    ) -> Result<Response<Self::SubmitBatchStreamStream>, Status> {
        let identity = identity(&request);
        let submissions = request.into_inner().map(|item| {
            let s =
                item.map_err(|status| crate::domain::Error::canceled(status.message().to_owned()))?;
            let fields = SubmitFields {
                circuit: s.circuit,
                backend_id: s.backend_id,
                shots: s.shots,
                optimization_level: s.optimization_level,
                priority: s.priority,
                idempotency_key: s.idempotency_key,
                tags: s.tags,
                seed: s.seed,
            };
            Ok(match fields.into_command() {
                Ok(command) => BatchSubmission {
                    client_request_id: s.client_request_id,
                    command: Ok(command),
                },
                Err(e) => BatchSubmission {
                    client_request_id: s.client_request_id,
                    command: Err(e),
                },
            })
        });
        let answers = self
            .jobs
            .submit_stream(identity, Box::pin(submissions))
            .map(|answer| {
                let result = match answer.outcome {
                    StreamOutcome::Submitted => {
                        proto::batch_job_result::Result::Submitted(answer.job_id.clone())
                    }
                    StreamOutcome::Completed(result) => proto::batch_job_result::Result::Completed(
                        convert::result(answer.job_id.clone(), result),
                    ),
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
        Ok(Response::new(Box::pin(answers)))
    }

    async fn list_jobs(
        &self,
        request: Request<proto::ListJobsRequest>,
    ) -> Result<Response<proto::ListJobsResponse>, Status> {
        let identity = identity(&request);
        let r = request.into_inner();
        let command = convert::state_filter(r.state).map(|state| ListJobsCommand {
            state,
            backend_id: r.backend_id,
            tags: r.tags.into_iter().collect(),
            page_size: r.page_size,
            page_token: r.page_token,
        });
        let outcome = match command {
            Ok(command) => self.jobs.list(&identity, command).await,
            Err(e) => Err(e),
        };
        reply(outcome, |(views, next)| proto::ListJobsResponse {
            jobs: views.into_iter().map(convert::job).collect(),
            next_page_token: next.map(|id| id.to_string()).unwrap_or_default(),
        })
    }
}
