//! One batch of the writer inside its transaction, the same whichever
//! connection runs it: creations first, all together, then changes in
//! order. Jobs the batch or the cache knows change without a read
//! (`known`). The caller begins and commits; `Batch::finish` answers.

use std::collections::{BTreeSet, HashMap};

use tokio::sync::oneshot;

use super::cached_changes::KnownChanges;
use crate::adapters::store::sql::cache::JobCache;
use crate::adapters::store::sql::error::{DbError, store_error};
use crate::adapters::store::sql::group_commit::{Finish, finish};
use crate::adapters::store::sql::statements;
use crate::adapters::store::sql::writes::{self, Step, StepError, WriteConn};
use crate::domain::{Error, Job, JobId, JobResult, Result, Transition, UnixMillis};
use crate::ports::{CreateOutcome, LeaderEpoch};

/// What the writer task does: creations, which a batch runs all together,
/// and changes, which it runs one by one after them.
pub enum WriteOp {
    Create(Create),
    Change(Change),
}

pub struct Create {
    pub(super) jobs: Vec<Job>,
    pub(super) since: UnixMillis,
    pub(super) reply: oneshot::Sender<Result<Vec<CreateOutcome>>>,
}

pub enum Change {
    Apply {
        id: JobId,
        transition: Transition,
        /// The epoch of the leader whose duty this is, for a leader-only write.
        leader: Option<LeaderEpoch>,
        /// The job as its caller holds it (`JobStore::apply_to`): where
        /// the batch would read the job, it takes this instead, unverified.
        copy: Option<Box<Job>>,
        reply: oneshot::Sender<Result<Job>>,
    },
    OpenLeaderEpoch {
        reply: oneshot::Sender<Result<LeaderEpoch>>,
    },
    ExpireResults {
        before: UnixMillis,
        limit: usize,
        epoch: LeaderEpoch,
        reply: oneshot::Sender<Result<u64>>,
    },
    DeleteFinished {
        before: UnixMillis,
        limit: usize,
        epoch: LeaderEpoch,
        reply: oneshot::Sender<Result<u64>>,
    },
    FailUnreadable {
        id: String,
        message: String,
        reply: oneshot::Sender<Result<()>>,
    },
}

/// An answer for an operation that was not run; the batch's failure
/// replaces it when the finish is called.
fn not_run<T: Send + 'static>(reply: oneshot::Sender<Result<T>>) -> Finish {
    finish(reply, Err(Error::internal("not run")))
}

impl WriteOp {
    fn into_failure(self) -> Finish {
        match self {
            WriteOp::Create(create) => not_run(create.reply),
            WriteOp::Change(change) => change.into_failure(),
        }
    }
}

impl Change {
    /// A node's own change of job `id`, which the batch reads.
    pub fn apply(id: JobId, transition: Transition, reply: oneshot::Sender<Result<Job>>) -> Self {
        Change::Apply {
            id,
            transition,
            leader: None,
            copy: None,
            reply,
        }
    }

    fn into_failure(self) -> Finish {
        self.answer(Error::internal("not run"))
    }

    /// Answers with `error` instead of running.
    fn answer(self, error: Error) -> Finish {
        match self {
            Change::Apply { reply, .. } => finish(reply, Err(error)),
            Change::OpenLeaderEpoch { reply } => finish(reply, Err(error)),
            Change::ExpireResults { reply, .. } | Change::DeleteFinished { reply, .. } => {
                finish(reply, Err(error))
            }
            Change::FailUnreadable { reply, .. } => finish(reply, Err(error)),
        }
    }

    /// The epoch a leader-only write is made under.
    fn leader_epoch(&self) -> Option<LeaderEpoch> {
        match self {
            Change::Apply { leader, .. } => *leader,
            Change::ExpireResults { epoch, .. } | Change::DeleteFinished { epoch, .. } => {
                Some(*epoch)
            }
            Change::OpenLeaderEpoch { .. } | Change::FailUnreadable { .. } => None,
        }
    }

    /// Whether the change reads or moves the leader epoch.
    fn touches_leader_epoch(&self) -> bool {
        matches!(self, Change::OpenLeaderEpoch { .. }) || self.leader_epoch().is_some()
    }
}

/// A step's answer, and the statement error that broke its transaction.
fn settle<T: Send + 'static>(
    reply: oneshot::Sender<Result<T>>,
    step: Step<T>,
) -> (Finish, Option<DbError>) {
    match step {
        Ok(value) => (finish(reply, Ok(value)), None),
        Err(StepError::Refused(error)) => (finish(reply, Err(error)), None),
        Err(StepError::Sql(error)) => (
            finish(reply, Err(Error::internal("transaction failed"))),
            Some(error),
        ),
    }
}

