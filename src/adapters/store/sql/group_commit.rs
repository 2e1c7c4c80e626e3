//! Group commit: writes from many concurrent callers queue up for one writer
//! task, which commits whatever has gathered in a single transaction. One
//! fsync then covers many submissions, so durability costs little per job.

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

use crate::domain::{Error, Result};

/// Writes a batch of operations, answering each through its own channel.
#[async_trait]
pub trait BatchWriter: Send + 'static {
    type Op: Send + 'static;

    async fn write(&mut self, batch: Vec<Self::Op>);
}

/// The sending side of a writer task.
pub struct GroupCommit<Op> {
    sender: mpsc::Sender<Op>,
}

impl<Op> Clone for GroupCommit<Op> {
    fn clone(&self) -> Self {
        Self {
            sender: self.sender.clone(),
        }
    }
}

/// Where the writer of a database server runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriterPlace {
    /// A thread with a runtime of its own: its round trips are answered
    /// there at once, not after whatever else the service's runtime has
    /// queued (1.10 × SubmitJob on PostgreSQL, paired; end to end, one
    /// node of two threads, 1.09 × a task, 2026-12-07).
    OwnThread,
    /// A task on the runtime that starts it. Where that runtime has a single
    /// worker (several nodes sharing a machine's cores), a thread of its own
    /// would only take turns with that worker, and each batch would cross
    /// between the two threads and back: three nodes of one thread each
    /// took 1.05–1.09 × the SubmitJob calls and 1.05–1.10 × the Bell jobs
    /// end to end with the writer as a task, at 0.84–0.94 × the nodes' CPU
    /// per job (2026-12-07, two sets of alternating runs, docs/cluster.md).
    Task,
}

impl WriterPlace {
    /// A task when the runtime this is called on has one worker, otherwise
    /// a thread of its own.
    pub fn for_this_runtime() -> Self {
        match tokio::runtime::Handle::try_current() {
            Ok(handle) if handle.metrics().num_workers() == 1 => WriterPlace::Task,
            _ => WriterPlace::OwnThread,
        }
    }
}

impl<Op: Send + 'static> GroupCommit<Op> {
    /// Starts the writer of a database server where `place` says. Under
    /// steady load a small batch waits for more (`top_up_wait`). `make`
    /// builds the writer where it will run, so that its connections belong
    /// to that runtime; its failure is returned. The writer ends when every
    /// `GroupCommit` is dropped.
    pub async fn start_writer<W, F, Fut>(
        name: &str,
        max_batch: usize,
        place: WriterPlace,
        make: F,
    ) -> Result<Self>
    where
        W: BatchWriter<Op = Op>,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<W>> + Send + 'static,
    {
        let (sender, receiver) = mpsc::channel::<Op>(max_batch * 4);
        if place == WriterPlace::Task {
            let writer = make().await?;
            tokio::spawn(write_batches(writer, receiver, max_batch, place));
            return Ok(Self { sender });
        }
        let (started, answer) = oneshot::channel();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let error = format!("starting the job store's writer: {e}");
                        let _ = started.send(Err(Error::unavailable(error)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match make().await {
                        Ok(writer) => {
                            let _ = started.send(Ok(()));
                            write_batches(writer, receiver, max_batch, place).await;
                        }
                        Err(e) => {
                            let _ = started.send(Err(e));
                        }
                    }
                });
            })
            .map_err(|e| Error::unavailable(format!("starting the job store's writer: {e}")))?;
        answer
            .await
            .map_err(|_| Error::unavailable("the job store's writer stopped while starting"))??;
        Ok(Self { sender })
    }

    /// Starts the writer on a thread of its own, for a writer whose work
    /// never waits (a blocking connection): a batch runs start to end
    /// without handing each statement to another thread and back. It ends
    /// when every `GroupCommit` is dropped.
    pub fn start_on_thread<W: BatchWriter<Op = Op>>(
        mut writer: W,
        max_batch: usize,
        name: &str,
    ) -> std::io::Result<Self> {
        let (sender, mut receiver) = mpsc::channel::<Op>(max_batch * 4);
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                while let Some(first) = receiver.blocking_recv() {
                    let batch = gather(first, &mut receiver, max_batch);
                    futures::executor::block_on(writer.write(batch));
                }
            })?;
        Ok(Self { sender })
    }

    /// Whether the writer still takes operations (it stops only if it
    /// panicked, or once every sender is gone).
    pub fn is_running(&self) -> bool {
        !self.sender.is_closed()
    }

    /// Queues an operation built around a reply channel and waits for its
    /// answer.
    pub async fn call<T>(&self, make: impl FnOnce(oneshot::Sender<Result<T>>) -> Op) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(make(reply))
            .await
            .map_err(|_| Error::unavailable("the job store's writer has stopped"))?;
        answer
            .await
            .map_err(|_| Error::unavailable("the job store's writer stopped before answering"))?
    }
}

