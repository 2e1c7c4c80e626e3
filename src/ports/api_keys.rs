//! Where API keys are kept: only what identifies a key and a bcrypt hash of
//! its secret, never the secret itself. A YAML file and a SQL table
//! implement it; the authenticator and the `api-key` subcommand use it.

use std::time::Duration;

use async_trait::async_trait;

use crate::domain::{ClientId, Result, UnixMillis};

/// One issued key as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredApiKey {
    /// The public part of the key (`arvak_<key id>_<secret>`), unique.
    pub key_id: String,
    /// The tenant the key authenticates as.
    pub client_id: ClientId,
    /// A disabled key is refused; it is kept so its id is never reused.
    pub enabled: bool,
    pub created_at: UnixMillis,
    /// bcrypt hash of the key's secret part.
    pub hash: String,
}

#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// The key with this id, enabled or not.
    async fn find(&self, key_id: &str) -> Result<Option<StoredApiKey>>;

    /// Adds a new key; an existing id is refused (FAILED_PRECONDITION).
    async fn insert(&self, key: StoredApiKey) -> Result<()>;

    /// Sets the enabled flag; false when no key has this id.
    async fn set_enabled(&self, key_id: &str, enabled: bool) -> Result<bool>;

    /// Every key, oldest first.
    async fn list(&self) -> Result<Vec<StoredApiKey>>;

    /// How long a cached verification may go without asking `find` again
    /// whether its key is still enabled: zero where `find` is a memory
    /// lookup, a few seconds where it is a database query.
    fn recheck_interval(&self) -> Duration;
}
