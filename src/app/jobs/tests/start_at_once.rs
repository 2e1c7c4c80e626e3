//! Starting a job at its submission, with mocked ports: the job is stored
//! RUNNING under the idle worker's lease and handed over, or queued when no
//! worker waits; a lease whose job was not stored ends.

use super::*;

const TOKEN: FencingToken = FencingToken(42);

/// Mocks that start jobs at once, with the queue offering a lease for an
/// idle worker when `idle`.
fn starting(idle: bool) -> Mocks {
    let mut mocks = Mocks::new();
    mocks.start_lease = Some(Duration::from_secs(30));
    mocks
        .queue
        .expect_claim_for_idle()
        .times(1)
        .returning(move |entry, _| {
            let claim = Claim {
                job_id: entry.job_id,
                backend_id: entry.backend_id,
                token: TOKEN,
            };
            Ok(idle.then_some(claim))
        });
    mocks
}

/// The lease ends (`ack`) and is never handed over.
fn expect_lease_ended(mocks: &mut Mocks) {
    mocks
        .queue
        .expect_ack()
        .withf(|claim| claim.token == TOKEN)
        .times(1)
        .returning(|_| Ok(()));
    mocks.queue.expect_hand_over().never();
}

fn started_under_the_lease(jobs: &[Job]) -> bool {
    jobs.len() == 1
        && jobs[0].state == JobState::Running
        && jobs[0].claim_token == Some(TOKEN)
        && jobs[0].attempts == 1
        && jobs[0].started_at == Some(NOW)
}

#[tokio::test]
async fn a_job_submitted_while_a_worker_waits_is_stored_running_and_handed_to_it() {
    let mut mocks = starting(true);
    let mut order = Sequence::new();
    mocks
        .store
        .expect_create()
        .withf(|jobs, _| started_under_the_lease(jobs))
        .times(1)
        .in_sequence(&mut order)
        .returning(|jobs, _| Ok(vec![CreateOutcome::Created; jobs.len()]));
    mocks
        .queue
        .expect_hand_over()
        .withf(|claim| claim.token == TOKEN)
        .times(1)
        .in_sequence(&mut order)
        .returning(|_| Ok(()));
    mocks.queue.expect_offer().never();
    let parsed = mocks.parsed.clone();
    let id = mocks.service().submit(&alice(), command()).await.unwrap();
    assert_eq!(id.to_string().len(), 36);
    let circuit = parsed.take(id).expect("the circuit is kept for the worker");
    assert_eq!(circuit.num_qubits(), 2, "the Bell circuit as parsed");
    assert!(parsed.is_empty());
}

#[tokio::test]
async fn a_job_submitted_while_no_worker_waits_is_queued() {
    let mut mocks = starting(false);
    mocks
        .store
        .expect_create()
        .withf(|jobs, _| jobs[0].state == JobState::Queued && jobs[0].attempts == 0)
        .times(1)
        .returning(|jobs, _| Ok(vec![CreateOutcome::Created; jobs.len()]));
    mocks.queue.expect_offer().times(1).returning(|_| Ok(()));
    mocks.queue.expect_hand_over().never();
    let parsed = mocks.parsed.clone();
    mocks.service().submit(&alice(), command()).await.unwrap();
    assert!(
        parsed.is_empty(),
        "a queued job's worker parses the stored text"
    );
}

#[tokio::test]
async fn the_lease_of_a_job_the_store_refused_ends() {
    let mut mocks = starting(true);
    mocks
        .store
        .expect_create()
        .times(1)
        .returning(|_, _| Err(Error::unavailable("the database is down")));
    expect_lease_ended(&mut mocks);
    let error = refusal(mocks).await;
    assert_eq!(error.kind(), ErrorKind::Unavailable);
}

#[tokio::test]
async fn the_lease_of_an_idempotent_twin_ends_and_the_first_job_is_answered() {
    let first = JobId::from_uuid(uuid::Uuid::now_v7());
    let mut mocks = starting(true);
    mocks
        .store
        .expect_create()
        .times(1)
        .returning(move |_, _| Ok(vec![CreateOutcome::Existing(first)]));
    expect_lease_ended(&mut mocks);
    mocks.queue.expect_offer().never();
    let parsed = mocks.parsed.clone();
    let command = SubmitCommand {
        idempotency_key: "once".into(),
        ..command()
    };
    assert_eq!(
        mocks.service().submit(&alice(), command).await.unwrap(),
        first
    );
    assert!(parsed.is_empty(), "nothing kept for a job not created");
}
