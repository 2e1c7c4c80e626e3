//! Running the shipped binary in the api and auth tests: the process helpers
//! shared with the other test binaries, plus one worker, the HTTP endpoints
//! on a free port, and start-and-wait.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use arvak_grpc::proto::arvak_service_client::ArvakServiceClient;
use tonic::transport::Channel;

pub use super::process::{free_port, terminate};

/// The binary with no ARVAK_* variables from the test's own environment,
/// one worker, and its HTTP endpoints on a free port.
pub fn server_command(dir: &Path) -> Command {
    let mut command = super::process::server_command(dir);
    command
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
    let client = super::process::connect(port, &mut child, Duration::from_secs(10)).await;
    (child, client)
}
