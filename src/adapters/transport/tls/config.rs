//! TLS settings, from the `tls` keys, checked for completeness.

use std::path::PathBuf;
use std::time::Duration;

use crate::domain::{Error, Result};

/// What the `tls` configuration section asks for, checked for completeness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// The server's certificate chain, leaf first (PEM).
    pub cert_path: PathBuf,
    /// The private key of the leaf certificate (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_path: PathBuf,
    /// CA bundle that client certificates must chain to; none turns mTLS off.
    pub client_ca_path: Option<PathBuf>,
    /// Refuse clients without a certificate (needs `client_ca_path`).
    pub require_client_cert: bool,
    /// How often the files are checked for changes.
    pub reload_interval: Duration,
    /// A client that has not finished its handshake in this time is dropped.
    pub handshake_timeout: Duration,
}

impl TlsSettings {
    /// From `tls.cert_path` and `tls.key_path` (both required),
    /// `tls.client_ca_path`, `tls.require_client_cert`,
    /// `tls.reload_interval_secs` and `tls.handshake_timeout_secs`.
    pub fn from_config(
        cert_path: Option<PathBuf>,
        key_path: Option<PathBuf>,
        client_ca_path: Option<PathBuf>,
        require_client_cert: bool,
        reload_interval_secs: u64,
        handshake_timeout_secs: u64,
    ) -> Result<Self> {
        Ok(Self {
            cert_path: needed(cert_path, "cert_path")?,
            key_path: needed(key_path, "key_path")?,
            client_ca_path,
            require_client_cert,
            reload_interval: Duration::from_secs(reload_interval_secs.max(1)),
            handshake_timeout: Duration::from_secs(handshake_timeout_secs.max(1)),
        })
    }
}

fn needed(path: Option<PathBuf>, key: &str) -> Result<PathBuf> {
    path.ok_or_else(|| {
        Error::invalid_argument(format!(
            "configuration: tls.enabled needs tls.{key} (ARVAK_TLS_{})",
            key.to_ascii_uppercase()
        ))
    })
}
