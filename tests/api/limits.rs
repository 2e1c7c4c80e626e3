//! Limits per job and on the queue, each refused with its own message.

use arvak_grpc::proto::{self, batch_job_result::Result as Answer};
use futures::StreamExt;
use tonic::Code;

use crate::support::{
    BELL, TestApp, bell_request, qasm3, spawn_app_with, spawn_busy_app_with, test_config,
};

fn refused(err: tonic::Status, code: Code, words: &[&str]) {
    assert_eq!(err.code(), code, "{err:?}");
    for word in words {
        assert!(
            err.message().contains(word),
            "'{}' should mention '{word}'",
            err.message()
        );
    }
}

#[tokio::test]
async fn each_job_limit_is_refused_with_its_own_message() {
    let mut config = test_config();
    config.limits.max_qubits = 3;
    config.limits.max_gates = 5;
    config.limits.max_shots = 50;
    config.limits.max_message_bytes = 4096;
    let mut app = spawn_app_with(config).await;
    let err = app
        .submit("OPENQASM 3.0; qubit[4] q; h q[0];", "test-backend", 10)
        .await
        .unwrap_err();
    refused(
        err,
        Code::InvalidArgument,
        &["4 qubits", "limits.max_qubits"],
    );
    let err = app
        .submit(
            "OPENQASM 3.0; qubit[1] q; h q; h q; h q; h q; h q; h q;",
            "test-backend",
            10,
        )
        .await
        .unwrap_err();
    refused(err, Code::InvalidArgument, &["6 gates", "limits.max_gates"]);
    let err = app.submit(BELL, "test-backend", 51).await.unwrap_err();
    refused(
        err,
        Code::InvalidArgument,
        &["51 shots", "limits.max_shots"],
    );
    let huge = format!("OPENQASM 3.0; qubit[1] q; // {}\nh q;", "x".repeat(8192));
    let err = app.submit(&huge, "test-backend", 10).await.unwrap_err();
    assert_eq!(err.code(), Code::OutOfRange, "{err:?}");
    assert!(
        err.message().contains("message length too large"),
        "{}",
        err.message()
    );
    app.submit(BELL, "test-backend", 50)
        .await
        .expect("within every limit");
}

async fn jobs_in_store(app: &mut TestApp) -> usize {
    let request = proto::ListJobsRequest {
        page_size: 1000,
        ..Default::default()
    };
    app.client
        .list_jobs(request)
        .await
        .unwrap()
        .into_inner()
        .jobs
        .len()
}

#[tokio::test]
async fn a_full_queue_refuses_single_batch_and_streamed_submissions_whole() {
    let mut config = test_config();
    config.limits.max_queued_jobs_per_backend = 2;
    let (mut app, _running) = spawn_busy_app_with(config).await;
    app.submit(BELL, "test-backend", 1).await.unwrap();
    let job = |shots| proto::BatchJobRequest {
        circuit: qasm3(BELL),
        shots,
        ..Default::default()
    };
    let batch = proto::SubmitBatchRequest {
        backend_id: "test-backend".into(),
        jobs: vec![job(1), job(2)],
    };
    let err = app.client.submit_batch(batch).await.unwrap_err();
    refused(
        err,
        Code::ResourceExhausted,
        &[
            "backend 'test-backend'",
            "1 jobs wait",
            "limits.max_queued_jobs_per_backend",
        ],
    );
    assert_eq!(
        jobs_in_store(&mut app).await,
        2,
        "no job of the refused batch exists"
    );

    app.submit_request(bell_request())
        .await
        .expect("one more fits");
    let err = app.submit_request(bell_request()).await.unwrap_err();
    refused(err, Code::ResourceExhausted, &["is full"]);
    let submission = proto::BatchJobSubmission {
        circuit: qasm3(BELL),
        backend_id: "test-backend".into(),
        shots: 1,
        client_request_id: "over".into(),
        ..Default::default()
    };
    let mut answers = app
        .client
        .submit_batch_stream(tokio_stream::iter(vec![submission]))
        .await
        .unwrap()
        .into_inner();
    let answer = answers.next().await.unwrap().unwrap();
    assert_eq!(answer.client_request_id, "over");
    assert!(
        matches!(answer.result, Some(Answer::Error(ref e)) if e.starts_with("RESOURCE_EXHAUSTED")),
        "{answer:?}"
    );
    assert_eq!(jobs_in_store(&mut app).await, 3);
    app.backend.release();
}

#[tokio::test]
async fn the_global_limit_counts_every_backend() {
    let mut config = test_config();
    config.limits.max_queued_jobs = 1;
    let (mut app, _running) = spawn_busy_app_with(config).await;
    app.submit(BELL, "test-backend", 1).await.unwrap();
    let err = app.submit(BELL, "test-backend", 1).await.unwrap_err();
    refused(
        err,
        Code::ResourceExhausted,
        &["the queue is full", "limits.max_queued_jobs)"],
    );
    app.backend.release();
}
