//! The server as these tests reach it: over real TLS on port 0, with a CA
//! and server certificate made here by rcgen, when the build has `tls` (as
//! CI's `--all-features` does); plaintext otherwise, so that `cargo test`
//! with the default features covers the same behaviour.

use arvak_grpc::app::config::Config;

use crate::support::TestApp;

#[cfg(feature = "tls")]
pub async fn serve(mut config: Config) -> TestApp {
    use std::sync::Arc;

    use crate::certs::Ca;
    use crate::support::test_backend::TestBackend;
    use crate::tls_client::TlsClient;

    let ca = Ca::new("arvak auth tests CA");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = ca.server(1).write(dir.path(), "server");
    config.tls.enabled = true;
    config.tls.cert_path = Some(cert);
    config.tls.key_path = Some(key);
    let client = TlsClient::new(ca.cert_pem().as_bytes(), None, "localhost").unwrap();
    let connect =
        |addr: std::net::SocketAddr| async move { client.channel(&addr.to_string()).await };
    let backend = Arc::new(TestBackend::new("test-backend"));
    crate::support::spawn_app_connected(config, backend, connect, Some(Box::new(dir))).await
}

#[cfg(not(feature = "tls"))]
pub async fn serve(config: Config) -> TestApp {
    crate::support::spawn_app_with(config).await
}
