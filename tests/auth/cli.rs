//! `arvak-grpc-server api-key ...` on the shipped binary: the key printed
//! once works against the same binary serving the same configuration.

use std::path::Path;

use arvak_grpc::proto::ListBackendsRequest;
use tonic::Code;

use crate::common::{api_key, with_header};
use crate::support::binary::{free_port, server_command, start_logging, terminate};

/// Runs one `api-key` command in `dir`; its stdout and stderr.
fn api_key_command(dir: &Path, args: &[&str]) -> (String, String) {
    let output = server_command(dir)
        .args(["--config", "arvak.yaml", "api-key"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "api-key {args:?}: {stderr}");
    (stdout, stderr)
}

#[tokio::test]
async fn a_key_created_with_the_cli_authenticates_against_the_binary_until_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let yaml = format!(
        "server:\n  listen_addr: 127.0.0.1:{port}\nstorage:\n  type: memory\nauth:\n  api_keys:\n    enabled: true\n    file: keys.yaml\n    bcrypt_cost: 4\n"
    );
    std::fs::write(dir.path().join("arvak.yaml"), yaml).unwrap();
    let (stdout, note) = api_key_command(dir.path(), &["create", "--client", "alice"]);
    let key = stdout.trim().to_owned();
    assert!(key.starts_with("arvak_") && !key.contains('\n'), "{stdout}");
    assert!(note.contains("shown only this once"), "{note}");
    let key_id = key.split('_').nth(1).unwrap();
    let secret = key.rsplit('_').next().unwrap();
    let (listed, _) = api_key_command(dir.path(), &["list"]);
    assert!(
        listed.contains(key_id) && listed.contains("alice"),
        "{listed}"
    );
    assert!(
        !listed.contains(secret) && !listed.contains("$2"),
        "{listed}"
    );

    let mut command = server_command(dir.path());
    command
        .args(["--config", "arvak.yaml"])
        .env("ARVAK_LOGGING_FORMAT", "json")
        .env("RUST_LOG", "info,arvak_grpc=debug");
    let log = dir.path().join("server.log");
    let (child, mut client) =
        start_logging(command, port, std::fs::File::create(&log).unwrap()).await;
    client
        .list_backends(with_header(ListBackendsRequest {}, api_key(&key)))
        .await
        .unwrap();
    let anonymous = client
        .list_backends(ListBackendsRequest {})
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    let wrong_secret = "Q".repeat(40);
    let wrong = format!("arvak_{key_id}_{wrong_secret}");
    let refused = client
        .list_backends(with_header(ListBackendsRequest {}, api_key(&wrong)))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    api_key_command(dir.path(), &["disable", "--id", key_id]);
    let disabled = client
        .list_backends(with_header(ListBackendsRequest {}, api_key(&key)))
        .await
        .unwrap_err();
    assert_eq!(disabled.code(), Code::Unauthenticated);
    terminate(child).await;
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("wrong secret for API key"),
        "the refusal is logged: {logged}"
    );
    assert!(
        !logged.contains(secret) && !logged.contains(&wrong_secret),
        "a secret reached the log"
    );
}