/// `first` and whatever else is waiting, up to `max_batch` operations.
fn gather<Op>(first: Op, receiver: &mut mpsc::Receiver<Op>, max_batch: usize) -> Vec<Op> {
    let mut batch = Vec::with_capacity(max_batch);
    batch.push(first);
    top_up(&mut batch, receiver, max_batch);
    batch
}

fn top_up<Op>(batch: &mut Vec<Op>, receiver: &mut mpsc::Receiver<Op>, max_batch: usize) {
    while batch.len() < max_batch {
        match receiver.try_recv() {
            Ok(op) => batch.push(op),
            Err(_) => break,
        }
    }
}

/// The writer's loop: gathers what has queued, tops a small batch up under
/// steady load, and writes it; until every sender is gone. On a thread of
/// its own it sleeps while the batch fills, to the microsecond; as a task
/// it waits on the runtime's timer (whole milliseconds), leaving the thread
/// to the other tasks.
async fn write_batches<W: BatchWriter>(
    mut writer: W,
    mut receiver: mpsc::Receiver<W::Op>,
    max_batch: usize,
    place: WriterPlace,
) {
    let mut last: Option<LastWrite> = None;
    while let Some(first) = receiver.recv().await {
        let mut batch = gather(first, &mut receiver, max_batch);
        let now = std::time::Instant::now();
        if let Some(wait) = top_up_wait(last.as_ref(), now, batch.len()) {
            match place {
                WriterPlace::OwnThread => std::thread::sleep(wait),
                WriterPlace::Task => tokio::time::sleep(wait).await,
            }
            top_up(&mut batch, &mut receiver, max_batch);
        }
        let len = batch.len();
        let start = std::time::Instant::now();
        writer.write(batch).await;
        let ended = std::time::Instant::now();
        last = Some(LastWrite {
            len,
            took: ended - start,
            ended,
        });
    }
}

/// The batch the writer wrote last.
struct LastWrite {
    len: usize,
    took: std::time::Duration,
    ended: std::time::Instant,
}

/// A batch written less than this after the last one, which held several
/// callers' operations, is written under steady load from many callers.
const LOADED_GAP: std::time::Duration = std::time::Duration::from_millis(1);
/// Batches of fewer operations than this wait for more under such load.
const SMALL_BATCH: usize = 16;
/// The longest a batch waits for more, however slow the last write was.
const MAX_TOP_UP_WAIT: std::time::Duration = std::time::Duration::from_millis(5);

/// How long a batch of `len` operations, gathered at `now`, waits for more
/// before it is written, given the last write; `None` when it goes at once.
/// Under steady load from many callers, fewer and larger commits cost the
/// database less per job: a database server shares the machine's cores with
/// everything else, and each statement and commit has a cost of its own. A
/// batch then gathers for as long again as the last write took, so the wait
/// follows the database: short while it answers fast, longer when it is
/// busy and more callers queue. Several nodes, each with a share of the
/// callers, write batches that much smaller (three nodes on this 2-core
/// machine: 0.17 PostgreSQL transactions per job with a fixed 0.5 ms wait,
/// 0.12 with this one, and 0.84 × PostgreSQL's CPU per job). Batches of 16
/// or more go at once: waiting for larger ones (64) cost one node about
/// 10 % of its SubmitJob rate in latency. A caller alone, or a few one
/// after another, never waits.
fn top_up_wait(
    last: Option<&LastWrite>,
    now: std::time::Instant,
    len: usize,
) -> Option<std::time::Duration> {
    let last = last?;
    let loaded = now.saturating_duration_since(last.ended) < LOADED_GAP && last.len >= 4;
    (loaded && len < SMALL_BATCH).then(|| last.took.min(MAX_TOP_UP_WAIT))
}

/// An answer held back until its transaction's fate is known: on commit the
/// outcome is sent; if the transaction failed, the failure is sent instead.
pub type Finish = Box<dyn FnOnce(Option<Error>) + Send>;

