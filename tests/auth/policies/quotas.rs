//! Quotas that count: the client's queued jobs and its submission rate;
//! a batch counts by its size and is refused whole.

use arvak_grpc::proto;
use tonic::Code;

use super::{as_client, listed, policed_app, policed_config, submit_bell};
use crate::api_keys::create_key;
use crate::common::{api_key, assert_code, status};
use crate::support::{BELL, TestApp, qasm3};

fn batch(jobs: usize) -> proto::SubmitBatchRequest {
    let job = proto::BatchJobRequest {
        circuit: qasm3(BELL),
        shots: 1,
        ..Default::default()
    };
    proto::SubmitBatchRequest {
        backend_id: "test-backend".into(),
        jobs: vec![job; jobs],
    }
}

async fn submit_batch(app: &mut TestApp, key: &str, jobs: usize) -> Result<usize, tonic::Status> {
    let reply = app.client.submit_batch(as_client(key, batch(jobs))).await?;
    Ok(reply.into_inner().job_ids.len())
}

#[tokio::test]
async fn max_queued_jobs_counts_only_the_clients_own_waiting_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let policies = r#"
default:
  operations: "*"
  backends: "*"
  quotas: { max_queued_jobs: 2 }
"#;
    let mut config = policed_config(dir.path(), policies);
    config.workers.count = 1;
    let mut app = crate::serve::serve(config.clone()).await;
    let alice = create_key(&config, "alice").await;
    let bob = create_key(&config, "bob").await;
    // The one worker is held with the first job RUNNING: the others wait.
    app.backend.hold();
    let first = submit_bell(&mut app, &alice).await.unwrap();
    for _ in 0..1000 {
        let job = status(&mut app, &first, api_key(&alice)).await.unwrap();
        if job.state() == proto::JobState::Running {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let over = assert_code(
        submit_batch(&mut app, &alice, 3).await,
        Code::ResourceExhausted,
    );
    assert!(
        over.message().contains("its max_queued_jobs is 2"),
        "{over:?}"
    );
    assert_eq!(
        listed(&mut app, &alice).await.unwrap().len(),
        1,
        "the batch was refused whole"
    );
    assert_eq!(submit_batch(&mut app, &alice, 2).await.unwrap(), 2);
    let status = assert_code(submit_bell(&mut app, &alice).await, Code::ResourceExhausted);
    assert!(
        status
            .message()
            .contains("has 2 jobs queued and asks for 1 more"),
        "{status:?}"
    );
    submit_bell(&mut app, &bob)
        .await
        .expect("bob's queue is his own");
    app.backend.release();
}

#[tokio::test]
async fn the_rate_limit_refuses_past_the_burst_with_retry_advice_and_counts_batches_whole() {
    let dir = tempfile::tempdir().unwrap();
    let policies = r#"
default:
  operations: "*"
  backends: "*"
  quotas: { rate_limit_per_minute: 3 }
"#;
    let (mut app, config) = policed_app(dir.path(), policies).await;
    let alice = create_key(&config, "alice").await;
    let bob = create_key(&config, "bob").await;
    let never = assert_code(
        submit_batch(&mut app, &alice, 4).await,
        Code::ResourceExhausted,
    );
    assert!(never.message().contains("4 jobs at once"), "{never:?}");
    assert_eq!(submit_batch(&mut app, &alice, 2).await.unwrap(), 2);
    submit_bell(&mut app, &alice).await.unwrap();
    let status = assert_code(submit_bell(&mut app, &alice).await, Code::ResourceExhausted);
    assert!(
        status
            .message()
            .contains("over its rate_limit_per_minute 3; retry in"),
        "{status:?}"
    );
    let retry = status.metadata().get("retry-after").expect("retry-after");
    let secs: u64 = retry.to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&secs), "one job every 20 s: {secs}");
    submit_bell(&mut app, &bob)
        .await
        .expect("bob has his own allowance");
}
