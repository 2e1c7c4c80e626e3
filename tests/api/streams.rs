use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use arvak_grpc::proto::{self, JobState, batch_job_result::Result as Answer};
use futures::StreamExt;

use crate::support::{BELL, qasm3, spawn_app, spawn_app_with_busy_worker};

#[tokio::test]
async fn watch_sends_the_current_state_then_every_transition_then_ends() {
    let (mut app, _blocker) = spawn_app_with_busy_worker().await;
    let id = app.submit(BELL, "test-backend", 1).await.unwrap();
    let mut updates = app
        .client
        .watch_job(proto::WatchJobRequest { job_id: id.clone() })
        .await
        .unwrap()
        .into_inner();
    let first = updates.next().await.unwrap().unwrap();
    assert_eq!(
        (first.job_id.as_str(), first.state()),
        (id.as_str(), JobState::Queued)
    );
    assert!(first.timestamp > 0);
    app.backend.release();
    let mut states = Vec::new();
    while let Some(update) = tokio::time::timeout(Duration::from_secs(10), updates.next())
        .await
        .expect("stream moves")
    {
        states.push(update.unwrap().state());
    }
    assert_eq!(
        states,
        vec![JobState::Running, JobState::Completed],
        "then the stream ended"
    );
}

#[tokio::test]
async fn watching_a_finished_job_sends_one_update_and_ends() {
    let mut app = spawn_app().await;
    app.backend.fail_runs_with("qubit 3 is dead");
    let id = app.submit(BELL, "test-backend", 1).await.unwrap();
    app.wait_terminal(&id).await;
    let updates: Vec<_> = app
        .client
        .watch_job(proto::WatchJobRequest { job_id: id })
        .await
        .unwrap()
        .into_inner()
        .collect()
        .await;
    assert_eq!(updates.len(), 1);
    let only = updates[0].as_ref().unwrap();
    assert_eq!(
        (only.state(), only.error_message.as_str()),
        (JobState::Failed, "qubit 3 is dead")
    );
}

#[tokio::test]
async fn stream_results_sends_every_outcome_once_in_chunks() {
    let mut app = spawn_app().await;
    app.backend.spread_outcomes();
    let twelve_qubits = "OPENQASM 3.0;\nqubit[12] q;\nh q;\n";
    let id = app
        .submit(twelve_qubits, "test-backend", 3000)
        .await
        .unwrap();
    app.wait_terminal(&id).await;
    let full = app
        .client
        .get_job_result(proto::GetJobResultRequest { job_id: id.clone() })
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap();
    assert_eq!(full.counts.len(), 3000);

    for (chunk_size, expected_chunks) in [(100u32, 30u32), (0, 3), (5000, 1)] {
        let chunks: Vec<_> = app
            .client
            .stream_results(proto::StreamResultsRequest {
                job_id: id.clone(),
                chunk_size,
            })
            .await
            .unwrap()
            .into_inner()
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(
            chunks.len() as u32,
            expected_chunks,
            "chunk_size {chunk_size}"
        );
        let mut merged = HashMap::new();
        for (i, chunk) in chunks.iter().enumerate() {
            assert_eq!(chunk.job_id, id);
            assert_eq!(
                (chunk.chunk_index, chunk.total_chunks),
                (i as u32, expected_chunks)
            );
            assert_eq!(chunk.is_final, i + 1 == chunks.len());
            let limit = if chunk_size == 0 {
                1000
            } else {
                chunk_size as usize
            };
            assert!(chunk.counts.len() <= limit);
            for (k, v) in &chunk.counts {
                assert!(
                    merged.insert(k.clone(), *v).is_none(),
                    "outcome {k} sent twice"
                );
            }
        }
        assert_eq!(merged, full.counts);
    }
}

