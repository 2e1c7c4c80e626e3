//! The PostgreSQL job store: tables in one schema of one database, reached
//! through a pool. Its writes are fenced by each row's version, so several
//! writers never overwrite each other.

mod config;
mod dialect;

use std::str::FromStr;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub use config::{DEFAULT_CONNECTIONS, PostgresSettings};
pub use dialect::PostgresDialect;

use crate::adapters::store::sql::SqlJobStore;
use crate::adapters::store::sql::group_commit::WriterPlace;
use crate::adapters::store::sql::statements::migrator;
use crate::domain::{Error, Result};

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "jobs",
        include_str!("../../../../migrations/postgres/0001_jobs.sql"),
    ),
    (
        2,
        "job trace context",
        include_str!("../../../../migrations/postgres/0002_job_traceparent.sql"),
    ),
    (
        3,
        "api_keys",
        include_str!("../../../../migrations/postgres/0003_api_keys.sql"),
    ),
    (
        4,
        "audit_events",
        include_str!("../../../../migrations/postgres/0004_audit_events.sql"),
    ),
    (
        5,
        "results in the jobs row",
        include_str!("../../../../migrations/postgres/0005_results_in_jobs.sql"),
    ),
    (
        6,
        "leader epoch",
        include_str!("../../../../migrations/postgres/0006_leader_epoch.sql"),
    ),
];

pub type PostgresJobStore = SqlJobStore<PostgresDialect>;

/// Connects and brings the schema up to date. Errors never repeat the URL,
/// which may hold a password.
pub async fn open(settings: &PostgresSettings) -> Result<PostgresJobStore> {
    let pool = connect(settings).await?;
    let schema = &settings.schema;
    migrator(MIGRATIONS)
        .run(&pool)
        .await
        .map_err(|e| Error::unavailable(format!("migrating PostgreSQL schema '{schema}': {e}")))?;
    // The writer's own pool; it writes one batch at a time, on a thread of
    // its own unless the service's runtime has a single worker.
    let writer = PostgresSettings {
        max_connections: 2,
        ..settings.clone()
    };
    let place = WriterPlace::for_this_runtime();
    let connect_writer = move || async move { connect_as(&writer, Plans::Kept).await };
    SqlJobStore::with_own_writer(pool, place, connect_writer).await
}

/// How a pool's connections plan the statements they run again and again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plans {
    /// A plan for the values at hand each time, for the readers, whose
    /// statements (lists by client, tag or state; sweeps) are best planned
    /// for the table as it is: a plan kept from when the table was small
    /// scans it whole once it is large (a batch's array of ids read
    /// sequentially took 10 ms at 100,000 jobs).
    Fresh,
    /// One plan per statement, kept, for the writer. Its few statements
    /// run over and over, and planning each afresh was about a fifth of
    /// PostgreSQL's CPU under three nodes' load. Every one of them finds
    /// its rows by key, so sequential scans are ruled out: a plan made on
    /// an empty table then still finds rows by index when the table is
    /// large (`writer_plans` checks each statement's plan).
    Kept,
}

/// A pool whose connections work in the configured schema, created if
/// missing.
async fn connect(settings: &PostgresSettings) -> Result<PgPool> {
    connect_as(settings, Plans::Fresh).await
}

async fn connect_as(settings: &PostgresSettings, plans: Plans) -> Result<PgPool> {
    let schema = &settings.schema;
    if schema.is_empty()
        || !schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(Error::invalid_argument(format!(
            "storage.postgres_schema '{schema}' may only hold letters, digits and '_'"
        )));
    }
    let options = PgConnectOptions::from_str(&settings.url)
        .map_err(|_| Error::invalid_argument("storage.postgres_url is not a valid PostgreSQL URL"))?
        .options([
            (
                "statement_timeout",
                settings.statement_timeout.as_millis().to_string(),
            ),
            ("search_path", schema.clone()),
        ]);
    let options = match plans {
        Plans::Fresh => options.options([("plan_cache_mode", "force_custom_plan")]),
        Plans::Kept => options.options([
            ("plan_cache_mode", "force_generic_plan"),
            ("enable_seqscan", "off"),
        ]),
    };
    let pool = PgPoolOptions::new()
        .max_connections(settings.max_connections.max(2))
        .acquire_timeout(settings.acquire_timeout)
        .connect_with(options)
        .await
        .map_err(|e| Error::unavailable(format!("cannot connect to PostgreSQL: {}", redact(&e))))?;
    let create_schema = format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"");
    sqlx::raw_sql(sqlx::AssertSqlSafe(create_schema))
        .execute(&pool)
        .await
        .map_err(|e| {
            Error::unavailable(format!("cannot create schema '{schema}': {}", redact(&e)))
        })?;
    Ok(pool)
}

