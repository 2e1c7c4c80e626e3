//! TLS on the gRPC port: calls work over it, clients that cannot verify
//! the server or do not speak TLS get nowhere, and a client that stalls in
//! its handshake holds up nobody else and is dropped after the timeout.

use std::time::{Duration, Instant};

use arvak_grpc::proto::{self, arvak_service_client::ArvakServiceClient};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tonic::transport::Endpoint;

use super::certs::Ca;
use super::server::{PATIENCE, client_trusting, list_backends, list_backends_on, spawn_tls_app};

const BELL: &str = "OPENQASM 3.0; qubit[2] q; h q[0]; cx q[0], q[1];";

#[tokio::test]
async fn calls_work_over_tls_and_the_server_shows_its_certificate() {
    let app = spawn_tls_app(None, 10).await;
    let client = app.client(None);
    let channel = client.channel(&app.addr).await.unwrap();
    let backends = list_backends_on(&channel).await.unwrap();
    assert!(
        backends.contains(&"test-backend".to_owned()),
        "{backends:?}"
    );
    assert_eq!(
        client.last_server_certificate(),
        Some(app.server.cert_der.clone())
    );

    let request = proto::SubmitJobRequest {
        circuit: Some(proto::CircuitPayload {
            format: Some(proto::circuit_payload::Format::Qasm3(BELL.into())),
        }),
        backend_id: "test-backend".into(),
        shots: 10,
        ..Default::default()
    };
    let mut grpc = ArvakServiceClient::new(channel);
    let job_id = grpc.submit_job(request).await.unwrap().into_inner().job_id;
    let status = grpc
        .get_job_status(proto::GetJobStatusRequest { job_id })
        .await
        .unwrap();
    assert!(status.into_inner().job.is_some());
    assert_eq!(
        client.handshakes(),
        1,
        "every call went over the one connection"
    );
}

#[tokio::test]
async fn a_plaintext_client_gets_no_answer_from_the_tls_port() {
    let app = spawn_tls_app(None, 10).await;
    let outcome = tokio::time::timeout(PATIENCE, async {
        let channel = Endpoint::from_shared(format!("http://{}", app.addr))
            .unwrap()
            .connect()
            .await
            .map_err(|e| e.to_string())?;
        list_backends_on(&channel).await
    })
    .await
    .expect("the plaintext attempt ends, one way or the other");
    assert!(outcome.is_err(), "plaintext call answered: {outcome:?}");
}

#[tokio::test]
async fn a_client_that_trusts_another_ca_refuses_the_server() {
    let app = spawn_tls_app(None, 10).await;
    let stranger = client_trusting(&Ca::new("some other CA"), None);
    let outcome = list_backends(&stranger, &app.addr).await;
    let error = outcome.expect_err("a server from an untrusted CA was accepted");
    assert!(error.contains("connect"), "{error}");
    assert_eq!(stranger.handshakes(), 0);
}

#[tokio::test]
async fn stalled_handshakes_do_not_hold_up_other_clients() {
    // Long enough that the stalled clients are still there during the call.
    let app = spawn_tls_app(None, 60).await;
    let mut stalled = Vec::new();
    for _ in 0..3 {
        stalled.push(TcpStream::connect(&app.addr).await.unwrap());
    }
    let started = Instant::now();
    let backends = list_backends(&app.client(None), &app.addr).await.unwrap();
    assert!(!backends.is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the call waited {:?} behind stalled handshakes",
        started.elapsed()
    );
    drop(stalled);
}

#[tokio::test]
async fn a_client_that_never_finishes_its_handshake_is_dropped_after_the_timeout() {
    let app = spawn_tls_app(None, 1).await;
    let mut stalled = TcpStream::connect(&app.addr).await.unwrap();
    let mut buffer = [0u8; 64];
    let read = tokio::time::timeout(PATIENCE, stalled.read(&mut buffer))
        .await
        .expect("the server closed the stalled connection");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "the server sent data to a client that never said hello: {read:?}"
    );
}
