//! What only the memory queue shows: its timing under paused time, whom an
//! offer wakes, and what it gives back. The behaviour every queue shares is
//! checked by `tests/queue_contract.rs`.

use super::*;
use crate::domain::ClientId;

fn entry(priority: Priority, submitted_at: i64) -> QueueEntry {
    QueueEntry {
        job_id: JobId::from_uuid(uuid::Uuid::now_v7()),
        backend_id: BackendId::parse("sim").unwrap(),
        client_id: ClientId::anonymous(),
        priority,
        submitted_at: UnixMillis(submitted_at),
    }
}

fn sim() -> Vec<BackendId> {
    vec![BackendId::parse("sim").unwrap()]
}

const LEASE: Duration = Duration::from_secs(30);
const NO_WAIT: Duration = Duration::ZERO;

#[tokio::test(start_paused = true)]
async fn expired_lease_makes_the_job_claimable_with_a_larger_token() {
    let q = MemoryJobQueue::new();
    let a = entry(Priority::Normal, 1);
    q.offer(vec![a.clone()]).await.unwrap();
    let first = q.claim(sim(), LEASE, NO_WAIT).await.unwrap().unwrap();
    tokio::time::advance(LEASE - Duration::from_secs(1)).await;
    assert!(
        q.claim(sim(), LEASE, NO_WAIT).await.unwrap().is_none(),
        "lease still holds"
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    let second = q.claim(sim(), LEASE, NO_WAIT).await.unwrap().unwrap();
    assert_eq!(second.job_id, a.job_id);
    assert!(second.token > first.token);
    assert_eq!(
        q.ack(&first).await.unwrap_err().kind(),
        crate::domain::ErrorKind::Conflict
    );
    assert_eq!(
        q.extend(&first, LEASE).await.unwrap_err().kind(),
        crate::domain::ErrorKind::Conflict
    );
    q.ack(&second).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn extending_keeps_the_lease() {
    let q = MemoryJobQueue::new();
    q.offer(vec![entry(Priority::Normal, 1)]).await.unwrap();
    let claim = q.claim(sim(), LEASE, NO_WAIT).await.unwrap().unwrap();
    for _ in 0..5 {
        tokio::time::advance(LEASE / 2).await;
        q.extend(&claim, LEASE).await.unwrap();
    }
    assert!(q.claim(sim(), LEASE, NO_WAIT).await.unwrap().is_none());
    q.ack(&claim).await.unwrap();
}

/// A claim waiting on `q` for `backends`, for up to a minute.
fn waiting_claim(
    q: &std::sync::Arc<MemoryJobQueue>,
    backends: Vec<BackendId>,
) -> tokio::task::JoinHandle<Result<Option<Claim>>> {
    let q = q.clone();
    tokio::spawn(async move { q.claim(backends, LEASE, Duration::from_secs(60)).await })
}

/// What a waiting claim got, if it got it within a second.
async fn claimed_soon(waiter: tokio::task::JoinHandle<Result<Option<Claim>>>) -> Option<Claim> {
    tokio::time::timeout(Duration::from_secs(1), waiter)
        .await
        .expect("woken by the offer, not by its wait ending")
        .unwrap()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn an_offer_wakes_a_claimer_of_its_backend_not_one_waiting_for_another() {
    let q = std::sync::Arc::new(MemoryJobQueue::new());
    let other = waiting_claim(&q, vec![BackendId::parse("other").unwrap()]);
    tokio::time::sleep(Duration::from_millis(10)).await;
    let sim_claim = waiting_claim(&q, sim());
    tokio::time::sleep(Duration::from_millis(10)).await;
    let a = entry(Priority::Normal, 1);
    q.offer(vec![a.clone()]).await.unwrap();
    assert_eq!(claimed_soon(sim_claim).await.unwrap().job_id, a.job_id);
    other.abort();
}

#[tokio::test(start_paused = true)]
async fn an_offer_of_several_jobs_wakes_as_many_claimers() {
    let q = std::sync::Arc::new(MemoryJobQueue::new());
    let waiters: Vec<_> = (0..3).map(|_| waiting_claim(&q, sim())).collect();
    tokio::time::sleep(Duration::from_millis(10)).await;
    let jobs: Vec<_> = (1..=3).map(|t| entry(Priority::Normal, t)).collect();
    q.offer(jobs.clone()).await.unwrap();
    let mut claimed = Vec::new();
    for waiter in waiters {
        claimed.push(claimed_soon(waiter).await.expect("a job each").job_id);
    }
    claimed.sort();
    let mut offered: Vec<_> = jobs.iter().map(|j| j.job_id).collect();
    offered.sort();
    assert_eq!(claimed, offered);
}

#[tokio::test(start_paused = true)]
async fn a_wake_up_not_used_passes_to_another_claimer() {
    // The first claimer is woken for the job but gives up before it
    // looks; the job must still reach the second.
    let q = std::sync::Arc::new(MemoryJobQueue::new());
    let first = waiting_claim(&q, sim());
    tokio::time::sleep(Duration::from_millis(10)).await;
    let second = waiting_claim(&q, sim());
    tokio::time::sleep(Duration::from_millis(10)).await;
    let a = entry(Priority::Normal, 1);
    // Offered and the first claim stopped before either task runs again.
    q.offer(vec![a.clone()]).await.unwrap();
    first.abort();
    assert_eq!(claimed_soon(second).await.unwrap().job_id, a.job_id);
}

#[tokio::test(start_paused = true)]
async fn a_claim_for_no_backend_waits_its_time_and_gets_nothing() {
    let q = MemoryJobQueue::new();
    q.offer(vec![entry(Priority::Normal, 1)]).await.unwrap();
    let started = Instant::now();
    let claim = q.claim(Vec::new(), LEASE, Duration::from_secs(5)).await;
    assert!(claim.unwrap().is_none());
    assert!(started.elapsed() >= Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn a_waiting_claim_gives_up_after_its_wait() {
    let q = MemoryJobQueue::new();
    let started = Instant::now();
    assert!(
        q.claim(sim(), LEASE, Duration::from_secs(5))
            .await
            .unwrap()
            .is_none()
    );
    assert!(started.elapsed() >= Duration::from_secs(5));
}

#[tokio::test]
async fn a_drained_backlog_gives_back_its_table() {
    let q = MemoryJobQueue::new();
    let backlog: Vec<QueueEntry> = (0..50_000).map(|n| entry(Priority::Normal, n)).collect();
    q.offer(backlog).await.unwrap();
    let grown = q.lock().jobs.capacity();
    assert!(grown >= 50_000);
    while let Some(claim) = q.claim(sim(), LEASE, NO_WAIT).await.unwrap() {
        q.ack(&claim).await.unwrap();
    }
    let capacity = q.lock().jobs.capacity();
    assert!(
        capacity <= 8192,
        "{capacity} slots kept after draining {grown}"
    );
}
