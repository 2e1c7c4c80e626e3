use std::time::Duration;

use super::*;
use crate::adapters::auth::api_key::{hash_key, issue_key};
use crate::domain::{ClientId, ErrorKind, UnixMillis};
use crate::ports::{MockApiKeyStore, Secret};

fn stored(key_id: &str, secret: &str, enabled: bool) -> StoredApiKey {
    StoredApiKey {
        key_id: key_id.into(),
        client_id: ClientId::parse("alice").unwrap(),
        enabled,
        created_at: UnixMillis(0),
        hash: hash_key(secret, 4).unwrap(),
    }
}

fn presenting(key: &str) -> Credentials {
    Credentials {
        api_key: Some(Secret::new(key)),
        ..Credentials::default()
    }
}

#[tokio::test]
async fn one_lookup_by_key_id_and_then_the_cache_until_the_recheck_is_due() {
    let issued = issue_key("arvak").unwrap();
    let key = stored(&issued.key_id, &issued.secret, true);
    let mut store = MockApiKeyStore::new();
    let id = issued.key_id.clone();
    store
        .expect_find()
        .withf(move |asked| asked == id)
        .times(1)
        .returning(move |_| Ok(Some(key.clone())));
    store
        .expect_recheck_interval()
        .return_const(Duration::from_secs(3600));
    let verifier = ApiKeyVerifier::new(Arc::new(store), "arvak".into(), Duration::from_secs(300));
    let first = verifier
        .verify(&presenting(&issued.full_key))
        .await
        .unwrap();
    assert!(first.fresh);
    assert_eq!(first.identity.client_id.as_str(), "alice");
    assert_eq!(first.identity.subject, issued.key_id);
    for _ in 0..3 {
        let again = verifier
            .verify(&presenting(&issued.full_key))
            .await
            .unwrap();
        assert!(!again.fresh, "answered from the cache");
    }
}

#[tokio::test]
async fn a_cached_key_found_disabled_at_its_recheck_is_refused_and_evicted() {
    let issued = issue_key("arvak").unwrap();
    let (enabled, disabled) = (
        stored(&issued.key_id, &issued.secret, true),
        stored(&issued.key_id, &issued.secret, false),
    );
    let mut store = MockApiKeyStore::new();
    let mut answers = vec![disabled.clone(), disabled, enabled].into_iter().rev();
    store
        .expect_find()
        .times(3)
        .returning(move |_| Ok(answers.next()));
    store.expect_recheck_interval().return_const(Duration::ZERO);
    let verifier = ApiKeyVerifier::new(Arc::new(store), "arvak".into(), Duration::from_secs(300));
    verifier
        .verify(&presenting(&issued.full_key))
        .await
        .unwrap();
    for _ in 0..2 {
        let error = verifier
            .verify(&presenting(&issued.full_key))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unauthenticated);
        assert!(error.message().contains("disabled"), "{error}");
    }
}

#[tokio::test]
async fn a_wrong_secret_for_a_cached_key_id_is_checked_and_refused() {
    let issued = issue_key("arvak").unwrap();
    let key = stored(&issued.key_id, &issued.secret, true);
    let mut store = MockApiKeyStore::new();
    store
        .expect_find()
        .times(2)
        .returning(move |_| Ok(Some(key.clone())));
    store
        .expect_recheck_interval()
        .return_const(Duration::from_secs(3600));
    let verifier = ApiKeyVerifier::new(Arc::new(store), "arvak".into(), Duration::from_secs(300));
    verifier
        .verify(&presenting(&issued.full_key))
        .await
        .unwrap();
    let wrong = format!("arvak_{}_{}", issued.key_id, "x".repeat(40));
    let error = verifier.verify(&presenting(&wrong)).await.unwrap_err();
    assert!(error.message().contains("wrong secret"), "{error}");
    assert!(!error.message().contains(&"x".repeat(40)));
}
