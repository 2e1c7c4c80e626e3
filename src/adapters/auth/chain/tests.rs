use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use super::*;
use crate::adapters::auth::LockoutLimits;
use crate::domain::{ClientId, ErrorKind, UnixMillis};
use crate::ports::MockVerifier;
use crate::ports::{MockClock, Secret};

fn clock() -> Arc<dyn Clock> {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(UnixMillis(1_000));
    Arc::new(clock)
}

/// Keeps every audit line for the test to read.
#[derive(Default)]
struct Trail(Mutex<Vec<AuditEvent>>);

impl AuditLog for Trail {
    fn record(&self, event: AuditEvent) {
        self.0.lock().unwrap().push(event);
    }
}

fn identity(client: &str, method: AuthMethod) -> Identity {
    Identity {
        client_id: ClientId::parse(client).unwrap(),
        method,
        subject: client.to_owned(),
        groups: Vec::new(),
    }
}

fn accepting(client: &'static str, method: AuthMethod) -> Arc<dyn Verifier> {
    let mut verifier = MockVerifier::new();
    verifier.expect_verify().returning(move |_| {
        Ok(Verified {
            identity: identity(client, method),
            fresh: true,
        })
    });
    Arc::new(verifier)
}

fn refusing() -> Arc<dyn Verifier> {
    let mut verifier = MockVerifier::new();
    verifier
        .expect_verify()
        .returning(|_| Err(Error::unauthenticated("wrong secret for API key 'k1'")));
    Arc::new(verifier)
}

/// A method that must not be asked.
fn untouched() -> Arc<dyn Verifier> {
    let mut verifier = MockVerifier::new();
    verifier.expect_verify().never();
    Arc::new(verifier)
}

fn chain(verifiers: Verifiers, admit_anonymous: bool, trail: Arc<Trail>) -> AuthChain {
    let limits = LockoutLimits {
        max_failures: 3,
        window: Duration::from_secs(60),
        cooldown: Duration::from_secs(300),
    };
    AuthChain::new(
        verifiers,
        admit_anonymous,
        FailureLockout::new(limits),
        trail,
        clock(),
    )
}

fn all_credentials() -> Credentials {
    Credentials {
        peer_address: Some(SocketAddr::from(([192, 0, 2, 7], 4242))),
        client_certificates: Some(Arc::from(vec![vec![1u8, 2, 3]])),
        bearer_token: Some(Secret::new("header.payload.signature")),
        api_key: Some(Secret::new("arvak_abcdefghijkl_s3cr3t")),
        rpc: "SubmitJob",
        request_id: Some("req-1".into()),
    }
}

#[tokio::test]
async fn the_certificate_decides_before_a_token_and_a_key() {
    let verifiers = Verifiers {
        mtls: Some(accepting("cert-client", AuthMethod::Mtls)),
        jwt: Some(untouched()),
        api_key: Some(untouched()),
    };
    let chain = chain(verifiers, false, Arc::default());
    let who = chain.authenticate(&all_credentials()).await.unwrap();
    assert_eq!(who.method, AuthMethod::Mtls);
}

#[tokio::test]
async fn without_mtls_identity_a_certificate_is_ignored_and_the_token_decides() {
    let verifiers = Verifiers {
        mtls: None,
        jwt: Some(accepting("token-client", AuthMethod::Jwt)),
        api_key: Some(untouched()),
    };
    let chain = chain(verifiers, false, Arc::default());
    let who = chain.authenticate(&all_credentials()).await.unwrap();
    assert_eq!(who.client_id.as_str(), "token-client");
}

#[tokio::test]
async fn a_bad_credential_never_falls_back_to_a_later_method_or_to_anonymous() {
    let trail = Arc::new(Trail::default());
    let verifiers = Verifiers {
        mtls: None,
        jwt: Some(refusing()),
        api_key: Some(untouched()),
    };
    let chain = chain(verifiers, true, trail.clone());
    let error = chain.authenticate(&all_credentials()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unauthenticated);
    let lines = trail.0.lock().unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].action, AuditAction::AuthenticationFailed);
    assert_eq!(lines[0].method, "SubmitJob");
    assert_eq!(lines[0].peer.as_deref(), Some("192.0.2.7:4242"));
    assert_eq!(lines[0].request_id.as_deref(), Some("req-1"));
    assert!(lines[0].detail.starts_with("jwt: "), "{}", lines[0].detail);
}

