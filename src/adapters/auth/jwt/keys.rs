//! Signing keys and the algorithms each may verify. An algorithm is allowed
//! only by the key's own type (RSA: RS*/PS*, EC P-256: ES256, P-384: ES384,
//! Ed25519: EdDSA), so a token can never pick HMAC and use a public key as
//! its secret, and `none` does not exist here at all.

use std::sync::Arc;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::config::StaticKeyFile;
use super::jwks::Jwks;
use crate::domain::{Error, Result};

const RSA: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

pub struct SigningKey {
    pub kid: Option<String>,
    /// What tokens signed by this key may name as `alg`.
    pub algorithms: Vec<Algorithm>,
    pub key: DecodingKey,
}

/// An asymmetric algorithm by its JOSE name; HMAC and `none` are refused.
pub fn parse_algorithm(name: &str) -> Result<Algorithm> {
    let algorithm: Algorithm = name
        .parse()
        .map_err(|_| Error::invalid_argument(format!("unknown JWT algorithm '{name}'")))?;
    if matches!(
        algorithm,
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
    ) {
        return Err(Error::invalid_argument(format!(
            "JWT algorithm '{name}' is symmetric; only public-key algorithms are accepted"
        )));
    }
    Ok(algorithm)
}

/// A key from a PEM file, for exactly its configured algorithm; the PEM
/// must hold a key of that algorithm's type.
pub fn static_key(config: &StaticKeyFile) -> Result<SigningKey> {
    let algorithm = parse_algorithm(&config.algorithm)?;
    let pem = std::fs::read(&config.path)
        .map_err(|e| Error::invalid_argument(format!("JWT key {}: {e}", config.path.display())))?;
    let key = match algorithm {
        Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(&pem),
        Algorithm::EdDSA => DecodingKey::from_ed_pem(&pem),
        _ => DecodingKey::from_rsa_pem(&pem),
    }
    .map_err(|e| {
        Error::invalid_argument(format!(
            "JWT key {} is not a {} public key: {e}",
            config.path.display(),
            config.algorithm
        ))
    })?;
    Ok(SigningKey {
        kid: config.kid.clone(),
        algorithms: vec![algorithm],
        key,
    })
}

/// The algorithms a JWK may verify, from its type and curve (and its `alg`
/// when it names one); empty for keys that must not verify tokens.
pub fn algorithms_of_jwk(jwk: &Jwk) -> Vec<Algorithm> {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return Vec::new();
    }
    let by_type: Vec<Algorithm> = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => RSA.to_vec(),
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => vec![Algorithm::ES256],
            EllipticCurve::P384 => vec![Algorithm::ES384],
            _ => Vec::new(),
        },
        AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
            vec![Algorithm::EdDSA]
        }
        _ => Vec::new(),
    };
    match jwk
        .common
        .key_algorithm
        .and_then(|named| Algorithm::try_from(named).ok())
    {
        Some(named) => by_type.into_iter().filter(|a| *a == named).collect(),
        None if jwk.common.key_algorithm.is_some() => Vec::new(),
        None => by_type,
    }
}

pub fn jwk_key(jwk: &Jwk) -> Option<SigningKey> {
    let algorithms = algorithms_of_jwk(jwk);
    if algorithms.is_empty() {
        return None;
    }
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(SigningKey {
        kid: jwk.common.key_id.clone(),
        algorithms,
        key,
    })
}

/// Static keys and, when configured, the keys of a JWKS document.
pub struct KeySet {
    static_keys: Vec<Arc<SigningKey>>,
    jwks: Option<Jwks>,
}

impl KeySet {
    pub fn new(static_keys: Vec<SigningKey>, jwks: Option<Jwks>) -> Self {
        Self {
            static_keys: static_keys.into_iter().map(Arc::new).collect(),
            jwks,
        }
    }

    fn matching(&self, kid: Option<&str>) -> Vec<Arc<SigningKey>> {
        let jwks_keys = self.jwks.as_ref().map(Jwks::keys).unwrap_or_default();
        self.static_keys
            .iter()
            .chain(jwks_keys.iter())
            .filter(|key| kid.is_none() || key.kid.as_deref() == kid)
            .cloned()
            .collect()
    }

    /// The keys a token's `kid` names (every key when it names none). An
    /// unknown `kid` fetches the JWKS again, at most once per interval.
    pub async fn candidates(&self, kid: Option<&str>) -> Vec<Arc<SigningKey>> {
        let found = self.matching(kid);
        if !found.is_empty() || kid.is_none() {
            return found;
        }
        match &self.jwks {
            Some(jwks) if jwks.refresh_if_due().await => self.matching(kid),
            _ => found,
        }
    }
}
