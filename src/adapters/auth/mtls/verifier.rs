//! The client named by its certificate: the TLS handshake has verified the
//! chain against the client CA; this reads the leaf's subject common name or
//! one of its subject alternative names, as configured.

use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::config::CertificateName;
use crate::domain::{AuthMethod, ClientId, Error, Identity, Result};
use crate::ports::Credentials;
use crate::ports::{Verified, Verifier};
use crate::support::verified_cache::VerifiedCache;

/// Parsed certificates kept this long, so that the audit trail records a
/// certificate once per period and repeated calls skip the DER parse.
const CACHE_TTL: Duration = Duration::from_secs(300);

pub struct MtlsVerifier {
    name: CertificateName,
    cache: VerifiedCache<[u8; 32]>,
}

impl MtlsVerifier {
    pub fn new(name: CertificateName) -> Self {
        Self {
            name,
            cache: VerifiedCache::new(CACHE_TTL),
        }
    }

    /// The client id and the subject DN of a DER certificate.
    pub fn names(&self, der: &[u8]) -> Result<(ClientId, String)> {
        let (_, certificate) = X509Certificate::from_der(der)
            .map_err(|_| Error::unauthenticated("the client certificate cannot be read"))?;
        let subject = certificate.subject();
        let name = match self.name {
            CertificateName::Cn => subject
                .iter_common_name()
                .next()
                .and_then(|cn| cn.as_str().ok())
                .map(str::to_owned),
            kind => first_san(&certificate, kind)?,
        };
        let name = name.ok_or_else(|| {
            Error::unauthenticated(format!(
                "the client certificate has no {}",
                describe(self.name)
            ))
        })?;
        let client_id = ClientId::parse(&name).map_err(|e| {
            Error::unauthenticated(format!(
                "the client certificate's {} is not a client id: {}",
                describe(self.name),
                e.message()
            ))
        })?;
        Ok((client_id, subject.to_string()))
    }
}

fn describe(name: CertificateName) -> &'static str {
    match name {
        CertificateName::Cn => "subject common name",
        CertificateName::Dns => "DNS subject alternative name",
        CertificateName::Email => "e-mail subject alternative name",
        CertificateName::Uri => "URI subject alternative name",
    }
}

fn first_san(certificate: &X509Certificate<'_>, kind: CertificateName) -> Result<Option<String>> {
    let extension = certificate.subject_alternative_name().map_err(|_| {
        Error::unauthenticated("the client certificate's alternative names cannot be read")
    })?;
    let Some(extension) = extension else {
        return Ok(None);
    };
    Ok(extension
        .value
        .general_names
        .iter()
        .find_map(|general| match (kind, general) {
            (CertificateName::Dns, GeneralName::DNSName(name))
            | (CertificateName::Email, GeneralName::RFC822Name(name))
            | (CertificateName::Uri, GeneralName::URI(name)) => Some((*name).to_owned()),
            _ => None,
        }))
}

#[async_trait]
impl Verifier for MtlsVerifier {
    async fn verify(&self, credentials: &Credentials) -> Result<Verified> {
        let leaf = credentials
            .client_certificates
            .as_ref()
            .and_then(|chain| chain.first())
            .ok_or_else(|| Error::unauthenticated("no client certificate"))?;
        let digest: [u8; 32] = {
            use sha2::Digest;
            sha2::Sha256::digest(leaf).into()
        };
        let now = Instant::now();
        if let Some(hit) = self.cache.get(&digest, &digest, now) {
            return Ok(Verified {
                identity: hit.identity,
                fresh: false,
            });
        }
        let (client_id, subject) = self.names(leaf)?;
        let identity = Identity {
            client_id,
            method: AuthMethod::Mtls,
            subject,
            groups: Vec::new(),
        };
        self.cache
            .insert(digest, digest, identity.clone(), now, None);
        Ok(Verified {
            identity,
            fresh: true,
        })
    }
}

#[cfg(test)]
mod tests;
