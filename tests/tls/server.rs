//! The server with TLS on port 0, its certificate files in a temp dir, and
//! the calls the tests make.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arvak_grpc::app::App;
use arvak_grpc::app::config::{Config, StorageType};
use arvak_grpc::proto::{self, arvak_service_client::ArvakServiceClient};
use tokio::sync::oneshot;
use tonic::transport::Channel;

use super::certs::{Ca, Leaf};
use super::client::{Identity, TlsClient};
use super::test_backend::TestBackend;

/// Every call and connection attempt in these tests ends within this.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub struct TlsApp {
    pub addr: String,
    pub dir: tempfile::TempDir,
    pub ca: Ca,
    /// The certificate the server started with.
    pub server: Leaf,
    _stop: oneshot::Sender<()>,
}

/// Client certificates: checked against `ca` when given, and required or not.
pub struct Mtls<'a> {
    pub ca: &'a Ca,
    pub required: bool,
}

pub async fn spawn_tls_app(mtls: Option<Mtls<'_>>, handshake_timeout_secs: u64) -> TlsApp {
    let ca = Ca::new("arvak test CA");
    let dir = tempfile::tempdir().unwrap();
    let server = ca.server(1);
    let (cert, key) = server.write(dir.path(), "server");
    let mut config = Config::default();
    config.storage.kind = StorageType::Memory;
    config.http.enabled = false;
    config.workers.count = 1;
    config.tls.enabled = true;
    config.tls.cert_path = Some(cert);
    config.tls.key_path = Some(key);
    config.tls.reload_interval_secs = 1;
    config.tls.handshake_timeout_secs = handshake_timeout_secs;
    if let Some(mtls) = mtls {
        let path = dir.path().join("clients-ca.crt");
        std::fs::write(&path, mtls.ca.cert_pem()).unwrap();
        config.tls.client_ca_path = Some(path);
        config.tls.require_client_cert = mtls.required;
    }
    let backend = Arc::new(TestBackend::new("test-backend"));
    let app = App::build_with(config, vec![backend])
        .await
        .expect("app builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (stop_tx, stop) = oneshot::channel::<()>();
    tokio::spawn(app.serve_with(listener, None, async move {
        let _ = stop.await;
    }));
    TlsApp {
        addr,
        dir,
        ca,
        server,
        _stop: stop_tx,
    }
}

impl TlsApp {
    /// A client that trusts this server's CA, with an optional certificate.
    pub fn client(&self, identity: Option<&Leaf>) -> TlsClient {
        client_trusting(&self.ca, identity)
    }
}

pub fn client_trusting(ca: &Ca, identity: Option<&Leaf>) -> TlsClient {
    let identity = identity.map(|leaf| Identity {
        cert_pem: leaf.cert_pem.as_bytes(),
        key_pem: leaf.key_pem.as_bytes(),
    });
    TlsClient::new(ca.cert_pem().as_bytes(), identity, "localhost").unwrap()
}

/// Connects and lists the backends: Ok with their ids, or what went wrong
/// (at connect or at the call; with TLS 1.3 a refused client certificate
/// shows only at the first read).
pub async fn list_backends(client: &TlsClient, addr: &str) -> Result<Vec<String>, String> {
    let channel = tokio::time::timeout(PATIENCE, client.channel(addr))
        .await
        .map_err(|_| "connect timed out".to_owned())?
        .map_err(|e| format!("connect: {e:?}"))?;
    list_backends_on(&channel).await
}

pub async fn list_backends_on(channel: &Channel) -> Result<Vec<String>, String> {
    let mut client = ArvakServiceClient::new(channel.clone());
    let call = client.list_backends(proto::ListBackendsRequest {});
    let response = tokio::time::timeout(PATIENCE, call)
        .await
        .map_err(|_| "call timed out".to_owned())?
        .map_err(|status| format!("call: {status}"))?;
    Ok(response
        .into_inner()
        .backends
        .into_iter()
        .map(|backend| backend.backend_id)
        .collect())
}

/// Polls `condition` until it holds; panics with `what` at the deadline.
pub async fn eventually<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + PATIENCE;
    while !condition().await {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
