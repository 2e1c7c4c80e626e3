//! Authentication cost per request: an API key whose bcrypt check (cost 12)
//! is cached, JWTs (ES256, RS256) verified in full every time, and an ES256
//! token from the token cache, each through the whole authenticator chain,
//! and the bare signature checks underneath; prints medians (goal: p50
//! under 50 µs). Run: `cargo bench --bench auth --features auth-jwt`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arvak_grpc::adapters::auth::api_key::{ApiKeyVerifier, YamlKeyFile, hash_key, issue_key};
use arvak_grpc::adapters::auth::jwt::{
    JwtSettings, JwtVerifier, KeySet, StaticKeyFile, static_key,
};
use arvak_grpc::adapters::auth::{AuthChain, FailureLockout, LockoutLimits, Verifiers};
use arvak_grpc::adapters::clock::SystemClock;
use arvak_grpc::domain::{ClientId, UnixMillis};
use arvak_grpc::ports::{
    ApiKeyStore, Authenticator, Credentials, NoAudit, Secret, StoredApiKey, Verifier,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, encode};
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256, SignatureAlgorithm};

const RUNS: usize = 20_000;
const BCRYPT_COST: u32 = 12;

fn chain(verifiers: Verifiers) -> AuthChain {
    let limits = LockoutLimits {
        max_failures: 10,
        window: Duration::from_secs(60),
        cooldown: Duration::from_secs(300),
    };
    AuthChain::new(
        verifiers,
        false,
        FailureLockout::new(limits),
        Arc::new(NoAudit),
        Arc::new(SystemClock),
    )
}

fn peer() -> Option<SocketAddr> {
    Some(SocketAddr::from(([127, 0, 0, 1], 40_000)))
}

/// Median, 99th percentile and minimum of `RUNS` authentications.
async fn measure(chain: &AuthChain, credentials: &Credentials) -> [Duration; 3] {
    chain
        .authenticate(credentials)
        .await
        .expect("the credential is accepted");
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        let identity = chain.authenticate(credentials).await.unwrap();
        times.push(start.elapsed());
        std::hint::black_box(identity);
    }
    times.sort();
    [times[RUNS / 2], times[RUNS * 99 / 100], times[0]]
}

fn report(what: &str, [median, p99, min]: [Duration; 3]) {
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{what}: median {:.2} µs, p99 {:.2} µs, min {:.2} µs over {RUNS} calls",
        us(median),
        us(p99),
        us(min)
    );
}

async fn api_key(dir: &std::path::Path) -> [Duration; 3] {
    let store = Arc::new(YamlKeyFile::open(dir.join("keys.yaml")).unwrap());
    let issued = issue_key("arvak").unwrap();
    let started = Instant::now();
    let hash = hash_key(&issued.secret, BCRYPT_COST).unwrap();
    println!(
        "bcrypt cost {BCRYPT_COST}: one hash takes {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let key = StoredApiKey {
        key_id: issued.key_id,
        client_id: ClientId::parse("bench").unwrap(),
        enabled: true,
        created_at: UnixMillis(0),
        hash,
    };
    store.insert(key).await.unwrap();
    let verifier: Arc<dyn Verifier> = Arc::new(ApiKeyVerifier::new(
        store,
        "arvak".into(),
        Duration::from_secs(300),
    ));
    let chain = chain(Verifiers {
        api_key: Some(verifier),
        ..Verifiers::default()
    });
    let credentials = Credentials {
        peer_address: peer(),
        api_key: Some(Secret::new(issued.full_key)),
        rpc: "SubmitJob",
        ..Credentials::default()
    };
    measure(&chain, &credentials).await
}

