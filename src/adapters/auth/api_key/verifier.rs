//! Checks `x-api-key`: its shape, then the one stored key its id names,
//! then bcrypt (on the blocking pool) once per cache period. A cached key
//! is asked about again (enabled?) as often as its store says.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::time::Instant;

use super::key::{PresentedKey, secret_matches};
use crate::domain::{AuthMethod, Error, Identity, Result};
use crate::ports::{ApiKeyStore, Credentials, StoredApiKey};
use crate::ports::{Verified, Verifier};
use crate::support::verified_cache::{VerifiedCache, digest};

pub struct ApiKeyVerifier {
    store: Arc<dyn ApiKeyStore>,
    prefix: String,
    cache: VerifiedCache<String>,
}

impl ApiKeyVerifier {
    pub fn new(
        store: Arc<dyn ApiKeyStore>,
        prefix: String,
        cache_ttl: std::time::Duration,
    ) -> Self {
        Self {
            store,
            prefix,
            cache: VerifiedCache::new(cache_ttl),
        }
    }

    /// The key the id names, if it exists and is enabled.
    async fn usable(&self, key_id: &str) -> Result<StoredApiKey> {
        match self.store.find(key_id).await? {
            None => Err(Error::unauthenticated(format!(
                "unknown API key '{key_id}'"
            ))),
            Some(key) if !key.enabled => Err(Error::unauthenticated(format!(
                "API key '{key_id}' is disabled"
            ))),
            Some(key) => Ok(key),
        }
    }

    /// A cached verification, still valid if the store still vouches.
    async fn cached(&self, key_id: &str, digest: &[u8; 32]) -> Result<Option<Identity>> {
        let now = Instant::now();
        let key = key_id.to_owned();
        let Some(hit) = self.cache.get(&key, digest, now) else {
            return Ok(None);
        };
        if now.duration_since(hit.checked_at) >= self.store.recheck_interval() {
            if let Err(error) = self.usable(key_id).await {
                self.cache.remove(&key);
                return Err(error);
            }
            self.cache.confirm(&key, now);
        }
        Ok(Some(hit.identity))
    }
}

#[async_trait]
impl Verifier for ApiKeyVerifier {
    async fn verify(&self, credentials: &Credentials) -> Result<Verified> {
        let presented = credentials
            .api_key
            .as_ref()
            .ok_or_else(|| Error::unauthenticated("no API key"))?;
        let parsed = PresentedKey::parse(presented.expose(), &self.prefix)?;
        let key_id = parsed.key_id;
        let digest = digest(presented.expose());
        if let Some(identity) = self.cached(key_id, &digest).await? {
            return Ok(Verified {
                identity,
                fresh: false,
            });
        }
        let stored = self.usable(key_id).await?;
        let secret = parsed.secret.to_owned();
        let hash = stored.hash.clone();
        let matches = tokio::task::spawn_blocking(move || secret_matches(&secret, &hash))
            .await
            .map_err(|_| Error::internal("API key check stopped"))??;
        if !matches {
            return Err(Error::unauthenticated(format!(
                "wrong secret for API key '{key_id}'"
            )));
        }
        let identity = Identity {
            client_id: stored.client_id,
            method: AuthMethod::ApiKey,
            subject: stored.key_id,
            groups: Vec::new(),
        };
        let now = Instant::now();
        self.cache
            .insert(key_id.to_owned(), digest, identity.clone(), now, None);
        Ok(Verified {
            identity,
            fresh: true,
        })
    }
}

#[cfg(test)]
mod tests;
