//! API keys over the real server: the key file as the `api-key` command
//! writes it, one bcrypt check per key and cache period, disabled keys,
//! tenancy, lock-out, and no secret in any answer or audit line.

use std::path::{Path, PathBuf};

use arvak_grpc::app::api_keys::{ApiKeyCommand, run};
use arvak_grpc::app::config::{Config, StorageType};
use tonic::Code;

use crate::common::{api_key, assert_code, audit_lines, count_action, probe, status, submit};
use crate::support::{TestApp, test_config};

/// API keys in `dir/keys.yaml` (bcrypt cost 4: tests need no slow hashes),
/// audit lines in `dir/audit.jsonl`.
pub fn keyed_config(dir: &Path) -> Config {
    let mut config = test_config();
    config.auth.api_keys.enabled = true;
    config.auth.api_keys.file = Some(dir.join("keys.yaml"));
    config.auth.api_keys.bcrypt_cost = 4;
    config.audit.file = Some(audit_path(dir));
    config
}

pub fn audit_path(dir: &Path) -> PathBuf {
    dir.join("audit.jsonl")
}

/// A new key for `client`, as `api-key create` issues it.
pub async fn create_key(config: &Config, client: &str) -> String {
    let command = ApiKeyCommand::Create {
        client: client.into(),
    };
    let output = run(config, command).await.expect("key created");
    output.stdout.trim().to_owned()
}

fn key_id(key: &str) -> &str {
    key.split('_').nth(1).unwrap()
}

/// The same key id with another secret of the right shape.
fn with_wrong_secret(key: &str) -> String {
    format!("arvak_{}_{}", key_id(key), "W".repeat(40))
}

async fn keyed_app(dir: &Path) -> (TestApp, Config) {
    let config = keyed_config(dir);
    (crate::serve::serve(config.clone()).await, config)
}

#[tokio::test]
async fn a_valid_key_is_its_clients_identity_and_is_checked_once_per_cache_period() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, config) = keyed_app(dir.path()).await;
    let alice = create_key(&config, "alice").await;
    let bob = create_key(&config, "bob").await;
    let job = submit(&mut app, api_key(&alice)).await.unwrap();
    for _ in 0..3 {
        status(&mut app, &job, api_key(&alice)).await.unwrap();
    }
    let other = status(&mut app, &job, api_key(&bob)).await;
    assert_code(other, Code::NotFound);
    app.shut_down().await.unwrap();
    let lines = audit_lines(&audit_path(dir.path()));
    // Authentication lines only: the submission has its own line.
    let alice_lines: Vec<_> = lines
        .iter()
        .filter(|l| l["client_id"] == "alice" && l["action"] != "job_submitted")
        .collect();
    assert_eq!(
        alice_lines.len(),
        1,
        "four calls, one bcrypt check: {lines:?}"
    );
    assert_eq!(alice_lines[0]["action"], "authentication_succeeded");
    assert_eq!(alice_lines[0]["method"], "SubmitJob");
    assert!(
        alice_lines[0]["detail"]
            .as_str()
            .unwrap()
            .contains(key_id(&alice))
    );
    assert!(alice_lines[0]["request_id"].is_string());
    assert!(
        alice_lines[0]["peer"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
}

#[tokio::test]
async fn wrong_unknown_and_malformed_keys_are_unauthenticated_and_no_secret_is_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, config) = keyed_app(dir.path()).await;
    let key = create_key(&config, "alice").await;
    let wrong = with_wrong_secret(&key);
    let unknown = format!("arvak_ZZZZZZZZZZZZ_{}", "U".repeat(40));
    let malformed = format!("arvak-{}", "M".repeat(40));
    let cases = [
        (&wrong, "wrong secret"),
        (&unknown, "unknown API key"),
        (&malformed, "malformed API key"),
    ];
    for (presented, expected) in cases {
        let status = assert_code(
            probe(&mut app, api_key(presented)).await,
            Code::Unauthenticated,
        );
        assert!(status.message().contains(expected), "{}", status.message());
        let secret = presented.rsplit('_').next().unwrap();
        assert!(!status.message().contains(secret), "{}", status.message());
    }
    app.shut_down().await.unwrap();
    let text = std::fs::read_to_string(audit_path(dir.path())).unwrap();
    assert_eq!(
        count_action(
            &audit_lines(&audit_path(dir.path())),
            "authentication_failed"
        ),
        3
    );
    for secret in ["W".repeat(40), "U".repeat(40), "M".repeat(40)] {
        assert!(
            !text.contains(&secret),
            "a secret reached the audit trail: {text}"
        );
    }
    let real_secret = key.rsplit('_').next().unwrap();
    assert!(!text.contains(real_secret));
    let stored = std::fs::read_to_string(dir.path().join("keys.yaml")).unwrap();
    assert!(
        !stored.contains(real_secret),
        "the key file holds hashes only"
    );
}

