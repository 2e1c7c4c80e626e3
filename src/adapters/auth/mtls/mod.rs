//! mTLS: the client named by its verified certificate (feature `auth-mtls`).

mod config;
mod verifier;

pub use config::CertificateName;
pub use verifier::MtlsVerifier;
