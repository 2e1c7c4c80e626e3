//! The SQLite store's writer: one connection of its own (rusqlite), owned
//! by one thread, which runs each batch from BEGIN to COMMIT without
//! waiting on anything. Through sqlx every statement went to the
//! connection's worker thread and its answer came back, a pair of thread
//! wake-ups each; that hand-off, not SQLite, bounded how fast the writer
//! went. Reads stay on the sqlx pool.

use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};

use super::SqliteSettings;
use crate::adapters::store::sql::cache::JobCache;
use crate::adapters::store::sql::error::{DbError, store_error};
use crate::adapters::store::sql::group_commit::BatchWriter;
use crate::adapters::store::sql::query::SqlValue;
use crate::adapters::store::sql::row::JobRow;
use crate::adapters::store::sql::sql_store::{Batch, WriteOp, fail_all, write_batch};
use crate::adapters::store::sql::statements::{SqlQuery, job_row_from};
use crate::adapters::store::sql::writes::WriteConn;
use crate::domain::{Error, Result};

/// Prepared statements kept. The writer runs one-row statements, so the
/// same dozen texts come back batch after batch.
const STATEMENT_CACHE: usize = 32;

impl ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            SqlValue::Text(text) => ValueRef::Text(text.as_bytes()),
            SqlValue::Int(int) => ValueRef::Integer(*int),
            SqlValue::Bytes(bytes) => ValueRef::Blob(bytes),
            SqlValue::NullText | SqlValue::NullInt => ValueRef::Null,
            SqlValue::Array(_) => return Err(no_arrays()),
        }))
    }
}

fn no_arrays() -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure("SQLite takes no array parameters".into())
}

/// Opens the writer's connection to a database whose schema is in place
/// (the pool ran the migrations), with the same durability as the pool's.
pub fn connect(settings: &SqliteSettings) -> Result<Connection> {
    let opening = format!("opening {} for writing", settings.path.display());
    let conn = Connection::open_with_flags(
        &settings.path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| store_error(&opening, e))?;
    conn.busy_timeout(settings.busy_timeout)
        .map_err(|e| store_error(&opening, e))?;
    let synchronous = if settings.synchronous_full {
        "FULL"
    } else {
        "NORMAL"
    };
    // A statement that may fail half-way keeps a journal of its own; in
    // memory it costs no file writes.
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
         PRAGMA foreign_keys = OFF; PRAGMA temp_store = MEMORY;"
    ))
    .map_err(|e| store_error(&opening, e))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// The writer's connection as a `WriteConn`: every call finishes before it
/// returns.
struct OwnConn<'c>(&'c mut Connection);

impl OwnConn<'_> {
    fn prepare(&self, query: SqlQuery) -> rusqlite::Result<rusqlite::CachedStatement<'_>> {
        let (sql, values) = query.into_parts();
        let mut statement = self.0.prepare_cached(&sql)?;
        // `SqlQuery` numbers its placeholders `$1`, `$2`, … in the order
        // they appear, which is the order SQLite gives them indexes in.
        debug_assert_eq!(statement.parameter_count(), values.len(), "{sql}");
        for (index, value) in values.iter().enumerate() {
            statement.raw_bind_parameter(index + 1, value)?;
        }
        Ok(statement)
    }

    fn rows<T>(
        &self,
        query: SqlQuery,
        read: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Vec<T>> {
        let mut statement = self.prepare(query)?;
        let mut rows = statement.raw_query();
        let mut all = Vec::new();
        while let Some(row) = rows.next()? {
            all.push(read(row)?);
        }
        Ok(all)
    }
}

