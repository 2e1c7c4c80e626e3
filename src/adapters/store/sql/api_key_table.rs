//! API keys in the `api_keys` table of the SQL storage (migration 0002), for
//! every node of a cluster at once. A cached key's enabled flag is read again
//! after `recheck_interval`, so a disabled key stops working on every node
//! within it.

use std::marker::PhantomData;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::Pool;

use super::statements::SqlQuery;

use super::error::store_error;
use super::writes::{ApiKeyRow, SqlDialect};
use crate::domain::{ClientId, Error, Result, UnixMillis};
use crate::ports::{ApiKeyStore, StoredApiKey};

const COLUMNS: &str = "key_id, client_id, enabled, created_at, hash";

pub struct SqlApiKeyStore<D: SqlDialect> {
    pool: Pool<D::Db>,
    recheck: Duration,
    _dialect: PhantomData<D>,
}

impl<D: SqlDialect> SqlApiKeyStore<D> {
    /// Over a pool whose migrations have run (the job store's).
    pub fn new(pool: Pool<D::Db>, recheck: Duration) -> Self {
        Self {
            pool,
            recheck,
            _dialect: PhantomData,
        }
    }

    async fn rows(&self, query: SqlQuery) -> Result<Vec<StoredApiKey>> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| store_error("reading API keys", e))?;
        let rows = D::fetch_api_keys(&mut conn, query)
            .await
            .map_err(|e| store_error("reading API keys", e))?;
        rows.into_iter().map(stored).collect()
    }

    async fn execute(&self, query: SqlQuery) -> Result<u64> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| store_error("writing API keys", e))?;
        D::execute(&mut conn, query)
            .await
            .map_err(|e| store_error("writing API keys", e))
    }
}

fn stored((key_id, client_id, enabled, created_at, hash): ApiKeyRow) -> Result<StoredApiKey> {
    Ok(StoredApiKey {
        client_id: ClientId::parse(&client_id)
            .map_err(|e| Error::internal(format!("API key '{key_id}': {}", e.message())))?,
        key_id,
        enabled: enabled != 0,
        created_at: UnixMillis(created_at),
        hash,
    })
}

#[async_trait]
impl<D: SqlDialect> ApiKeyStore for SqlApiKeyStore<D> {
    async fn find(&self, key_id: &str) -> Result<Option<StoredApiKey>> {
        let mut q = SqlQuery::new(format!("SELECT {COLUMNS} FROM api_keys WHERE key_id = "));
        q.text(key_id.to_owned());
        Ok(self.rows(q).await?.into_iter().next())
    }

    async fn insert(&self, key: StoredApiKey) -> Result<()> {
        let mut q = SqlQuery::new(format!("INSERT INTO api_keys ({COLUMNS}) VALUES ("));
        q.text(key.key_id.clone());
        q.push(", ");
        q.text(key.client_id.to_string());
        q.push(", ");
        q.int(i64::from(key.enabled));
        q.push(", ");
        q.int(key.created_at.0);
        q.push(", ");
        q.text(key.hash);
        q.push(") ON CONFLICT (key_id) DO NOTHING");
        if self.execute(q).await? == 0 {
            return Err(Error::failed_precondition(format!(
                "API key '{}' exists already",
                key.key_id
            )));
        }
        Ok(())
    }

    async fn set_enabled(&self, key_id: &str, enabled: bool) -> Result<bool> {
        let mut q = SqlQuery::new("UPDATE api_keys SET enabled = ");
        q.int(i64::from(enabled));
        q.push(" WHERE key_id = ");
        q.text(key_id.to_owned());
        Ok(self.execute(q).await? > 0)
    }

    async fn list(&self) -> Result<Vec<StoredApiKey>> {
        let q = SqlQuery::new(format!(
            "SELECT {COLUMNS} FROM api_keys ORDER BY created_at, key_id"
        ));
        self.rows(q).await
    }

    fn recheck_interval(&self) -> Duration {
        self.recheck
    }
}
