//! Checks `authorization: Bearer <JWT>`: the header's `kid` and `alg` pick
//! the key (the algorithm must be one the key's type allows), then the
//! signature, `exp` and `nbf` (with leeway), issuer and audience. A verified
//! token is cached until it expires or the cache period ends.

use std::time::Duration;

use async_trait::async_trait;
use jsonwebtoken::errors::ErrorKind as JwtErrorKind;
use jsonwebtoken::{Algorithm, Validation, decode, decode_header};
use serde_json::{Map, Value};
use tokio::time::Instant;

use super::config::JwtSettings;
use super::error::refusal;
use super::keys::KeySet;
use crate::domain::{AuthMethod, ClientId, Error, Identity, Result};
use crate::ports::Credentials;
use crate::ports::{Verified, Verifier};
use crate::support::verified_cache::{VerifiedCache, digest};

pub struct JwtVerifier {
    keys: KeySet,
    settings: JwtSettings,
    cache: VerifiedCache<[u8; 32]>,
}

fn groups(claims: &Map<String, Value>, name: &str) -> Vec<String> {
    match claims.get(name) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

impl JwtVerifier {
    pub fn new(keys: KeySet, settings: JwtSettings) -> Self {
        let cache = VerifiedCache::new(settings.cache_ttl);
        Self {
            keys,
            settings,
            cache,
        }
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.algorithms = vec![algorithm];
        validation.leeway = self.settings.leeway.as_secs();
        validation.validate_nbf = true;
        let mut required = vec!["exp"];
        if let Some(issuer) = &self.settings.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        match &self.settings.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        validation
    }

    /// The verified claims of `token`.
    async fn claims(&self, token: &str) -> Result<Map<String, Value>> {
        let header = decode_header(token).map_err(|e| refusal(&e))?;
        let kid = header.kid.as_deref();
        let candidates = self.keys.candidates(kid).await;
        if candidates.is_empty() {
            return Err(Error::unauthenticated(match kid {
                Some(kid) => format!("token signed by unknown key '{kid}'"),
                None => "no signing key configured".to_owned(),
            }));
        }
        let mut usable = candidates
            .iter()
            .filter(|key| key.algorithms.contains(&header.alg))
            .peekable();
        if usable.peek().is_none() {
            return Err(Error::unauthenticated(format!(
                "token algorithm {:?} not accepted for its key",
                header.alg
            )));
        }
        let validation = self.validation(header.alg);
        let mut last = None;
        for key in usable {
            match decode::<Map<String, Value>>(token, &key.key, &validation) {
                Ok(data) => return Ok(data.claims),
                // Without a kid several keys may fit; try the next one.
                Err(error) if *error.kind() == JwtErrorKind::InvalidSignature => last = Some(error),
                Err(error) => return Err(refusal(&error)),
            }
        }
        Err(last.map_or_else(
            || Error::unauthenticated("malformed token"),
            |e| refusal(&e),
        ))
    }

    fn identity(&self, claims: &Map<String, Value>) -> Result<Identity> {
        let claim = &self.settings.client_id_claim;
        let name = claims
            .get(claim)
            .and_then(Value::as_str)
            .ok_or_else(|| Error::unauthenticated(format!("token has no '{claim}' claim")))?;
        let client_id = ClientId::parse(name).map_err(|e| {
            Error::unauthenticated(format!(
                "token '{claim}' is not a client id: {}",
                e.message()
            ))
        })?;
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or(name)
            .to_owned();
        Ok(Identity {
            client_id,
            method: AuthMethod::Jwt,
            subject,
            groups: groups(claims, &self.settings.groups_claim),
        })
    }
}

#[async_trait]
impl Verifier for JwtVerifier {
    async fn verify(&self, credentials: &Credentials) -> Result<Verified> {
        let token = credentials
            .bearer_token
            .as_ref()
            .ok_or_else(|| Error::unauthenticated("no bearer token"))?
            .expose();
        let digest = digest(token);
        let now = Instant::now();
        if let Some(hit) = self.cache.get(&digest, &digest, now) {
            return Ok(Verified {
                identity: hit.identity,
                fresh: false,
            });
        }
        let claims = self.claims(token).await?;
        let identity = self.identity(&claims)?;
        // Cached no longer than the token itself is valid.
        let left = claims.get("exp").and_then(Value::as_u64).map(|exp| {
            Duration::from_secs(exp.saturating_sub(jsonwebtoken::get_current_timestamp()))
        });
        self.cache.insert(
            digest,
            digest,
            identity.clone(),
            now,
            left.map(|left| now + left),
        );
        Ok(Verified {
            identity,
            fresh: true,
        })
    }
}
