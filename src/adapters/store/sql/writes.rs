//! The writes with rules in them, written once for every SQL store: creating
//! jobs (with idempotency keys), applying a transition (through the domain,
//! fenced by the row's version), and retention. Each database supplies the
//! few primitive executions through `SqlDialect`; the caller owns the
//! transaction.

use async_trait::async_trait;
use sqlx::Database;

use super::error::DbError;
use super::row::JobRow;
use super::statements::{self, SqlQuery};
use crate::domain::{Error, Job, JobId, Transition, UnixMillis};
use crate::ports::{CreateOutcome, LeaderEpoch};

/// Why a step inside a transaction did not go through.
#[derive(Debug)]
pub enum StepError {
    /// The rules said no (or the job is unreadable); nothing was written, and
    /// other work in the same transaction may go on.
    Refused(Error),
    /// A statement failed; the transaction must be abandoned.
    Sql(DbError),
}

impl<E: Into<DbError>> From<E> for StepError {
    fn from(error: E) -> Self {
        StepError::Sql(error.into())
    }
}

pub type Step<T> = std::result::Result<T, StepError>;

/// (key_id, client_id, enabled 0/1, created_at, hash).
pub type ApiKeyRow = (String, String, i64, i64, String);

/// (at, action, client_id, method, peer, request_id, outcome, detail).
pub type AuditRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
);

pub type Conn<D> = <<D as SqlDialect>::Db as Database>::Connection;

/// What the writes need of a connection inside a transaction: sqlx's
/// (`SqlxConn`), or the SQLite writer's own.
#[async_trait]
pub trait WriteConn: Send {
    /// Whether reads can lock the rows they read (see `SqlDialect`).
    fn row_locks(&self) -> bool;

    /// Whether statements may take arrays (see `SqlDialect::ARRAYS`).
    fn takes_arrays(&self) -> bool;

    /// Rows per multi-row statement, at most `most`. A connection that
    /// caches prepared statements answers 1: the same one-row statement,
    /// prepared once, beats parsing a new many-row one every time.
    fn rows_per_statement(&self, most: usize) -> usize;

    async fn execute(&mut self, query: SqlQuery) -> Result<u64, DbError>;

    async fn fetch_jobs(&mut self, query: SqlQuery) -> Result<Vec<JobRow>, DbError>;

    /// The first column of every row, as text.
    async fn fetch_texts(&mut self, query: SqlQuery) -> Result<Vec<String>, DbError>;
}

/// A sqlx connection (or transaction) as a `WriteConn`.
pub struct SqlxConn<'c, D: SqlDialect>(pub &'c mut Conn<D>);

#[async_trait]
impl<D: SqlDialect> WriteConn for SqlxConn<'_, D>
where
    Conn<D>: Send,
{
    fn row_locks(&self) -> bool {
        D::ROW_LOCKS
    }

    fn takes_arrays(&self) -> bool {
        D::ARRAYS
    }

    fn rows_per_statement(&self, most: usize) -> usize {
        most
    }

    async fn execute(&mut self, query: SqlQuery) -> Result<u64, DbError> {
        Ok(D::execute(self.0, query).await?)
    }

    async fn fetch_jobs(&mut self, query: SqlQuery) -> Result<Vec<JobRow>, DbError> {
        Ok(D::fetch_jobs(self.0, query).await?)
    }

    async fn fetch_texts(&mut self, query: SqlQuery) -> Result<Vec<String>, DbError> {
        Ok(D::fetch_texts(self.0, query).await?)
    }
}

