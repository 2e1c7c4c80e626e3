//! How SQLite runs the shared queries.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::adapters::storage::flow::SqlDialect;
use crate::adapters::storage::row::JobRow;
use crate::adapters::storage::sql::{Bind, read_job_row};

impl Bind for Sqlite {
    fn text(query: &mut QueryBuilder<Self>, value: String) {
        query.push_bind(value);
    }
    fn int(query: &mut QueryBuilder<Self>, value: i64) {
        query.push_bind(value);
    }
    fn opt_text(query: &mut QueryBuilder<Self>, value: Option<String>) {
        query.push_bind(value);
    }
    fn opt_int(query: &mut QueryBuilder<Self>, value: Option<i64>) {
        query.push_bind(value);
    }
    fn bytes(query: &mut QueryBuilder<Self>, value: Vec<u8>) {
        query.push_bind(value);
    }
}

pub struct SqliteDialect;

#[async_trait]
impl SqlDialect for SqliteDialect {
    type Db = Sqlite;
    // SQLite has no row locks; the store writes through one connection.
    const ROW_LOCKS: bool = false;

    async fn execute(
        conn: &mut SqliteConnection,
        mut query: QueryBuilder<Sqlite>,
    ) -> Result<u64, sqlx::Error> {
        Ok(query.build().execute(conn).await?.rows_affected())
    }

    async fn fetch_jobs(
        conn: &mut SqliteConnection,
        mut query: QueryBuilder<Sqlite>,
    ) -> Result<Vec<JobRow>, sqlx::Error> {
        query
            .build()
            .fetch_all(conn)
            .await?
            .iter()
            .map(read_job_row)
            .collect()
    }

    async fn fetch_texts(
        conn: &mut SqliteConnection,
        mut query: QueryBuilder<Sqlite>,
    ) -> Result<Vec<String>, sqlx::Error> {
        query
            .build()
            .fetch_all(conn)
            .await?
            .iter()
            .map(|row| row.try_get(0))
            .collect()
    }

    async fn fetch_int(
        conn: &mut SqliteConnection,
        mut query: QueryBuilder<Sqlite>,
    ) -> Result<i64, sqlx::Error> {
        query.build().fetch_one(conn).await?.try_get(0)
    }

    async fn fetch_result(
        conn: &mut SqliteConnection,
        mut query: QueryBuilder<Sqlite>,
    ) -> Result<Option<(Vec<u8>, i64, i64, String)>, sqlx::Error> {
        let Some(row) = query.build().fetch_optional(conn).await? else {
            return Ok(None);
        };
        Ok(Some((
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        )))
    }
}
