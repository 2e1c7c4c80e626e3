//! The PostgreSQL store's settings, from the `storage` keys it reads.

use std::time::Duration;

use crate::domain::{Error, Result};

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

impl PostgresSettings {
    /// From `storage.postgres_url` (required), `storage.postgres_schema`,
    /// `storage.max_connections`, `storage.statement_timeout_secs` and
    /// `storage.acquire_timeout_secs`.
    pub fn from_config(
        url: Option<String>,
        schema: String,
        max_connections: Option<u32>,
        statement_timeout_secs: u64,
        acquire_timeout_secs: u64,
    ) -> Result<Self> {
        let url = url.ok_or_else(|| {
            Error::invalid_argument(
                "configuration: storage type 'postgres' needs storage.postgres_url (ARVAK_STORAGE_POSTGRES_URL)",
            )
        })?;
        Ok(Self {
            url,
            schema,
            max_connections: max_connections.unwrap_or(DEFAULT_CONNECTIONS),
            statement_timeout: Duration::from_secs(statement_timeout_secs.max(1)),
            acquire_timeout: Duration::from_secs(acquire_timeout_secs.max(1)),
        })
    }
}
