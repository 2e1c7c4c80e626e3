//! How SQLite runs the shared queries.

use sqlx::{Sqlite, SqliteConnection};

use crate::adapters::store::sql::writes::sql_dialect;

sql_dialect!(
    /// SQLite has no row locks; the store writes through one writer.
    SqliteDialect,
    Sqlite,
    SqliteConnection,
    row_locks: false
);
