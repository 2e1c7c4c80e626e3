//! Where statements take arrays (PostgreSQL), the batch a loaded node
//! writes most (new jobs, and outcomes that workers record on their copies
//! of their jobs) goes in as one statement: an `INSERT` for the jobs, one
//! for their tags and one `UPDATE` for all the changes, each a data-modifying
//! `WITH` clause, committed on its own. A transaction would add a `BEGIN`
//! and a `COMMIT`, each a round trip the writer waits for, and a plan per
//! statement. A statement is as atomic as a transaction: if any part fails,
//! nothing is written, and every answer is the failure.
//!
//! What needs more goes the usual way (`write_batch`), in a transaction
//! after this statement: a batch with an idempotency key (claimed one job
//! at a time), anything but a change on a caller's copy, a leader's write,
//! two changes of one job; and, from a batch that went as one statement,
//! each change whose copy refused it or whose row had moved on, now without
//! the copy, so that the job is read.

use std::collections::HashSet;

use super::batch::{Change, Create, WriteOp, fail_all};
use super::cached_changes::{Again, Pending, in_id_order};
use crate::adapters::store::sql::error::{DbError, is_worth_retrying, store_error};
use crate::adapters::store::sql::row::JobRow;
use crate::adapters::store::sql::statements::{self, SqlQuery};
use crate::adapters::store::sql::writes::WriteConn;
use crate::domain::Error;
use crate::ports::CreateOutcome;

/// A batch split for one statement.
pub struct OneStatement {
    creates: Vec<Create>,
    changes: Vec<Pending>,
    /// For the usual way, after the statement.
    after: Vec<WriteOp>,
}

/// Whether every operation of `batch` can go in one statement.
fn fits(batch: &[WriteOp]) -> bool {
    let mut ids = HashSet::new();
    batch.iter().all(|op| match op {
        WriteOp::Create(create) => create.jobs.iter().all(|j| j.idempotency_key.is_none()),
        WriteOp::Change(Change::Apply {
            id,
            leader: None,
            copy: Some(_),
            ..
        }) => ids.insert(*id),
        WriteOp::Change(_) => false,
    })
}

impl OneStatement {
    /// The batch split for one statement, or given back when it does not fit.
    pub fn split(batch: Vec<WriteOp>) -> std::result::Result<Self, Vec<WriteOp>> {
        if !fits(&batch) {
            return Err(batch);
        }
        let mut one = OneStatement {
            creates: Vec::new(),
            changes: Vec::new(),
            after: Vec::new(),
        };
        for op in batch {
            match op {
                WriteOp::Create(create) => one.creates.push(create),
                WriteOp::Change(Change::Apply {
                    transition,
                    copy: Some(copy),
                    reply,
                    ..
                }) => match Pending::on_copy(*copy, transition, reply) {
                    Ok(pending) => one.changes.push(pending),
                    // The copy may be older than the row: the row decides.
                    Err(again) => one.after.push(read_and_apply(again)),
                },
                WriteOp::Change(_) => unreachable!("`fits` lets only changes on copies through"),
            }
        }
        Ok(one)
    }

    /// Writes the statement and answers what it wrote; returns what goes
    /// the usual way now, and whether the statement went through (or there
    /// was none).
    pub async fn write<C: WriteConn>(self, conn: &mut C) -> (Vec<WriteOp>, bool) {
        let OneStatement {
            creates,
            changes,
            mut after,
        } = self;
        if creates.is_empty() && changes.is_empty() {
            return (after, true);
        }
        let sent = match send(conn, &creates, &changes).await {
            Ok(updated) => {
                let updated: HashSet<String> = updated.into_iter().collect();
                for create in creates {
                    let outcomes = vec![CreateOutcome::Created; create.jobs.len()];
                    let _ = create.reply.send(Ok(outcomes));
                }
                for changed in changes {
                    if updated.contains(&changed.update.id) {
                        let _ = changed.reply.send(Ok(changed.job));
                    } else {
                        // Moved on since the copy: read it and apply again.
                        after.push(read_and_apply(changed.again()));
                    }
                }
                true
            }
            Err(error) => {
                answer_all(creates, changes, store_error("writing jobs", error));
                false
            }
        };
        (after, sent)
    }

