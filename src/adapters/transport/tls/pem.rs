//! Reading the PEM files TLS is made from. Errors name the file and say what
//! was wrong with it; for the private key they never quote its content.

use std::io;
use std::path::Path;

use rustls::RootCertStore;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::domain::{Error, Result};

/// The role of a file, for error messages.
pub(super) const CERTIFICATE_FILE: &str = "certificate file";
pub(super) const KEY_FILE: &str = "private key file";
pub(super) const CLIENT_CA_FILE: &str = "client CA file";

/// The whole file; `role` says which it is in the error.
pub(super) fn read(path: &Path, role: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        let path = path.display();
        match e.kind() {
            io::ErrorKind::NotFound => {
                Error::invalid_argument(format!("tls: the {role} {path} does not exist"))
            }
            _ => Error::invalid_argument(format!("tls: cannot read the {role} {path}: {e}")),
        }
    })
}

/// Every certificate in the file, in order (leaf first for a chain).
pub(super) fn certificates(
    path: &Path,
    role: &str,
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            // Certificates are public, so the parser's detail may be shown.
            Error::invalid_argument(format!(
                "tls: the {role} {} is not valid PEM: {e}",
                path.display()
            ))
        })?;
    if certificates.is_empty() {
        return Err(Error::invalid_argument(format!(
            "tls: the {role} {} has no certificate in it (expected a BEGIN CERTIFICATE block)",
            path.display()
        )));
    }
    Ok(certificates)
}

/// The first private key in the file.
pub(super) fn private_key(path: &Path, pem: &[u8]) -> Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| {
        let path = path.display();
        match e {
            pem::Error::NoItemsFound => Error::invalid_argument(format!(
                "tls: the {KEY_FILE} {path} has no private key in it (expected a BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)"
            )),
            // The parser's detail could quote a line of the key: leave it out.
            _ => Error::invalid_argument(format!(
                "tls: the {KEY_FILE} {path} is not a valid PEM private key"
            )),
        }
    })
}

/// The CA certificates client certificates must chain to.
pub(super) fn ca_roots(path: &Path, pem: &[u8]) -> Result<RootCertStore> {
    let certificates = certificates(path, CLIENT_CA_FILE, pem)?;
    let mut roots = RootCertStore::empty();
    for (n, certificate) in certificates.into_iter().enumerate() {
        roots.add(certificate).map_err(|e| {
            Error::invalid_argument(format!(
                "tls: certificate {} in the {CLIENT_CA_FILE} {} is not a usable CA certificate: {e}",
                n + 1,
                path.display()
            ))
        })?;
    }
    Ok(roots)
}
