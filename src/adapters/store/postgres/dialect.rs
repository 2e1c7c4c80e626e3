//! How PostgreSQL runs the shared queries.

use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgConnection, Postgres};

use crate::adapters::store::sql::query::{ArrayArguments, SqlArray};
use crate::adapters::store::sql::writes::sql_dialect;

sql_dialect!(
    /// Transitions lock their row, so several nodes may write at once; many
    /// rows go in one statement through arrays.
    PostgresDialect,
    Postgres,
    PgConnection,
    row_locks: true,
    arrays: true
);

impl ArrayArguments for PgArguments {
    fn add_array(&mut self, array: SqlArray) -> Result<(), sqlx::error::BoxDynError> {
        match array {
            SqlArray::Text(values) => self.add(values),
            SqlArray::OptText(values) => self.add(values),
            SqlArray::Int(values) => self.add(values),
            SqlArray::OptInt(values) => self.add(values),
            SqlArray::OptBytes(values) => self.add(values),
            SqlArray::Bool(values) => self.add(values),
        }
    }
}