/// What a batch wrote, for the cache once it commits.
#[derive(Default)]
pub struct Written {
    /// Jobs as the batch left them, created or changed.
    pub(super) jobs: HashMap<JobId, Job>,
    /// A change over many jobs at once ran (retention, a failed unreadable
    /// row): what the cache holds may no longer be true.
    pub(super) wide: bool,
    /// The newest leader epoch, once the batch has locked its row.
    leader_epoch: Option<LeaderEpoch>,
    /// Results the batch stored (or cleared: None), for the cache once it
    /// commits.
    pub(super) results: Vec<(JobId, Option<JobResult>)>,
}

impl Written {
    fn wide_change(&mut self) {
        self.wide = true;
        self.jobs.clear();
        self.results.clear();
    }

    /// Notes the result a change of job `id` stored or cleared, if it
    /// touched one.
    pub(super) fn stored(&mut self, id: JobId, transition: &Transition) {
        match transition {
            Transition::Complete { result, .. } => self.results.push((id, Some(result.clone()))),
            Transition::ExpireResult => self.results.push((id, None)),
            _ => {}
        }
    }
}

async fn run<C: WriteConn>(
    conn: &mut C,
    change: Change,
    written: &mut Written,
) -> (Finish, Option<DbError>) {
    match change {
        Change::Apply {
            id,
            transition,
            reply,
            ..
        } => {
            // Jobs the batch or the cache knows go through `KnownChanges`;
            // this one is read from the database.
            let step = writes::apply(conn, id, &transition).await;
            if let Ok(job) = &step {
                written.jobs.insert(id, job.clone());
                written.stored(id, &transition);
            }
            settle(reply, step)
        }
        Change::OpenLeaderEpoch { reply } => {
            let step = writes::open_leader_epoch(conn).await;
            if let Ok(epoch) = &step {
                written.leader_epoch = Some(*epoch);
            }
            settle(reply, step)
        }
        Change::ExpireResults {
            before,
            limit,
            reply,
            ..
        } => {
            written.wide_change();
            settle(reply, writes::expire_results(conn, before, limit).await)
        }
        Change::DeleteFinished {
            before,
            limit,
            reply,
            ..
        } => {
            written.wide_change();
            settle(reply, writes::delete_finished(conn, before, limit).await)
        }
        Change::FailUnreadable { id, message, reply } => {
            written.wide_change();
            let step = conn
                .execute(statements::fail_unreadable(&id, message))
                .await;
            settle(reply, step.map(|_| ()).map_err(StepError::Sql))
        }
    }
}

/// Runs every Create of a batch as one `create_many` and pushes their
/// answers. Any failure, a refusal included (claimed idempotency keys would
/// otherwise be kept without their jobs), abandons the transaction.
async fn create_together<C: WriteConn>(
    conn: &mut C,
    creates: Vec<Create>,
    finishes: &mut Vec<Finish>,
    written: &mut Written,
) -> Option<Error> {
    if creates.is_empty() {
        return None;
    }
    let mut submissions = Vec::with_capacity(creates.len());
    let mut replies = Vec::with_capacity(creates.len());
    for Create { jobs, since, reply } in creates {
        submissions.push((jobs, since));
        replies.push(reply);
    }
    let failure = match writes::create_many(conn, &submissions).await {
        Ok(outcomes) => {
            let created = submissions
                .into_iter()
                .zip(&outcomes)
                .flat_map(|((jobs, _), outcomes)| jobs.into_iter().zip(outcomes))
                .filter(|(_, outcome)| **outcome == CreateOutcome::Created);
            written.jobs.extend(created.map(|(job, _)| (job.id, job)));
            finishes.extend(
                replies
                    .into_iter()
                    .zip(outcomes)
                    .map(|(reply, outcome)| finish(reply, Ok(outcome))),
            );
            return None;
        }
        Err(StepError::Refused(error)) => error,
        Err(StepError::Sql(error)) => store_error("creating jobs", error),
    };
    finishes.extend(
        replies
            .into_iter()
            .map(|reply| finish(reply, Err(Error::internal("not written")))),
    );
    Some(failure)
}

/// Where statements take arrays (PostgreSQL, shared by several nodes),
/// every job the batch changes is read up front with one statement, so that
/// its transitions are worked out here and written together
/// (`KnownChanges`), fenced by version, rather than read and written one by
/// one. The read locks the rows in id order: the batch may write them in
/// several statements, and two writers that each locked some of the same
/// rows as they went would deadlock. A job another node changed since the
/// caller's copy was taken is read as it is now. A row that cannot be read
/// is left out: its change reads it again and is refused.
async fn lock_changed_jobs<C: WriteConn>(
    conn: &mut C,
    changes: &[Change],
    written: &mut Written,
) -> std::result::Result<(), DbError> {
    let ids: BTreeSet<String> = changes
        .iter()
        .filter_map(|change| match change {
            Change::Apply { id, .. } if !written.jobs.contains_key(id) => Some(id.to_string()),
            _ => None,
        })
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let rows = conn
        .fetch_jobs(statements::lock_jobs(ids.into_iter().collect()))
        .await?;
    for row in rows {
        if let Ok(job) = row.into_job() {
            written.jobs.insert(job.id, job);
        }
    }
    Ok(())
}

