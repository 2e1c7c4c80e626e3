//! JWT bearer tokens: over the server with a static ES256 key, and through
//! the verifier for RSA, EC and Ed25519 keys, claims and groups.

use std::path::Path;

use arvak_grpc::adapters::auth::jwt::{
    JwtSettings, JwtVerifier, KeySet, StaticKeyFile, static_key,
};
use arvak_grpc::app::config::{Config, JwtKeyConfig};
use arvak_grpc::domain::{AuthMethod, ErrorKind, Identity, Result};
use arvak_grpc::ports::Verifier;
use arvak_grpc::ports::{Credentials, Secret};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ED25519, PKCS_RSA_SHA256, SignatureAlgorithm};
use serde_json::{Value, json};
use tonic::Code;

use crate::common::{assert_code, probe, status, submit};
use crate::support::test_config;

pub const ISSUER: &str = "https://idp.example.test";
pub const AUDIENCE: &str = "arvak";

/// A key pair: its private key to sign with, its public key as PEM.
pub struct Signer {
    pub encoding: EncodingKey,
    pub public_pem: String,
    pub algorithm: Algorithm,
}

pub fn signer(kind: &'static SignatureAlgorithm, algorithm: Algorithm) -> Signer {
    let pair = KeyPair::generate_for(kind).unwrap();
    let private = pair.serialize_pem();
    let encoding = match algorithm {
        Algorithm::ES256 => EncodingKey::from_ec_pem(private.as_bytes()),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(private.as_bytes()),
        _ => EncodingKey::from_rsa_pem(private.as_bytes()),
    }
    .unwrap();
    Signer {
        encoding,
        public_pem: pair.public_key_pem(),
        algorithm,
    }
}

pub fn es256() -> Signer {
    signer(&PKCS_ECDSA_P256_SHA256, Algorithm::ES256)
}

pub fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

/// Claims valid for the next hour, for `sub`, with this issuer and audience.
pub fn claims(sub: &str) -> Value {
    json!({"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "exp": now() + 3600, "nbf": now() - 5,
           "groups": ["physics", "admins"]})
}

pub fn sign(signer: &Signer, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(signer.algorithm);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, &signer.encoding).unwrap()
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The server with one static key in `dir`, lock-out off (many failures here).
pub fn jwt_config(dir: &Path, signer: &Signer) -> Config {
    let path = dir.join("signing.pem");
    std::fs::write(&path, &signer.public_pem).unwrap();
    let mut config = test_config();
    let jwt = &mut config.auth.jwt;
    jwt.enabled = true;
    jwt.issuer = Some(ISSUER.into());
    jwt.audience = Some(AUDIENCE.into());
    jwt.public_keys = vec![JwtKeyConfig {
        path,
        algorithm: format!("{:?}", signer.algorithm),
        kid: None,
    }];
    config.auth.lockout.max_failures = 0;
    config
}

/// `alg: none`: the claims, unsigned.
fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}

#[tokio::test]
async fn a_valid_token_names_the_client_and_every_kind_of_bad_token_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = es256();
    let mut app = crate::serve::serve(jwt_config(dir.path(), &key)).await;
    let alice = bearer(&sign(&key, None, &claims("alice")));
    let job = submit(&mut app, Some(("authorization", &alice)))
        .await
        .unwrap();
    status(&mut app, &job, Some(("authorization", &alice)))
        .await
        .unwrap();
    let bob = bearer(&sign(&key, None, &claims("bob")));
    assert_code(
        status(&mut app, &job, Some(("authorization", &bob))).await,
        Code::NotFound,
    );

    let with = |change: &dyn Fn(&mut Value)| {
        let mut c = claims("alice");
        change(&mut c);
        c
    };
    let forger = es256();
    let hmac_with_public_key = {
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some("JWT".into());
        let secret = EncodingKey::from_secret(key.public_pem.as_bytes());
        encode(&header, &claims("alice"), &secret).unwrap()
    };
    let cases = [
        (
            sign(&key, None, &with(&|c| c["exp"] = json!(now() - 120))),
            "expired",
        ),
        (
            sign(&key, None, &with(&|c| c["nbf"] = json!(now() + 120))),
            "not yet valid",
        ),
        (sign(&forger, None, &claims("alice")), "signature"),
        (
            sign(&key, None, &with(&|c| c["aud"] = json!("someone-else"))),
            "audience",
        ),
        (
            sign(
                &key,
                None,
                &with(&|c| c["iss"] = json!("https://evil.test")),
            ),
            "issuer",
        ),
        (hmac_with_public_key, "algorithm"),
        (unsigned(&claims("alice")), "malformed"),
        ("not-a-jwt".to_owned(), "malformed"),
    ];
    for (token, expected) in cases {
        let outcome = probe(&mut app, Some(("authorization", &bearer(&token)))).await;
        let refused = assert_code(outcome, Code::Unauthenticated);
        assert!(
            refused.message().contains(expected),
            "{expected}: {}",
            refused.message()
        );
        assert!(!refused.message().contains(&token));
    }
    let within_leeway = sign(&key, None, &with(&|c| c["exp"] = json!(now() - 10)));
    probe(&mut app, Some(("authorization", &bearer(&within_leeway))))
        .await
        .unwrap();
}

