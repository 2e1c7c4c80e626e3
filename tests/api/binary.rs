//! The shipped binary: configuration from a file, the environment and `.env`;
//! SIGTERM; exit codes.

use arvak_grpc::proto::ListBackendsRequest;

use crate::support::binary::{free_port, server_command, start, start_logging, terminate};

#[tokio::test]
async fn the_binary_serves_on_the_address_from_the_environment_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut command = server_command(dir.path());
    command.env("ARVAK_SERVER_LISTEN_ADDR", format!("127.0.0.1:{port}"));
    let (child, mut client) = start(command, port).await;
    let backends = client
        .list_backends(ListBackendsRequest {})
        .await
        .unwrap()
        .into_inner()
        .backends;
    assert!(
        backends.iter().all(|b| b.backend_id != "test-backend"),
        "the shipped binary registers no test backend"
    );
    terminate(child).await;
}

#[tokio::test]
async fn a_yaml_file_named_by_arvak_config_is_read_and_the_environment_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    let (file_port, env_port) = (free_port(), free_port());
    let yaml = format!(
        "server:\n  listen_addr: 127.0.0.1:{file_port}\nbackends:\n  simulator:\n    max_shots: 77\n"
    );
    std::fs::write(dir.path().join("arvak.yaml"), yaml).unwrap();
    let mut command = server_command(dir.path());
    command.env("ARVAK_CONFIG", "arvak.yaml");
    let (child, mut client) = start(command, file_port).await;
    let backends = client
        .list_backends(ListBackendsRequest {})
        .await
        .unwrap()
        .into_inner()
        .backends;
    if let Some(simulator) = backends.iter().find(|b| b.backend_id == "simulator") {
        assert_eq!(
            simulator.max_shots, 77,
            "backend settings come from the file"
        );
    }
    terminate(child).await;

    let mut command = server_command(dir.path());
    command
        .env("ARVAK_CONFIG", "arvak.yaml")
        .env("ARVAK_SERVER_LISTEN_ADDR", format!("127.0.0.1:{env_port}"));
    let (child, _) = start(command, env_port).await;
    terminate(child).await;
}

#[tokio::test]
async fn a_dot_env_file_supplies_variables_the_environment_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    std::fs::write(
        dir.path().join(".env"),
        format!("ARVAK_SERVER_LISTEN_ADDR=127.0.0.1:{port}\n"),
    )
    .unwrap();
    let (child, _) = start(server_command(dir.path()), port).await;
    terminate(child).await;
}

#[test]
fn a_bad_configuration_exits_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let output = server_command(dir.path())
        .env("ARVAK_STORAGE_TYPE", "floppy")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("floppy"), "{stderr}");

    let output = server_command(dir.path())
        .args(["--config", "/nonexistent/arvak.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/arvak.yaml"));

    let output = server_command(dir.path())
        .env("ARVAK_STORAGE_TYPE", "postgres")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Without the feature the message names it; with it, the missing URL.
    let expected = if cfg!(feature = "storage-postgres") {
        "ARVAK_STORAGE_POSTGRES_URL"
    } else {
        "storage-postgres"
    };
    assert!(stderr.contains(expected), "{stderr}");
}

#[tokio::test]
async fn json_logs_carry_the_request_id_on_the_calls_line() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let log = dir.path().join("server.log");
    let mut command = server_command(dir.path());
    command
        .env("ARVAK_SERVER_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("ARVAK_LOGGING_FORMAT", "json")
        .env("RUST_LOG", "info,arvak_grpc=debug");
    let (child, mut client) =
        start_logging(command, port, std::fs::File::create(&log).unwrap()).await;
    let mut request = tonic::Request::new(ListBackendsRequest {});
    request
        .metadata_mut()
        .insert("x-request-id", "trace-log-1".parse().unwrap());
    client.list_backends(request).await.unwrap();
    terminate(child).await;
    let line = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .find(|l| l.contains("trace-log-1"))
        .map(str::to_owned)
        .expect("a log line names the request id");
    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["span"]["request_id"], "trace-log-1", "{line}");
    assert_eq!(event["span"]["method"], "ListBackends", "{line}");
    assert_eq!(
        event["fields"]["code"].as_str().or(event["code"].as_str()),
        Some("OK"),
        "{line}"
    );
}