/// What differs between databases: how to connect, and how to run a built
/// query on one of its connections.
#[async_trait]
pub trait SqlDialect: Send + Sync + 'static {
    type Db: Database;

    /// Whether reads inside a transaction can lock the row (`FOR UPDATE`).
    /// Without it the store must have a single writer.
    const ROW_LOCKS: bool;

    /// Whether a parameter can be an array (`SqlValue::Array`), so that
    /// many rows go in one statement whose text never changes.
    const ARRAYS: bool;

    async fn execute(conn: &mut Conn<Self>, query: SqlQuery) -> Result<u64, sqlx::Error>;

    async fn fetch_jobs(conn: &mut Conn<Self>, query: SqlQuery)
    -> Result<Vec<JobRow>, sqlx::Error>;

    /// The first column of every row, as text.
    async fn fetch_texts(
        conn: &mut Conn<Self>,
        query: SqlQuery,
    ) -> Result<Vec<String>, sqlx::Error>;

    /// The first column of the first row, as a 64-bit integer (queries cast
    /// to BIGINT where a database would answer a narrower type).
    async fn fetch_int(conn: &mut Conn<Self>, query: SqlQuery) -> Result<i64, sqlx::Error>;

    /// API key rows: (key_id, client_id, enabled, created_at, hash).
    async fn fetch_api_keys(
        conn: &mut Conn<Self>,
        query: SqlQuery,
    ) -> Result<Vec<ApiKeyRow>, sqlx::Error>;

    /// Audit rows in the order of `AuditRow`.
    async fn fetch_audit_events(
        conn: &mut Conn<Self>,
        query: SqlQuery,
    ) -> Result<Vec<AuditRow>, sqlx::Error>;

    /// (counts, shots, execution_time_ms, metadata_json) of a stored result.
    async fn fetch_result(
        conn: &mut Conn<Self>,
        query: SqlQuery,
    ) -> Result<Option<(Vec<u8>, i64, i64, String)>, sqlx::Error>;
}

/// Creates several submissions' jobs at once: idempotency keys are claimed
/// one by one, then every new row goes in with a few multi-row INSERTs, so a
/// batch of submissions costs a handful of statements. One outcome list per
/// submission, in order.
pub async fn create_many<C: WriteConn>(
    conn: &mut C,
    submissions: &[(Vec<Job>, UnixMillis)],
) -> Step<Vec<Vec<CreateOutcome>>> {
    let mut all_outcomes = Vec::with_capacity(submissions.len());
    let mut rows = Vec::new();
    let mut tags = Vec::new();
    for (jobs, since) in submissions {
        let mut outcomes = Vec::with_capacity(jobs.len());
        for job in jobs {
            let row = JobRow::from_job(job);
            if let Some(key) = &job.idempotency_key
                && let Some(holder) =
                    claim_idempotency_key(conn, &row, key.as_str(), since.0).await?
            {
                outcomes.push(CreateOutcome::Existing(holder));
                continue;
            }
            tags.extend(
                job.tags
                    .iter()
                    .map(|(k, v)| (row.id.clone(), k.to_owned(), v.to_owned())),
            );
            rows.push(row);
            outcomes.push(CreateOutcome::Created);
        }
        all_outcomes.push(outcomes);
    }
    if conn.takes_arrays() {
        if !rows.is_empty() {
            conn.execute(statements::insert_jobs_as_arrays(rows))
                .await?;
        }
        if !tags.is_empty() {
            conn.execute(statements::insert_tags_as_arrays(&tags))
                .await?;
        }
        return Ok(all_outcomes);
    }
    let per_statement = conn.rows_per_statement(statements::INSERT_CHUNK);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        conn.execute(statements::insert_jobs(rows.by_ref().take(per_statement)))
            .await?;
    }
    for chunk in tags.chunks(conn.rows_per_statement(statements::INSERT_CHUNK * 5)) {
        conn.execute(statements::insert_tags(chunk)).await?;
    }
    Ok(all_outcomes)
}

/// Takes the key for `job`, unless a job submitted since `since` holds it;
/// returns that job's id when one does.
async fn claim_idempotency_key<C: WriteConn>(
    conn: &mut C,
    job: &JobRow,
    key: &str,
    since: i64,
) -> Step<Option<JobId>> {
    let query =
        statements::claim_idempotency_key(&job.client_id, key, &job.id, job.submitted_at, since);
    if !conn.fetch_texts(query).await?.is_empty() {
        return Ok(None);
    }
    let holders = conn
        .fetch_texts(statements::idempotency_holder(&job.client_id, key))
        .await?;
    let holder = holders.into_iter().next().unwrap_or_default();
    let id = uuid::Uuid::try_parse(&holder)
        .map(JobId::from_uuid)
        .map_err(|_| {
            StepError::Refused(Error::internal(format!(
                "a stored idempotency key names a bad job id '{holder}'"
            )))
        })?;
    Ok(Some(id))
}

