//! How PostgreSQL runs the shared queries.

use async_trait::async_trait;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};

use crate::adapters::storage::flow::SqlDialect;
use crate::adapters::storage::row::JobRow;
use crate::adapters::storage::sql::{Bind, read_job_row};

impl Bind for Postgres {
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

pub struct PostgresDialect;

#[async_trait]
impl SqlDialect for PostgresDialect {
    type Db = Postgres;
    // Transitions lock their row, so several nodes may write at once.
    const ROW_LOCKS: bool = true;

    async fn execute(
        conn: &mut PgConnection,
        mut query: QueryBuilder<Postgres>,
    ) -> Result<u64, sqlx::Error> {
        Ok(query.build().execute(conn).await?.rows_affected())
    }

    async fn fetch_jobs(
        conn: &mut PgConnection,
        mut query: QueryBuilder<Postgres>,
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
        conn: &mut PgConnection,
        mut query: QueryBuilder<Postgres>,
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
        conn: &mut PgConnection,
        mut query: QueryBuilder<Postgres>,
    ) -> Result<i64, sqlx::Error> {
        let row = query.build().fetch_one(conn).await?;
        // COUNT(*) is BIGINT, a literal 1 is INTEGER.
        row.try_get::<i64, _>(0)
            .or_else(|_| row.try_get::<i32, _>(0).map(i64::from))
    }

    async fn fetch_result(
        conn: &mut PgConnection,
        mut query: QueryBuilder<Postgres>,
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
