//! How SQLite runs the shared queries.

use sqlx::sqlite::SqliteArguments;
use sqlx::{Sqlite, SqliteConnection};

use crate::adapters::store::sql::query::{ArrayArguments, SqlArray};
use crate::adapters::store::sql::writes::sql_dialect;

sql_dialect!(
    /// SQLite has no row locks; the store writes through one writer.
    SqliteDialect,
    Sqlite,
    SqliteConnection,
    row_locks: false,
    arrays: false
);

impl ArrayArguments for SqliteArguments {
    fn add_array(&mut self, _: SqlArray) -> Result<(), sqlx::error::BoxDynError> {
        Err("SQLite takes no array parameters".into())
    }
}