/// Applies a transition in the caller's transaction; see `JobStore::apply`.
/// Changes one job, read first (locked where the database can); the
/// version check on the UPDATE holds either way. Jobs the SQLite writer
/// already knows take `store::known` instead.
pub async fn apply<C: WriteConn>(conn: &mut C, id: JobId, transition: &Transition) -> Step<Job> {
    let query = statements::select_job(&id.to_string(), conn.row_locks());
    let missing = || Error::not_found(format!("job {id} not found"));
    apply_on_read(conn, id, transition, query, missing).await
}

/// `apply` once a write found the row moved on. Where rows are locked, a
/// row another writer holds is not waited for (this transaction holds rows
/// of its own, and waiting could close a cycle): it is answered as a
/// conflict, as it is being changed right now.
pub async fn apply_again<C: WriteConn>(
    conn: &mut C,
    id: JobId,
    transition: &Transition,
) -> Step<Job> {
    let locks = conn.row_locks();
    let query = match locks {
        true => statements::select_job_unless_locked(&id.to_string()),
        false => statements::select_job(&id.to_string(), false),
    };
    let missing = || match locks {
        true => Error::conflict(format!(
            "job {id} is being changed elsewhere (or is gone); try again"
        )),
        false => Error::not_found(format!("job {id} not found")),
    };
    apply_on_read(conn, id, transition, query, missing).await
}

async fn apply_on_read<C: WriteConn>(
    conn: &mut C,
    id: JobId,
    transition: &Transition,
    read: SqlQuery,
    missing: impl FnOnce() -> Error,
) -> Step<Job> {
    let rows = conn.fetch_jobs(read).await?;
    let row = rows
        .into_iter()
        .next()
        .ok_or_else(|| StepError::Refused(missing()))?;
    let mut job = row.into_job().map_err(StepError::Refused)?;
    let expected_version = job.version as i64;
    job.apply(transition).map_err(StepError::Refused)?;
    // The result, stored or cleared, goes in the same UPDATE.
    let update = statements::JobUpdate::after(&job, expected_version, transition);
    if conn.execute(statements::update_job(&update)).await? != 1 {
        return Err(StepError::Refused(Error::conflict(format!(
            "job {id} changed while this change was being made; try again"
        ))));
    }
    Ok(job)
}

/// Opens the next leader epoch (see `JobStore::open_leader_epoch`).
pub async fn open_leader_epoch<C: WriteConn>(conn: &mut C) -> Step<LeaderEpoch> {
    Ok(leader_epoch(conn, statements::open_leader_epoch()).await?)
}

/// The newest leader epoch, its row locked until the transaction ends, so
/// that no leader takes over while a leader-only write is being made.
pub async fn newest_leader_epoch<C: WriteConn>(conn: &mut C) -> Result<LeaderEpoch, DbError> {
    leader_epoch(conn, statements::lock_leader_epoch()).await
}

async fn leader_epoch<C: WriteConn>(conn: &mut C, query: SqlQuery) -> Result<LeaderEpoch, DbError> {
    let texts = conn.fetch_texts(query).await?;
    texts
        .first()
        .and_then(|text| text.parse().ok())
        .map(LeaderEpoch)
        .ok_or_else(|| {
            DbError::Sqlx(sqlx::Error::Decode(
                "the leader_epoch table holds no epoch".into(),
            ))
        })
}

/// Retention: COMPLETED jobs that ended before `before` lose their result.
pub async fn expire_results<C: WriteConn>(
    conn: &mut C,
    before: UnixMillis,
    limit: usize,
) -> Step<u64> {
    let ids = conn
        .fetch_texts(statements::ended_before("'COMPLETED'", before.0, limit))
        .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(conn.execute(statements::expire_results(&ids)).await?)
}

/// Retention: FAILED and CANCELED jobs that ended before `before` go.
pub async fn delete_finished<C: WriteConn>(
    conn: &mut C,
    before: UnixMillis,
    limit: usize,
) -> Step<u64> {
    let query = statements::ended_before("'FAILED', 'CANCELED'", before.0, limit);
    let ids = conn.fetch_texts(query).await?;
    if ids.is_empty() {
        return Ok(0);
    }
    for (table, column) in [("job_tags", "job_id"), ("idempotency_keys", "job_id")] {
        conn.execute(statements::delete_where_in(table, column, &ids))
            .await?;
    }
    Ok(conn
        .execute(statements::delete_where_in("jobs", "id", &ids))
        .await?)
}

