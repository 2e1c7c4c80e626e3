//! Transitions of jobs the writer knows already (written earlier in the
//! batch, or in the cache of what it committed) need no read: the new state
//! is worked out here, and they are written together: a fenced UPDATE each
//! (with the result, where there is one), without reading the rows first.
//! A row whose version moved on (the cache was wrong) is answered as a
//! conflict and leaves the cache.

use std::collections::HashSet;

use tokio::sync::oneshot;

use super::batch::Written;
use crate::adapters::store::sql::cache::JobCache;
use crate::adapters::store::sql::error::DbError;
use crate::adapters::store::sql::group_commit::{Finish, finish};
use crate::adapters::store::sql::statements::{self, JobUpdate, ResultChange};
use crate::adapters::store::sql::writes::WriteConn;
use crate::domain::{Error, Job, JobId, Result, Transition};

struct Pending {
    job: Job,
    update: JobUpdate,
    reply: oneshot::Sender<Result<Job>>,
}

/// Transitions worked out and waiting to be written, at most one per job
/// (a second one on the same job waits for the first to be written, so
/// that a conflict never leaves a later change built on it).
#[derive(Default)]
pub struct KnownChanges {
    pending: Vec<Pending>,
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
        written.jobs.insert(job.id, job.clone());
        self.ids.insert(job.id);
        self.pending.push(Pending {
            update: JobUpdate::after(&job, expected_version, &transition),
            job,
            reply,
        });
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
        if pending.is_empty() {
            return None;
        }
        match write_rows(conn, &pending).await {
            Ok(updated) => {
                for item in pending {
                    if updated.contains(&item.update.id) {
                        finishes.push(finish(item.reply, Ok(item.job)));
                    } else {
                        cache.inspect(|cache| cache.remove(item.job.id));
                        written.jobs.remove(&item.job.id);
                        let error = Error::conflict(format!(
                            "job {} changed while this change was being made; try again",
                            item.job.id
                        ));
                        finishes.push(finish(item.reply, Err(error)));
                    }
                }
                None
            }
            Err(error) => {
                for item in pending {
                    finishes.push(finish(
                        item.reply,
                        Err(Error::internal("transaction failed")),
                    ));
                }
                Some(error)
            }
        }
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
/// rows that change their result columns alike, which for a batch of runs
/// starting and ending is two statements, whatever its size.
async fn write_rows_together<C: WriteConn>(
    conn: &mut C,
    pending: &[Pending],
) -> std::result::Result<HashSet<String>, DbError> {
    let mut updated = HashSet::with_capacity(pending.len());
    let kinds: [fn(&ResultChange) -> bool; 3] = [
        |r| matches!(r, ResultChange::Keep),
        |r| matches!(r, ResultChange::Store(_)),
        |r| matches!(r, ResultChange::Clear),
    ];
    for is_kind in kinds {
        let mut updates: Vec<&JobUpdate> = pending
            .iter()
            .map(|item| &item.update)
            .filter(|update| is_kind(&update.result))
            .collect();
        updates.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        if !updates.is_empty() {
            updated.extend(conn.fetch_texts(statements::update_jobs(&updates)).await?);
        }
    }
    Ok(updated)
}
