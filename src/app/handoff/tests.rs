use super::*;
use crate::adapters::queue::memory::MemoryJobQueue;
use crate::domain::circuit::CircuitBuilder;
use crate::domain::{ClientId, Priority, UnixMillis};

const LEASE: Duration = Duration::from_secs(30);

fn sim() -> Vec<BackendId> {
    vec![BackendId::parse("sim").unwrap()]
}

fn entry(priority: Priority, submitted_at: i64) -> QueueEntry {
    QueueEntry {
        job_id: JobId::from_uuid(uuid::Uuid::now_v7()),
        backend_id: sim()[0].clone(),
        client_id: ClientId::anonymous(),
        priority,
        submitted_at: UnixMillis(submitted_at),
    }
}

fn circuit(qubits: u32) -> Arc<Circuit> {
    let mut builder = CircuitBuilder::new();
    builder.add_qreg("q", qubits).unwrap();
    Arc::new(builder.build())
}

/// A stored job and a circuit of `qubits` qubits, as a submission hands
/// them over.
fn submitted(qubits: u32) -> Submitted {
    Submitted {
        job: crate::domain::job::tests::queued_job(),
        circuit: circuit(qubits),
    }
}

fn handoff() -> Arc<LocalHandoff> {
    Arc::new(LocalHandoff::new(Arc::new(MemoryJobQueue::new())))
}

/// A worker that waits for work, counted once it has parked.
async fn parked_worker(handoff: &Arc<LocalHandoff>) -> tokio::task::JoinHandle<Option<Work>> {
    let worker = {
        let handoff = handoff.clone();
        tokio::spawn(async move {
            handoff
                .claim(&sim(), LEASE, Duration::from_secs(60))
                .await
                .unwrap()
        })
    };
    while handoff.lock().idle.get(&sim()[0]).is_none_or(|n| *n == 0) {
        tokio::task::yield_now().await;
    }
    worker
}

#[tokio::test]
async fn a_lease_for_an_idle_worker_reaches_it_with_its_circuit_once_handed_over() {
    let handoff = handoff();
    let job = entry(Priority::Normal, 1);
    assert_eq!(
        handoff.lease_for_idle(job.clone(), LEASE).await.unwrap(),
        None,
        "no worker waits"
    );
    let worker = parked_worker(&handoff).await;
    let lease = handoff
        .lease_for_idle(job.clone(), LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lease.job_id, job.job_id);
    handoff.hand_over(lease.clone(), submitted(3)).unwrap();
    let work = worker.await.unwrap().unwrap();
    assert_eq!(work.claim, lease);
    assert_eq!(
        work.submitted.unwrap().circuit.num_qubits(),
        3,
        "the circuit as parsed"
    );
    assert_eq!(
        handoff.queue().waiting(None).await.unwrap(),
        0,
        "it never waited"
    );
    handoff.queue().ack(&lease).await.unwrap();
    assert!(handoff.lock().promised.is_empty() && handoff.lock().handed.is_empty());
}

#[tokio::test]
async fn an_idle_worker_is_promised_one_lease_at_a_time() {
    let handoff = handoff();
    let _worker = parked_worker(&handoff).await;
    let first = handoff
        .lease_for_idle(entry(Priority::Normal, 1), LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        handoff
            .lease_for_idle(entry(Priority::Normal, 2), LEASE)
            .await
            .unwrap(),
        None,
        "the one idle worker is promised already"
    );
    // That job was not stored after all: its lease ends, the worker is free.
    handoff.withdraw(&first).await.unwrap();
    assert!(
        handoff.queue().ack(&first).await.is_err(),
        "the lease ended"
    );
    assert!(
        handoff
            .lease_for_idle(entry(Priority::Normal, 3), LEASE)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn no_lease_for_an_idle_worker_while_a_job_of_its_backend_waits() {
    let handoff = handoff();
    let worker = parked_worker(&handoff).await;
    let waiting = entry(Priority::Low, 1);
    handoff.queue().offer(vec![waiting.clone()]).await.unwrap();
    // The worker may not have run since it was woken: still counted idle,
    // with the offered job waiting. A new job must not pass it.
    assert_eq!(
        handoff
            .lease_for_idle(entry(Priority::High, 2), LEASE)
            .await
            .unwrap(),
        None
    );
    let work = worker.await.unwrap().unwrap();
    assert_eq!(work.claim.job_id, waiting.job_id);
    assert!(
        work.submitted.is_none(),
        "a queued job's worker parses the stored text"
    );
}

#[tokio::test]
async fn a_promise_not_handed_over_is_refused_and_frees_its_place_when_its_lease_ends() {
    let handoff = handoff();
    let backends = sim();
    let _idle = IdleWorker::pretend(&handoff, &backends);
    let stranger = Claim {
        job_id: JobId::from_uuid(uuid::Uuid::now_v7()),
        backend_id: sim()[0].clone(),
        token: crate::domain::FencingToken(1),
    };
    let refused = handoff.hand_over(stranger, submitted(1)).unwrap_err();
    assert!(refused.message().contains("not leased"), "{refused}");

    // A submission dropped between its lease and its hand-over: the place
    // is held until the lease would have ended.
    let short = Duration::from_millis(20);
    let dropped = handoff
        .lease_for_idle(entry(Priority::Normal, 1), short)
        .await
        .unwrap();
    assert!(dropped.is_some());
    assert_eq!(
        handoff
            .lease_for_idle(entry(Priority::Normal, 2), LEASE)
            .await
            .unwrap(),
        None
    );
    tokio::time::sleep(short * 2).await;
    let late = handoff
        .hand_over(dropped.unwrap(), submitted(1))
        .unwrap_err();
    assert!(late.message().contains("ended"), "{late}");
    assert!(
        handoff
            .lease_for_idle(entry(Priority::Normal, 3), LEASE)
            .await
            .unwrap()
            .is_some(),
        "the place is free again"
    );
}

#[tokio::test]
async fn a_handed_over_job_comes_before_a_queued_one() {
    let handoff = handoff();
    let backends = sim();
    let idle = IdleWorker::pretend(&handoff, &backends);
    let started = entry(Priority::Low, 1);
    let lease = handoff
        .lease_for_idle(started.clone(), LEASE)
        .await
        .unwrap()
        .unwrap();
    handoff.hand_over(lease, submitted(2)).unwrap();
    drop(idle);
    handoff
        .queue()
        .offer(vec![entry(Priority::High, 2)])
        .await
        .unwrap();
    let first = handoff
        .claim(&sim(), LEASE, Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.claim.job_id, started.job_id);
    let second = handoff
        .claim(&sim(), LEASE, Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    assert!(second.submitted.is_none());
    assert!(
        handoff
            .claim(&sim(), LEASE, Duration::ZERO)
            .await
            .unwrap()
            .is_none()
    );
}
