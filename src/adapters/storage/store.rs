//! `JobStore` over any SQL database with a `SqlDialect`.
//!
//! Creations (and, without row locks, every write) go through one writer task
//! that commits what has gathered in a single transaction (group commit). With
//! row locks (PostgreSQL), transitions run in their own short transaction, so
//! several nodes can share the database. Reads use the pool, or with SQLite
//! (one writer per file) the cache of the jobs the writer committed last.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::{Database, Pool};
use tokio::sync::oneshot;

mod known;

use known::KnownChanges;

use super::cache::JobCache;
use super::error::store_error;
use super::flow::{self, Conn, SqlDialect, Step, StepError};
use super::group_commit::{BatchWriter, Finish, GroupCommit, finish};
use super::row::{JobRow, decode_result};
use super::sql::{self, SqlQuery};
use crate::domain::{ClientId, Error, Job, JobId, JobResult, Result, Transition, UnixMillis};
use crate::ports::{CreateOutcome, JobPage, JobQuery, JobStore};

/// Most operations one transaction of the writer carries.
const MAX_BATCH: usize = 512;

pub struct SqlJobStore<D: SqlDialect> {
    pool: Pool<D::Db>,
    writer: GroupCommit<WriteOp>,
    /// Jobs this store wrote last; only when it is the database's one writer.
    cache: Option<Arc<JobCache>>,
    _dialect: PhantomData<D>,
}

/// What the writer task does: creations, which a batch runs all together,
/// and changes, which it runs one by one after them.
pub enum WriteOp {
    Create(Create),
    Change(Change),
}

pub struct Create {
    jobs: Vec<Job>,
    since: UnixMillis,
    reply: oneshot::Sender<Result<Vec<CreateOutcome>>>,
}

