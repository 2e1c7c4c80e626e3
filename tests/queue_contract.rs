//! The behaviour every `JobQueue` adapter must have. Each check takes a
//! fresh queue in a namespace of its own; `queue_contract!` instantiates
//! all of them for one adapter, and the checks of a capability only for
//! adapters that declare it. Leases here are short and time is real, so
//! that an adapter keeping time elsewhere (a server) is checked the same.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arvak_grpc::domain::*;
use arvak_grpc::ports::{Claim, JobQueue, QueueEntry};

/// A queue in a fresh namespace; for a shared queue, `other` is a second
/// handle on the same namespace, as another node would hold it.
pub struct Fixture {
    pub queue: Arc<dyn JobQueue>,
    pub other: Option<Arc<dyn JobQueue>>,
    /// Removes what the fixture made (runs after a passing check).
    pub cleanup: futures::future::BoxFuture<'static, ()>,
}

const LEASE: Duration = Duration::from_secs(30);
const SHORT_LEASE: Duration = Duration::from_millis(150);
const NO_WAIT: Duration = Duration::ZERO;

fn backend(id: &str) -> BackendId {
    BackendId::parse(id).unwrap()
}

fn entry_for(backend_id: &str, priority: Priority, submitted_at: i64) -> QueueEntry {
    QueueEntry {
        job_id: JobId::from_uuid(uuid::Uuid::now_v7()),
        backend_id: backend(backend_id),
        client_id: ClientId::anonymous(),
        priority,
        submitted_at: UnixMillis(submitted_at),
    }
}

fn entry(priority: Priority, submitted_at: i64) -> QueueEntry {
    entry_for("sim", priority, submitted_at)
}

fn sim() -> Vec<BackendId> {
    vec![backend("sim")]
}

async fn claim_now(queue: &dyn JobQueue, lease: Duration) -> Option<Claim> {
    queue.claim(sim(), lease, NO_WAIT).await.unwrap()
}

fn assert_lost<T: std::fmt::Debug>(outcome: Result<T>, what: &str) {
    let error = outcome.expect_err(what);
    assert_eq!(error.kind(), ErrorKind::Conflict, "{what}: {error}");
}

pub async fn claims_go_highest_priority_first_then_oldest(f: Fixture) {
    let low = entry(Priority::Low, 1);
    let old = entry(Priority::Normal, 2);
    let new = entry(Priority::Normal, 3);
    let high = entry(Priority::High, 4);
    let offered = vec![new.clone(), low.clone(), high.clone(), old.clone()];
    f.queue.offer(offered).await.unwrap();
    let mut order = Vec::new();
    while let Some(claim) = claim_now(&*f.queue, LEASE).await {
        assert_eq!(claim.backend_id, backend("sim"));
        order.push(claim.job_id);
    }
    assert_eq!(order, [high.job_id, old.job_id, new.job_id, low.job_id]);
}

pub async fn an_offer_never_duplicates_a_waiting_or_claimed_job(f: Fixture) {
    let job = entry(Priority::Normal, 1);
    f.queue.offer(vec![job.clone(), job.clone()]).await.unwrap();
    f.queue.offer(vec![job.clone()]).await.unwrap();
    assert_eq!(f.queue.waiting(None).await.unwrap(), 1);
    let claim = claim_now(&*f.queue, LEASE).await.unwrap();
    f.queue.offer(vec![job.clone()]).await.unwrap();
    assert_eq!(f.queue.waiting(None).await.unwrap(), 0, "it is claimed");
    assert_eq!(claim_now(&*f.queue, LEASE).await, None);
    f.queue.ack(&claim).await.unwrap();
    f.queue.offer(vec![job.clone()]).await.unwrap();
    assert_eq!(
        f.queue.waiting(None).await.unwrap(),
        1,
        "once acknowledged, an offer queues it again"
    );
}

