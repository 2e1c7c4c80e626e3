//! Keys from a JWKS document served here (axum on port 0): fetched at
//! start, fetched again for an unknown `kid`, but not more than once per
//! interval however many unknown key ids arrive.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use tonic::Code;

use crate::common::{assert_code, probe};
use crate::jwt::{AUDIENCE, ISSUER, Signer, claims, es256, sign};
use crate::support::test_config;

#[derive(Clone, Default)]
struct Served {
    keys: Arc<Mutex<Vec<Jwk>>>,
    fetches: Arc<AtomicUsize>,
}

impl Served {
    fn publish(&self, signer: &Signer, kid: &str) {
        let mut jwk = Jwk::from_encoding_key(&signer.encoding, signer.algorithm).unwrap();
        jwk.common.key_id = Some(kid.to_owned());
        self.keys.lock().unwrap().push(jwk);
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

async fn jwks(State(served): State<Served>) -> Json<JwkSet> {
    served.fetches.fetch_add(1, Ordering::SeqCst);
    let keys = served.keys.lock().unwrap().clone();
    Json(JwkSet { keys })
}

/// The JWKS URL of a server that answers with what `served` holds.
async fn serve(served: Served) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = Router::new().route("/jwks", get(jwks)).with_state(served);
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}/jwks")
}

#[tokio::test]
async fn an_unknown_kid_fetches_the_jwks_again_at_most_once_per_interval() {
    let served = Served::default();
    let (first, second) = (es256(), es256());
    served.publish(&first, "k1");
    let mut config = test_config();
    let jwt = &mut config.auth.jwt;
    jwt.enabled = true;
    jwt.jwks_url = Some(serve(served.clone()).await);
    jwt.jwks_refresh_secs = 1;
    jwt.issuer = Some(ISSUER.into());
    jwt.audience = Some(AUDIENCE.into());
    config.auth.lockout.max_failures = 0;
    let mut app = crate::serve::serve(config).await;
    assert_eq!(served.fetches(), 1, "fetched at start");

    let token = |signer: &Signer, kid: &str| {
        format!("Bearer {}", sign(signer, Some(kid), &claims("alice")))
    };
    probe(&mut app, Some(("authorization", &token(&first, "k1"))))
        .await
        .unwrap();
    assert_eq!(served.fetches(), 1, "a known kid needs no fetch");

    served.publish(&second, "k2");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    probe(&mut app, Some(("authorization", &token(&second, "k2"))))
        .await
        .unwrap();
    assert_eq!(served.fetches(), 2, "one fetch found the new key");

    for _ in 0..5 {
        let ghost = probe(&mut app, Some(("authorization", &token(&second, "ghost")))).await;
        let refused = assert_code(ghost, Code::Unauthenticated);
        assert!(
            refused.message().contains("unknown key 'ghost'"),
            "{}",
            refused.message()
        );
    }
    assert_eq!(
        served.fetches(),
        2,
        "unknown kids within the interval fetch nothing"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let ghost = probe(&mut app, Some(("authorization", &token(&second, "ghost")))).await;
    assert_code(ghost, Code::Unauthenticated);
    assert_eq!(served.fetches(), 3, "after the interval one more fetch");
}