/// Implements `SqlDialect` for one sqlx driver. The two databases differ
/// here only in their type names and in whether rows can be locked, so one
/// text serves both.
macro_rules! sql_dialect {
    ($(#[$doc:meta])* $dialect:ident, $db:ty, $conn:ty, row_locks: $row_locks:expr, arrays: $arrays:expr) => {
        /// The query with its values bound for this driver (an array where
        /// the driver takes none is an encoding error).
        fn build(
            query: $crate::adapters::store::sql::statements::SqlQuery,
        ) -> Result<sqlx::query::Query<'static, $db, <$db as sqlx::Database>::Arguments>, sqlx::Error> {
            use sqlx::Arguments;
            use $crate::adapters::store::sql::query::{ArrayArguments, SqlValue};
            let (sql, values) = query.into_parts();
            let mut arguments = <$db as sqlx::Database>::Arguments::default();
            arguments.reserve(values.len(), 0);
            for value in values {
                match value {
                    SqlValue::Text(text) => arguments.add(text),
                    SqlValue::Int(int) => arguments.add(int),
                    SqlValue::Bytes(bytes) => arguments.add(bytes),
                    SqlValue::NullText => arguments.add(None::<String>),
                    SqlValue::NullInt => arguments.add(None::<i64>),
                    SqlValue::Array(array) => arguments.add_array(array),
                }
                .map_err(sqlx::Error::Encode)?;
            }
            Ok(sqlx::query_with(sqlx::AssertSqlSafe(sql), arguments))
        }

        $(#[$doc])*
        pub struct $dialect;

        #[async_trait::async_trait]
        impl $crate::adapters::store::sql::writes::SqlDialect for $dialect {
            type Db = $db;
            const ROW_LOCKS: bool = $row_locks;
            const ARRAYS: bool = $arrays;

            async fn execute(conn: &mut $conn, query: $crate::adapters::store::sql::statements::SqlQuery) -> Result<u64, sqlx::Error> {
                Ok(build(query)?.execute(conn).await?.rows_affected())
            }

            async fn fetch_jobs(
                conn: &mut $conn,
                query: $crate::adapters::store::sql::statements::SqlQuery,
            ) -> Result<Vec<$crate::adapters::store::sql::row::JobRow>, sqlx::Error> {
                let rows = build(query)?.fetch_all(conn).await?;
                rows.iter().map($crate::adapters::store::sql::statements::read_job_row).collect()
            }

            async fn fetch_texts(conn: &mut $conn, query: $crate::adapters::store::sql::statements::SqlQuery) -> Result<Vec<String>, sqlx::Error> {
                use sqlx::Row;
                build(query)?.fetch_all(conn).await?.iter().map(|row| row.try_get(0)).collect()
            }

            async fn fetch_int(conn: &mut $conn, query: $crate::adapters::store::sql::statements::SqlQuery) -> Result<i64, sqlx::Error> {
                use sqlx::Row;
                build(query)?.fetch_one(conn).await?.try_get(0)
            }

            async fn fetch_api_keys(
                conn: &mut $conn,
                query: $crate::adapters::store::sql::statements::SqlQuery,
            ) -> Result<Vec<$crate::adapters::store::sql::writes::ApiKeyRow>, sqlx::Error> {
                use sqlx::Row;
                let rows = build(query)?.fetch_all(conn).await?;
                rows.iter()
                    .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?, row.try_get(4)?)))
                    .collect()
            }

            async fn fetch_audit_events(
                conn: &mut $conn,
                query: $crate::adapters::store::sql::statements::SqlQuery,
            ) -> Result<Vec<$crate::adapters::store::sql::writes::AuditRow>, sqlx::Error> {
                use sqlx::Row;
                let rows = build(query)?.fetch_all(conn).await?;
                rows.iter()
                    .map(|row| Ok((
                        row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?,
                        row.try_get(4)?, row.try_get(5)?, row.try_get(6)?, row.try_get(7)?,
                    )))
                    .collect()
            }

            async fn fetch_result(
                conn: &mut $conn,
                query: $crate::adapters::store::sql::statements::SqlQuery,
            ) -> Result<Option<(Vec<u8>, i64, i64, String)>, sqlx::Error> {
                use sqlx::Row;
                let Some(row) = build(query)?.fetch_optional(conn).await? else { return Ok(None) };
                Ok(Some((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?)))
            }
        }
    };
}

pub(crate) use sql_dialect;
