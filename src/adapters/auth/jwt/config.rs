//! The JWT verifier's settings, as the composition root hands them over
//! from the `auth.jwt` section.

use std::path::PathBuf;

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
