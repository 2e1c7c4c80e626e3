//! Every status code WIRE.md promises, with the words clients look for.

use arvak_grpc::proto::{self, JobState};
use tonic::Code;

use crate::support::{BELL, bell_request, qasm3, spawn_app};

fn assert_status(err: tonic::Status, code: Code, words: &[&str]) {
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
async fn unknown_jobs_are_not_found_for_every_job_rpc() {
    let mut app = spawn_app().await;
    let unknown = "0196a8f4-0000-7000-8000-000000000000".to_string();
    for job_id in [unknown, "not-a-uuid".to_string()] {
        let c = &mut app.client;
        assert_status(
            c.get_job_status(proto::GetJobStatusRequest {
                job_id: job_id.clone(),
            })
            .await
            .unwrap_err(),
            Code::NotFound,
            &["job"],
        );
        assert_status(
            c.get_job_result(proto::GetJobResultRequest {
                job_id: job_id.clone(),
            })
            .await
            .unwrap_err(),
            Code::NotFound,
            &["job"],
        );
        assert_status(
            c.cancel_job(proto::CancelJobRequest {
                job_id: job_id.clone(),
            })
            .await
            .unwrap_err(),
            Code::NotFound,
            &["job"],
        );
        let watch = c
            .watch_job(proto::WatchJobRequest {
                job_id: job_id.clone(),
            })
            .await
            .expect_err("watch refused");
        assert_status(watch, Code::NotFound, &["job"]);
        let stream = c
            .stream_results(proto::StreamResultsRequest {
                job_id,
                chunk_size: 0,
            })
            .await
            .expect_err("stream refused");
        assert_status(stream, Code::NotFound, &["job"]);
    }
}

#[tokio::test]
async fn bad_submissions_are_invalid_arguments_that_say_what_and_where() {
    let mut app = spawn_app().await;
    let err = app.submit(BELL, "no-such-backend", 10).await.unwrap_err();
    assert_status(err, Code::NotFound, &["backend", "no-such-backend"]);
    let err = app.submit(BELL, "test-backend", 0).await.unwrap_err();
    assert_status(err, Code::InvalidArgument, &["shots"]);
    let err = app.submit(BELL, "test-backend", 100_001).await.unwrap_err();
    assert_status(err, Code::InvalidArgument, &["100000"]);
    let err = app
        .submit("OPENQASM 3.0;\nqubit[2] q;\nhx q[0];\n", "test-backend", 10)
        .await
        .unwrap_err();
    assert_status(err, Code::InvalidArgument, &["line 3", "hx"]);
    let err = app
        .submit("OPENQASM 3.0;\nqubit[13] q;\nh q;\n", "test-backend", 10)
        .await
        .unwrap_err();
    assert_status(err, Code::InvalidArgument, &["13 qubits", "at most 12"]);
    let refusals = [
        (
            proto::SubmitJobRequest {
                circuit: None,
                ..bell_request()
            },
            "circuit",
        ),
        (
            proto::SubmitJobRequest {
                priority: 42,
                ..bell_request()
            },
            "priority",
        ),
        (
            proto::SubmitJobRequest {
                optimization_level: 4,
                ..bell_request()
            },
            "optimization_level",
        ),
    ];
    for (request, word) in refusals {
        let err = app.submit_request(request).await.unwrap_err();
        assert_status(err, Code::InvalidArgument, &[word]);
    }
    let nothing = app
        .client
        .list_jobs(proto::ListJobsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(
        nothing.jobs.is_empty(),
        "no refused submission left a job behind"
    );
}

#[tokio::test]
async fn a_refused_batch_leaves_no_job_behind() {
    let mut app = spawn_app().await;
    let good = proto::BatchJobRequest {
        circuit: qasm3(BELL),
        shots: 5,
        ..Default::default()
    };
    let bad = proto::BatchJobRequest {
        circuit: qasm3("OPENQASM 3.0;\nqubit[1] q;\ncx q[0], q[0];\n"),
        shots: 5,
        ..Default::default()
    };
    let err = app
        .client
        .submit_batch(proto::SubmitBatchRequest {
            backend_id: "test-backend".into(),
            jobs: vec![good.clone(), bad, good],
        })
        .await
        .unwrap_err();
    assert_status(err, Code::InvalidArgument, &["jobs[1]"]);
    let unknown = proto::SubmitBatchRequest {
        backend_id: "nope".into(),
        jobs: vec![],
    };
    assert_eq!(
        app.client.submit_batch(unknown).await.unwrap_err().code(),
        Code::NotFound
    );
    let none = app
        .client
        .list_jobs(proto::ListJobsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(none.jobs.is_empty());
}

#[tokio::test]
async fn result_before_completion_is_a_failed_precondition() {
    let mut app = spawn_app().await;
    app.backend.hold();
    let id = app.submit(BELL, "test-backend", 10).await.unwrap();
    app.wait_state(&id, JobState::Running).await;
    let err = app
        .client
        .get_job_result(proto::GetJobResultRequest { job_id: id.clone() })
        .await
        .unwrap_err();
    assert_status(err, Code::FailedPrecondition, &["RUNNING"]);
    let err = app
        .client
        .stream_results(proto::StreamResultsRequest {
            job_id: id,
            chunk_size: 0,
        })
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), Code::FailedPrecondition);
    app.backend.release();
}

#[tokio::test]
async fn list_jobs_refuses_a_forged_page_token() {
    let mut app = spawn_app().await;
    let err = app
        .client
        .list_jobs(proto::ListJobsRequest {
            page_token: "give-me-everything".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_status(err, Code::InvalidArgument, &["page_token"]);
}