pub fn finish<T: Send + 'static>(reply: oneshot::Sender<Result<T>>, outcome: Result<T>) -> Finish {
    Box::new(move |failure| {
        let _ = reply.send(match failure {
            Some(error) => Err(error),
            None => outcome,
        });
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers every operation with its own number, and panics on 0.
    struct Echo;

    #[async_trait]
    impl BatchWriter for Echo {
        type Op = (u32, oneshot::Sender<Result<u32>>);

        async fn write(&mut self, batch: Vec<Self::Op>) {
            for (n, reply) in batch {
                assert_ne!(n, 0, "the writer breaks");
                let _ = reply.send(Ok(n));
            }
        }
    }

    fn written(
        now: std::time::Instant,
        len: usize,
        took_micros: u64,
        ago_micros: u64,
    ) -> LastWrite {
        LastWrite {
            len,
            took: std::time::Duration::from_micros(took_micros),
            ended: now - std::time::Duration::from_micros(ago_micros),
        }
    }

    #[test]
    fn only_small_batches_under_steady_load_wait_for_more() {
        let micros = std::time::Duration::from_micros;
        let now = std::time::Instant::now();
        let busy = written(now, 20, 2_000, 100);
        assert_eq!(
            top_up_wait(Some(&busy), now, 3),
            Some(micros(2_000)),
            "many callers, a small batch: as long as the last write took"
        );
        assert_eq!(
            top_up_wait(Some(&busy), now, 16),
            None,
            "a batch large enough"
        );
        let alone = written(now, 1, 2_000, 100);
        assert_eq!(
            top_up_wait(Some(&alone), now, 1),
            None,
            "one caller after another"
        );
        let paused = written(now, 20, 2_000, 5_000);
        assert_eq!(
            top_up_wait(Some(&paused), now, 3),
            None,
            "a pause since the last batch"
        );
        assert_eq!(top_up_wait(None, now, 1), None, "the first batch");
        let stuck = written(now, 20, 900_000, 100);
        assert_eq!(
            top_up_wait(Some(&stuck), now, 3),
            Some(MAX_TOP_UP_WAIT),
            "a write that took long: the wait is bounded"
        );
    }

    /// Waits up to 5 s for a writer that died to be seen stopped: its
    /// answers are dropped as it unwinds, a moment before its end of the
    /// channel.
    async fn wait_until_stopped<Op: Send + 'static>(writer: &GroupCommit<Op>) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while writer.is_running() && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }

    #[test]
    fn the_writer_is_a_task_only_where_the_runtime_has_one_worker() {
        let place_on = |runtime: tokio::runtime::Runtime| {
            runtime.block_on(async { WriterPlace::for_this_runtime() })
        };
        let workers = |n| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(n)
                .build()
                .unwrap()
        };
        assert_eq!(place_on(workers(1)), WriterPlace::Task);
        assert_eq!(place_on(workers(2)), WriterPlace::OwnThread);
        let current = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(place_on(current), WriterPlace::Task);
        assert_eq!(WriterPlace::for_this_runtime(), WriterPlace::OwnThread);
    }

    /// Wherever it runs, the writer answers every caller with its own
    /// answer, fails to start when it cannot be made, and once it dies
    /// says so.
    #[tokio::test]
    async fn a_writer_answers_its_callers_in_either_place() {
        for place in [WriterPlace::Task, WriterPlace::OwnThread] {
            let writer = GroupCommit::start_writer("test-writer", 4, place, || async { Ok(Echo) })
                .await
                .unwrap();
            let calls = (1..=20).map(|n| writer.call(move |reply| (n, reply)));
            let answers: Vec<u32> = futures::future::try_join_all(calls).await.unwrap();
            assert_eq!(answers, (1..=20).collect::<Vec<_>>(), "{place:?}");

            let lost = writer.call(|reply| (0, reply)).await.unwrap_err();
            assert_eq!(
                lost.kind(),
                crate::domain::ErrorKind::Unavailable,
                "{place:?}"
            );
            wait_until_stopped(&writer).await;
            assert!(!writer.is_running(), "{place:?}");

            let unmade = GroupCommit::<(u32, oneshot::Sender<Result<u32>>)>::start_writer(
                "test-writer",
                4,
                place,
                || async { Err::<Echo, _>(Error::unavailable("no database")) },
            )
            .await
            .err()
            .expect("a writer that cannot be made does not start");
            assert!(
                unmade.message().contains("no database"),
                "{place:?}: {unmade}"
            );
        }
    }

    /// A writer thread that dies says so: callers hear UNAVAILABLE, and
    /// `is_running` (which the health check reads) turns false.
    #[tokio::test]
    async fn a_writer_thread_that_dies_is_reported_stopped() {
        let writer = GroupCommit::start_on_thread(Echo, 8, "test-writer").unwrap();
        assert_eq!(writer.call(|reply| (7, reply)).await.unwrap(), 7);
        assert!(writer.is_running());

        let lost = writer.call(|reply| (0, reply)).await.unwrap_err();
        assert_eq!(lost.kind(), crate::domain::ErrorKind::Unavailable, "{lost}");
        // The answer is dropped as the thread unwinds, a moment before its
        // end of the channel.
        wait_until_stopped(&writer).await;
        assert!(!writer.is_running());
        let stopped = writer.call(|reply| (1, reply)).await.unwrap_err();
        assert!(stopped.message().contains("has stopped"), "{stopped}");
    }
}
