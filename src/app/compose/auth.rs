//! Authentication and the audit trail from the `auth` and `audit` sections:
//! one line per method, each failing with the missing feature's name when
//! the method is configured but not compiled in.

use std::sync::Arc;
use std::time::Duration;

#[allow(unused_imports)] // used by builds that lack a method's feature
use super::missing_feature;
use crate::adapters::audit::file::JsonLinesFile;
use crate::adapters::audit::{AuditFlush, QueuedAudit};
use crate::adapters::auth::{AnonymousOnly, AuthChain, FailureLockout, LockoutLimits, Verifiers};
use crate::adapters::clock::SystemClock;
use crate::app::config::{AuthConfig, Config};
use crate::domain::{Error, Result};
use crate::ports::{
    ApiKeyStore, AuditLog, AuditSink, AuditTable, Authenticator, NoAudit, Verifier,
};

type MaybeVerifier = Result<Option<Arc<dyn Verifier>>>;

/// The audit trail: a JSON-lines file when `audit.file` is set, the SQL
/// storage's `audit_events` table when `audit.table` is true, or both.
pub fn audit_log(
    config: &Config,
    table: Option<Arc<dyn AuditTable>>,
) -> Result<(Arc<dyn AuditLog>, Option<AuditFlush>)> {
    let mut sinks: Vec<Box<dyn AuditSink>> = Vec::new();
    if let Some(path) = &config.audit.file {
        sinks.push(Box::new(JsonLinesFile::open(path)?));
    }
    if config.audit.table {
        let table = table.ok_or_else(|| {
            Error::invalid_argument(
                "configuration: audit.table needs SQL storage (storage.type sqlite or postgres); use audit.file with memory storage",
            )
        })?;
        sinks.push(table.sink());
    }
    if sinks.is_empty() {
        return Ok((Arc::new(NoAudit), None));
    }
    let (audit, flush) = QueuedAudit::start(sinks);
    Ok((Arc::new(audit), Some(flush)))
}

/// Where API keys are kept: the YAML file when `auth.api_keys.file` is
/// set, else the SQL storage's table (`key_table`).
pub fn api_key_store(
    config: &Config,
    key_table: Option<Arc<dyn ApiKeyStore>>,
) -> Result<Arc<dyn ApiKeyStore>> {
    #[cfg(feature = "auth-api-key")]
    {
        use crate::adapters::auth::api_key::YamlKeyFile;
        if let Some(path) = &config.auth.api_keys.file {
            return Ok(Arc::new(YamlKeyFile::open(path)?));
        }
        key_table.ok_or_else(|| {
            Error::invalid_argument(
                "configuration: API keys need auth.api_keys.file, or SQL storage (storage.type sqlite or postgres) for the api_keys table",
            )
        })
    }
    #[cfg(not(feature = "auth-api-key"))]
    {
        let _ = (config, key_table);
        Err(missing_feature("auth.api_keys", "auth-api-key"))
    }
}

fn api_keys(config: &Config, key_table: Option<Arc<dyn ApiKeyStore>>) -> MaybeVerifier {
    let keys = &config.auth.api_keys;
    if !keys.enabled {
        return Ok(None);
    }
    let store = api_key_store(config, key_table)?;
    #[cfg(feature = "auth-api-key")]
    {
        use crate::adapters::auth::api_key::ApiKeyVerifier;
        let ttl = Duration::from_secs(keys.cache_ttl_secs);
        Ok(Some(Arc::new(ApiKeyVerifier::new(
            store,
            keys.prefix.clone(),
            ttl,
        ))))
    }
    #[cfg(not(feature = "auth-api-key"))]
    {
        let _ = store;
        Err(missing_feature("auth.api_keys", "auth-api-key"))
    }
}

