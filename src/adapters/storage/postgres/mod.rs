//! The PostgreSQL job store, for clusters: several nodes share it.

mod dialect;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub use dialect::PostgresDialect;

use super::SqlJobStore;
use super::sql::migrator;
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
];

/// Connections when the configuration names none.
pub const DEFAULT_CONNECTIONS: u32 = 10;

/// How to connect.
#[derive(Clone)]
pub struct PostgresSettings {
    /// `postgres://user:password@host/db`; never logged.
    pub url: String,
    /// Schema for the tables (created if missing); `public` by default.
    pub schema: String,
    pub max_connections: u32,
    /// A statement running longer than this is canceled by the server.
    pub statement_timeout: Duration,
    /// How long a caller waits for a free connection before UNAVAILABLE.
    pub acquire_timeout: Duration,
}

impl std::fmt::Debug for PostgresSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresSettings")
            .field("url", &"<redacted>")
            .field("schema", &self.schema)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

pub type PostgresJobStore = SqlJobStore<PostgresDialect>;

/// Connects and brings the schema up to date. Errors never repeat the URL,
/// which may hold a password.
pub async fn open(settings: &PostgresSettings) -> Result<PostgresJobStore> {
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
    migrator(MIGRATIONS)
        .run(&pool)
        .await
        .map_err(|e| Error::unavailable(format!("migrating PostgreSQL schema '{schema}': {e}")))?;
    Ok(SqlJobStore::new(pool))
}

/// sqlx's error text, which names hosts and databases but not passwords.
fn redact(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Configuration(_) => "invalid connection settings".to_owned(),
        other => other.to_string(),
    }
}
