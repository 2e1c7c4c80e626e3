//! Starting a job at its submission, with mocked ports: the job is stored
//! RUNNING under the idle worker's lease and handed over, or queued when no
//! worker waits; a lease whose job was not stored ends.

use super::*;
use crate::app::handoff::{IdleWorker, LocalHandoff};

const TOKEN: FencingToken = FencingToken(42);

/// Mocks that start jobs at once, with the queue giving a lease for a new
/// job (asked only while a worker waits).
fn starting(asked: bool) -> Mocks {
    let mut mocks = Mocks::new();
    mocks.start_lease = Some(Duration::from_secs(30));
    // What a worker finds in the queue: nothing (the job under test is
    // either handed over or offered, never claimed from it).
    mocks.queue.expect_claim().returning(|_, _, _| Ok(None));
    mocks
        .queue
        .expect_offer_claimed()
        .times(usize::from(asked))
        .returning(move |entry, _| {
            Ok(Some(Claim {
                job_id: entry.job_id,
                backend_id: entry.backend_id,
                token: TOKEN,
            }))
        });
    mocks
}

fn sim() -> Vec<BackendId> {
    vec![BackendId::parse("sim").unwrap()]
}

/// What a worker of `sim` gets now, without waiting: only a handed-over
/// job, as the mocked queue holds nothing.
async fn handed(handoff: &LocalHandoff) -> Option<crate::app::handoff::Work> {
    handoff
        .claim(&sim(), Duration::from_secs(30), Duration::ZERO)
        .await
        .unwrap()
}

/// The lease ends (`ack`).
fn expect_lease_ended(mocks: &mut Mocks) {
    mocks
        .queue
        .expect_ack()
        .withf(|claim| claim.token == TOKEN)
        .times(1)
        .returning(|_| Ok(()));
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
    mocks
        .store
        .expect_create()
        .withf(|jobs, _| started_under_the_lease(jobs))
        .times(1)
        .returning(|jobs, _| Ok(vec![CreateOutcome::Created; jobs.len()]));
    mocks.queue.expect_offer().never();
    let (service, handoff) = mocks.service_and_handoff();
    let backends = sim();
    let idle = IdleWorker::pretend(&handoff, &backends);
    let id = service.submit(&alice(), command()).await.unwrap();
    drop(idle);
    assert_eq!(id.to_string().len(), 36);
    let work = handed(&handoff).await.expect("handed to the worker");
    assert_eq!((work.claim.job_id, work.claim.token), (id, TOKEN));
    let circuit = work
        .submitted
        .expect("the job and circuit are kept for the worker")
        .circuit;
    assert_eq!(circuit.num_qubits(), 2, "the Bell circuit as parsed");
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
    let (service, handoff) = mocks.service_and_handoff();
    service.submit(&alice(), command()).await.unwrap();
    assert!(
        handed(&handoff).await.is_none(),
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
    let (service, handoff) = mocks.service_and_handoff();
    let backends = sim();
    let _idle = IdleWorker::pretend(&handoff, &backends);
    let error = service.submit(&alice(), command()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(handed(&handoff).await.is_none());
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
    let command = SubmitCommand {
        idempotency_key: "once".into(),
        ..command()
    };
    let (service, handoff) = mocks.service_and_handoff();
    let backends = sim();
    let _idle = IdleWorker::pretend(&handoff, &backends);
    assert_eq!(service.submit(&alice(), command).await.unwrap(), first);
    assert!(
        handed(&handoff).await.is_none(),
        "nothing kept for a job not created"
    );
}
