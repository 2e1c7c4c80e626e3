//! The streaming use cases: watching a job and a result in chunks (the
//! stream of submissions is `submit_stream`).

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::domain::{Error, Identity, Job, JobId, JobResult, JobState, Operation, Result};
use crate::ports::{JobEvent, WatchItem};

use super::JobService;
use crate::ports::ResultChunkView;

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
