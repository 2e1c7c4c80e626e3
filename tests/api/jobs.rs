use std::collections::HashMap;

use arvak_grpc::proto::{self, JobState};

use crate::support::{BELL, bell_request, qasm3, spawn_app, spawn_app_with_busy_worker};

#[tokio::test]
async fn a_submitted_job_runs_and_its_result_can_be_fetched() {
    let mut app = spawn_app().await;
    let id = app.submit(BELL, "test-backend", 100).await.unwrap();
    let job = app.wait_terminal(&id).await;
    assert_eq!(job.state(), JobState::Completed);
    assert_eq!(
        (job.job_id.as_str(), job.backend_id.as_str(), job.shots),
        (id.as_str(), "test-backend", 100)
    );
    assert!(
        job.submitted_at > 1_600_000_000,
        "timestamps are Unix seconds"
    );
    assert!(job.started_at >= job.submitted_at && job.completed_at >= job.started_at);
    assert_eq!(
        (job.attempts, job.queue_position, job.error_message.as_str()),
        (1, 0, "")
    );
    assert_eq!(
        job.priority(),
        proto::JobPriority::Normal,
        "UNSPECIFIED means NORMAL"
    );

    let result = app.result(&id).await;
    assert_eq!(result.job_id, id);
    assert_eq!(result.shots, 100);
    assert_eq!(result.counts, HashMap::from([("00".to_string(), 100)]));
    assert_eq!(result.metadata_json, "{\"backend\":\"test\"}");
}

#[tokio::test]
async fn a_circuit_without_measurement_is_measured_on_every_qubit() {
    let mut app = spawn_app().await;
    let id = app
        .submit(
            "OPENQASM 3.0;\nqubit[3] q;\nbit[2] unused;\nh q[0];\n",
            "test-backend",
            10,
        )
        .await
        .unwrap();
    app.wait_terminal(&id).await;
    let result = app
        .client
        .get_job_result(proto::GetJobResultRequest { job_id: id })
        .await
        .unwrap()
        .into_inner();
    let keys: Vec<_> = result.result.unwrap().counts.into_keys().collect();
    assert_eq!(
        keys,
        vec!["000".to_string()],
        "one bit per qubit, nothing else"
    );
}