fn settings() -> JwtSettings {
    JwtSettings {
        issuer: Some(ISSUER.into()),
        audience: Some(AUDIENCE.into()),
        leeway: std::time::Duration::from_secs(30),
        client_id_claim: "sub".into(),
        groups_claim: "groups".into(),
        cache_ttl: std::time::Duration::from_secs(60),
    }
}

/// A verifier trusting `signer`'s public key (written to `dir`).
pub fn verifier_for(dir: &Path, signer: &Signer, settings: JwtSettings) -> JwtVerifier {
    let path = dir.join(format!("{:?}.pem", signer.algorithm));
    std::fs::write(&path, &signer.public_pem).unwrap();
    let config = StaticKeyFile {
        path,
        algorithm: format!("{:?}", signer.algorithm),
        kid: None,
    };
    JwtVerifier::new(
        KeySet::new(vec![static_key(&config).unwrap()], None),
        settings,
    )
}

pub async fn verify(verifier: &JwtVerifier, token: &str) -> Result<Identity> {
    let credentials = Credentials {
        bearer_token: Some(Secret::new(token)),
        ..Credentials::default()
    };
    verifier.verify(&credentials).await.map(|v| v.identity)
}

#[tokio::test]
async fn rsa_ec_and_ed25519_keys_each_verify_their_own_algorithm_only() {
    let dir = tempfile::tempdir().unwrap();
    let rsa = signer(&PKCS_RSA_SHA256, Algorithm::RS256);
    let ec = es256();
    let ed = signer(&PKCS_ED25519, Algorithm::EdDSA);
    for key in [&rsa, &ec, &ed] {
        let verifier = verifier_for(dir.path(), key, settings());
        let identity = verify(&verifier, &sign(key, None, &claims("alice")))
            .await
            .unwrap();
        assert_eq!(
            (identity.client_id.as_str(), identity.method),
            ("alice", AuthMethod::Jwt)
        );
    }
    // An RSA-keyed server must not take a token whose header claims HS256
    // with the RSA public key as the HMAC secret.
    let verifier = verifier_for(dir.path(), &rsa, settings());
    let secret = EncodingKey::from_secret(rsa.public_pem.as_bytes());
    let forged = encode(&Header::new(Algorithm::HS256), &claims("alice"), &secret).unwrap();
    let error = verify(&verifier, &forged).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unauthenticated);
    assert!(error.message().contains("algorithm"), "{error}");
    let mislabelled = {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("JWT".into());
        encode(&header, &claims("alice"), &ec.encoding).unwrap()
    };
    assert!(
        verify(&verifier, &mislabelled).await.is_err(),
        "ES256 on an RSA key"
    );
}

#[tokio::test]
async fn groups_and_the_client_claim_come_from_the_configured_claims() {
    let dir = tempfile::tempdir().unwrap();
    let key = es256();
    let identity = verify(
        &verifier_for(dir.path(), &key, settings()),
        &sign(&key, None, &claims("alice")),
    )
    .await
    .unwrap();
    assert_eq!(identity.groups, ["physics", "admins"]);
    assert_eq!(identity.subject, "alice");

    let custom = JwtSettings {
        client_id_claim: "tenant".into(),
        groups_claim: "roles".into(),
        ..settings()
    };
    let verifier = verifier_for(dir.path(), &key, custom);
    let mut c = claims("user-17");
    c["tenant"] = json!("team-q");
    c["roles"] = json!("operator");
    let identity = verify(&verifier, &sign(&key, None, &c)).await.unwrap();
    assert_eq!(identity.client_id.as_str(), "team-q");
    assert_eq!(identity.subject, "user-17");
    assert_eq!(identity.groups, ["operator"]);
    let error = verify(&verifier, &sign(&key, None, &claims("x")))
        .await
        .unwrap_err();
    assert!(error.message().contains("'tenant'"), "{error}");
}