pub enum Change {
    Apply {
        id: JobId,
        transition: Transition,
        reply: oneshot::Sender<Result<Job>>,
    },
    ExpireResults {
        before: UnixMillis,
        limit: usize,
        reply: oneshot::Sender<Result<u64>>,
    },
    DeleteFinished {
        before: UnixMillis,
        limit: usize,
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
    fn into_failure(self) -> Finish {
        match self {
            Change::Apply { reply, .. } => not_run(reply),
            Change::ExpireResults { reply, .. } | Change::DeleteFinished { reply, .. } => {
                not_run(reply)
            }
            Change::FailUnreadable { reply, .. } => not_run(reply),
        }
    }
}

/// A step's answer, and the statement error that broke its transaction.
fn settle<T: Send + 'static>(
    reply: oneshot::Sender<Result<T>>,
    step: Step<T>,
) -> (Finish, Option<sqlx::Error>) {
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
struct Written {
    /// Jobs as the batch left them, created or changed.
    jobs: HashMap<JobId, Job>,
    /// A change over many jobs at once ran (retention, a failed unreadable
    /// row): what the cache holds may no longer be true.
    wide: bool,
}

impl Written {
    fn wide_change(&mut self) {
        self.wide = true;
        self.jobs.clear();
    }
}

async fn run<D: SqlDialect>(
    conn: &mut Conn<D>,
    change: Change,
    written: &mut Written,
) -> (Finish, Option<sqlx::Error>) {
    match change {
        Change::Apply {
            id,
            transition,
            reply,
        } => {
            // Jobs the batch or the cache knows go through `KnownChanges`;
            // this one is read from the database.
            let step = flow::apply::<D>(conn, id, &transition).await;
            if let Ok(job) = &step {
                written.jobs.insert(id, job.clone());
            }
            settle(reply, step)
        }
        Change::ExpireResults {
            before,
            limit,
            reply,
        } => {
            written.wide_change();
            settle(reply, flow::expire_results::<D>(conn, before, limit).await)
        }
        Change::DeleteFinished {
            before,
            limit,
            reply,
        } => {
            written.wide_change();
            settle(reply, flow::delete_finished::<D>(conn, before, limit).await)
        }
        Change::FailUnreadable { id, message, reply } => {
            written.wide_change();
            let step = D::execute(conn, sql::fail_unreadable(&id, message)).await;
            settle(reply, step.map(|_| ()).map_err(StepError::Sql))
        }
    }
}

/// Runs every Create of a batch as one `create_many` and pushes their
/// answers. Any failure, a refusal included (claimed idempotency keys would
/// otherwise be kept without their jobs), abandons the transaction.
async fn create_together<D: SqlDialect>(
    conn: &mut Conn<D>,
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
    let failure = match flow::create_many::<D>(conn, &submissions).await {
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

struct Writer<D: SqlDialect> {
    pool: Pool<D::Db>,
    cache: Option<Arc<JobCache>>,
}

#[async_trait]
impl<D: SqlDialect> BatchWriter for Writer<D> {
    type Op = WriteOp;

    async fn write(&mut self, batch: Vec<WriteOp>) {
        let mut tx = match self.pool.begin().await {
            Ok(tx) => tx,
            Err(e) => {
                let error = store_error("starting a transaction", e);
                batch
                    .into_iter()
                    .for_each(|op| op.into_failure()(Some(error.clone())));
                return;
            }
        };
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
        let mut broken: Option<Error> =
            create_together::<D>(&mut tx, creates, &mut finishes, &mut written).await;
        let mut ops = changes.into_iter();
        let cache = self.cache.as_deref();
        let mut known = KnownChanges::default();
        if broken.is_none() {
            for change in ops.by_ref() {
                // A second change of a job waits until the first is written;
                // then the batch knows the job again.
                let pending = matches!(&change, Change::Apply { id, .. } if known.is_pending(*id));
                if pending
                    && let Some(e) = known
                        .write::<D>(&mut tx, &mut written, cache, &mut finishes)
                        .await
                {
                    finishes.push(change.into_failure());
                    broken = Some(store_error("writing jobs", e));
                    break;
                }
                let change = match change {
                    Change::Apply {
                        id,
                        transition,
                        reply,
                    } => match known.known_job(id, &written, cache) {
                        Some(job) => {
                            known.add(job, transition, reply, &mut written, &mut finishes);
                            continue;
                        }
                        None => Change::Apply {
                            id,
                            transition,
                            reply,
                        },
                    },
                    other => other,
                };
                // Anything else runs after what is pending, in order.
                let failure = match known
                    .write::<D>(&mut tx, &mut written, cache, &mut finishes)
                    .await
                {
                    Some(e) => {
                        finishes.push(change.into_failure());
                        Some(e)
                    }
                    None => {
                        let (finish, failure) = run::<D>(&mut tx, change, &mut written).await;
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
                && let Some(e) = known
                    .write::<D>(&mut tx, &mut written, cache, &mut finishes)
                    .await
            {
                broken = Some(store_error("writing jobs", e));
            }
        }
        finishes.extend(ops.map(Change::into_failure));
        let failure = match broken {
            Some(error) => Some(error),
            None => tx
                .commit()
                .await
                .err()
                .map(|e| store_error("committing", e)),
        };
        // Before any answer goes out, so that whoever hears of a change
        // reads it back.
        if let Some(cache) = cache
            && failure.is_none()
        {
            if written.wide {
                cache.clear();
            }
            cache.put_all(written.jobs.into_values());
        }
        for finish in finishes {
            finish(failure.clone());
        }
    }
}

impl<D: SqlDialect> SqlJobStore<D> {
    /// The audit trail's table in the same database.
    pub fn audit_table(&self) -> std::sync::Arc<dyn crate::adapters::audit::AuditTable> {
        std::sync::Arc::new(super::SqlAuditTable::<D>::new(self.pool.clone()))
    }

    /// The API key table of the same database (none in builds without
    /// `auth-api-key`). A cached key's enabled flag is read again after
    /// `recheck`.
    pub fn api_key_table(
        &self,
        recheck: std::time::Duration,
    ) -> Option<std::sync::Arc<dyn crate::ports::ApiKeyStore>> {
        #[cfg(feature = "auth-api-key")]
        return Some(std::sync::Arc::new(super::SqlApiKeyStore::<D>::new(
            self.pool.clone(),
            recheck,
        )));
        #[cfg(not(feature = "auth-api-key"))]
        {
            let _ = recheck;
            None
        }
    }

    /// Wraps a connected pool whose migrations have run.
    pub fn new(pool: Pool<D::Db>) -> Self {
        Self::with_cache(pool, None)
    }

    /// Like `new`, keeping up to `cache_bytes` of the jobs it writes in
    /// memory. Only for a database this process alone writes to.
    pub fn with_cache(pool: Pool<D::Db>, cache_bytes: Option<usize>) -> Self {
        let cache = cache_bytes.map(|bytes| Arc::new(JobCache::new(bytes)));
        let writer = Writer::<D> {
            pool: pool.clone(),
            cache: cache.clone(),
        };
        Self {
            pool,
            writer: GroupCommit::start(writer, MAX_BATCH),
            cache,
            _dialect: PhantomData,
        }
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<D::Db>> {
        self.pool
            .acquire()
            .await
            .map_err(|e| store_error("connecting", e))
    }

    async fn fetch_jobs(&self, query: SqlQuery, doing: &str) -> Result<Vec<JobRow>> {
        let mut conn = self.conn().await?;
        D::fetch_jobs(&mut conn, query)
            .await
            .map_err(|e| store_error(doing, e))
    }

    /// Decodes a row; a row that cannot be decoded fails its job (so it ends
    /// rather than erroring forever) and answers with what was wrong.
    async fn decode(&self, row: JobRow) -> Result<Job> {
        let id = row.id.clone();
        row.into_job().map_err(|error| {
            tracing::error!(job_id = %id, %error, "a stored job could not be read; marking it FAILED");
            let writer = self.writer.clone();
            let message = format!("the stored job could not be read: {}", error.message());
            tokio::spawn(async move {
                let _ = writer.call(|reply| WriteOp::Change(Change::FailUnreadable { id, message, reply })).await;
            });
            error
        })
    }

    /// Decodes rows, leaving out (and failing) the ones that cannot be read.
    async fn decode_all(&self, rows: Vec<JobRow>) -> Vec<Job> {
        let mut jobs = Vec::with_capacity(rows.len());
        for row in rows {
            if let Ok(job) = self.decode(row).await {
                jobs.push(job);
            }
        }
        jobs
    }

    async fn apply_in_own_transaction(&self, id: JobId, transition: Transition) -> Result<Job> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| store_error("starting a transaction", e))?;
        match flow::apply::<D>(&mut tx, id, &transition).await {
            Ok(job) => {
                tx.commit()
                    .await
                    .map_err(|e| store_error("committing a job change", e))?;
                Ok(job)
            }
            Err(StepError::Refused(error)) => Err(error),
            Err(StepError::Sql(e)) => Err(store_error("changing a job", e)),
        }
    }
}

#[async_trait]
impl<D: SqlDialect> JobStore for SqlJobStore<D>
where
    <D::Db as Database>::Connection: Send,
{
    async fn create(&self, jobs: Vec<Job>, dedup_since: UnixMillis) -> Result<Vec<CreateOutcome>> {
        self.writer
            .call(|reply| {
                WriteOp::Create(Create {
                    jobs,
                    since: dedup_since,
                    reply,
                })
            })
            .await
    }

    async fn get(&self, id: JobId) -> Result<Option<Job>> {
        if let Some(job) = self.cache.as_ref().and_then(|cache| cache.get(id)) {
            return Ok(Some(job));
        }
        let rows = self
            .fetch_jobs(sql::select_job(&id.to_string(), false), "reading a job")
            .await?;
        match rows.into_iter().next() {
            Some(row) => self.decode(row).await.map(Some),
            None => Ok(None),
        }
    }

    async fn apply(&self, id: JobId, transition: Transition) -> Result<Job> {
        if D::ROW_LOCKS {
            self.apply_in_own_transaction(id, transition).await
        } else {
            self.writer
                .call(|reply| {
                    WriteOp::Change(Change::Apply {
                        id,
                        transition,
                        reply,
                    })
                })
                .await
        }
    }

    async fn result(&self, id: JobId) -> Result<Option<JobResult>> {
        let id = id.to_string();
        let mut conn = self.conn().await?;
        let row = D::fetch_result(&mut conn, sql::select_result(&id))
            .await
            .map_err(|e| store_error("reading a result", e))?;
        row.map(|(counts, shots, millis, metadata)| {
            decode_result(&id, &counts, shots, millis, metadata)
        })
        .transpose()
    }

    async fn list(&self, query: JobQuery) -> Result<JobPage> {
        let page_size = query.page_size.max(1);
        let rows = self
            .fetch_jobs(sql::list_jobs(&query), "listing jobs")
            .await?;
        let more = rows.len() > page_size;
        let mut jobs = self
            .decode_all(rows.into_iter().take(page_size).collect())
            .await;
        jobs.truncate(page_size);
        let next = if more {
            jobs.last().map(|j| j.id)
        } else {
            None
        };
        Ok(JobPage { jobs, next })
    }

    async fn unfinished(&self, after: Option<JobId>, limit: usize) -> Result<Vec<Job>> {
        let after = after.map(|id| id.to_string());
        let rows = self
            .fetch_jobs(
                sql::unfinished_jobs(after.as_deref(), limit),
                "reading unfinished jobs",
            )
            .await?;
        Ok(self.decode_all(rows).await)
    }

    async fn count_queued(&self, client: ClientId) -> Result<u64> {
        let mut conn = self.conn().await?;
        let count = D::fetch_int(&mut conn, sql::count_queued(client.as_str()))
            .await
            .map_err(|e| store_error("counting queued jobs", e))?;
        Ok(count.max(0) as u64)
    }

    async fn expire_results(&self, before: UnixMillis, limit: usize) -> Result<u64> {
        self.writer
            .call(|reply| {
                WriteOp::Change(Change::ExpireResults {
                    before,
                    limit,
                    reply,
                })
            })
            .await
    }

    async fn delete_finished(&self, before: UnixMillis, limit: usize) -> Result<u64> {
        self.writer
            .call(|reply| {
                WriteOp::Change(Change::DeleteFinished {
                    before,
                    limit,
                    reply,
                })
            })
            .await
    }

    async fn ping(&self) -> Result<()> {
        let mut conn = self.conn().await?;
        D::fetch_int(&mut conn, SqlQuery::new("SELECT CAST(1 AS BIGINT)"))
            .await
            .map_err(|e| store_error("checking the store", e))?;
        Ok(())
    }
}
