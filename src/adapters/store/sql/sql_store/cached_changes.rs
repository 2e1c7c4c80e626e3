//! Transitions of jobs the writer knows already (written earlier in the
//! batch, or in the cache of what it committed) need no read: the new state
//! is worked out here, and they are written together: a fenced UPDATE each
//! (with the result, where there is one), without reading the rows first.
//! A row whose version moved on (the cache was wrong, or another writer
//! changed it meanwhile) leaves the cache and is read again, locked, and
//! the transition taken again on what is stored now, so that the answer is
//! the rules' (a completion after a cancel is refused as such). A row
//! another writer holds locked right now is answered as a conflict.

use std::collections::HashSet;

use tokio::sync::oneshot;

use super::batch::Written;
use crate::adapters::store::sql::cache::JobCache;
use crate::adapters::store::sql::error::DbError;
use crate::adapters::store::sql::group_commit::{Finish, finish};
use crate::adapters::store::sql::statements::{self, JobUpdate};
use crate::adapters::store::sql::writes::{self, StepError, WriteConn};
use crate::domain::{Error, Job, JobId, Result, Transition};

/// A transition taken on a job, waiting for its fenced UPDATE.
pub struct Pending {
    /// The job as the transition left it.
    pub job: Job,
    pub update: JobUpdate,
    /// Taken again on the stored job when the row moved on.
    pub transition: Transition,
    pub reply: oneshot::Sender<Result<Job>>,
}

/// A change to take again on the job as stored, read with its row locked.
pub struct Again {
    pub id: JobId,
    pub transition: Transition,
    pub reply: oneshot::Sender<Result<Job>>,
}

impl Pending {
    /// `transition` taken on `job` as the version it holds has it.
    fn new(
        job: Job,
        expected_version: i64,
        transition: Transition,
        reply: oneshot::Sender<Result<Job>>,
    ) -> Self {
        Self {
            update: JobUpdate::after(&job, expected_version, &transition),
            job,
            transition,
            reply,
        }
    }

    /// Takes `transition` on the caller's copy of a job, which may be older
    /// than the row: the version fences the write, and a transition the
    /// copy refuses is to be taken again on the stored job instead.
    pub fn on_copy(
        mut job: Job,
        transition: Transition,
        reply: oneshot::Sender<Result<Job>>,
    ) -> std::result::Result<Self, Again> {
        let expected_version = job.version as i64;
        match job.apply(&transition) {
            Ok(()) => Ok(Self::new(job, expected_version, transition, reply)),
            Err(_) => Err(Again {
                id: job.id,
                transition,
                reply,
            }),
        }
    }

    /// Its row moved on: the change is to be taken again on it.
    pub fn again(self) -> Again {
        Again {
            id: self.job.id,
            transition: self.transition,
            reply: self.reply,
        }
    }
}

/// Transitions worked out and waiting to be written, at most one per job
/// (a second one on the same job waits for the first to be written, so
/// that a conflict never leaves a later change built on it).
#[derive(Default)]
pub struct KnownChanges {
    pending: Vec<Pending>,
    again: Vec<Again>,
    ids: HashSet<JobId>,
}

impl KnownChanges {
    /// Whether a change of `id` waits to be written.
    pub fn is_pending(&self, id: JobId) -> bool {
        self.ids.contains(&id)
    }

    /// The job as this batch or the cache knows it, when the transition
    /// can be taken here (never while a change of it is pending).
    pub fn known_job(&self, id: JobId, written: &Written, cache: Option<&JobCache>) -> Option<Job> {
        debug_assert!(!self.is_pending(id), "write the pending change first");
        match (written.jobs.get(&id), cache) {
            (Some(job), _) => Some(job.clone()),
            (None, Some(cache)) if !written.wide => cache.peek(id),
            _ => None,
        }
    }

    /// Takes `transition` on `job`: refused by the rules, it is answered at
    /// once; otherwise it waits for `write`, and the batch sees the new state.
    pub fn add(
        &mut self,
        mut job: Job,
        transition: Transition,
        reply: oneshot::Sender<Result<Job>>,
        written: &mut Written,
        finishes: &mut Vec<Finish>,
    ) {
        let expected_version = job.version as i64;
        if let Err(error) = job.apply(&transition) {
            finishes.push(finish(reply, Err(error)));
            return;
        }
        self.push(
            Pending::new(job, expected_version, transition, reply),
            written,
        );
    }

