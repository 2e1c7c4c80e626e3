//! How PostgreSQL runs the shared queries.

use sqlx::{PgConnection, Postgres};

use crate::adapters::store::sql::writes::sql_dialect;

sql_dialect!(
    /// Transitions lock their row, so several nodes may write at once.
    PostgresDialect,
    Postgres,
    PgConnection,
    row_locks: true
);