    /// Answers every operation with `error`: the statement could not be sent.
    pub fn fail(self, error: Error) {
        answer_all(self.creates, self.changes, error.clone());
        fail_all(self.after, error);
    }
}

/// Times the statement is sent when it met another writer's locks.
const ATTEMPTS: usize = 3;

/// Sends the statement, again when it failed only by meeting another
/// writer's locks in a circle: its rows are given in id order, as every
/// writer's are, but the order PostgreSQL locks them in follows its plan,
/// which may differ between two statements' sizes.
async fn send<C: WriteConn>(
    conn: &mut C,
    creates: &[Create],
    changes: &[Pending],
) -> std::result::Result<Vec<String>, DbError> {
    let mut attempt = 1;
    loop {
        match conn.fetch_texts(statement(creates, changes)).await {
            Err(error) if attempt < ATTEMPTS && is_worth_retrying(&error) => {
                tracing::debug!(attempt, %error, "writing a batch again");
                attempt += 1;
            }
            answer => return answer,
        }
    }
}

/// A change to take on the job as stored, which the usual way reads.
fn read_and_apply(
    Again {
        id,
        transition,
        reply,
    }: Again,
) -> WriteOp {
    WriteOp::Change(Change::apply(id, transition, reply))
}

fn answer_all(creates: Vec<Create>, changes: Vec<Pending>, error: Error) {
    for create in creates {
        let _ = create.reply.send(Err(error.clone()));
    }
    for changed in changes {
        let _ = changed.reply.send(Err(error.clone()));
    }
}

/// `WITH new_jobs AS (INSERT …), new_tags AS (INSERT …), changed AS
/// (UPDATE … RETURNING jobs.id) SELECT id FROM changed`: the ids of the
/// rows updated.
fn statement(creates: &[Create], changes: &[Pending]) -> SqlQuery {
    let mut rows = Vec::new();
    let mut tags = Vec::new();
    for job in creates.iter().flat_map(|create| &create.jobs) {
        let row = JobRow::from_job(job);
        tags.extend(
            job.tags
                .iter()
                .map(|(k, v)| (row.id.clone(), k.to_owned(), v.to_owned())),
        );
        rows.push(row);
    }
    let mut clauses = Vec::new();
    if !rows.is_empty() {
        clauses.push(("new_jobs", statements::insert_jobs_as_arrays(rows)));
    }
    if !tags.is_empty() {
        clauses.push(("new_tags", statements::insert_tags_as_arrays(&tags)));
    }
    if !changes.is_empty() {
        let updates = in_id_order(changes.iter().map(|c| &c.update));
        clauses.push(("changed", statements::update_jobs(&updates)));
    }
    let mut q = SqlQuery::new("WITH ");
    for (i, (name, clause)) in clauses.into_iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push(name).push(" AS (");
        q.append(clause);
        q.push(")");
    }
    match changes.is_empty() {
        true => q.push(" SELECT NULL::text WHERE false"),
        false => q.push(" SELECT id FROM changed"),
    };
    q
}

/// The statement the writer sends for `new` jobs and `changed` ones (each
/// with a transition its copy takes), for tests of its plan.
#[cfg(test)]
pub fn statement_for(
    new: Vec<crate::domain::Job>,
    changed: Vec<(crate::domain::Job, crate::domain::Transition)>,
) -> SqlQuery {
    use tokio::sync::oneshot;
    let creates = [Create {
        jobs: new,
        since: crate::domain::UnixMillis(0),
        reply: oneshot::channel().0,
    }];
    let changes: Vec<Pending> = changed
        .into_iter()
        .map(
            |(job, transition)| match Pending::on_copy(job, transition, oneshot::channel().0) {
                Ok(pending) => pending,
                Err(_) => panic!("the copy refuses the transition"),
            },
        )
        .collect();
    statement(&creates, &changes)
}
