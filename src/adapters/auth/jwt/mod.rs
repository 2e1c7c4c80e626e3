//! JWT bearer tokens: signing keys (static PEM files and a JWKS URL, each
//! with the algorithms its type allows) and the verifier that checks
//! signature, issuer, audience, `exp` and `nbf`, then reads the client and
//! its groups from the claims.

mod config;
mod error;
mod jwks;
mod keys;
mod verifier;

pub use config::{JwtSettings, StaticKeyFile};
pub use jwks::Jwks;
pub use keys::{KeySet, SigningKey, algorithms_of_jwk, parse_algorithm, static_key};
pub use verifier::JwtVerifier;
