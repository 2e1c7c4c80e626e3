//! `spawn_app()`: the real server on port 0 with a typed client, plus a test
//! backend whose runs the test controls.

pub mod binary;
#[path = "../../common/process.rs"]
pub mod process;
#[cfg(feature = "storage-postgres")]
pub mod proxy;
#[path = "../../common/services.rs"]
pub mod services;
pub mod test_backend;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arvak_grpc::app::App;
use arvak_grpc::app::config::{Config, StorageType};
use arvak_grpc::proto::{self, arvak_service_client::ArvakServiceClient};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

pub use test_backend::TestBackend;

pub const BELL: &str = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\nh q[0];\ncx q[0], q[1];\nc = measure q;\n";

pub struct TestApp {
    /// The gRPC port, for callers other than `client`.
    pub addr: SocketAddr,
    /// The metrics and health endpoints (builds with `metrics`).
    pub http_addr: SocketAddr,
    pub client: ArvakServiceClient<Channel>,
    pub backend: Arc<TestBackend>,
    /// The client's channel (plaintext, or TLS when the server was started
    /// over TLS); `channel()` hands out clones.
    channel: Channel,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<arvak_grpc::domain::Result<()>>>,
    /// Whatever must outlive the server (its certificate files).
    _keep: Option<Box<dyn std::any::Any + Send>>,
}

pub fn test_config() -> Config {
    let mut config = Config::default();
    // Most tests are about behaviour, not durability: keep them in memory.
    config.storage.kind = StorageType::Memory;
    config.workers.count = 2;
    config.server.shutdown_timeout_secs = 10;
    config
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(test_config()).await
}

/// One worker, busy with a held job: later submissions stay QUEUED until
/// `app.backend.release()`. Returns the app and the running job's id.
pub async fn spawn_app_with_busy_worker() -> (TestApp, String) {
    spawn_busy_app_with(test_config()).await
}

/// The same with `config` (its worker count becomes 1).
pub async fn spawn_busy_app_with(mut config: Config) -> (TestApp, String) {
    config.workers.count = 1;
    let mut app = spawn_app_with(config).await;
    app.backend.hold();
    let blocker = app.submit(BELL, "test-backend", 1).await.unwrap();
    app.wait_state(&blocker, proto::JobState::Running).await;
    (app, blocker)
}

/// BELL on the test backend with one shot; override fields as needed.
pub fn bell_request() -> proto::SubmitJobRequest {
    proto::SubmitJobRequest {
        circuit: qasm3(BELL),
        backend_id: "test-backend".into(),
        shots: 1,
        ..Default::default()
    }
}

pub async fn spawn_app_with(config: Config) -> TestApp {
    spawn_app_with_backend(config, Arc::new(TestBackend::new("test-backend"))).await
}

/// With a test backend the caller has set up before any job can reach it.
pub async fn spawn_app_with_backend(config: Config, backend: Arc<TestBackend>) -> TestApp {
    let plaintext = |addr: SocketAddr| async move {
        Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
    };
    spawn_app_connected(config, backend, plaintext, None).await
}

/// The server on port 0, reached through the channel `connect` makes to
/// its address; `keep` lives as long as the app.
pub async fn spawn_app_connected<F, Fut>(
    config: Config,
    backend: Arc<TestBackend>,
    connect: F,
    keep: Option<Box<dyn std::any::Any + Send>>,
) -> TestApp
where
    F: FnOnce(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = Result<Channel, tonic::transport::Error>>,
{
    let app = App::build_with(config, vec![backend.clone()])
        .await
        .expect("app builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http_addr = http.local_addr().unwrap();
    let (shutdown, stop) = oneshot::channel::<()>();
    let server = tokio::spawn(app.serve_with(listener, Some(http), async move {
        let _ = stop.await;
    }));
    let channel = connect(addr).await.expect("client connects");
    TestApp {
        addr,
        http_addr,
        client: ArvakServiceClient::new(channel.clone()),
        backend,
        channel,
        shutdown: Some(shutdown),
        server: Some(server),
        _keep: keep,
    }
}

impl TestApp {
    pub async fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// Asks the server to stop, as SIGTERM does, and waits for it to return.
    pub async fn shut_down(&mut self) -> arvak_grpc::domain::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let server = self.server.take().expect("server still running");
        tokio::time::timeout(Duration::from_secs(30), server)
            .await
            .expect("server stops in time")
            .unwrap()
    }

    pub async fn submit_request(
        &mut self,
        request: proto::SubmitJobRequest,
    ) -> Result<String, tonic::Status> {
        Ok(self.client.submit_job(request).await?.into_inner().job_id)
    }

    /// The result of a COMPLETED job.
    pub async fn result(&mut self, job_id: &str) -> proto::JobResult {
        let request = proto::GetJobResultRequest {
            job_id: job_id.into(),
        };
        let response = self.client.get_job_result(request).await.unwrap();
        response.into_inner().result.expect("result present")
    }

    pub async fn submit(
        &mut self,
        qasm: &str,
        backend: &str,
        shots: u32,
    ) -> Result<String, tonic::Status> {
        let request = proto::SubmitJobRequest {
            circuit: qasm3(qasm),
            backend_id: backend.into(),
            shots,
            ..Default::default()
        };
        Ok(self.client.submit_job(request).await?.into_inner().job_id)
    }

    pub async fn status(&mut self, job_id: &str) -> Result<proto::Job, tonic::Status> {
        let request = proto::GetJobStatusRequest {
            job_id: job_id.into(),
        };
        Ok(self
            .client
            .get_job_status(request)
            .await?
            .into_inner()
            .job
            .expect("job present"))
    }

    /// Polls until the job is in a terminal state.
    pub async fn wait_terminal(&mut self, job_id: &str) -> proto::Job {
        for _ in 0..1000 {
            let job = self.status(job_id).await.unwrap();
            if is_terminal(job.state()) {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("job {job_id} did not finish within 10 s");
    }

    /// Polls until the job has this state.
    pub async fn wait_state(&mut self, job_id: &str, state: proto::JobState) {
        for _ in 0..1000 {
            if self.status(job_id).await.unwrap().state() == state {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("job {job_id} did not reach {state:?} within 10 s");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub fn qasm3(text: &str) -> Option<proto::CircuitPayload> {
    Some(proto::CircuitPayload {
        format: Some(proto::circuit_payload::Format::Qasm3(text.into())),
    })
}

pub fn is_terminal(state: proto::JobState) -> bool {
    !matches!(
        state,
        proto::JobState::Queued | proto::JobState::Running | proto::JobState::Unspecified
    )
}
