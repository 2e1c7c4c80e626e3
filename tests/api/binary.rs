//! The shipped binary: configuration from the environment, SIGTERM, exit code.

use std::process::{Command, Stdio};
use std::time::Duration;

use arvak_grpc::proto::{ListBackendsRequest, arvak_service_client::ArvakServiceClient};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn the_binary_serves_on_the_configured_address_and_exits_0_on_sigterm() {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_arvak-grpc-server"))
        .env("ARVAK_SERVER_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("ARVAK_WORKERS_COUNT", "1")
        .env_remove("ARVAK_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut client = None;
    for _ in 0..200 {
        if let Ok(c) = ArvakServiceClient::connect(format!("http://127.0.0.1:{port}")).await {
            client = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut client = client.expect("the binary listens on ARVAK_SERVER_LISTEN_ADDR");
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
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for _ in 0..200 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status:?}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    panic!("the binary did not exit within 10 s of SIGTERM");
}

#[test]
fn a_bad_configuration_exits_2_with_a_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_arvak-grpc-server"))
        .env("ARVAK_STORAGE_TYPE", "floppy")
        .env_remove("ARVAK_CONFIG")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("floppy"), "{stderr}");
    let output = Command::new(env!("CARGO_BIN_EXE_arvak-grpc-server"))
        .args(["--config", "/nonexistent/arvak.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/arvak.yaml"));
}