#[async_trait]
impl WriteConn for OwnConn<'_> {
    fn row_locks(&self) -> bool {
        false
    }

    fn takes_arrays(&self) -> bool {
        false
    }

    fn rows_per_statement(&self, _most: usize) -> usize {
        1
    }

    async fn execute(&mut self, query: SqlQuery) -> std::result::Result<u64, DbError> {
        Ok(self.prepare(query)?.raw_execute()? as u64)
    }

    async fn fetch_jobs(&mut self, query: SqlQuery) -> std::result::Result<Vec<JobRow>, DbError> {
        Ok(self.rows(query, |row| Ok(job_row_from!(row.get)))?)
    }

    async fn fetch_texts(&mut self, query: SqlQuery) -> std::result::Result<Vec<String>, DbError> {
        Ok(self.rows(query, |row| row.get(0))?)
    }
}

/// The batch writer on its thread.
pub struct ThreadWriter {
    conn: Connection,
    cache: Option<Arc<JobCache>>,
}

impl ThreadWriter {
    pub fn new(conn: Connection, cache: Option<Arc<JobCache>>) -> Self {
        Self { conn, cache }
    }

    /// COMMIT, or ROLLBACK when the batch broke or the commit failed (a
    /// failed COMMIT can leave the transaction open).
    fn end(&self, batch: &Batch) -> Option<Error> {
        let commit = match batch.is_broken() {
            true => None,
            false => self.conn.execute_batch("COMMIT").err(),
        };
        self.roll_back_open();
        commit.map(|e| store_error("committing", e))
    }

    /// Rolls back a transaction still open. One left open would refuse
    /// every BEGIN from then on, so `write` tries again before it begins if
    /// this failed.
    fn roll_back_open(&self) {
        if !self.conn.is_autocommit()
            && let Err(e) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::error!(error = %e, "the SQLite writer could not roll back");
        }
    }
}

#[async_trait]
impl BatchWriter for ThreadWriter {
    type Op = WriteOp;

    async fn write(&mut self, batch: Vec<WriteOp>) {
        self.roll_back_open();
        // IMMEDIATE takes the write lock now, so that no statement of the
        // batch has to wait for it half-way.
        if let Err(e) = self.conn.execute_batch("BEGIN IMMEDIATE") {
            return fail_all(batch, store_error("starting a transaction", e));
        }
        let cache = self.cache.as_deref();
        let written = write_batch(&mut OwnConn(&mut self.conn), batch, cache).await;
        let commit = self.end(&written);
        written.finish(commit, self.cache.as_deref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma(conn: &Connection, name: &str) -> i64 {
        conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
            .unwrap()
    }

    /// The writer's connection commits as durably as configured (the pool's
    /// setting does not reach a connection of its own).
    #[test]
    fn the_writer_connection_is_as_durable_as_configured() {
        let dir = tempfile::tempdir().unwrap();
        let settings = |full| SqliteSettings {
            path: dir.path().join("jobs.db"),
            synchronous_full: full,
            busy_timeout: std::time::Duration::from_secs(1),
            max_connections: 2,
            cache_bytes: 0,
        };
        Connection::open(dir.path().join("jobs.db")).unwrap();
        let full = connect(&settings(true)).unwrap();
        assert_eq!(pragma(&full, "synchronous"), 2, "FULL");
        assert_eq!(pragma(&full, "temp_store"), 2, "MEMORY");
        let journal: String = full
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(journal, "wal");
        let normal = connect(&settings(false)).unwrap();
        assert_eq!(pragma(&normal, "synchronous"), 1, "NORMAL");
    }

    /// Values reach SQLite with their types, NULLs included.
    #[test]
    fn bound_values_keep_their_types() {
        let mut conn = Connection::open_in_memory().unwrap();
        let mut q = SqlQuery::new("SELECT typeof(");
        q.text("a".into());
        q.push(") || typeof(");
        q.int(1);
        q.push(") || typeof(");
        q.bytes(vec![1]);
        q.push(") || typeof(");
        q.opt_int(None);
        q.push(")");
        let texts = futures::executor::block_on(OwnConn(&mut conn).fetch_texts(q)).unwrap();
        assert_eq!(texts, ["textintegerblobnull"]);
    }
}