async fn jwt(auth: &AuthConfig) -> MaybeVerifier {
    let jwt = &auth.jwt;
    if !jwt.enabled {
        return Ok(None);
    }
    if jwt.public_keys.is_empty() && jwt.jwks_url.is_none() {
        return Err(Error::invalid_argument(
            "configuration: auth.jwt needs auth.jwt.public_keys or auth.jwt.jwks_url",
        ));
    }
    #[cfg(feature = "auth-jwt")]
    {
        use crate::adapters::auth::jwt::{
            Jwks, JwtSettings, JwtVerifier, KeySet, StaticKeyFile, static_key,
        };
        let keys = jwt
            .public_keys
            .iter()
            .map(|key| {
                static_key(&StaticKeyFile {
                    path: key.path.clone(),
                    algorithm: key.algorithm.clone(),
                    kid: key.kid.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let jwks = match &jwt.jwks_url {
            Some(url) => {
                let interval = Duration::from_secs(jwt.jwks_refresh_secs);
                Some(Jwks::start(url.clone(), interval).await?)
            }
            None => None,
        };
        let settings = JwtSettings {
            issuer: jwt.issuer.clone(),
            audience: jwt.audience.clone(),
            leeway: Duration::from_secs(jwt.leeway_secs),
            client_id_claim: jwt.client_id_claim.clone(),
            groups_claim: jwt.groups_claim.clone(),
            cache_ttl: Duration::from_secs(jwt.cache_ttl_secs),
        };
        Ok(Some(Arc::new(JwtVerifier::new(
            KeySet::new(keys, jwks),
            settings,
        ))))
    }
    #[cfg(not(feature = "auth-jwt"))]
    Err(missing_feature("auth.jwt", "auth-jwt"))
}

fn mtls(config: &Config) -> MaybeVerifier {
    if !config.auth.mtls.enabled {
        return Ok(None);
    }
    if !config.tls.enabled {
        tracing::warn!("auth.mtls is enabled but tls is not: no client certificate will arrive");
    }
    #[cfg(feature = "auth-mtls")]
    {
        use crate::adapters::auth::mtls::{CertificateName, MtlsVerifier};
        let name = CertificateName::parse(&config.auth.mtls.client_id_from)?;
        Ok(Some(Arc::new(MtlsVerifier::new(name))))
    }
    #[cfg(not(feature = "auth-mtls"))]
    Err(missing_feature("auth.mtls", "auth-mtls"))
}

/// The authenticator for every arvak.v1 call. With no method configured,
/// every caller is `anonymous` (and a warning says so).
pub async fn authenticator(
    config: &Config,
    key_table: Option<Arc<dyn ApiKeyStore>>,
    audit: Arc<dyn AuditLog>,
) -> Result<Arc<dyn Authenticator>> {
    let auth = &config.auth;
    if !auth.any_method() {
        if auth.allow_unauthenticated == Some(false) {
            return Err(Error::invalid_argument(
                "configuration: auth.allow_unauthenticated is false but no authentication method is enabled (auth.api_keys, auth.jwt, auth.mtls): every call would be refused",
            ));
        }
        tracing::warn!("no authentication method is configured: every caller is 'anonymous'");
        return Ok(Arc::new(AnonymousOnly));
    }
    let verifiers = Verifiers {
        mtls: mtls(config)?,
        jwt: jwt(auth).await?,
        api_key: api_keys(config, key_table)?,
    };
    if auth.admits_anonymous() {
        tracing::warn!(
            "auth.allow_unauthenticated: callers without credentials are admitted as 'anonymous'"
        );
    }
    let lockout = FailureLockout::new(LockoutLimits {
        max_failures: auth.lockout.max_failures,
        window: Duration::from_secs(auth.lockout.window_secs),
        cooldown: Duration::from_secs(auth.lockout.cooldown_secs),
    });
    let chain = AuthChain::new(
        verifiers,
        auth.admits_anonymous(),
        lockout,
        audit,
        Arc::new(SystemClock),
    );
    Ok(Arc::new(chain))
}

/// A new API key: shown once, stored only as its bcrypt hash.
pub struct NewApiKey {
    pub key_id: String,
    /// `<prefix>_<key id>_<secret>`, as the client sends it.
    pub full_key: String,
    pub hash: String,
}

/// Issues a key with `prefix`, hashed at bcrypt `cost` (off the runtime's
/// threads: it takes a fraction of a second by design).
pub async fn new_api_key(prefix: String, cost: u32) -> Result<NewApiKey> {
    #[cfg(feature = "auth-api-key")]
    {
        use crate::adapters::auth::api_key::{hash_key, issue_key};
        let issued = issue_key(&prefix)?;
        let secret = issued.secret.clone();
        let hash = tokio::task::spawn_blocking(move || hash_key(&secret, cost))
            .await
            .map_err(|_| Error::internal("hashing the key stopped"))??;
        Ok(NewApiKey {
            key_id: issued.key_id,
            full_key: issued.full_key,
            hash,
        })
    }
    #[cfg(not(feature = "auth-api-key"))]
    {
        let _ = (prefix, cost);
        Err(missing_feature("api-key create", "auth-api-key"))
    }
}