#[tokio::test]
async fn a_backend_failure_fails_the_job_with_its_message() {
    let mut app = spawn_app().await;
    app.backend.fail_runs_with("calibration lost");
    let id = app.submit(BELL, "test-backend", 10).await.unwrap();
    let job = app.wait_terminal(&id).await;
    assert_eq!(job.state(), JobState::Failed);
    assert_eq!(job.error_message, "calibration lost");
    let err = app
        .client
        .get_job_result(proto::GetJobResultRequest { job_id: id })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    assert!(
        err.message().contains("calibration lost"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn the_same_idempotency_key_returns_the_first_job() {
    let mut app = spawn_app().await;
    let request = |key: &str| proto::SubmitJobRequest {
        circuit: qasm3(BELL),
        backend_id: "test-backend".into(),
        shots: 10,
        idempotency_key: key.into(),
        ..Default::default()
    };
    let first = app
        .client
        .submit_job(request("order-17"))
        .await
        .unwrap()
        .into_inner()
        .job_id;
    let again = app
        .client
        .submit_job(request("order-17"))
        .await
        .unwrap()
        .into_inner()
        .job_id;
    let other = app
        .client
        .submit_job(request("order-18"))
        .await
        .unwrap()
        .into_inner()
        .job_id;
    assert_eq!(first, again);
    assert_ne!(first, other);
    let all = app
        .client
        .list_jobs(proto::ListJobsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.jobs.len(), 2, "the repeat created nothing");
}

#[tokio::test]
async fn list_jobs_pages_newest_first_and_filters() {
    let mut app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let request = proto::SubmitJobRequest {
            circuit: qasm3(BELL),
            backend_id: "test-backend".into(),
            shots: 10,
            tags: HashMap::from([(
                "parity".to_string(),
                (if i % 2 == 0 { "even" } else { "odd" }).to_string(),
            )]),
            ..Default::default()
        };
        ids.push(
            app.client
                .submit_job(request)
                .await
                .unwrap()
                .into_inner()
                .job_id,
        );
    }
    for id in &ids {
        app.wait_terminal(id).await;
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = app
            .client
            .list_jobs(proto::ListJobsRequest {
                page_size: 3,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.jobs.len() <= 3);
        seen.extend(page.jobs.into_iter().map(|j| j.job_id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let newest_first: Vec<_> = ids.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);

    let odd = app
        .client
        .list_jobs(proto::ListJobsRequest {
            tags: HashMap::from([("parity".to_string(), "odd".to_string())]),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(odd.jobs.len(), 3);
    assert!(odd.jobs.iter().all(|j| j.tags["parity"] == "odd"));
    let completed = proto::ListJobsRequest {
        state: JobState::Completed.into(),
        backend_id: "test-backend".into(),
        ..Default::default()
    };
    assert_eq!(
        app.client
            .list_jobs(completed)
            .await
            .unwrap()
            .into_inner()
            .jobs
            .len(),
        7
    );
    let queued = proto::ListJobsRequest {
        state: JobState::Queued.into(),
        ..Default::default()
    };
    assert!(
        app.client
            .list_jobs(queued)
            .await
            .unwrap()
            .into_inner()
            .jobs
            .is_empty()
    );
}

#[tokio::test]
async fn submit_batch_returns_ids_in_order_and_runs_them_all() {
    let mut app = spawn_app().await;
    let job = |shots| proto::BatchJobRequest {
        circuit: qasm3(BELL),
        shots,
        ..Default::default()
    };
    let response = app
        .client
        .submit_batch(proto::SubmitBatchRequest {
            backend_id: "test-backend".into(),
            jobs: vec![job(1), job(2), job(3)],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.job_ids.len(), 3);
    for (id, shots) in response.job_ids.iter().zip([1, 2, 3]) {
        let finished = app.wait_terminal(id).await;
        assert_eq!(
            (finished.state(), finished.shots),
            (JobState::Completed, shots)
        );
    }
}

#[tokio::test]
async fn high_priority_jobs_go_first_and_queued_jobs_report_their_place() {
    let (mut app, blocker) = spawn_app_with_busy_worker().await;
    let mut submit = async |priority: proto::JobPriority| {
        let request = proto::SubmitJobRequest {
            priority: priority.into(),
            ..bell_request()
        };
        app.submit_request(request).await.unwrap()
    };
    let normal = submit(proto::JobPriority::Normal).await;
    let low = submit(proto::JobPriority::Low).await;
    let high = submit(proto::JobPriority::High).await;
    assert_eq!(app.status(&high).await.unwrap().queue_position, 1);
    assert_eq!(app.status(&normal).await.unwrap().queue_position, 2);
    let low_job = app.status(&low).await.unwrap();
    assert_eq!(
        (low_job.queue_position, low_job.priority()),
        (3, proto::JobPriority::Low)
    );
    app.backend.release();
    for id in [&high, &normal, &low] {
        assert_eq!(app.wait_terminal(id).await.state(), JobState::Completed);
    }
    assert_eq!(app.backend.run_order(), vec![blocker, high, normal, low]);
}

#[tokio::test]
async fn a_job_running_past_its_timeout_fails_and_its_backend_work_is_stopped() {
    let mut config = crate::support::test_config();
    config.workers.job_timeout_secs = 1;
    let mut app = crate::support::spawn_app_with(config).await;
    app.backend.hold();
    let id = app.submit(BELL, "test-backend", 1).await.unwrap();
    let job = app.wait_terminal(&id).await;
    assert_eq!(job.state(), JobState::Failed);
    assert_eq!(job.error_message, "timed out after 1 s");
    assert_eq!(app.backend.cancels(), 1, "the backend was told to stop");
    assert_eq!(app.backend.completed(), 0);
}