#[tokio::test]
async fn a_credential_of_a_method_that_is_off_is_refused_naming_the_accepted_ones() {
    let verifiers = Verifiers {
        api_key: Some(untouched()),
        ..Verifiers::default()
    };
    let chain = chain(verifiers, true, Arc::default());
    let credentials = Credentials {
        bearer_token: Some(Secret::new("t")),
        ..Credentials::default()
    };
    let error = chain.authenticate(&credentials).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unauthenticated);
    assert!(error.message().contains("accepts: x-api-key"), "{error}");
}

#[tokio::test]
async fn no_credential_is_anonymous_only_when_allowed() {
    let verifiers = || Verifiers {
        api_key: Some(untouched()),
        jwt: Some(untouched()),
        ..Verifiers::default()
    };
    let open = chain(verifiers(), true, Arc::default());
    let who = open.authenticate(&Credentials::default()).await.unwrap();
    assert_eq!(who, Identity::anonymous());
    let closed = chain(verifiers(), false, Arc::default());
    let error = closed
        .authenticate(&Credentials::default())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unauthenticated);
    assert_eq!(
        error.message(),
        "no credentials; this server accepts: authorization: Bearer <JWT>, x-api-key"
    );
}

#[tokio::test]
async fn a_fresh_success_is_audited_and_a_cached_one_is_not() {
    let trail = Arc::new(Trail::default());
    let mut verifier = MockVerifier::new();
    let mut fresh = [true, false].into_iter();
    verifier.expect_verify().times(2).returning(move |_| {
        Ok(Verified {
            identity: identity("alice", AuthMethod::ApiKey),
            fresh: fresh.next().unwrap(),
        })
    });
    let verifiers = Verifiers {
        api_key: Some(Arc::new(verifier)),
        ..Verifiers::default()
    };
    let chain = chain(verifiers, false, trail.clone());
    let credentials = Credentials {
        api_key: Some(Secret::new("k")),
        ..Credentials::default()
    };
    chain.authenticate(&credentials).await.unwrap();
    chain.authenticate(&credentials).await.unwrap();
    let lines = trail.0.lock().unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].action, AuditAction::AuthenticationSucceeded);
    assert_eq!(lines[0].client_id, "alice");
    assert_eq!(lines[0].outcome, "ok");
}

#[tokio::test]
async fn repeated_failures_lock_the_address_out_without_asking_the_method() {
    let trail = Arc::new(Trail::default());
    let mut verifier = MockVerifier::new();
    verifier
        .expect_verify()
        .times(3)
        .returning(|_| Err(Error::unauthenticated("wrong secret")));
    let verifiers = Verifiers {
        api_key: Some(Arc::new(verifier)),
        ..Verifiers::default()
    };
    let chain = chain(verifiers, false, trail.clone());
    let credentials = Credentials {
        peer_address: Some(SocketAddr::from(([198, 51, 100, 1], 1))),
        api_key: Some(Secret::new("k")),
        ..Credentials::default()
    };
    for _ in 0..3 {
        let error = chain.authenticate(&credentials).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unauthenticated);
    }
    let refused = chain.authenticate(&credentials).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ResourceExhausted);
    assert!(refused.retry_after().is_some());
    let lines = trail.0.lock().unwrap();
    assert_eq!(lines.len(), 4, "three failures and the lock-out");
    assert_eq!(lines[3].outcome, "refused");
}

#[tokio::test]
async fn calls_without_credentials_never_lock_an_address_out() {
    let verifiers = Verifiers {
        api_key: Some(untouched()),
        ..Verifiers::default()
    };
    let chain = chain(verifiers, false, Arc::default());
    let credentials = Credentials {
        peer_address: Some(SocketAddr::from(([198, 51, 100, 2], 1))),
        ..Credentials::default()
    };
    for _ in 0..10 {
        let error = chain.authenticate(&credentials).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unauthenticated);
    }
}
