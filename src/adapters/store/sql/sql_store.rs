//! `JobStore` over any SQL database with a `SqlDialect`.
//!
//! Every write goes through one writer (a task on the pool, or SQLite's
//! thread with its own connection) that commits what has gathered in a
//! single transaction (group commit). With row locks (PostgreSQL, which
//! several nodes share), a batch locks the rows it changes, in id order, and
//! each write is fenced by the row's version, so the writers of several
//! nodes never overwrite each other. Reads use the pool, or with SQLite (one
//! writer per file) the cache of the jobs the writer committed last.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use sqlx::{Database, Pool};

mod batch;
mod cached_changes;
mod held_connection;
mod one_statement;

#[cfg(feature = "storage-sqlite")]
pub use batch::Batch;
use batch::{Change, Create};
pub use batch::{WriteOp, fail_all, write_batch};
use held_connection::HeldConnection;
use one_statement::OneStatement;
#[cfg(test)]
pub(crate) use one_statement::statement_for;

use super::cache::JobCache;
use super::error::store_error;
use super::group_commit::{BatchWriter, GroupCommit, WriterPlace};
use super::row::{JobRow, decode_result};
use super::statements::{self, SqlQuery};
use super::writes::{Conn, SqlDialect, SqlxConn};
use crate::domain::{ClientId, Error, Job, JobId, JobResult, Result, Transition, UnixMillis};
use crate::ports::{CreateOutcome, JobPage, JobQuery, JobStore, LeaderEpoch};
use crate::support::lane::{Lane, each};

/// Most operations one transaction of the writer carries.
pub const MAX_BATCH: usize = 512;

pub struct SqlJobStore<D: SqlDialect> {
    pool: Pool<D::Db>,
    writer: GroupCommit<WriteOp>,
    /// Reads of single jobs made at once, gathered into one statement
    /// (where statements take arrays: PostgreSQL, which is a round trip
    /// away; SQLite reads in process).
    reads: Option<Lane<JobId, Option<JobRow>>>,
    /// Jobs this store wrote last; only when it is the database's one writer.
    cache: Option<Arc<JobCache>>,
    _dialect: PhantomData<D>,
}

struct Writer<D: SqlDialect> {
    conn: HeldConnection<D::Db>,
    cache: Option<Arc<JobCache>>,
}

#[async_trait]
impl<D: SqlDialect> BatchWriter for Writer<D>
where
    Conn<D>: Send,
{
    type Op = WriteOp;

    async fn write(&mut self, batch: Vec<WriteOp>) {
        let batch = match D::ARRAYS {
            true => match OneStatement::split(batch) {
                Ok(one) => {
                    let mut conn = match self.conn.take(Instant::now()).await {
                        Ok(conn) => conn,
                        Err(e) => return one.fail(store_error("connecting", e)),
                    };
                    let (after, sent) = one.write(&mut SqlxConn::<D>(&mut conn)).await;
                    self.conn.put_back(conn, sent, Instant::now());
                    if after.is_empty() {
                        return;
                    }
                    after
                }
                Err(batch) => batch,
            },
            false => batch,
        };
        let mut conn = match self.conn.take(Instant::now()).await {
            Ok(conn) => conn,
            Err(e) => return fail_all(batch, store_error("connecting", e)),
        };
        let committed = write_in_transaction::<D>(&mut conn, batch, self.cache.as_deref()).await;
        self.conn.put_back(conn, committed, Instant::now());
    }
}

/// Writes `batch` the usual way, in one transaction on `conn`; whether it
/// committed.
async fn write_in_transaction<D: SqlDialect>(
    conn: &mut Conn<D>,
    batch: Vec<WriteOp>,
    cache: Option<&JobCache>,
) -> bool
where
    Conn<D>: Send,
{
    let mut tx = match sqlx::Connection::begin(conn).await {
        Ok(tx) => tx,
        Err(e) => {
            fail_all(batch, store_error("starting a transaction", e));
            return false;
        }
    };
    let written = write_batch(&mut SqlxConn::<D>(&mut tx), batch, cache).await;
    // A broken transaction rolls back as it is dropped.
    let commit = match written.is_broken() {
        true => None,
        false => tx
            .commit()
            .await
            .err()
            .map(|e| store_error("committing", e)),
    };
    let committed = !written.is_broken() && commit.is_none();
    written.finish(commit, cache);
    committed
}

/// Reads of single jobs, gathered: one `id = ANY(…)` statement for every
/// read asked while the last was out.
fn gathered_reads<D: SqlDialect>(pool: Pool<D::Db>) -> Lane<JobId, Option<JobRow>> {
    Lane::start("job store: reads", MAX_BATCH, move |ids: Vec<JobId>| {
        let pool = pool.clone();
        async move {
            let wanted = ids.iter().map(JobId::to_string).collect();
            let rows = match pool.acquire().await {
                Ok(mut conn) => D::fetch_jobs(&mut conn, statements::select_jobs(wanted))
                    .await
                    .map_err(|e| store_error("reading jobs", e)),
                Err(e) => Err(store_error("connecting", e)),
            };
            match rows {
                Ok(rows) => {
                    let by_id: HashMap<String, JobRow> =
                        rows.into_iter().map(|row| (row.id.clone(), row)).collect();
                    ids.iter()
                        .map(|id| Ok(by_id.get(&id.to_string()).cloned()))
                        .collect()
                }
                Err(e) => each(ids.len(), Err(e)),
            }
        }
    })
}

