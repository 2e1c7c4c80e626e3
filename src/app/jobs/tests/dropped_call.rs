//! A call whose caller stops waiting half-way (the client hung up, or its
//! deadline passed) still ends what it began: a submission queues its
//! stored jobs, or hands them to the idle worker promised them; a cancel
//! that took its job off the queue writes CANCELED. Real in-memory store
//! and queue; the store holds its answers until the test lets go.

use std::sync::Arc;

use tokio::sync::Notify;

use super::*;
use crate::app::hooked_store::{HookedStore, StoreHooks};

/// Says when a call reaches the store, then holds it until released:
/// `create` keeps the jobs first (a commit whose answer is on its way), a
/// cancel is written only after (a write still waiting for the store's
/// writer).
#[derive(Default)]
struct Held {
    reached: Notify,
    release: Notify,
}

impl Held {
    async fn hold(&self) {
        self.reached.notify_one();
        self.release.notified().await;
    }
}

#[async_trait::async_trait]
impl StoreHooks for Held {
    async fn after_create(&self) {
        self.hold().await;
    }

    async fn before_apply(&self, transition: &Transition) -> Result<()> {
        if matches!(transition, Transition::Cancel { .. }) {
            self.hold().await;
        }
        Ok(())
    }
}

type HeldStore = HookedStore<Held>;

/// A service on the real in-memory queue and the store above; jobs start
/// at their submission when `start_lease` is set and a worker waits.
fn service(store: Arc<HeldStore>, start_lease: Option<Duration>) -> (JobService, JobPorts) {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(NOW);
    let mut registry = BackendRegistry::new();
    registry.register(Arc::new(backend(5))).unwrap();
    let mut ports =
        JobPorts::in_memory(Arc::new(clock), Arc::new(frontend_parsing_bell()), registry);
    ports.store = store;
    let (_, stopped) = tokio::sync::watch::channel(false);
    (
        JobService::new(ports.clone(), rules(start_lease), stopped),
        ports,
    )
}

fn held_store() -> Arc<HeldStore> {
    Arc::new(HookedStore::new(Held::default()))
}

/// Submits, and drops the call once the store has kept the job, before
/// its answer arrives; then lets the answer go. The stored job's id.
async fn submit_and_hang_up(service: &JobService, store: &HeldStore) -> JobId {
    let call = {
        let service = service.clone();
        tokio::spawn(async move { service.submit(&alice(), command()).await })
    };
    store.hooks.reached.notified().await;
    call.abort();
    assert!(call.await.unwrap_err().is_cancelled());
    store.hooks.release.notify_one();
    let kept = store.inner.unfinished(None, 10).await.unwrap();
    assert_eq!(
        kept.len(),
        1,
        "the store kept the job before the call ended"
    );
    kept[0].id
}

#[tokio::test]
async fn a_job_whose_caller_hung_up_after_it_was_stored_is_still_queued() {
    let store = held_store();
    let (service, ports) = service(store.clone(), None);
    let id = submit_and_hang_up(&service, &store).await;
    let backends = vec![BackendId::parse("sim").unwrap()];
    let claim = ports
        .queue
        .claim(backends, Duration::from_secs(30), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(
        claim.map(|c| c.job_id),
        Some(id),
        "the job was stored but never queued"
    );
}

#[tokio::test]
async fn a_job_leased_to_an_idle_worker_reaches_it_though_its_caller_hung_up() {
    let store = held_store();
    let lease = Duration::from_secs(30);
    let (service, ports) = service(store.clone(), Some(lease));
    // A worker waits for work, so the submission leases the job to it.
    let handoff = ports.handoff.clone();
    let worker = tokio::spawn(async move {
        let backends = vec![BackendId::parse("sim").unwrap()];
        handoff
            .claim(&backends, lease, Duration::from_secs(60))
            .await
    });
    // On this one-thread runtime the worker runs until it waits.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let id = submit_and_hang_up(&service, &store).await;
    // Well within the lease: without the hand-over the worker would hear
    // of the job only when its 30 s lease ended.
    let claim = tokio::time::timeout(Duration::from_secs(5), worker)
        .await
        .expect("the leased job never reached the waiting worker")
        .unwrap()
        .unwrap();
    let stored = store.inner.get(id).await.unwrap().unwrap();
    assert_eq!(stored.state, JobState::Running, "it was not leased at once");
    assert_eq!(claim.map(|work| work.claim.job_id), Some(id));
}

#[tokio::test]
async fn a_cancel_whose_caller_hung_up_after_taking_the_job_off_the_queue_still_cancels_it() {
    let store = held_store();
    let (service, ports) = service(store.clone(), None);
    let submit = {
        let service = service.clone();
        tokio::spawn(async move { service.submit(&alice(), command()).await })
    };
    store.hooks.reached.notified().await;
    store.hooks.release.notify_one();
    let id = submit.await.unwrap().unwrap();

    let cancel = {
        let service = service.clone();
        tokio::spawn(async move { service.cancel(&alice(), &id.to_string()).await })
    };
    // Off the queue, its CANCELED not yet written: the caller hangs up.
    store.hooks.reached.notified().await;
    cancel.abort();
    assert!(cancel.await.unwrap_err().is_cancelled());
    store.hooks.release.notify_one();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut state = JobState::Queued;
    while state != JobState::Canceled && tokio::time::Instant::now() < deadline {
        tokio::task::yield_now().await;
        state = store.inner.get(id).await.unwrap().unwrap().state;
    }
    let queued = ports.queue.waiting(None).await.unwrap();
    assert_eq!(
        (state, queued),
        (JobState::Canceled, 0),
        "the job must end CANCELED, not sit QUEUED in no queue"
    );
}