pub async fn a_claim_takes_only_the_backends_it_names(f: Fixture) {
    let qpu = entry_for("qpu", Priority::High, 1);
    let sim_job = entry(Priority::Low, 2);
    f.queue
        .offer(vec![qpu.clone(), sim_job.clone()])
        .await
        .unwrap();
    let claim = claim_now(&*f.queue, LEASE).await.unwrap();
    assert_eq!(claim.job_id, sim_job.job_id);
    assert_eq!(claim_now(&*f.queue, LEASE).await, None);
    let both = vec![backend("sim"), backend("qpu")];
    let claim = f.queue.claim(both, LEASE, NO_WAIT).await.unwrap().unwrap();
    assert_eq!(
        (claim.job_id, claim.backend_id),
        (qpu.job_id, backend("qpu"))
    );
    let started = Instant::now();
    let none = f
        .queue
        .claim(Vec::new(), LEASE, Duration::from_millis(100))
        .await
        .unwrap();
    assert_eq!(none, None, "a claim for no backend gets nothing");
    assert!(
        started.elapsed() >= Duration::from_millis(90),
        "it waited its time"
    );
}

pub async fn a_lapsed_lease_is_claimed_again_with_a_larger_token_and_the_old_one_is_lost(
    f: Fixture,
) {
    let job = entry(Priority::Normal, 1);
    f.queue.offer(vec![job.clone()]).await.unwrap();
    let first = claim_now(&*f.queue, SHORT_LEASE).await.unwrap();
    assert_eq!(claim_now(&*f.queue, LEASE).await, None, "leased");
    tokio::time::sleep(SHORT_LEASE * 2).await;
    let second = claim_now(&*f.queue, LEASE).await.expect("the lease lapsed");
    assert_eq!(second.job_id, job.job_id);
    assert!(second.token > first.token, "{second:?} after {first:?}");
    assert_lost(
        f.queue.extend(&first, LEASE).await,
        "extend with a lapsed lease",
    );
    assert_lost(f.queue.ack(&first).await, "ack with a lapsed lease");
    f.queue.ack(&second).await.unwrap();
    assert_eq!(f.queue.waiting(None).await.unwrap(), 0);
}

pub async fn extending_a_lease_keeps_the_job_from_other_claims(f: Fixture) {
    f.queue
        .offer(vec![entry(Priority::Normal, 1)])
        .await
        .unwrap();
    let claim = claim_now(&*f.queue, SHORT_LEASE).await.unwrap();
    for _ in 0..4 {
        tokio::time::sleep(SHORT_LEASE / 2).await;
        f.queue.extend(&claim, SHORT_LEASE).await.unwrap();
        assert_eq!(claim_now(&*f.queue, LEASE).await, None);
    }
    f.queue.ack(&claim).await.unwrap();
    assert_lost(f.queue.extend(&claim, LEASE).await, "extend after ack");
}

pub async fn a_released_job_waits_again_for_a_new_claim(f: Fixture) {
    let job = entry(Priority::Normal, 1);
    f.queue.offer(vec![job.clone()]).await.unwrap();
    let first = claim_now(&*f.queue, LEASE).await.unwrap();
    f.queue.release(&first).await.unwrap();
    assert_eq!(f.queue.waiting(None).await.unwrap(), 1);
    let again = claim_now(&*f.queue, LEASE).await.unwrap();
    assert_eq!(again.job_id, job.job_id);
    assert!(again.token > first.token);
    assert_lost(f.queue.release(&first).await, "release with an old lease");
    assert_lost(f.queue.ack(&first).await, "ack with an old lease");
    f.queue.ack(&again).await.unwrap();
}

