//! The shipped binary: configuration from a file, the environment and `.env`;
//! SIGTERM; exit codes.

use std::path::Path;

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

/// Runs the binary with `settings` on top of the test defaults, expects
/// exit code 2, and returns what it said on stderr.
fn refused_at_start(dir: &Path, settings: &[(&str, &str)], args: &[&str]) -> String {
    let output = server_command(dir)
        .envs(settings.iter().copied())
        .args(args)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{settings:?} {args:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_bad_configuration_exits_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = refused_at_start(dir.path(), &[("ARVAK_STORAGE_TYPE", "floppy")], &[]);
    assert!(stderr.contains("floppy"), "{stderr}");

    let stderr = refused_at_start(dir.path(), &[], &["--config", "/nonexistent/arvak.yaml"]);
    assert!(stderr.contains("/nonexistent/arvak.yaml"), "{stderr}");

    // Without the feature the message names it; with it, what is missing.
    let stderr = refused_at_start(dir.path(), &[("ARVAK_STORAGE_TYPE", "postgres")], &[]);
    let expected = if cfg!(feature = "storage-postgres") {
        "ARVAK_STORAGE_POSTGRES_URL"
    } else {
        "storage-postgres"
    };
    assert!(stderr.contains(expected), "{stderr}");

    let stderr = refused_at_start(dir.path(), &[("ARVAK_TLS_ENABLED", "true")], &[]);
    let expected = if cfg!(feature = "tls") {
        "tls.cert_path"
    } else {
        "Cargo feature `tls`"
    };
    assert!(stderr.contains(expected), "{stderr}");
}

#[tokio::test]
async fn plaintext_beyond_loopback_is_warned_about_at_start() {
    for (address, warns) in [("0.0.0.0", true), ("127.0.0.1", false)] {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = dir.path().join("server.log");
        let mut command = server_command(dir.path());
        command.env("ARVAK_SERVER_LISTEN_ADDR", format!("{address}:{port}"));
        let (child, _) = start_logging(command, port, std::fs::File::create(&log).unwrap()).await;
        terminate(child).await;
        let text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(text.contains("WITHOUT TLS"), warns, "{address}: {text}");
    }
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
    assert_eq!(event["request_id"], "trace-log-1", "{line}");
    assert_eq!(event["method"], "ListBackends", "{line}");
    assert_eq!(
        event["fields"]["code"].as_str().or(event["code"].as_str()),
        Some("OK"),
        "{line}"
    );
}

#[cfg(not(feature = "otel"))]
#[tokio::test]
async fn a_trace_endpoint_in_a_build_without_otel_is_refused_at_start_naming_the_feature() {
    let dir = tempfile::tempdir().unwrap();
    let output = server_command(dir.path())
        .env(
            "ARVAK_SERVER_LISTEN_ADDR",
            format!("127.0.0.1:{}", free_port()),
        )
        .env("ARVAK_TRACING_OTLP_ENDPOINT", "http://127.0.0.1:4317")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("tracing.otlp_endpoint") && stderr.contains("`otel`"),
        "{stderr}"
    );
}
