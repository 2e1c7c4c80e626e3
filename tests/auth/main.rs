//! Authentication end to end: the real server on port 0 (over TLS with
//! certificates made in the test when the build has `tls`; see `serve`), with
//! API keys from a YAML file or the SQL storage, JWTs against static keys
//! and a JWKS server started here, the `api-key` subcommand of the binary,
//! lock-out and the audit trail (file and table); and authorization by a policies file
//! (`policies`), with API keys telling the clients apart.

// Shared with the api tests; not every helper is used here.
#[allow(dead_code)]
#[path = "../api/support/mod.rs"]
mod support;

mod common;
mod serve;

#[cfg(feature = "tls")]
#[path = "../tls/certs.rs"]
mod certs;
#[cfg(feature = "tls")]
#[path = "../tls/client.rs"]
mod tls_client;

mod anonymous;
#[cfg(feature = "auth-api-key")]
mod api_keys;
#[cfg(all(feature = "auth-api-key", feature = "storage-sqlite"))]
mod audit_table;
#[cfg(feature = "auth-api-key")]
mod cli;
#[cfg(feature = "auth-jwt")]
mod jwks;
#[cfg(feature = "auth-jwt")]
mod jwt;
#[cfg(feature = "auth-api-key")]
mod policies;
#[cfg(all(feature = "auth-api-key", feature = "storage-postgres"))]
mod postgres_keys;