pub async fn remove_takes_out_only_a_waiting_job(f: Fixture) {
    let waiting = entry(Priority::Normal, 1);
    let claimed = entry(Priority::High, 2);
    f.queue
        .offer(vec![waiting.clone(), claimed.clone()])
        .await
        .unwrap();
    let claim = claim_now(&*f.queue, LEASE).await.unwrap();
    assert_eq!(claim.job_id, claimed.job_id);
    assert!(
        !f.queue.remove(claimed.job_id).await.unwrap(),
        "claimed, not waiting"
    );
    assert!(f.queue.remove(waiting.job_id).await.unwrap());
    assert!(
        !f.queue.remove(waiting.job_id).await.unwrap(),
        "gone already"
    );
    let unknown = JobId::from_uuid(uuid::Uuid::now_v7());
    assert!(!f.queue.remove(unknown).await.unwrap());
    assert_eq!(claim_now(&*f.queue, LEASE).await, None);
    f.queue.ack(&claim).await.unwrap();
}

pub async fn holds_tells_waiting_and_claimed_jobs_from_those_let_go(f: Fixture) {
    let waiting = entry(Priority::Normal, 1);
    let claimed = entry(Priority::High, 2);
    let acked = entry(Priority::High, 3);
    let removed = entry(Priority::Low, 4);
    let started = entry_for("qpu", Priority::Normal, 5);
    let offered = vec![
        waiting.clone(),
        claimed.clone(),
        acked.clone(),
        removed.clone(),
    ];
    f.queue.offer(offered).await.unwrap();
    let _held = claim_now(&*f.queue, LEASE).await.unwrap();
    let done = claim_now(&*f.queue, LEASE).await.unwrap();
    f.queue.ack(&done).await.unwrap();
    assert!(f.queue.remove(removed.job_id).await.unwrap());
    f.queue
        .offer_claimed(started.clone(), LEASE)
        .await
        .unwrap()
        .unwrap();
    let unknown = JobId::from_uuid(uuid::Uuid::now_v7());
    let asked = [waiting, claimed, acked, removed, started].map(|e| e.job_id);
    let mut ids = asked.to_vec();
    ids.push(unknown);
    assert_eq!(
        f.queue.holds(ids).await.unwrap(),
        [true, true, false, false, true, false]
    );
    assert_eq!(f.queue.holds(Vec::new()).await.unwrap(), Vec::<bool>::new());
}

pub async fn positions_are_one_based_per_backend_in_claim_order(f: Fixture) {
    let a = entry(Priority::Normal, 1);
    let b = entry(Priority::Normal, 2);
    let urgent = entry(Priority::High, 3);
    let other = entry_for("qpu", Priority::Low, 0);
    let offered = vec![a.clone(), b.clone(), urgent.clone(), other.clone()];
    f.queue.offer(offered).await.unwrap();
    let position = |id| {
        let queue = f.queue.clone();
        async move { queue.position(id).await.unwrap() }
    };
    assert_eq!(position(urgent.job_id).await, Some(1));
    assert_eq!(position(a.job_id).await, Some(2));
    assert_eq!(position(b.job_id).await, Some(3));
    assert_eq!(
        position(other.job_id).await,
        Some(1),
        "its own backend's line"
    );
    let claim = claim_now(&*f.queue, LEASE).await.unwrap();
    assert_eq!(
        position(claim.job_id).await,
        None,
        "claimed jobs wait no more"
    );
    assert_eq!(position(a.job_id).await, Some(1));
    let unknown = JobId::from_uuid(uuid::Uuid::now_v7());
    assert_eq!(position(unknown).await, None);
}

pub async fn waiting_and_depths_count_by_backend_and_priority(f: Fixture) {
    let offered = vec![
        entry(Priority::High, 1),
        entry(Priority::Normal, 2),
        entry(Priority::Normal, 3),
        entry_for("qpu", Priority::Low, 4),
    ];
    f.queue.offer(offered).await.unwrap();
    assert_eq!(f.queue.waiting(None).await.unwrap(), 4);
    assert_eq!(f.queue.waiting(Some(backend("sim"))).await.unwrap(), 3);
    assert_eq!(f.queue.waiting(Some(backend("qpu"))).await.unwrap(), 1);
    assert_eq!(f.queue.waiting(Some(backend("none"))).await.unwrap(), 0);
    let _claim = claim_now(&*f.queue, LEASE).await.unwrap();
    let depths: HashSet<_> = f
        .queue
        .depths()
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, _, count)| *count > 0)
        .collect();
    let expected = HashSet::from([
        (backend("sim"), Priority::Normal, 2),
        (backend("qpu"), Priority::Low, 1),
    ]);
    assert_eq!(depths, expected, "claimed jobs are not counted");
}

