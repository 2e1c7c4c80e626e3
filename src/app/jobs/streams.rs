//! The streaming use cases: watching a job, a result in chunks, and a
//! bidirectional stream of submissions.

use std::collections::HashMap;

use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::domain::{Error, Identity, Job, JobId, JobResult, JobState, Operation, Result};
use crate::ports::{JobEvent, WatchItem};

use super::JobService;
use crate::ports::{
    BatchStreamAnswer, BatchSubmission, ResultChunkView, StreamOutcome, SubmitCommand,
};

/// Distinct outcomes per result chunk when the client asks for 0.
pub const DEFAULT_CHUNK_SIZE: usize = 1000;

/// The event describing `job` as it stands, stamped with its last change.
fn current_event(job: &Job) -> JobEvent {
    let at = match job.state {
        JobState::Queued => job.submitted_at,
        JobState::Running => job.started_at.unwrap_or(job.submitted_at),
        _ => job.completed_at.unwrap_or(job.submitted_at),
    };
    JobEvent::of(job, at)
}

impl JobService {
    /// The job's current state first, then every transition; ends after a
    /// terminal state (or with UNAVAILABLE when the server shuts down).
    pub async fn watch(
        &self,
        identity: &Identity,
        job_id: &str,
    ) -> Result<ReceiverStream<Result<JobEvent>>> {
        let policy = self.authorize(identity, Operation::WatchJob)?;
        // Subscribe before reading, so no change in between is missed.
        let id = JobId::parse(job_id)?;
        let mut events = self.ports.events.subscribe_to(id);
        let job = self.owned_job(identity, &policy, job_id).await?;
        let (tx, rx) = mpsc::channel(16);
        let store = self.ports.store.clone();
        let mut shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            let id = job.id;
            let mut last = current_event(&job);
            if tx.send(Ok(last.clone())).await.is_err() || last.state.is_terminal() {
                return;
            }
            loop {
                let event = tokio::select! {
                    item = events.next() => match item {
                        Some(WatchItem::Event(event)) => event,
                        Some(WatchItem::Lagged) => match store.get(id).await {
                            Ok(Some(job)) => current_event(&job),
                            Ok(None) => return,
                            Err(e) => { let _ = tx.send(Err(e)).await; return; }
                        },
                        None => return,
                    },
                    _ = shutdown.changed() => {
                        let _ = tx.send(Err(Error::unavailable("the server is shutting down; watch again"))).await;
                        return;
                    }
                    () = tx.closed() => return,
                };
                if event.version <= last.version {
                    continue;
                }
                last = event.clone();
                if tx.send(Ok(event)).await.is_err() || last.state.is_terminal() {
                    return;
                }
            }
        });
        Ok(ReceiverStream::new(rx))
    }

    /// A COMPLETED job's counts in chunks of `chunk_size` distinct outcomes.
    pub async fn stream_results(
        &self,
        identity: &Identity,
        job_id: &str,
        chunk_size: u32,
    ) -> Result<Vec<ResultChunkView>> {
        let policy = self.authorize(identity, Operation::StreamResults)?;
        let (job, result) = self.result_for(identity, &policy, job_id).await?;
        Ok(result_chunks(job.id, &result, chunk_size))
    }

    /// Submits each item as it arrives and answers it twice: `submitted` (or
    /// an error), then `completed` (or an error) when its job ends. Ends once
    /// the input is closed and every submitted job has ended. A caller not
    /// allowed the call is refused at once; each item is then checked
    /// against the policies in force when it arrives.
    pub fn submit_stream<S>(
        &self,
        identity: Identity,
        input: S,
    ) -> Result<ReceiverStream<BatchStreamAnswer>>
    where
        S: Stream<Item = Result<BatchSubmission>> + Send + Unpin + 'static,
    {
        self.authorize(&identity, Operation::SubmitBatchStream)?;
        let (tx, rx) = mpsc::channel(64);
        let service = self.clone();
        tokio::spawn(async move { service.run_submit_stream(identity, input, tx).await });
        Ok(ReceiverStream::new(rx))
    }

    /// One item of a submission stream, under the policies in force now.
    async fn submit_streamed(
        &self,
        identity: &Identity,
        command: SubmitCommand,
    ) -> Result<super::submit::Admitted> {
        let operation = Operation::SubmitBatchStream;
        let policy = self.authorize(identity, operation)?;
        self.submit_one(identity, &policy, operation, command).await
    }

    async fn run_submit_stream<S>(
        &self,
        identity: Identity,
        mut input: S,
        tx: mpsc::Sender<BatchStreamAnswer>,
    ) where
        S: Stream<Item = Result<BatchSubmission>> + Send + Unpin + 'static,
    {
        // Subscribed before the first submission: no job can end unseen.
        let mut events = self.ports.events.subscribe();
        let mut pending: HashMap<JobId, String> = HashMap::new();
        let mut input_open = true;
        let mut shutdown = self.shutdown.clone();
        while input_open || !pending.is_empty() {
            let ended: Vec<JobId> = tokio::select! {
                item = input.next(), if input_open => match item {
                    Some(Ok(submission)) => {
                        let request_id = submission.client_request_id.clone();
                        let submitted = match submission.command {
                            Ok(command) => self.submit_streamed(&identity, command).await,
                            Err(e) => Err(e),
                        };
                        match submitted {
                            Ok(admitted) => {
                                let answer = BatchStreamAnswer::submitted(admitted.id, request_id.clone());
                                if tx.send(answer).await.is_err() { return; }
                                pending.insert(admitted.id, request_id);
                                // A repeated idempotency key may name a job that already ended.
                                if admitted.created { Vec::new() } else { vec![admitted.id] }
                            }
                            Err(error) => {
                                let answer = BatchStreamAnswer { job_id: String::new(), client_request_id: request_id, outcome: StreamOutcome::Error(error) };
                                if tx.send(answer).await.is_err() { return; }
                                Vec::new()
                            }
                        }
                    }
                    Some(Err(_)) | None => { input_open = false; Vec::new() }
                },
                item = events.next() => match item {
                    Some(WatchItem::Event(e)) if e.state.is_terminal() && pending.contains_key(&e.job_id) => vec![e.job_id],
                    Some(WatchItem::Event(_)) => Vec::new(),
                    Some(WatchItem::Lagged) => pending.keys().copied().collect(),
                    None => return,
                },
                _ = shutdown.changed() => {
                    for (id, request_id) in pending.drain() {
                        let error = Error::unavailable("the server is shutting down; the job stays queued, ask for its status later");
                        let _ = tx.send(BatchStreamAnswer { job_id: id.to_string(), client_request_id: request_id, outcome: StreamOutcome::Error(error) }).await;
                    }
                    return;
                }
                () = tx.closed() => return,
            };
            for id in ended {
                if let Some(answer) = self.final_answer(id, &pending).await {
                    pending.remove(&id);
                    if tx.send(answer).await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// The second answer for a job, if it has ended.
    async fn final_answer(
        &self,
        id: JobId,
        pending: &HashMap<JobId, String>,
    ) -> Option<BatchStreamAnswer> {
        let request_id = pending.get(&id)?.clone();
        let job = match self.ports.store.get(id).await {
            Ok(Some(job)) => job,
            Ok(None) => return None,
            Err(e) => {
                return Some(BatchStreamAnswer {
                    job_id: id.to_string(),
                    client_request_id: request_id,
                    outcome: StreamOutcome::Error(e),
                });
            }
        };
        let outcome = match job.state {
            JobState::Queued | JobState::Running => return None,
            JobState::Completed => match self.ports.store.result(id).await {
                Ok(Some(result)) => StreamOutcome::Completed(result),
                Ok(None) => StreamOutcome::Error(Error::internal(format!(
                    "job {id} is COMPLETED but its result is missing"
                ))),
                Err(e) => StreamOutcome::Error(e),
            },
            state => StreamOutcome::Error(Error::failed_precondition(format!(
                "job {id} ended {state}: {}",
                job.error_message
                    .as_deref()
                    .unwrap_or("its result was purged")
            ))),
        };
        Some(BatchStreamAnswer {
            job_id: id.to_string(),
            client_request_id: request_id,
            outcome,
        })
    }
}

/// Splits counts into chunks: every outcome exactly once, the same
/// `total_chunks` in every chunk, `is_final` on the last; an empty result is
/// one empty final chunk.
pub fn result_chunks(job_id: JobId, result: &JobResult, chunk_size: u32) -> Vec<ResultChunkView> {
    let size = match chunk_size {
        0 => DEFAULT_CHUNK_SIZE,
        n => n as usize,
    };
    let entries: Vec<(String, u64)> = result.counts.iter().map(|(k, v)| (k.clone(), *v)).collect();
    let total = entries.len().div_ceil(size).max(1);
    let total_chunks = u32::try_from(total).unwrap_or(u32::MAX);
    let mut chunks: Vec<ResultChunkView> = entries
        .chunks(size)
        .enumerate()
        .map(|(i, part)| ResultChunkView {
            job_id,
            counts: part.to_vec(),
            chunk_index: i as u32,
            total_chunks,
            is_final: i + 1 == total,
        })
        .collect();
    if chunks.is_empty() {
        chunks.push(ResultChunkView {
            job_id,
            counts: Vec::new(),
            chunk_index: 0,
            total_chunks: 1,
            is_final: true,
        });
    }
    chunks
}
