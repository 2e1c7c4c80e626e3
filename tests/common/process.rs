//! The shipped binary as a child process: a free port to give it, a command
//! that does not inherit the test's own ARVAK_* settings, a client once it
//! listens, and SIGTERM.

use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use arvak_grpc::proto::arvak_service_client::ArvakServiceClient;
use tonic::transport::Channel;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary, run in `dir`, with no ARVAK_* or RUST_LOG variable from the
/// test's environment.
pub fn server_command(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_arvak-grpc-server"));
    for (key, _) in std::env::vars() {
        if key.starts_with("ARVAK_") || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    command.current_dir(dir);
    command
}

/// A client of the server on `port` once it listens; fails the test when
/// `child` exits first or does not listen `within`.
pub async fn connect(
    port: u16,
    child: &mut Child,
    within: Duration,
) -> ArvakServiceClient<Channel> {
    let tries = within.as_millis() / 50;
    for _ in 0..tries {
        if let Ok(client) = ArvakServiceClient::connect(format!("http://127.0.0.1:{port}")).await {
            return client;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the server exited early with {status}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server never listened on port {port}");
}

/// Sends SIGTERM and expects exit code 0 within ten seconds.
pub async fn terminate(mut child: Child) {
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