pub async fn offer_claimed_leases_a_new_job_only_while_none_of_its_backend_waits(f: Fixture) {
    let first = entry(Priority::Normal, 1);
    let lease = f
        .queue
        .offer_claimed(first.clone(), LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (lease.job_id, lease.backend_id.clone()),
        (first.job_id, backend("sim"))
    );
    assert_eq!(f.queue.waiting(None).await.unwrap(), 0, "it never waited");
    assert_eq!(
        f.queue.offer_claimed(first.clone(), LEASE).await.unwrap(),
        None,
        "a claimed job is not leased twice"
    );
    f.queue.offer(vec![first.clone()]).await.unwrap();
    assert_eq!(
        f.queue.waiting(None).await.unwrap(),
        0,
        "nor offered while claimed"
    );

    let waiting = entry(Priority::Low, 2);
    f.queue.offer(vec![waiting.clone()]).await.unwrap();
    assert_eq!(
        f.queue
            .offer_claimed(entry(Priority::High, 3), LEASE)
            .await
            .unwrap(),
        None,
        "a new job passes nobody"
    );
    assert_eq!(
        f.queue.offer_claimed(waiting.clone(), LEASE).await.unwrap(),
        None,
        "a waiting job is claimed, not leased again"
    );
    let elsewhere = entry_for("qpu", Priority::Normal, 4);
    let other = f.queue.offer_claimed(elsewhere, LEASE).await.unwrap();
    assert!(other.is_some(), "another backend's line does not stop it");

    let next = claim_now(&*f.queue, LEASE).await.unwrap();
    assert!(
        next.token > lease.token,
        "tokens grow across both kinds of claim"
    );
    f.queue.ack(&lease).await.unwrap();
    f.queue.ack(&next).await.unwrap();
}

/// Submissions at once lease their jobs at once (a shared queue sends them
/// together): each its own token, and a job offered twice at the same time
/// leased once.
pub async fn concurrent_offers_claimed_each_get_their_own_lease(f: Fixture) {
    const JOBS: usize = 40;
    let mut offered: Vec<_> = (0..JOBS)
        .map(|n| entry(Priority::Normal, n as i64))
        .collect();
    offered.push(offered[7].clone());
    let calls: Vec<_> = offered
        .iter()
        .map(|job| {
            let (queue, job) = (f.queue.clone(), job.clone());
            tokio::spawn(async move { queue.offer_claimed(job, LEASE).await })
        })
        .collect();
    let mut leases = Vec::new();
    for (job, call) in offered.iter().zip(calls) {
        if let Some(lease) = call.await.unwrap().unwrap() {
            assert_eq!(lease.job_id, job.job_id);
            leases.push(lease);
        }
    }
    assert_eq!(leases.len(), JOBS, "every job leased once, the repeat not");
    let jobs: HashSet<_> = leases.iter().map(|l| l.job_id).collect();
    let tokens: HashSet<_> = leases.iter().map(|l| l.token).collect();
    assert_eq!((jobs.len(), tokens.len()), (JOBS, JOBS));
    assert_eq!(f.queue.waiting(None).await.unwrap(), 0);
    for lease in &leases {
        f.queue.ack(lease).await.unwrap();
    }
}

pub async fn a_lapsed_lease_from_offer_claimed_makes_the_job_wait(f: Fixture) {
    let job = entry(Priority::Normal, 1);
    let lease = f
        .queue
        .offer_claimed(job.clone(), SHORT_LEASE)
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(SHORT_LEASE * 2).await;
    let again = claim_now(&*f.queue, LEASE).await.expect("it waits again");
    assert_eq!(again.job_id, job.job_id);
    assert!(again.token > lease.token);
    assert_lost(f.queue.ack(&lease).await, "ack with the lapsed lease");
}

