//! IBM Cloud IAM: the API key is traded for an access token
//! (`POST {iam_url}/identity/token`, form-encoded
//! `grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=…`, answered
//! with `access_token` and `expires_in`/`expiration`). The token is kept and
//! traded again once 80 % of its life has passed, or when the service
//! refuses it. Neither the key nor a token is ever logged.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::adapters::backend::remote::http::HttpClient;
use crate::adapters::backend::remote::{Secret, SecretReader};
use crate::domain::{Error, ErrorKind, Result};

const GRANT_TYPE: &str = "urn:ibm:params:oauth:grant-type:apikey";
/// Share of a token's life after which a new one is fetched, so that a
/// call never leaves with a token about to expire.
const REFRESH_AT: f64 = 0.8;

#[derive(Debug)]
pub struct TokenSource {
    http: HttpClient,
    token_url: String,
    api_key: SecretReader,
    /// Held across an exchange, so concurrent calls wait for one new token
    /// instead of each fetching their own.
    cached: Mutex<Option<Cached>>,
}

#[derive(Debug)]
struct Cached {
    token: Secret,
    refresh_at: Instant,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    /// Seconds the token lives.
    expires_in: Option<u64>,
    /// When it expires, in Unix seconds (read when `expires_in` is missing).
    expiration: Option<u64>,
}

impl TokenSource {
    pub fn new(http: HttpClient, iam_base: &str, api_key: SecretReader) -> Self {
        Self {
            http,
            token_url: format!("{iam_base}/identity/token"),
            api_key,
            cached: Mutex::new(None),
        }
    }

    /// A token that has most of its life ahead of it.
    pub async fn current(&self) -> Result<Secret> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && Instant::now() < c.refresh_at
        {
            return Ok(c.token.clone());
        }
        let fresh = self.exchange().await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// Drops `refused` (the service answered 401 to it), unless another
    /// call has already replaced it.
    pub async fn forget(&self, refused: &Secret) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| &c.token == refused) {
            *cached = None;
        }
    }

    async fn exchange(&self) -> Result<Cached> {
        let key = self.api_key.current()?;
        let body = form_encode(&[("grant_type", GRANT_TYPE), ("apikey", key.expose())]);
        let request = self
            .http
            .client()
            .post(&self.token_url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .body(body);
        let asked_at = Instant::now();
        let answer: TokenAnswer = self
            .http
            .json(request, "IBM Cloud IAM token exchange")
            .await
            .map_err(|e| match e.kind() {
                // IAM answers 400 to an unknown or disabled API key.
                ErrorKind::InvalidArgument | ErrorKind::NotFound => {
                    Error::unauthenticated(e.message().to_owned())
                }
                _ => e,
            })?;
        let life = match (answer.expires_in, answer.expiration) {
            (Some(secs), _) => Duration::from_secs(secs),
            (None, Some(at)) => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                Duration::from_secs(at).saturating_sub(now)
            }
            // No lifetime given: used for this call only.
            (None, None) => Duration::ZERO,
        };
        tracing::debug!(
            lifetime_secs = life.as_secs(),
            "IBM Cloud IAM issued a new access token"
        );
        Ok(Cached {
            token: Secret::new(answer.access_token),
            refresh_at: asked_at + life.mul_f64(REFRESH_AT),
        })
    }
}

/// `application/x-www-form-urlencoded`: letters, digits and `*-._` kept,
/// space as `+`, every other byte as `%XX`.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        let mut out = String::with_capacity(text.len());
        for byte in text.bytes() {
            match byte {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                    out.push(byte as char)
                }
                b' ' => out.push('+'),
                other => out.push_str(&format!("%{other:02X}")),
            }
        }
        out
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_are_percent_encoded() {
        assert_eq!(
            form_encode(&[("grant_type", GRANT_TYPE), ("apikey", "a+b c/é=&")]),
            "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=a%2Bb+c%2F%C3%A9%3D%26"
        );
    }
}