/// A batch written but not yet committed: the answers it holds, and the
/// failure that broke its transaction, if one did.
pub struct Batch {
    finishes: Vec<Finish>,
    broken: Option<Error>,
    written: Written,
}

/// Answers every operation of a batch that could not start with `error`.
pub fn fail_all(batch: Vec<WriteOp>, error: Error) {
    batch
        .into_iter()
        .for_each(|op| op.into_failure()(Some(error.clone())));
}

impl Batch {
    /// Whether a statement failed: the transaction must be rolled back,
    /// and every answer carries the failure.
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    /// Answers everyone once the transaction's fate is known: `commit` is
    /// the commit's failure, if it failed.
    pub fn finish(self, commit: Option<Error>, cache: Option<&JobCache>) {
        let failure = self.broken.or(commit);
        // Before any answer goes out, so that whoever hears of a change
        // reads it back.
        if let Some(cache) = cache
            && failure.is_none()
        {
            if self.written.wide {
                cache.clear();
            }
            cache.put_all(self.written.jobs.into_values());
            cache.put_results(self.written.results);
        }
        for finish in self.finishes {
            finish(failure.clone());
        }
    }
}

/// Runs `batch` on `conn`, inside a transaction the caller began.
pub async fn write_batch<C: WriteConn>(
    conn: &mut C,
    batch: Vec<WriteOp>,
    cache: Option<&JobCache>,
) -> Batch {
    let mut finishes = Vec::with_capacity(batch.len());
    // Creations first, all together: nothing else in a batch can refer
    // to a job that is not committed yet.
    let mut creates = Vec::new();
    let mut changes = Vec::new();
    for op in batch {
        match op {
            WriteOp::Create(create) => creates.push(create),
            WriteOp::Change(change) => changes.push(change),
        }
    }
    // A failure here abandons the whole transaction; every answer then
    // carries it.
    let mut written = Written::default();
    let mut broken: Option<Error> = None;
    // Before any job row, so that every writer locks in the same order.
    if changes.iter().any(Change::touches_leader_epoch) {
        match writes::newest_leader_epoch(conn).await {
            Ok(epoch) => written.leader_epoch = Some(epoch),
            Err(e) => broken = Some(store_error("reading the leader epoch", e)),
        }
    }
    if broken.is_none() {
        broken = create_together(conn, creates, &mut finishes, &mut written).await;
    }
    if broken.is_none()
        && conn.takes_arrays()
        && let Err(e) = lock_changed_jobs(conn, &changes, &mut written).await
    {
        broken = Some(store_error("reading the jobs to change", e));
    }
    let mut ops = changes.into_iter();
    let mut known = KnownChanges::default();
    if broken.is_none() {
        for change in ops.by_ref() {
            if let Some(epoch) = change.leader_epoch() {
                let newest = written.leader_epoch.unwrap_or(LeaderEpoch(0));
                if let Err(refused) = epoch.check_is(newest) {
                    finishes.push(change.answer(refused));
                    continue;
                }
            }
            // A second change of a job waits until the first is written;
            // then the batch knows the job again.
            let pending = matches!(&change, Change::Apply { id, .. } if known.is_pending(*id));
            if pending && let Some(e) = known.write(conn, &mut written, cache, &mut finishes).await
            {
                finishes.push(change.into_failure());
                broken = Some(store_error("writing jobs", e));
                break;
            }
            let change = match change {
                Change::Apply {
                    id,
                    transition,
                    leader,
                    copy,
                    reply,
                } => match (known.known_job(id, &written, cache), copy) {
                    (Some(job), _) => {
                        known.add(job, transition, reply, &mut written, &mut finishes);
                        continue;
                    }
                    // Only where the batch would read the job up front;
                    // elsewhere (SQLite) the cache answers, or a read does.
                    (None, Some(copy)) if conn.takes_arrays() => {
                        known.add_copy(*copy, transition, reply, &mut written);
                        continue;
                    }
                    (None, _) => Change::Apply {
                        id,
                        transition,
                        leader,
                        copy: None,
                        reply,
                    },
                },
                other => other,
            };
            // Anything else runs after what is pending, in order.
            let failure = match known.write(conn, &mut written, cache, &mut finishes).await {
                Some(e) => {
                    finishes.push(change.into_failure());
                    Some(e)
                }
                None => {
                    let (finish, failure) = run(conn, change, &mut written).await;
                    finishes.push(finish);
                    failure
                }
            };
            if let Some(e) = failure {
                broken = Some(store_error("writing jobs", e));
                break;
            }
        }
        if broken.is_none()
            && let Some(e) = known.write(conn, &mut written, cache, &mut finishes).await
        {
            broken = Some(store_error("writing jobs", e));
        }
    }
    finishes.extend(ops.map(Change::into_failure));
    Batch {
        finishes,
        broken,
        written,
    }
}
