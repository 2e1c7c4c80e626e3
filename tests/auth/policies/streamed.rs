//! SubmitBatchStream: the call needs its own grant, and every item is
//! checked against the policies in force when it arrives (backend, shots),
//! so a reload applies to a stream already open.

use std::time::{Duration, Instant};

use arvak_grpc::proto::{self, batch_job_result::Result as Answer};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;

use super::{as_client, policed_app, policies_path};
use crate::api_keys::create_key;
use crate::common::assert_code;
use crate::support::{BELL, qasm3};

fn policies(max_shots: u32) -> String {
    format!(
        r#"
default:
  operations: [ListBackends]
clients:
  alice:
    operations: [SubmitBatchStream]
    backends: [test-backend]
    quotas: {{ max_shots_per_job: {max_shots} }}
"#
    )
}

fn item(request_id: &str, backend: &str, shots: u32) -> proto::BatchJobSubmission {
    proto::BatchJobSubmission {
        circuit: qasm3(BELL),
        backend_id: backend.into(),
        shots,
        client_request_id: request_id.into(),
        ..Default::default()
    }
}

/// Sends one item and waits for its first answer (submitted or error);
/// answers about jobs ending on the way are skipped.
async fn answer_to(
    tx: &mpsc::Sender<proto::BatchJobSubmission>,
    answers: &mut tonic::Streaming<proto::BatchJobResult>,
    item: proto::BatchJobSubmission,
) -> Answer {
    let request_id = item.client_request_id.clone();
    tx.send(item).await.unwrap();
    loop {
        let answer = tokio::time::timeout(Duration::from_secs(10), answers.next())
            .await
            .expect("an answer within 10 s")
            .expect("the stream is open")
            .expect("the stream did not fail");
        match answer.result.unwrap() {
            Answer::Completed(_) => continue,
            first if answer.client_request_id == request_id => return first,
            other => panic!(
                "unexpected answer {other:?} to {}",
                answer.client_request_id
            ),
        }
    }
}

fn error_of(answer: Answer) -> String {
    match answer {
        Answer::Error(error) => error,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn each_streamed_submission_is_checked_against_the_policies_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, config) = policed_app(dir.path(), &policies(100)).await;
    let alice = create_key(&config, "alice").await;
    let bob = create_key(&config, "bob").await;

    let (_bob_tx, bob_rx) = mpsc::channel(1);
    let refused = app
        .client
        .submit_batch_stream(as_client(&bob, ReceiverStream::new(bob_rx)))
        .await;
    let status = assert_code(refused, Code::PermissionDenied);
    assert_eq!(
        status.message(),
        "client 'bob' may not call SubmitBatchStream"
    );

    let (tx, rx) = mpsc::channel(8);
    let mut answers = app
        .client
        .submit_batch_stream(as_client(&alice, ReceiverStream::new(rx)))
        .await
        .unwrap()
        .into_inner();
    let ok = answer_to(&tx, &mut answers, item("ok", "test-backend", 50)).await;
    assert!(matches!(ok, Answer::Submitted(_)), "{ok:?}");
    let error = error_of(answer_to(&tx, &mut answers, item("shots", "test-backend", 500)).await);
    assert!(
        error.starts_with("INVALID_ARGUMENT")
            && error.contains("shots 500 is over this client's max_shots_per_job 100"),
        "{error}"
    );
    let error = error_of(answer_to(&tx, &mut answers, item("backend", "simulator", 1)).await);
    assert!(
        error.starts_with("PERMISSION_DENIED") && error.contains("may not use backend 'simulator'"),
        "{error}"
    );

    // Lowered while the stream is open: later items meet the new limit.
    std::fs::write(policies_path(dir.path()), policies(10)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    for n in 0.. {
        assert!(Instant::now() < deadline, "the new limit never applied");
        let request_id = format!("after-reload-{n}");
        match answer_to(&tx, &mut answers, item(&request_id, "test-backend", 50)).await {
            Answer::Submitted(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            Answer::Error(error) => {
                assert!(error.contains("max_shots_per_job 10"), "{error}");
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    drop(tx);
    app.shut_down().await.unwrap();
}
