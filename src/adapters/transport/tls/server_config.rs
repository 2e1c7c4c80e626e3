//! One consistent set of TLS files, read together, and the rustls server
//! configuration made from it.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use rustls::crypto::{CryptoProvider, aws_lc_rs};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{InconsistentKeys, ServerConfig};

use super::TlsSettings;
use super::pem::{self, CERTIFICATE_FILE, CLIENT_CA_FILE, KEY_FILE};
use crate::domain::{Error, Result};

/// The bytes of the files, as read in one go.
pub(super) struct TlsFiles {
    cert: Vec<u8>,
    key: Vec<u8>,
    client_ca: Option<Vec<u8>>,
}

impl TlsFiles {
    pub(super) fn read(settings: &TlsSettings) -> Result<Self> {
        Ok(Self {
            cert: pem::read(&settings.cert_path, CERTIFICATE_FILE)?,
            key: pem::read(&settings.key_path, KEY_FILE)?,
            client_ca: match &settings.client_ca_path {
                Some(path) => Some(pem::read(path, CLIENT_CA_FILE)?),
                None => None,
            },
        })
    }

    /// Tells whether the files changed since another reading. Not a
    /// security measure, only change detection, so the standard hasher
    /// does; it keeps no copy of the key around for comparing.
    pub(super) fn fingerprint(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        (&self.cert, &self.key, &self.client_ca).hash(&mut hasher);
        hasher.finish()
    }

    /// The server configuration these files describe, after checking that
    /// the key belongs to the certificate.
    pub(super) fn server_config(&self, settings: &TlsSettings) -> Result<Arc<ServerConfig>> {
        let provider = Arc::new(aws_lc_rs::default_provider());
        let certified_key = self.certified_key(settings, &provider)?;
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::internal(format!("tls: protocol versions: {e}")))?;
        let builder = match (&self.client_ca, &settings.client_ca_path) {
            (Some(pem), Some(path)) => {
                let roots = pem::ca_roots(path, pem)?;
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
                // Optional mTLS still refuses a certificate that is presented
                // and does not verify; it only lets clients present none.
                let verifier = if settings.require_client_cert {
                    verifier
                } else {
                    verifier.allow_unauthenticated()
                };
                let verifier = verifier.build().map_err(|e| {
                    Error::invalid_argument(format!(
                        "tls: the {CLIENT_CA_FILE} {}: {e}",
                        path.display()
                    ))
                })?;
                builder.with_client_cert_verifier(verifier)
            }
            _ => builder.with_no_client_auth(),
        };
        let mut config =
            builder.with_cert_resolver(Arc::new(SingleCertAndKey::from(certified_key)));
        // gRPC is HTTP/2 only.
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Arc::new(config))
    }

    fn certified_key(
        &self,
        settings: &TlsSettings,
        provider: &CryptoProvider,
    ) -> Result<CertifiedKey> {
        let chain = pem::certificates(&settings.cert_path, CERTIFICATE_FILE, &self.cert)?;
        let key = pem::private_key(&settings.key_path, &self.key)?;
        let key_path = settings.key_path.display();
        CertifiedKey::from_der(chain, key, provider).map_err(|e| match e {
            rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch) => {
                Error::invalid_argument(format!(
                    "tls: the private key in {key_path} does not belong to the certificate in {}",
                    settings.cert_path.display()
                ))
            }
            // rustls says what kind of key it could not use, not the key.
            e => Error::invalid_argument(format!(
                "tls: the private key in {key_path} cannot be used: {e}"
            )),
        })
    }
}