#[tokio::test]
async fn a_disabled_key_is_refused_even_while_its_check_is_cached() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, config) = keyed_app(dir.path()).await;
    let key = create_key(&config, "alice").await;
    probe(&mut app, api_key(&key)).await.unwrap();
    probe(&mut app, api_key(&key)).await.unwrap();
    let disable = ApiKeyCommand::Disable {
        key_id: key_id(&key).to_owned(),
    };
    run(&config, disable).await.unwrap();
    let status = assert_code(probe(&mut app, api_key(&key)).await, Code::Unauthenticated);
    assert!(
        status.message().contains("disabled"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn callers_without_a_key_are_refused_unless_allowed_and_a_bad_key_is_never_anonymous() {
    let dir = tempfile::tempdir().unwrap();
    let (mut closed, config) = keyed_app(dir.path()).await;
    let status = assert_code(probe(&mut closed, None).await, Code::Unauthenticated);
    assert_eq!(
        status.message(),
        "no credentials; this server accepts: x-api-key"
    );
    let bearer = probe(&mut closed, Some(("authorization", "Bearer a.b.c"))).await;
    assert_code(bearer, Code::Unauthenticated);

    let mut config = config;
    config.auth.allow_unauthenticated = Some(true);
    let mut open = crate::serve::serve(config.clone()).await;
    probe(&mut open, None).await.unwrap();
    let key = create_key(&config, "alice").await;
    let bad = probe(&mut open, api_key(&with_wrong_secret(&key))).await;
    assert_code(bad, Code::Unauthenticated);
}

#[tokio::test]
async fn repeated_failures_from_one_address_lock_it_out_even_with_a_good_key_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = keyed_config(dir.path());
    config.auth.lockout.max_failures = 3;
    let mut app = crate::serve::serve(config.clone()).await;
    let key = create_key(&config, "alice").await;
    for _ in 0..3 {
        let wrong = probe(&mut app, api_key(&with_wrong_secret(&key))).await;
        assert_code(wrong, Code::Unauthenticated);
    }
    let locked = assert_code(
        probe(&mut app, api_key(&key)).await,
        Code::ResourceExhausted,
    );
    assert!(
        locked.message().contains("too many failed authentications"),
        "{}",
        locked.message()
    );
    app.shut_down().await.unwrap();
    let lines = audit_lines(&audit_path(dir.path()));
    let lockouts = lines.iter().filter(|l| l["outcome"] == "refused").count();
    assert_eq!(lockouts, 1, "the lock-out is recorded once: {lines:?}");
}

#[tokio::test]
async fn keys_in_the_sqlite_storage_table_work_like_keys_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = keyed_config(dir.path());
    config.auth.api_keys.file = None;
    config.storage.kind = StorageType::Sqlite;
    config.storage.sqlite_path = dir.path().join("arvak.db");
    config.auth.api_keys.recheck_secs = 0;
    let key = create_key(&config, "alice").await;
    let mut app = crate::serve::serve(config.clone()).await;
    probe(&mut app, api_key(&key)).await.unwrap();
    assert_code(
        probe(&mut app, api_key(&with_wrong_secret(&key))).await,
        Code::Unauthenticated,
    );
    let listed = run(&config, ApiKeyCommand::List).await.unwrap().stdout;
    assert!(
        listed.contains(key_id(&key)) && listed.contains("alice"),
        "{listed}"
    );
    assert!(!listed.contains(key.rsplit('_').next().unwrap()));
    assert!(!listed.contains("$2"), "no hashes listed");
    let disable = ApiKeyCommand::Disable {
        key_id: key_id(&key).to_owned(),
    };
    run(&config, disable).await.unwrap();
    assert_code(probe(&mut app, api_key(&key)).await, Code::Unauthenticated);
}

#[tokio::test]
async fn health_checks_need_no_credentials_when_calls_do() {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = keyed_app(dir.path()).await;
    assert_code(probe(&mut app, None).await, Code::Unauthenticated);
    let mut health = HealthClient::new(app.channel().await);
    let request = HealthCheckRequest {
        service: String::new(),
    };
    health
        .check(request)
        .await
        .expect("health answers without a key");
}
