//! The mTLS verifier's setting: which certificate name is the client
//! (`auth.mtls.client_id_from`), parsed here.

use crate::domain::{Error, Result};

/// Which part of the client certificate names the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CertificateName {
    /// The subject's common name.
    #[default]
    Cn,
    /// The first DNS subject alternative name.
    Dns,
    /// The first e-mail (RFC 822) subject alternative name.
    Email,
    /// The first URI subject alternative name (SPIFFE ids, for example).
    Uri,
}

impl CertificateName {
    /// `cn`, `dns`, `email` or `uri`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "cn" => Ok(Self::Cn),
            "dns" => Ok(Self::Dns),
            "email" => Ok(Self::Email),
            "uri" => Ok(Self::Uri),
            other => Err(Error::invalid_argument(format!(
                "configuration: auth.mtls.client_id_from is '{other}'; expected one of cn, dns, email, uri"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_parses_and_anything_else_is_refused() {
        assert_eq!(CertificateName::parse("uri").unwrap(), CertificateName::Uri);
        let error = CertificateName::parse("CN").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("expected one of cn, dns, email, uri")
        );
    }
}