/// A token checked in full on every call when `cache_ttl` is zero, else
/// once per cache period.
async fn jwt(
    dir: &std::path::Path,
    kind: &'static SignatureAlgorithm,
    algorithm: Algorithm,
    cache_ttl: Duration,
) -> [Duration; 3] {
    let pair = KeyPair::generate_for(kind).unwrap();
    let private = pair.serialize_pem();
    let encoding = match algorithm {
        Algorithm::ES256 => EncodingKey::from_ec_pem(private.as_bytes()),
        _ => EncodingKey::from_rsa_pem(private.as_bytes()),
    }
    .unwrap();
    let path = dir.join(format!("{algorithm:?}.pem"));
    std::fs::write(&path, pair.public_key_pem()).unwrap();
    let key = static_key(&StaticKeyFile {
        path,
        algorithm: format!("{algorithm:?}"),
        kid: None,
    })
    .unwrap();
    let settings = JwtSettings {
        issuer: Some("https://idp.example".into()),
        audience: Some("arvak".into()),
        leeway: Duration::from_secs(30),
        client_id_claim: "sub".into(),
        groups_claim: "groups".into(),
        cache_ttl,
    };
    let verifier: Arc<dyn Verifier> =
        Arc::new(JwtVerifier::new(KeySet::new(vec![key], None), settings));
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({"sub": "bench", "iss": "https://idp.example", "aud": "arvak",
        "exp": now + 3600, "groups": ["physics"]});
    let token = encode(&Header::new(algorithm), &claims, &encoding).unwrap();
    let chain = chain(Verifiers {
        jwt: Some(verifier),
        ..Verifiers::default()
    });
    let credentials = Credentials {
        peer_address: peer(),
        bearer_token: Some(Secret::new(token)),
        rpc: "SubmitJob",
        ..Credentials::default()
    };
    measure(&chain, &credentials).await
}

/// The signature check alone (`jsonwebtoken::crypto::verify`, aws-lc): the
/// floor under any full check of a token signed with `algorithm`.
fn signature_only(kind: &'static SignatureAlgorithm, algorithm: Algorithm) -> [Duration; 3] {
    let pair = KeyPair::generate_for(kind).unwrap();
    let private = pair.serialize_pem();
    let (encoding, decoding) = match algorithm {
        Algorithm::ES256 => (
            EncodingKey::from_ec_pem(private.as_bytes()),
            DecodingKey::from_ec_pem(pair.public_key_pem().as_bytes()),
        ),
        _ => (
            EncodingKey::from_rsa_pem(private.as_bytes()),
            DecodingKey::from_rsa_pem(pair.public_key_pem().as_bytes()),
        ),
    };
    let (encoding, decoding) = (encoding.unwrap(), decoding.unwrap());
    let token = encode(
        &Header::new(algorithm),
        &serde_json::json!({"sub": "bench"}),
        &encoding,
    )
    .unwrap();
    let (message, signature) = token.rsplit_once('.').unwrap();
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        let valid =
            jsonwebtoken::crypto::verify(signature, message.as_bytes(), &decoding, algorithm);
        times.push(start.elapsed());
        assert!(valid.unwrap());
    }
    times.sort();
    [times[RUNS / 2], times[RUNS * 99 / 100], times[0]]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    runtime.block_on(async {
        report(
            "API key, cached (bcrypt cost 12 once)",
            api_key(dir.path()).await,
        );
        let (full, cached) = (Duration::ZERO, Duration::from_secs(60));
        let es256 = (&PKCS_ECDSA_P256_SHA256, Algorithm::ES256);
        let rs256 = (&PKCS_RSA_SHA256, Algorithm::RS256);
        report(
            "JWT ES256, full check every call",
            jwt(dir.path(), es256.0, es256.1, full).await,
        );
        report(
            "JWT RS256 (2048-bit), full check every call",
            jwt(dir.path(), rs256.0, rs256.1, full).await,
        );
        report(
            "ES256 signature alone (the floor of a full check)",
            signature_only(es256.0, es256.1),
        );
        report("RS256 signature alone", signature_only(rs256.0, rs256.1));
        report(
            "JWT ES256, token cache on (default 60 s)",
            jwt(dir.path(), es256.0, es256.1, cached).await,
        );
    });
}