pub async fn a_waiting_claim_wakes_when_work_arrives(f: Fixture) {
    let claimer = {
        let queue = f.queue.clone();
        tokio::spawn(async move { queue.claim(sim(), LEASE, Duration::from_secs(10)).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let job = entry(Priority::Normal, 1);
    let offered = Instant::now();
    f.queue.offer(vec![job.clone()]).await.unwrap();
    let claim = tokio::time::timeout(Duration::from_secs(5), claimer)
        .await
        .expect("the waiting claim did not wake")
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(claim.job_id, job.job_id);
    assert!(
        offered.elapsed() < Duration::from_secs(2),
        "{:?}",
        offered.elapsed()
    );
}

pub async fn a_dropped_claim_takes_no_lease(f: Fixture) {
    let claimer = {
        let queue = f.queue.clone();
        tokio::spawn(async move { queue.claim(sim(), LEASE, Duration::from_secs(10)).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    claimer.abort();
    assert!(claimer.await.unwrap_err().is_cancelled());
    let job = entry(Priority::Normal, 1);
    f.queue.offer(vec![job.clone()]).await.unwrap();
    let claim = claim_now(&*f.queue, LEASE).await.expect("nobody holds it");
    assert_eq!(claim.job_id, job.job_id);
}

pub async fn concurrent_claimers_each_get_a_different_job(f: Fixture) {
    const JOBS: usize = 40;
    let offered: Vec<_> = (0..JOBS)
        .map(|n| entry(Priority::Normal, n as i64))
        .collect();
    let ids: HashSet<_> = offered.iter().map(|e| e.job_id).collect();
    let claimers: Vec<_> = (0..JOBS + 5)
        .map(|_| {
            let queue = f.queue.clone();
            tokio::spawn(async move {
                queue
                    .claim(sim(), LEASE, Duration::from_millis(500))
                    .await
                    .unwrap()
            })
        })
        .collect();
    f.queue.offer(offered).await.unwrap();
    let mut claimed = HashSet::new();
    let mut tokens = HashSet::new();
    for claimer in claimers {
        if let Some(claim) = claimer.await.unwrap() {
            assert!(
                claimed.insert(claim.job_id),
                "{} claimed twice",
                claim.job_id
            );
            assert!(
                tokens.insert(claim.token),
                "token {:?} given twice",
                claim.token
            );
        }
    }
    assert_eq!(claimed, ids, "every job claimed once");
}

/// Calls made at once each get their own answer, whatever an adapter
/// does to send them together: concurrent offers all land, counts agree,
/// claims take only what their backends hold, and among concurrent acks and extends, those on leases that were lost
/// fail while the others succeed.
pub async fn concurrent_calls_each_get_their_own_answer(f: Fixture) {
    const JOBS: usize = 60;
    let offered: Vec<_> = (0..JOBS)
        .map(|n| entry(Priority::Normal, n as i64))
        .collect();
    let offers: Vec<_> = offered
        .iter()
        .map(|job| {
            let (queue, job) = (f.queue.clone(), job.clone());
            tokio::spawn(async move { queue.offer(vec![job]).await })
        })
        .collect();
    for offer in offers {
        offer.await.unwrap().unwrap();
    }
    let counts: Vec<_> = (0..10)
        .map(|n| {
            let queue = f.queue.clone();
            let backend = (n % 2 == 0).then(|| backend("sim"));
            tokio::spawn(async move { queue.waiting(backend).await })
        })
        .collect();
    for count in counts {
        assert_eq!(count.await.unwrap().unwrap(), JOBS as u64);
    }
    // Claimers of a backend with nothing waiting, among those of `sim`.
    let claimers: Vec<_> = (0..JOBS + 10)
        .map(|n| {
            let queue = f.queue.clone();
            let backends = if n % 7 == 3 {
                vec![backend("elsewhere")]
            } else {
                sim()
            };
            tokio::spawn(async move { (n % 7 == 3, queue.claim(backends, LEASE, NO_WAIT).await) })
        })
        .collect();
    let mut claims = Vec::new();
    for claimer in claimers {
        match claimer.await.unwrap() {
            (true, claimed) => assert_eq!(claimed.unwrap(), None, "nothing waits elsewhere"),
            (false, claimed) => claims.extend(claimed.unwrap()),
        }
    }
    assert_eq!(claims.len(), JOBS, "every job of sim claimed");
    assert_eq!(
        claims
            .iter()
            .map(|c| c.job_id)
            .collect::<HashSet<_>>()
            .len(),
        JOBS
    );
    // Every third claim is presented with a token it never had.
    let settles: Vec<_> = claims
        .into_iter()
        .enumerate()
        .map(|(n, mut claim)| {
            let queue = f.queue.clone();
            let forged = n % 3 == 0;
            if forged {
                claim.token = FencingToken(claim.token.0 + 1_000_000);
            }
            tokio::spawn(async move {
                let outcome = if n % 2 == 0 {
                    queue.ack(&claim).await
                } else {
                    queue.extend(&claim, LEASE).await
                };
                (forged, outcome)
            })
        })
        .collect();
    for settle in settles {
        let (forged, outcome) = settle.await.unwrap();
        if forged {
            assert_lost(outcome, "a lease under a token never given");
        } else {
            outcome.unwrap();
        }
    }
}

/// A shared queue: what one node offers another claims, and a lease one
/// node holds keeps the job from the other.
pub async fn nodes_sharing_a_queue_see_each_others_work(f: Fixture) {
    let other = f
        .other
        .clone()
        .expect("a shared queue's fixture has a second handle");
    let job = entry(Priority::Normal, 1);
    f.queue.offer(vec![job.clone()]).await.unwrap();
    assert_eq!(other.waiting(None).await.unwrap(), 1);
    let claim = claim_now(&*other, SHORT_LEASE).await.unwrap();
    assert_eq!(claim.job_id, job.job_id);
    assert_eq!(
        claim_now(&*f.queue, LEASE).await,
        None,
        "held by the other node"
    );
    tokio::time::sleep(SHORT_LEASE * 2).await;
    let taken_over = claim_now(&*f.queue, LEASE).await.expect("the lease lapsed");
    assert!(taken_over.token > claim.token);
    assert_lost(other.ack(&claim).await, "the first node's lease is lost");
    f.queue.ack(&taken_over).await.unwrap();
}

/// Every queue keeps this one: its fixture matches what it declares.
pub async fn the_fixture_matches_the_declared_capabilities(f: Fixture) {
    let shared = f.queue.capabilities().shared;
    assert_eq!(shared, f.other.is_some(), "shared: {shared}");
}

#[macro_export]
macro_rules! queue_contract {
    ($module:ident, $make:expr) => {
        queue_contract!($module, $make; );
    };
    ($module:ident, $make:expr; $($capability_check:ident),*) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            queue_contract!(@each $make;
                the_fixture_matches_the_declared_capabilities,
                claims_go_highest_priority_first_then_oldest,
                an_offer_never_duplicates_a_waiting_or_claimed_job,
                a_claim_takes_only_the_backends_it_names,
                a_lapsed_lease_is_claimed_again_with_a_larger_token_and_the_old_one_is_lost,
                extending_a_lease_keeps_the_job_from_other_claims,
                a_released_job_waits_again_for_a_new_claim,
                remove_takes_out_only_a_waiting_job,
                holds_tells_waiting_and_claimed_jobs_from_those_let_go,
                positions_are_one_based_per_backend_in_claim_order,
                waiting_and_depths_count_by_backend_and_priority,
                offer_claimed_leases_a_new_job_only_while_none_of_its_backend_waits,
                concurrent_offers_claimed_each_get_their_own_lease,
                a_lapsed_lease_from_offer_claimed_makes_the_job_wait,
                a_waiting_claim_wakes_when_work_arrives,
                a_dropped_claim_takes_no_lease,
                concurrent_claimers_each_get_a_different_job,
                concurrent_calls_each_get_their_own_answer
                $(, $capability_check)*);
        }
    };
    (@each $make:expr; $($check:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let make = $make;
                let mut fixture: Fixture = make().await;
                let cleanup = std::mem::replace(&mut fixture.cleanup, Box::pin(async {}));
                super::$check(fixture).await;
                cleanup.await;
            }
        )*
    };
}

// The memory queue is one process's: not shared, so the checks of a shared
// queue do not apply.
queue_contract!(memory, || async {
    let queue: Arc<dyn JobQueue> =
        Arc::new(arvak_grpc::adapters::queue::memory::MemoryJobQueue::new());
    Fixture {
        queue,
        other: None,
        cleanup: Box::pin(async {}),
    }
});

#[cfg(feature = "queue-redis")]
mod redis_queue {
    use super::*;
    use arvak_grpc::adapters::queue::redis::{RedisJobQueue, RedisQueueSettings};

    fn settings() -> RedisQueueSettings {
        let url = std::env::var("ARVAK_TEST_REDIS_URL").expect(
            "ARVAK_TEST_REDIS_URL is not set: the Redis queue tests need a Redis server \
             (e.g. redis://127.0.0.1:6379)",
        );
        let prefix = format!("arvak_test_{}", uuid::Uuid::new_v4().simple());
        RedisQueueSettings::from_config(Some(url), &prefix).unwrap()
    }

    /// Two handles on a fresh prefix, as two nodes hold them; the prefix's
    /// keys are deleted afterwards.
    pub async fn fresh() -> Fixture {
        let settings = settings();
        let queue = Arc::new(RedisJobQueue::connect(&settings).await.unwrap());
        let other = Arc::new(RedisJobQueue::connect(&settings).await.unwrap());
        let owner = queue.clone();
        Fixture {
            queue,
            other: Some(other),
            cleanup: Box::pin(async move {
                owner.delete_all().await.unwrap();
            }),
        }
    }

    /// Redis restarted empty forgets the last token; the next is still
    /// larger, as the store's fencing needs.
    #[tokio::test]
    async fn tokens_keep_growing_when_redis_forgets_them() {
        let settings = settings();
        let queue = RedisJobQueue::connect(&settings).await.unwrap();
        queue.offer(vec![entry(Priority::Normal, 1)]).await.unwrap();
        let before = claim_now(&queue, LEASE).await.unwrap();
        assert!(queue.delete_all().await.unwrap() > 0);
        queue.offer(vec![entry(Priority::Normal, 2)]).await.unwrap();
        let after = claim_now(&queue, LEASE).await.unwrap();
        assert!(after.token > before.token, "{after:?} after {before:?}");
        queue.delete_all().await.unwrap();
    }

    #[tokio::test]
    async fn a_missing_url_or_an_unreachable_redis_is_refused_by_name() {
        let missing = RedisQueueSettings::from_config(None, "arvak").unwrap_err();
        assert!(missing.message().contains("queue.redis_url"), "{missing}");
        let nowhere =
            RedisQueueSettings::from_config(Some("redis://127.0.0.1:1".into()), "arvak").unwrap();
        let refused = RedisJobQueue::connect(&nowhere)
            .await
            .err()
            .expect("refused");
        assert_eq!(refused.kind(), ErrorKind::Unavailable, "{refused}");
        assert!(refused.message().contains("Redis"), "{refused}");
    }
}

#[cfg(feature = "queue-redis")]
queue_contract!(redis, redis_queue::fresh; nodes_sharing_a_queue_see_each_others_work);
