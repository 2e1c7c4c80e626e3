//! The bidirectional stream of submissions: each item is submitted as it
//! arrives and answered twice, `submitted` (or an error), then `completed`
//! (or an error) when its job ends.
//!
//! Items that arrive together are submitted together, so that the store
//! writes them in one commit, and jobs that end together are read
//! together: a client streaming thousands of small submissions is read as
//! fast as it sends, rather than one store round trip per item. (A peer
//! whose small DATA frames pile up unread is also what HTTP/2 servers
//! disconnect as a flood.)

use std::collections::HashMap;

use futures::future::join_all;
use futures::{FutureExt, Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::JobService;
use crate::domain::{Error, Identity, JobId, JobState, Operation, Result};
use crate::ports::{BatchStreamAnswer, BatchSubmission, StreamOutcome, SubmitCommand, WatchItem};

/// Items submitted together at most.
const MAX_GATHERED: usize = 256;

impl JobService {
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
            // Jobs that may have ended, with the state their event gave.
            let mut ended: Vec<(JobId, Option<JobState>)> = tokio::select! {
                item = input.next(), if input_open => {
                    let (arrived, open) = gather(item, &mut input);
                    input_open = open;
                    let submitted = join_all(arrived.into_iter().map(|submission| {
                        let identity = &identity;
                        async move {
                            let result = match submission.command {
                                Ok(command) => self.submit_streamed(identity, command).await,
                                Err(e) => Err(e),
                            };
                            (submission.client_request_id, submission.answer_submitted, result)
                        }
                    }))
                    .await;
                    let mut ended = Vec::new();
                    for (request_id, answer_submitted, result) in submitted {
                        let answer = match result {
                            Ok(admitted) => {
                                pending.insert(admitted.id, request_id.clone());
                                // A repeated idempotency key may name a job that already ended.
                                if !admitted.created { ended.push((admitted.id, None)); }
                                if !answer_submitted { continue; }
                                BatchStreamAnswer::submitted(admitted.id, request_id)
                            }
                            Err(error) => BatchStreamAnswer { job_id: String::new(), client_request_id: request_id, outcome: StreamOutcome::Error(error) },
                        };
                        if tx.send(answer).await.is_err() { return; }
                    }
                    ended
                },
                item = events.next() => {
                    let Some(first) = item else { return };
                    ended_among(first, &mut events, &pending)
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
            // Each once: answered together, a job listed twice would be
            // answered twice.
            ended.sort_by_key(|(id, _)| *id);
            ended.dedup_by_key(|(id, _)| *id);
            let answers = join_all(
                ended
                    .iter()
                    .map(|(id, seen)| self.final_answer(*id, *seen, &pending)),
            )
            .await;
            for ((id, _), answer) in ended.into_iter().zip(answers) {
                if let Some(answer) = answer {
                    pending.remove(&id);
                    if tx.send(answer).await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// The second answer for a job, if it has ended. A job its event says
    /// COMPLETED needs only its result read.
    async fn final_answer(
        &self,
        id: JobId,
        seen: Option<JobState>,
        pending: &HashMap<JobId, String>,
    ) -> Option<BatchStreamAnswer> {
        let request_id = pending.get(&id)?.clone();
        if seen == Some(JobState::Completed)
            && let Ok(Some(result)) = self.ports.store.result(id).await
        {
            return Some(BatchStreamAnswer {
                job_id: id.to_string(),
                client_request_id: request_id,
                outcome: StreamOutcome::Completed(result),
            });
        }
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

/// `first` and whatever else `stream` holds already (up to
/// `MAX_GATHERED` in all), and whether the stream has ended.
fn arrived<S>(first: S::Item, stream: &mut S) -> (Vec<S::Item>, bool)
where
    S: Stream + Unpin,
{
    let mut items = vec![first];
    while items.len() < MAX_GATHERED {
        match stream.next().now_or_never() {
            Some(Some(item)) => items.push(item),
            Some(None) => return (items, true),
            None => break,
        }
    }
    (items, false)
}

/// The pending jobs that the events already arrived (`first` and the rest)
/// say have ended; after a gap in the events, every pending job, to be
/// read.
fn ended_among<S>(
    first: WatchItem,
    events: &mut S,
    pending: &HashMap<JobId, String>,
) -> Vec<(JobId, Option<JobState>)>
where
    S: Stream<Item = WatchItem> + Unpin,
{
    let mut ended = Vec::new();
    for item in arrived(first, events).0 {
        match item {
            WatchItem::Event(e) if e.state.is_terminal() && pending.contains_key(&e.job_id) => {
                ended.push((e.job_id, Some(e.state)));
            }
            WatchItem::Event(_) => {}
            WatchItem::Lagged => return pending.keys().map(|id| (*id, None)).collect(),
        }
    }
    ended
}

/// The item just read and every other that has already arrived, and
/// whether the input is still open: it closes at its end or at a broken
/// item (the client went away), and what follows a broken item is dropped.
fn gather<S>(first: Option<Result<BatchSubmission>>, input: &mut S) -> (Vec<BatchSubmission>, bool)
where
    S: Stream<Item = Result<BatchSubmission>> + Unpin,
{
    let Some(first) = first else {
        return (Vec::new(), false);
    };
    let (items, ended) = arrived(first, input);
    let mut submissions = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Ok(submission) => submissions.push(submission),
            Err(_) => return (submissions, false),
        }
    }
    (submissions, !ended)
}

#[cfg(test)]
mod tests {
    use futures::stream;

    use super::*;

    fn item(id: usize) -> Result<BatchSubmission> {
        Ok(BatchSubmission {
            client_request_id: id.to_string(),
            command: Err(Error::invalid_argument("not needed here")),
            answer_submitted: true,
        })
    }

    fn ids(items: &[BatchSubmission]) -> Vec<String> {
        items.iter().map(|s| s.client_request_id.clone()).collect()
    }

    #[test]
    fn items_that_have_arrived_are_taken_together_up_to_the_limit() {
        let mut input = stream::iter((1..=MAX_GATHERED + 5).map(item));
        let first = input.next().now_or_never().flatten();
        let (taken, open) = gather(first, &mut input);
        assert_eq!(taken.len(), MAX_GATHERED);
        assert!(open);
        let first = input.next().now_or_never().flatten();
        let (taken, open) = gather(first, &mut input);
        assert_eq!(ids(&taken), ["257", "258", "259", "260", "261"]);
        assert!(!open, "the input ended");
    }

    #[test]
    fn a_broken_item_closes_the_input_after_what_came_before() {
        let items = vec![
            item(1),
            item(2),
            Err(Error::canceled("client went away")),
            item(4),
        ];
        let mut input = stream::iter(items);
        let first = input.next().now_or_never().flatten();
        let (taken, open) = gather(first, &mut input);
        assert_eq!(ids(&taken), ["1", "2"]);
        assert!(!open);
    }

    #[test]
    fn an_item_not_yet_arrived_is_not_waited_for() {
        let mut input = stream::iter(vec![item(1)]).chain(stream::pending());
        let first = input.next().now_or_never().flatten();
        let (taken, open) = gather(first, &mut input);
        assert_eq!(ids(&taken), ["1"]);
        assert!(open);
    }

    fn event(id: JobId, state: JobState) -> WatchItem {
        WatchItem::Event(crate::ports::JobEvent {
            job_id: id,
            client_id: crate::domain::ClientId::anonymous(),
            state,
            version: 1,
            at: crate::domain::UnixMillis(0),
            error_message: None,
        })
    }

    #[test]
    fn events_that_have_arrived_give_the_pending_jobs_that_ended() {
        let [a, b, c] = [1u128, 2, 3].map(|n| JobId::from_uuid(uuid::Uuid::from_u128(n)));
        let pending: HashMap<JobId, String> = [(a, "a".into()), (b, "b".into())].into();
        let mut rest = stream::iter(vec![
            event(b, JobState::Running),
            event(c, JobState::Completed), // not this stream's
            event(b, JobState::Failed),
        ])
        .chain(stream::pending());
        let ended = ended_among(event(a, JobState::Completed), &mut rest, &pending);
        assert_eq!(
            ended,
            [(a, Some(JobState::Completed)), (b, Some(JobState::Failed))]
        );
        let mut rest = stream::pending();
        let mut all = ended_among(WatchItem::Lagged, &mut rest, &pending);
        all.sort_by_key(|(id, _)| *id);
        assert_eq!(
            all,
            [(a, None), (b, None)],
            "after a gap every pending job is read"
        );
    }
}