    /// Takes `transition` on the caller's copy of a job (`Pending::on_copy`).
    pub fn add_copy(
        &mut self,
        job: Job,
        transition: Transition,
        reply: oneshot::Sender<Result<Job>>,
        written: &mut Written,
    ) {
        match Pending::on_copy(job, transition, reply) {
            Ok(pending) => self.push(pending, written),
            Err(again) => {
                self.ids.insert(again.id);
                self.again.push(again);
            }
        }
    }

    fn push(&mut self, pending: Pending, written: &mut Written) {
        written.jobs.insert(pending.job.id, pending.job.clone());
        self.ids.insert(pending.job.id);
        self.pending.push(pending);
    }

    /// Writes everything pending and queues the answers. A statement error
    /// is returned: the transaction is then abandoned, and the answers
    /// queued here carry its failure instead.
    pub async fn write<C: WriteConn>(
        &mut self,
        conn: &mut C,
        written: &mut Written,
        cache: Option<&JobCache>,
        finishes: &mut Vec<Finish>,
    ) -> Option<DbError> {
        self.ids.clear();
        let pending = std::mem::take(&mut self.pending);
        let mut again = std::mem::take(&mut self.again);
        if !pending.is_empty() {
            let updated = match write_rows(conn, &pending).await {
                Ok(updated) => updated,
                Err(error) => {
                    let replies = pending.into_iter().map(|item| item.reply);
                    fail(replies.chain(again.into_iter().map(|a| a.reply)), finishes);
                    return Some(error);
                }
            };
            for item in pending {
                if updated.contains(&item.update.id) {
                    written.stored(item.job.id, &item.transition);
                    finishes.push(finish(item.reply, Ok(item.job)));
                } else {
                    cache.inspect(|cache| cache.remove(item.job.id));
                    written.jobs.remove(&item.job.id);
                    again.push(item.again());
                }
            }
        }
        // Rare: one by one, each read with its row locked.
        let mut again = again.into_iter();
        while let Some(item) = again.next() {
            match writes::apply_again(conn, item.id, &item.transition).await {
                Ok(job) => {
                    written.jobs.insert(item.id, job.clone());
                    written.stored(item.id, &item.transition);
                    finishes.push(finish(item.reply, Ok(job)));
                }
                Err(StepError::Refused(error)) => finishes.push(finish(item.reply, Err(error))),
                Err(StepError::Sql(error)) => {
                    let rest = again.map(|a| a.reply);
                    fail(std::iter::once(item.reply).chain(rest), finishes);
                    return Some(error);
                }
            }
        }
        None
    }
}

/// Answers changes whose transaction failed.
fn fail(
    replies: impl IntoIterator<Item = oneshot::Sender<Result<Job>>>,
    finishes: &mut Vec<Finish>,
) {
    for reply in replies {
        finishes.push(finish(reply, Err(Error::internal("transaction failed"))));
    }
}

/// The fenced UPDATEs; answers the ids updated.
async fn write_rows<C: WriteConn>(
    conn: &mut C,
    pending: &[Pending],
) -> std::result::Result<HashSet<String>, DbError> {
    if conn.takes_arrays() {
        return write_rows_together(conn, pending).await;
    }
    let mut updated = HashSet::with_capacity(pending.len());
    for item in pending {
        if conn.execute(statements::update_job(&item.update)).await? == 1 {
            updated.insert(item.update.id.clone());
        }
    }
    Ok(updated)
}

/// Where statements take arrays (PostgreSQL): one statement for all the
/// rows, whatever the batch's size.
async fn write_rows_together<C: WriteConn>(
    conn: &mut C,
    pending: &[Pending],
) -> std::result::Result<HashSet<String>, DbError> {
    let updates = in_id_order(pending.iter().map(|item| &item.update));
    Ok(conn
        .fetch_texts(statements::update_jobs(&updates))
        .await?
        .into_iter()
        .collect())
}

/// The updates in id order, so that two writers lock rows in the same
/// order.
pub fn in_id_order<'u>(updates: impl Iterator<Item = &'u JobUpdate>) -> Vec<&'u JobUpdate> {
    let mut updates: Vec<&JobUpdate> = updates.collect();
    updates.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    updates
}
