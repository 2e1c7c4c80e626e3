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

mod config;
mod failure_log;
mod incoming;
mod pem;
mod reload;
mod server_config;

pub use config::TlsSettings;
pub use incoming::TlsConnection;
pub use reload::ServerTls;

#[cfg(test)]
mod tests;
