//! Running the shipped binary in tests: a free port, a command without the
//! test's own ARVAK_* variables, start-and-wait, SIGTERM-and-expect-0.

use std::path::Path;
use std::process::{Child, Command, Stdio};
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

/// The binary with no ARVAK_* variables from the test's own environment.
pub fn server_command(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_arvak-grpc-server"));
    for (key, _) in std::env::vars() {
        if key.starts_with("ARVAK_") {
            command.env_remove(key);
        }
    }
    command
        .current_dir(dir)
        .env("ARVAK_WORKERS_COUNT", "1")
        .env("ARVAK_HTTP_LISTEN_ADDR", "127.0.0.1:0");
    command
}

/// Starts the binary and waits until it answers on `port`.
pub async fn start(command: Command, port: u16) -> (Child, ArvakServiceClient<Channel>) {
    start_logging(command, port, Stdio::null()).await
}

/// The same, with the server's log (stdout) going to `log`.
pub async fn start_logging(
    mut command: Command,
    port: u16,
    log: impl Into<Stdio>,
) -> (Child, ArvakServiceClient<Channel>) {
    let mut child = command.stdout(log).stderr(Stdio::null()).spawn().unwrap();
    for _ in 0..200 {
        if let Ok(client) = ArvakServiceClient::connect(format!("http://127.0.0.1:{port}")).await {
            return (child, client);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the binary never listened on port {port}");
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
