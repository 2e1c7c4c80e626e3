//! The SQLite job store: one file, WAL journal, durable commits, written by
//! one thread with a connection of its own (`writer`), read through a pool.

mod config;
mod dialect;
mod writer;

use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use config::{DEFAULT_CONNECTIONS, SqliteSettings};
pub use dialect::SqliteDialect;

use crate::adapters::store::sql::SqlJobStore;
use crate::adapters::store::sql::error::store_error;
use crate::adapters::store::sql::group_commit::GroupCommit;
use crate::adapters::store::sql::sql_store::MAX_BATCH;
use crate::adapters::store::sql::statements::migrator;
use crate::domain::{Error, Result};

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "jobs",
        include_str!("../../../../migrations/sqlite/0001_jobs.sql"),
    ),
    (
        2,
        "job trace context",
        include_str!("../../../../migrations/sqlite/0002_job_traceparent.sql"),
    ),
    (
        3,
        "api_keys",
        include_str!("../../../../migrations/sqlite/0003_api_keys.sql"),
    ),
    (
        4,
        "audit_events",
        include_str!("../../../../migrations/sqlite/0004_audit_events.sql"),
    ),
    (
        5,
        "results in the jobs row",
        include_str!("../../../../migrations/sqlite/0005_results_in_jobs.sql"),
    ),
    (
        6,
        "leader epoch",
        include_str!("../../../../migrations/sqlite/0006_leader_epoch.sql"),
    ),
];

/// Prepared statements kept per pooled connection. sqlx keeps 100 by
/// default, but multi-row INSERTs differ with every row count (the group
/// commit's, when it ran on the pool; now the audit trail's), and the cache
/// filled with large one-off statements on every connection: after 100,000
/// jobs 42 MiB of the server's 123 MiB. The few statements that repeat fit
/// in 16.
const STATEMENT_CACHE: usize = 16;

pub type SqliteJobStore = SqlJobStore<SqliteDialect>;

/// Page cache of each pooled connection, in KiB (SQLite's own default is
/// 2,000). The pool serves only what the job cache misses: a backlog
/// longer than the cache, old jobs' status, listings. After a backlog of
/// 236,000 jobs had run, four connections' caches of 2 MiB held 6 MiB of
/// the server's 65; the file's pages stay in the kernel's page cache, so a
/// miss here costs a read from memory, not from disk.
const POOL_PAGE_CACHE_KIB: u32 = 256;

/// How each pooled connection opens the database.
fn pool_options(settings: &SqliteSettings) -> Result<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str("sqlite://")
        .map_err(|e| store_error("configuring SQLite", e))?
        .filename(&settings.path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(if settings.synchronous_full {
            SqliteSynchronous::Full
        } else {
            SqliteSynchronous::Normal
        })
        .busy_timeout(settings.busy_timeout)
        .statement_cache_capacity(STATEMENT_CACHE)
        // Negative: a size in KiB rather than in pages.
        .pragma("cache_size", format!("-{POOL_PAGE_CACHE_KIB}"))
        .foreign_keys(false))
}

/// Opens (creating if needed) the database file and brings its schema up to
/// date.
pub async fn open(settings: &SqliteSettings) -> Result<SqliteJobStore> {
    if let Some(dir) = settings.path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::unavailable(format!(
                "cannot create the data directory {}: {e}",
                dir.display()
            ))
        })?;
    }
    let options = pool_options(settings)?;
    let pool = SqlitePoolOptions::new()
        .max_connections(settings.max_connections.max(2))
        .connect_with(options)
        .await
        .map_err(|e| store_error(&format!("opening {}", settings.path.display()), e))?;
    migrator(MIGRATIONS)
        .run(&pool)
        .await
        .map_err(|e| Error::unavailable(format!("migrating {}: {e}", settings.path.display())))?;
    // One server per database file (the writer thread is the only writer),
    // so what it committed last can be read back from memory.
    let cache = (settings.cache_bytes > 0).then_some(settings.cache_bytes);
    let conn = writer::connect(settings)?;
    SqlJobStore::with_writer(pool, cache, |cache| {
        GroupCommit::start_on_thread(
            writer::ThreadWriter::new(conn, cache),
            MAX_BATCH,
            "arvak-sqlite-writer",
        )
        .map_err(|e| Error::unavailable(format!("cannot start the SQLite writer: {e}")))
    })
}

#[cfg(test)]
mod tests {
    use sqlx::ConnectOptions;

    use super::*;

    /// Durable settings for a file in `dir`.
    fn durable_in(dir: &tempfile::TempDir) -> SqliteSettings {
        SqliteSettings {
            path: dir.path().join("jobs.db"),
            synchronous_full: true,
            busy_timeout: std::time::Duration::from_secs(1),
            max_connections: 2,
            cache_bytes: 0,
        }
    }

    /// The pool's connections keep a small page cache, and the same
    /// durability as configured.
    #[tokio::test]
    async fn pooled_connections_keep_a_small_page_cache() {
        let dir = tempfile::tempdir().unwrap();
        let settings = durable_in(&dir);
        let mut conn = pool_options(&settings).unwrap().connect().await.unwrap();
        let cache_size: i64 = sqlx::query_scalar("PRAGMA cache_size")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(cache_size, -i64::from(POOL_PAGE_CACHE_KIB));
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(synchronous, 2, "FULL");
    }

    /// A file written before results moved into the jobs row opens with
    /// every stored result in place.
    #[tokio::test]
    async fn results_stored_before_the_move_into_jobs_are_kept() {
        use crate::adapters::store::sql::migration_check::*;
        use crate::domain::JobId;

        let dir = tempfile::tempdir().unwrap();
        let settings = durable_in(&dir);
        let pool = SqlitePoolOptions::new()
            .connect_with(pool_options(&settings).unwrap())
            .await
            .unwrap();
        migrator(&MIGRATIONS[..BEFORE_RESULTS_IN_JOBS])
            .run(&pool)
            .await
            .unwrap();
        let new_id = || JobId::from_uuid(uuid::Uuid::now_v7());
        let (completed, queued) = (new_id(), new_id());
        let rows = old_rows(completed, queued, |text| format!("CAST('{text}' AS BLOB)"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(rows))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;

        let store = open(&settings).await.unwrap();
        assert_results_kept(&store, completed, queued).await;
    }
}
