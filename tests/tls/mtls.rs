//! Client certificates (mTLS): required or optional, a presented certificate
//! is checked against the client CA and its validity, and the verified chain
//! reaches the connection's info, which tonic hands to every request.

use std::time::Duration;

use arvak_grpc::adapters::transport::tls::{ServerTls, TlsSettings};
use futures::StreamExt;
use tonic::transport::server::Connected;

use super::certs::Ca;
use super::server::{Mtls, PATIENCE, TlsApp, list_backends, spawn_tls_app};

/// The server checking client certificates against a CA of their own.
async fn app_with_client_ca(required: bool) -> (TlsApp, Ca) {
    let clients_ca = Ca::new("clients CA");
    let mtls = Mtls {
        ca: &clients_ca,
        required,
    };
    let app = spawn_tls_app(Some(mtls), 10).await;
    (app, clients_ca)
}

#[tokio::test]
async fn required_client_certificates_refuse_all_but_a_valid_one() {
    let (app, clients_ca) = app_with_client_ca(true).await;
    let good = clients_ca.client("alice");
    assert!(
        list_backends(&app.client(Some(&good)), &app.addr)
            .await
            .is_ok(),
        "a valid client certificate is accepted"
    );

    let refused = [
        ("no certificate", None),
        (
            "another CA's certificate",
            Some(Ca::new("rogue CA").client("mallory")),
        ),
        (
            "an expired certificate",
            Some(clients_ca.expired_client("bob")),
        ),
    ];
    for (what, identity) in refused {
        let outcome = list_backends(&app.client(identity.as_ref()), &app.addr).await;
        assert!(outcome.is_err(), "{what} was accepted: {outcome:?}");
    }
}

#[tokio::test]
async fn optional_client_certificates_accept_clients_with_or_without_but_not_a_bad_one() {
    let (app, clients_ca) = app_with_client_ca(false).await;
    let good = clients_ca.client("alice");
    assert!(
        list_backends(&app.client(Some(&good)), &app.addr)
            .await
            .is_ok()
    );
    assert!(list_backends(&app.client(None), &app.addr).await.is_ok());

    let rogue = Ca::new("rogue CA").client("mallory");
    let outcome = list_backends(&app.client(Some(&rogue)), &app.addr).await;
    assert!(
        outcome.is_err(),
        "a certificate from another CA was accepted"
    );
}

/// One level below the app: the listener's connections carry the peer's
/// address and its verified chain as tonic's connect info, which tonic puts
/// into every request's extensions.
#[tokio::test]
async fn the_verified_client_chain_reaches_the_connection_info() {
    let server_ca = Ca::new("server CA");
    let clients_ca = Ca::new("clients CA");
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = server_ca.server(1).write(dir.path(), "server");
    let ca_path = dir.path().join("clients-ca.crt");
    std::fs::write(&ca_path, clients_ca.cert_pem()).unwrap();
    let tls = ServerTls::load(TlsSettings {
        cert_path,
        key_path,
        client_ca_path: Some(ca_path),
        require_client_cert: true,
        reload_interval: Duration::from_secs(60),
        handshake_timeout: Duration::from_secs(10),
    })
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let mut incoming = Box::pin(tls.incoming(listener));

    let alice = clients_ca.client("alice");
    let client = super::server::client_trusting(&server_ca, Some(&alice));
    let connecting = tokio::spawn(async move { client.connect(&addr).await });
    let connection = tokio::time::timeout(PATIENCE, incoming.next())
        .await
        .expect("a connection within the deadline")
        .expect("the listener is open")
        .expect("no error");
    let client_stream = connecting.await.unwrap().expect("client handshake");

    let info = connection.connect_info();
    let chain = info.client_certificates.expect("the chain is attached");
    assert_eq!(chain.len(), 1);
    assert_eq!(chain[0], alice.cert_der);
    let client_addr = client_stream.get_ref().0.local_addr().unwrap();
    assert_eq!(info.remote_addr, Some(client_addr));
}
