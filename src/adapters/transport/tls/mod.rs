//! TLS for the gRPC port (feature `tls`), with rustls and the aws-lc
//! provider: the server certificate and key from PEM files, optional client
//! certificates checked against a CA bundle (mTLS), the files watched and
//! reloaded without a restart, and handshakes run beside the accept loop so
//! a slow client never holds up the others.
//!
//! - `pem`: reading the files, with errors that name the file;
//! - `server_config`: one consistent set of files → a rustls `ServerConfig`;
//! - `reload`: [`ServerTls`], the configuration in force, and the watcher
//!   that replaces it when the files change;
//! - `incoming`: the accept loop and the handshakes, yielding connections
//!   that carry their [`ConnectionInfo`](crate::adapters::transport::connection::ConnectionInfo).

mod failure_log;
mod incoming;
mod pem;
mod reload;
mod server_config;

use std::path::PathBuf;
use std::time::Duration;

pub use incoming::TlsConnection;
pub use reload::ServerTls;

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

#[cfg(test)]
mod tests;