fn submission(request_id: &str, qasm: &str) -> proto::BatchJobSubmission {
    proto::BatchJobSubmission {
        circuit: qasm3(qasm),
        backend_id: "test-backend".into(),
        shots: 4,
        client_request_id: request_id.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn submit_batch_stream_answers_each_submission_twice_and_closes_when_all_ended() {
    let mut app = spawn_app().await;
    app.backend.hold();
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let mut answers = app
        .client
        .submit_batch_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    tx.send(submission("a", BELL)).await.unwrap();
    tx.send(submission("bad", "OPENQASM 3.0;\nqubit[1] q;\nfoo q[0];\n"))
        .await
        .unwrap();
    tx.send(submission("b", BELL)).await.unwrap();
    drop(tx); // half-close

    let mut by_request: BTreeMap<String, Vec<Answer>> = BTreeMap::new();
    let mut job_ids = HashMap::new();
    for _ in 0..3 {
        let answer = answers.next().await.unwrap().unwrap();
        if !answer.job_id.is_empty() {
            job_ids.insert(answer.client_request_id.clone(), answer.job_id.clone());
        }
        by_request
            .entry(answer.client_request_id)
            .or_default()
            .push(answer.result.unwrap());
    }
    assert!(matches!(&by_request["a"][0], Answer::Submitted(id) if id == &job_ids["a"]));
    assert!(matches!(&by_request["b"][0], Answer::Submitted(_)));
    assert!(
        matches!(&by_request["bad"][0], Answer::Error(e) if e.starts_with("INVALID_ARGUMENT") && e.contains("foo")),
        "{:?}",
        by_request["bad"]
    );

    // Input closed, jobs still running: the stream stays open.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), answers.next())
            .await
            .is_err()
    );
    app.backend.release();
    for _ in 0..2 {
        let answer = answers.next().await.unwrap().unwrap();
        match answer.result.unwrap() {
            Answer::Completed(result) => {
                assert_eq!(result.job_id, job_ids[&answer.client_request_id]);
                assert_eq!(result.counts, HashMap::from([("00".to_string(), 4)]));
            }
            other => panic!("expected completed, got {other:?}"),
        }
    }
    assert!(
        answers.next().await.is_none(),
        "closed after every job ended"
    );
}

#[tokio::test]
async fn submit_batch_stream_reports_a_failed_job_as_an_error() {
    let mut app = spawn_app().await;
    app.backend.fail_runs_with("readout error");
    let input = tokio_stream::iter(vec![submission("x", BELL)]);
    let answers: Vec<_> = app
        .client
        .submit_batch_stream(input)
        .await
        .unwrap()
        .into_inner()
        .collect()
        .await;
    assert_eq!(answers.len(), 2);
    let last = answers[1].as_ref().unwrap();
    assert_eq!(last.client_request_id, "x");
    assert!(
        matches!(last.result.as_ref().unwrap(), Answer::Error(e) if e.contains("readout error")),
        "{last:?}"
    );
}

#[tokio::test]
async fn submit_batch_stream_skips_the_submitted_answer_when_asked() {
    let mut app = spawn_app().await;
    let quiet = |id: &str, qasm: &str| proto::BatchJobSubmission {
        skip_submitted_answer: true,
        ..submission(id, qasm)
    };
    let input = tokio_stream::iter(vec![
        quiet("quiet", BELL),
        submission("loud", BELL),
        quiet("bad", "OPENQASM 3.0;\nqubit[1] q;\nfoo q[0];\n"),
    ]);
    let answers: Vec<proto::BatchJobResult> = app
        .client
        .submit_batch_stream(input)
        .await
        .unwrap()
        .into_inner()
        .map(|answer| answer.unwrap())
        .collect()
        .await;
    let mut kinds: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
    for answer in &answers {
        let kind = match answer.result.as_ref().unwrap() {
            Answer::Submitted(_) => "submitted",
            Answer::Completed(_) => "completed",
            Answer::Error(_) => "error",
        };
        kinds
            .entry(answer.client_request_id.clone())
            .or_default()
            .push(kind);
    }
    assert_eq!(kinds["quiet"], ["completed"]);
    assert_eq!(kinds["loud"], ["submitted", "completed"]);
    assert_eq!(kinds["bad"], ["error"], "a refusal is still answered");
}
