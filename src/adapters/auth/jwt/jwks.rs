//! A JWKS document fetched over HTTPS (reqwest, rustls): at start, and again
//! when a token names a key id that is not in it, but never more often than
//! the configured interval, so tokens with made-up key ids cannot make the
//! server hammer the identity provider.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::keys::{SigningKey, jwk_key};
use crate::domain::{Error, Result};

pub struct Jwks {
    url: String,
    client: reqwest::Client,
    min_interval: Duration,
    keys: RwLock<Arc<Vec<Arc<SigningKey>>>>,
    last_fetch: Mutex<Option<Instant>>,
}

impl Jwks {
    /// Fetches the document once; a failure is logged and the keys stay
    /// empty until a later fetch succeeds, so the server still starts.
    pub async fn start(url: String, min_interval: Duration) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::internal(format!("JWKS client: {e}")))?;
        let jwks = Self {
            url,
            client,
            min_interval,
            keys: RwLock::new(Arc::new(Vec::new())),
            last_fetch: Mutex::new(None),
        };
        jwks.refresh_if_due().await;
        Ok(jwks)
    }

    pub fn keys(&self) -> Arc<Vec<Arc<SigningKey>>> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Fetches again unless the last fetch was less than the interval ago;
    /// true when the keys were replaced.
    pub async fn refresh_if_due(&self) -> bool {
        let mut last = self.last_fetch.lock().await;
        if last.is_some_and(|at| at.elapsed() < self.min_interval) {
            return false;
        }
        *last = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => {
                tracing::info!(url = %self.url, keys = keys.len(), "JWKS fetched");
                *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
                true
            }
            Err(error) => {
                tracing::warn!(url = %self.url, %error, "JWKS fetch failed; keeping the keys fetched before");
                false
            }
        }
    }

    async fn fetch(&self) -> Result<Vec<Arc<SigningKey>>> {
        let set: JwkSet = self
            .client
            .get(&self.url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| Error::unavailable(format!("fetching the JWKS: {e}")))?
            .json()
            .await
            .map_err(|e| Error::unavailable(format!("reading the JWKS: {e}")))?;
        Ok(set.keys.iter().filter_map(jwk_key).map(Arc::new).collect())
    }
}