/// sqlx's error text, which names hosts and databases but not passwords.
fn redact(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Configuration(_) => "invalid connection settings".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod writer_plans;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::store::sql::migration_check::*;
    use crate::domain::JobId;

    /// The test database's settings, in a schema of the test's own.
    pub fn settings_in_a_fresh_schema() -> PostgresSettings {
        let url = std::env::var("ARVAK_TEST_DATABASE_URL").expect(
            "ARVAK_TEST_DATABASE_URL is not set: this PostgreSQL test needs a database \
             (e.g. postgres://postgres@127.0.0.1:5432/postgres)",
        );
        PostgresSettings {
            url,
            schema: format!("arvak_test_{}", uuid::Uuid::new_v4().simple()),
            max_connections: 2,
            statement_timeout: std::time::Duration::from_secs(30),
            acquire_timeout: std::time::Duration::from_secs(5),
        }
    }

    /// A schema written before results moved into the jobs row opens with
    /// every stored result in place.
    #[tokio::test]
    async fn results_stored_before_the_move_into_jobs_are_kept() {
        let settings = settings_in_a_fresh_schema();
        let pool = connect(&settings).await.unwrap();
        migrator(&MIGRATIONS[..BEFORE_RESULTS_IN_JOBS])
            .run(&pool)
            .await
            .unwrap();
        let new_id = || JobId::from_uuid(uuid::Uuid::now_v7());
        let (completed, queued) = (new_id(), new_id());
        let rows = old_rows(completed, queued, |text| {
            format!("convert_to('{text}', 'UTF8')")
        });
        sqlx::raw_sql(sqlx::AssertSqlSafe(rows))
            .execute(&pool)
            .await
            .unwrap();

        let store = open(&settings).await.unwrap();
        assert_results_kept(&store, completed, queued).await;
        let drop = format!("DROP SCHEMA \"{}\" CASCADE", settings.schema);
        sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
            .execute(&pool)
            .await
            .unwrap();
    }

    /// Two sessions that wait for each other's locks: PostgreSQL fails one
    /// of them, and that failure (unlike, say, a broken constraint) is the
    /// kind a writer sends again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_deadlock_is_worth_retrying_and_a_broken_rule_is_not() {
        use crate::adapters::store::sql::error::{DbError, is_worth_retrying};
        let url = std::env::var("ARVAK_TEST_DATABASE_URL").expect(
            "ARVAK_TEST_DATABASE_URL is not set: this PostgreSQL test needs a database \
             (e.g. postgres://postgres@127.0.0.1:5432/postgres)",
        );
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let (mut a, mut b) = (pool.begin().await.unwrap(), pool.begin().await.unwrap());
        // Keys of our own, so that no other test's locks meet these.
        let keys = (uuid::Uuid::new_v4().as_u64_pair().0 >> 2) as i64;
        let lock = |key: i64| format!("SELECT pg_advisory_xact_lock({key})");
        for (tx, key) in [(&mut a, keys), (&mut b, keys + 1)] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(lock(key)))
                .execute(&mut **tx)
                .await
                .unwrap();
        }
        let (first, second) = tokio::join!(
            sqlx::raw_sql(sqlx::AssertSqlSafe(lock(keys + 1))).execute(&mut *a),
            sqlx::raw_sql(sqlx::AssertSqlSafe(lock(keys))).execute(&mut *b),
        );
        let failed = first.err().or(second.err()).expect("one session fails");
        assert!(is_worth_retrying(&DbError::Sqlx(failed)));

        let broken = sqlx::raw_sql("SELECT 1 / 0")
            .execute(&pool)
            .await
            .unwrap_err();
        assert!(!is_worth_retrying(&DbError::Sqlx(broken)));
    }
}
