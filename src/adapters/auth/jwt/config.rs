//! The JWT verifier's settings, as the composition root hands them over
//! from the `auth.jwt` section.

use std::path::PathBuf;
use std::time::Duration;

/// A public key that signs tokens, in a PEM file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticKeyFile {
    /// PEM file: an RSA, EC (P-256, P-384) or Ed25519 public key.
    pub path: PathBuf,
    /// The one algorithm tokens signed with this key may use.
    pub algorithm: String,
    /// The `kid` tokens name this key by; without it, the key is tried for
    /// tokens that name none.
    pub kid: Option<String>,
}

/// What a token must satisfy beyond its signature, and where its claims
/// name the client and its groups.
#[derive(Debug, Clone)]
pub struct JwtSettings {
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub leeway: Duration,
    pub client_id_claim: String,
    pub groups_claim: String,
    pub cache_ttl: Duration,
}
