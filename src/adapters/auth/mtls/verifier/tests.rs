use std::sync::Arc;

use rcgen::{CertificateParams, DnType, KeyPair, SanType};

use super::*;
use crate::domain::ErrorKind;

/// A self-signed certificate with this common name and these SANs (DER).
fn certificate(cn: Option<&str>, sans: Vec<SanType>) -> Vec<u8> {
    let mut params = CertificateParams::default();
    if let Some(cn) = cn {
        params.distinguished_name.push(DnType::CommonName, cn);
    }
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Arvak Tests");
    params.subject_alt_names = sans;
    let key = KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().der().to_vec()
}

fn presenting(chain: Vec<Vec<u8>>) -> Credentials {
    Credentials {
        client_certificates: Some(Arc::from(chain)),
        ..Credentials::default()
    }
}

fn sans() -> Vec<SanType> {
    vec![
        SanType::DnsName("worker-7.lab.example".try_into().unwrap()),
        SanType::Rfc822Name("alice@lab.example".try_into().unwrap()),
        SanType::URI("spiffe://lab.example/team-q".try_into().unwrap()),
    ]
}

#[tokio::test]
async fn the_common_name_of_the_leaf_is_the_client_and_the_dn_the_subject() {
    let leaf = certificate(Some("team-q"), sans());
    let other = certificate(Some("issuing-ca"), vec![]);
    let verifier = MtlsVerifier::new(CertificateName::Cn);
    let verified = verifier
        .verify(&presenting(vec![leaf, other]))
        .await
        .unwrap();
    assert_eq!(verified.identity.client_id.to_string(), "team-q");
    assert_eq!(verified.identity.method, AuthMethod::Mtls);
    assert!(
        verified.identity.subject.contains("CN=team-q"),
        "{}",
        verified.identity.subject
    );
    assert!(verified.fresh);
}

#[tokio::test]
async fn a_configured_san_type_names_the_client() {
    let leaf = certificate(Some("ignored"), sans());
    for (kind, expected) in [
        (CertificateName::Dns, "worker-7.lab.example"),
        (CertificateName::Email, "alice@lab.example"),
        (CertificateName::Uri, "spiffe://lab.example/team-q"),
    ] {
        let verifier = MtlsVerifier::new(kind);
        let verified = verifier
            .verify(&presenting(vec![leaf.clone()]))
            .await
            .unwrap();
        assert_eq!(verified.identity.client_id.to_string(), expected);
    }
}

#[tokio::test]
async fn a_certificate_without_the_configured_name_or_unreadable_is_unauthenticated() {
    let verifier = MtlsVerifier::new(CertificateName::Email);
    let no_san = certificate(Some("team-q"), vec![]);
    let error = verifier
        .verify(&presenting(vec![no_san]))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unauthenticated);
    assert!(error.message().contains("e-mail"), "{error}");
    let error = verifier
        .verify(&presenting(vec![vec![0x30, 0x03, 1, 2, 3]]))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unauthenticated);
    let cn_only = MtlsVerifier::new(CertificateName::Cn);
    let nameless = certificate(None, vec![]);
    assert!(cn_only.verify(&presenting(vec![nameless])).await.is_err());
}

#[tokio::test]
async fn the_same_certificate_again_comes_from_the_cache() {
    let leaf = certificate(Some("team-q"), vec![]);
    let verifier = MtlsVerifier::new(CertificateName::Cn);
    assert!(
        verifier
            .verify(&presenting(vec![leaf.clone()]))
            .await
            .unwrap()
            .fresh
    );
    assert!(
        !verifier
            .verify(&presenting(vec![leaf]))
            .await
            .unwrap()
            .fresh
    );
}
