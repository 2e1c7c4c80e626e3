//! Who is calling: the credentials a request carries, and the port that
//! turns them into an [`Identity`]. Transport adapters gather the
//! credentials; authentication adapters (mTLS, JWT, API keys) check them.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::{Identity, Result};

/// A credential: presented by a caller, or held to call another service.
/// Its `Debug` never shows the value, so it cannot reach a log line by
/// accident, and two are compared in constant time.
#[derive(Clone)]
pub struct Secret(String);

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for Secret {}

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that verifies or sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// What one request offers to prove who sent it.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// The other end of the connection, when the transport knows it.
    pub peer_address: Option<SocketAddr>,
    /// The client's certificate chain over mTLS (DER, leaf first), already
    /// verified against the client CA by the TLS handshake.
    pub client_certificates: Option<Arc<[Vec<u8>]>>,
    /// `authorization: Bearer <token>`.
    pub bearer_token: Option<Secret>,
    /// `x-api-key`.
    pub api_key: Option<Secret>,
    /// The RPC being called (`SubmitJob`), for the audit trail.
    pub rpc: &'static str,
    /// The call's request id, for the audit trail.
    pub request_id: Option<String>,
}

impl Credentials {
    /// The peer's address as the audit trail shows it.
    pub fn peer(&self) -> Option<String> {
        self.peer_address.map(|address| address.to_string())
    }
}

#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait Authenticator: Send + Sync {
    /// The caller, or UNAUTHENTICATED saying what was wrong (never which
    /// secret was presented).
    async fn authenticate(&self, credentials: &Credentials) -> Result<Identity>;
}

/// A method's answer for a credential it accepts.
#[derive(Debug, Clone)]
pub struct Verified {
    pub identity: Identity,
    /// False when a cache answered: the audit trail records a credential's
    /// success once per cache period, not on every call.
    pub fresh: bool,
}

/// One authentication method: checks the credential of its kind.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait Verifier: Send + Sync {
    async fn verify(&self, credentials: &Credentials) -> Result<Verified>;
}