impl<D: SqlDialect> SqlJobStore<D> {
    /// The audit trail's table in the same database.
    pub fn audit_table(&self) -> std::sync::Arc<dyn crate::ports::AuditTable> {
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

    /// Wraps a connected pool whose migrations have run, writing through a
    /// pool of its own that `connect` opens where the writer runs (`place`,
    /// see `GroupCommit::start_writer`). It keeps no cache, as other nodes
    /// may write to the database too.
    pub async fn with_own_writer<F, Fut>(
        pool: Pool<D::Db>,
        place: WriterPlace,
        connect: F,
    ) -> Result<Self>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<Pool<D::Db>>> + Send + 'static,
    {
        let writer = GroupCommit::start_writer("arvak-store-writer", MAX_BATCH, place, || async {
            Ok(Writer::<D> {
                conn: HeldConnection::new(connect().await?),
                cache: None,
            })
        })
        .await?;
        Self::with_writer(pool, None, |_| Ok(writer))
    }

    /// With a writer of the caller's, started by `start` with the cache it
    /// must keep up to date: up to `cache_bytes` of the jobs it writes, kept
    /// in memory (only for a database this process alone writes to).
    pub fn with_writer(
        pool: Pool<D::Db>,
        cache_bytes: Option<usize>,
        start: impl FnOnce(Option<Arc<JobCache>>) -> Result<GroupCommit<WriteOp>>,
    ) -> Result<Self> {
        let cache = cache_bytes.map(|bytes| Arc::new(JobCache::new(bytes)));
        let reads = D::ARRAYS.then(|| gathered_reads::<D>(pool.clone()));
        Ok(Self {
            pool,
            writer: start(cache.clone())?,
            reads,
            cache,
            _dialect: PhantomData,
        })
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
        let row = match &self.reads {
            Some(reads) => reads.call(id).await?,
            None => self
                .fetch_jobs(
                    statements::select_job(&id.to_string(), false),
                    "reading a job",
                )
                .await?
                .into_iter()
                .next(),
        };
        match row {
            Some(row) => self.decode(row).await.map(Some),
            None => Ok(None),
        }
    }

    async fn apply(&self, id: JobId, transition: Transition) -> Result<Job> {
        self.writer
            .call(|reply| WriteOp::Change(Change::apply(id, transition, reply)))
            .await
    }

    async fn apply_to(&self, job: Job, transition: Transition) -> Result<Job> {
        self.writer
            .call(|reply| {
                WriteOp::Change(Change::Apply {
                    id: job.id,
                    transition,
                    leader: None,
                    copy: Some(Box::new(job)),
                    reply,
                })
            })
            .await
    }

    async fn open_leader_epoch(&self) -> Result<LeaderEpoch> {
        self.writer
            .call(|reply| WriteOp::Change(Change::OpenLeaderEpoch { reply }))
            .await
    }

    async fn apply_as_leader(
        &self,
        id: JobId,
        transition: Transition,
        epoch: LeaderEpoch,
    ) -> Result<Job> {
        self.writer
            .call(|reply| {
                WriteOp::Change(Change::Apply {
                    id,
                    transition,
                    leader: Some(epoch),
                    copy: None,
                    reply,
                })
            })
            .await
    }

    async fn result(&self, id: JobId) -> Result<Option<JobResult>> {
        if let Some(result) = self.cache.as_ref().and_then(|cache| cache.result(id)) {
            return Ok(Some(result));
        }
        let id = id.to_string();
        let mut conn = self.conn().await?;
        let row = D::fetch_result(&mut conn, statements::select_result(&id))
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
            .fetch_jobs(statements::list_jobs(&query), "listing jobs")
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
                statements::unfinished_jobs(after.as_deref(), limit),
                "reading unfinished jobs",
            )
            .await?;
        Ok(self.decode_all(rows).await)
    }

    async fn count_queued(&self, client: ClientId) -> Result<u64> {
        let mut conn = self.conn().await?;
        let count = D::fetch_int(&mut conn, statements::count_queued(client.as_str()))
            .await
            .map_err(|e| store_error("counting queued jobs", e))?;
        Ok(count.max(0) as u64)
    }

    async fn expire_results(
        &self,
        before: UnixMillis,
        limit: usize,
        epoch: LeaderEpoch,
    ) -> Result<u64> {
        self.writer
            .call(|reply| {
                WriteOp::Change(Change::ExpireResults {
                    before,
                    limit,
                    epoch,
                    reply,
                })
            })
            .await
    }

    async fn delete_finished(
        &self,
        before: UnixMillis,
        limit: usize,
        epoch: LeaderEpoch,
    ) -> Result<u64> {
        self.writer
            .call(|reply| {
                WriteOp::Change(Change::DeleteFinished {
                    before,
                    limit,
                    epoch,
                    reply,
                })
            })
            .await
    }

    async fn ping(&self) -> Result<()> {
        // Reads may still work while nothing can be written.
        if !self.writer.is_running() {
            return Err(Error::unavailable("the job store's writer has stopped"));
        }
        let mut conn = self.conn().await?;
        D::fetch_int(&mut conn, SqlQuery::new("SELECT CAST(1 AS BIGINT)"))
            .await
            .map_err(|e| store_error("checking the store", e))?;
        Ok(())
    }
}
