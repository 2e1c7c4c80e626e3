//! Configuration of authentication (`auth`), authorization (`policies`)
//! and of the audit trail (`audit`). These types compile in every build; naming a method whose
//! feature is missing fails at start, naming the feature.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Admit callers that present no credential as `anonymous`. Unset: true
    /// while no method is enabled (every caller is anonymous), false once one
    /// is.
    pub allow_unauthenticated: Option<bool>,
    pub api_keys: ApiKeysConfig,
    pub jwt: JwtConfig,
    pub mtls: MtlsConfig,
    pub lockout: LockoutConfig,
}

impl AuthConfig {
    /// Whether any authentication method is switched on.
    pub fn any_method(&self) -> bool {
        self.api_keys.enabled || self.jwt.enabled || self.mtls.enabled
    }

    /// The effective `allow_unauthenticated`.
    pub fn admits_anonymous(&self) -> bool {
        self.allow_unauthenticated.unwrap_or(!self.any_method())
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiKeysConfig {
    /// Accept `x-api-key` (feature `auth-api-key`).
    pub enabled: bool,
    /// YAML file of keys; without it keys live in the SQL storage's
    /// `api_keys` table.
    pub file: Option<PathBuf>,
    /// First part of every key: `<prefix>_<key id>_<secret>`.
    pub prefix: String,
    /// bcrypt cost of new keys (4..=31); 12 takes about 0.3 s per check.
    pub bcrypt_cost: u32,
    /// How long a verified key is trusted without bcrypt again.
    pub cache_ttl_secs: u64,
    /// With keys in SQL: how long a cached key's enabled flag is trusted
    /// before it is read again (a disabled key stops working within this).
    pub recheck_secs: u64,
}

impl Default for ApiKeysConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            file: None,
            prefix: "arvak".to_owned(),
            bcrypt_cost: 12,
            cache_ttl_secs: 300,
            recheck_secs: 5,
        }
    }
}

/// A public key that signs tokens.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JwtKeyConfig {
    /// PEM file: an RSA, EC (P-256, P-384) or Ed25519 public key.
    pub path: PathBuf,
    /// The one algorithm tokens signed with this key may use: RS256,
    /// RS384, RS512, PS256, PS384, PS512, ES256, ES384 or EdDSA.
    pub algorithm: String,
    /// The `kid` tokens name this key by; without it, the key is tried for
    /// tokens that name none.
    #[serde(default)]
    pub kid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct JwtConfig {
    /// Accept `authorization: Bearer <JWT>` (feature `auth-jwt`).
    pub enabled: bool,
    pub public_keys: Vec<JwtKeyConfig>,
    /// JWKS document with the signing keys, fetched at start and again when
    /// a token names an unknown `kid`.
    pub jwks_url: Option<String>,
    /// Fewest seconds between two JWKS fetches.
    pub jwks_refresh_secs: u64,
    /// Required `iss`, when set.
    pub issuer: Option<String>,
    /// Required `aud`, when set.
    pub audience: Option<String>,
    /// Clock skew allowed for `exp` and `nbf`.
    pub leeway_secs: u64,
    /// The claim that names the client.
    pub client_id_claim: String,
    /// The claim listing the caller's groups (a string array).
    pub groups_claim: String,
    /// How long a verified token is trusted without checking its signature
    /// again (never past its `exp`).
    pub cache_ttl_secs: u64,
}

impl Default for JwtConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            public_keys: Vec::new(),
            jwks_url: None,
            jwks_refresh_secs: 60,
            issuer: None,
            audience: None,
            leeway_secs: 30,
            client_id_claim: "sub".to_owned(),
            groups_claim: "groups".to_owned(),
            cache_ttl_secs: 60,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MtlsConfig {
    /// Take the client from a verified client certificate (feature
    /// `auth-mtls`; the TLS listener verifies the chain).
    pub enabled: bool,
    /// Which certificate name is the client: `cn` (the subject's common
    /// name), or the first `dns`, `email` or `uri` subject alternative name.
    pub client_id_from: String,
}

impl Default for MtlsConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            client_id_from: "cn".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LockoutConfig {
    /// Failed authentications from one IP address within `window_secs`
    /// that lock it out; 0 turns lock-out off.
    pub max_failures: u32,
    pub window_secs: u64,
    /// How long a locked-out address is refused without any check.
    pub cooldown_secs: u64,
}

impl Default for LockoutConfig {
    fn default() -> Self {
        Self {
            max_failures: 10,
            window_secs: 60,
            cooldown_secs: 300,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// Append-only file of JSON lines.
    pub file: Option<PathBuf>,
    /// Also (or instead) keep the trail in the SQL storage's `audit_events`
    /// table. With neither, nothing is recorded.
    pub table: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoliciesConfig {
    /// YAML file of policies (who may call what, on which backends, within
    /// which quotas); unset allows everything to everyone.
    pub file: Option<PathBuf>,
    /// How often the file is checked for changes.
    pub reload_interval_secs: u64,
}

impl Default for PoliciesConfig {
    fn default() -> Self {
        Self {
            file: None,
            reload_interval_secs: 5,
        }
    }
}
