use std::sync::Arc;

use super::*;
use std::time::Duration;

use crate::adapters::clock::SystemClock;
use crate::app::duties::fixed_leadership;
use crate::domain::job::tests::queued_job;
use crate::domain::{FencingToken, UnixMillis};
use crate::ports::JobQueue;

/// A pass as a lone node's leader makes it.
async fn recover(ports: &DutyPorts, max_attempts: u32) -> Result<RecoveryReport> {
    let mandate = Mandate::sole(ports.store.clone()).await;
    super::recover(ports, max_attempts, &mandate).await
}

/// The ports, and their queue (to look at what waits in it).
fn ports() -> (DutyPorts, Arc<dyn JobQueue>) {
    let ports = DutyPorts::in_memory(Arc::new(SystemClock));
    let queue = ports.queue.clone();
    (ports, queue)
}

/// A job in the store as a stopped server left it: started `attempts` times.
async fn stored(ports: &DutyPorts, running: bool, attempts: u64) -> Job {
    let job = queued_job();
    ports
        .store
        .create(vec![job.clone()], UnixMillis(0))
        .await
        .unwrap();
    let mut last = job;
    for attempt in 1..=attempts {
        if attempt > 1 {
            let requeue = Transition::Requeue {
                token: last.claim_token,
            };
            ports.store.apply(last.id, requeue).await.unwrap();
        }
        let start = Transition::Start {
            token: FencingToken(attempt),
            at: UnixMillis(1),
        };
        last = ports.store.apply(last.id, start).await.unwrap();
    }
    if !running && attempts > 0 {
        let requeue = Transition::Requeue {
            token: last.claim_token,
        };
        last = ports.store.apply(last.id, requeue).await.unwrap();
    }
    last
}

#[tokio::test]
async fn interrupted_jobs_are_requeued_or_failed_and_queued_ones_offered() {
    let (ports, queue) = ports();
    let waiting = stored(&ports, false, 0).await;
    let interrupted = stored(&ports, true, 1).await;
    let exhausted = stored(&ports, true, 3).await;
    let done = stored(&ports, true, 1).await;
    let token = done.claim_token.unwrap();
    let complete = Transition::Complete {
        token,
        at: UnixMillis(2),
        result: Default::default(),
    };
    ports.store.apply(done.id, complete).await.unwrap();

    let report = recover(&ports, 3).await.unwrap();
    assert_eq!(
        report,
        RecoveryReport {
            found: 3,
            held: 0,
            requeued: 1,
            reattached: 0,
            failed: 1,
            queued: 1
        }
    );

    let requeued = ports.store.get(interrupted.id).await.unwrap().unwrap();
    assert_eq!((requeued.state, requeued.attempts), (JobState::Queued, 1));
    let failed = ports.store.get(exhausted.id).await.unwrap().unwrap();
    assert_eq!(failed.state, JobState::Failed);
    assert!(
        failed
            .error_message
            .unwrap()
            .contains("gave up after 3 attempts")
    );
    for id in [waiting.id, interrupted.id] {
        assert!(
            queue.position(id).await.unwrap().is_some(),
            "offered to the queue"
        );
    }
    assert_eq!(queue.position(exhausted.id).await.unwrap(), None);
    assert_eq!(queue.position(done.id).await.unwrap(), None);
}

#[tokio::test]
async fn recovery_pages_through_many_jobs() {
    let (ports, queue) = ports();
    let jobs: Vec<Job> = (0..(PAGE + 5)).map(|_| queued_job()).collect();
    ports
        .store
        .create(jobs.clone(), UnixMillis(0))
        .await
        .unwrap();
    let report = recover(&ports, 3).await.unwrap();
    assert_eq!(
        (report.found, report.queued),
        ((PAGE + 5) as u64, (PAGE + 5) as u64)
    );
    let backend = Some(jobs[0].backend_id.clone());
    assert_eq!(queue.waiting(backend).await.unwrap(), (PAGE + 5) as u64);
}

#[tokio::test]
async fn a_job_a_backend_holds_is_queued_for_reattaching() {
    let (ports, queue) = ports();
    let job = stored(&ports, true, 1).await;
    let record = Transition::RecordBackendJob {
        token: job.claim_token.unwrap(),
        backend_job_id: "qpu-9".into(),
    };
    ports.store.apply(job.id, record).await.unwrap();
    let report = recover(&ports, 3).await.unwrap();
    assert_eq!((report.reattached, report.requeued), (1, 0));
    let queued = ports.store.get(job.id).await.unwrap().unwrap();
    assert_eq!(
        (queued.state, queued.backend_job_id.as_deref()),
        (JobState::Queued, Some("qpu-9"))
    );
    assert!(queue.position(job.id).await.unwrap().is_some());
}

#[tokio::test]
async fn jobs_the_queue_holds_are_left_alone_and_a_second_pass_changes_nothing() {
    let (ports, queue) = ports();
    let waiting = stored(&ports, false, 0).await;
    let running = stored(&ports, true, 1).await;
    // The running job's lease is alive (on this node, or another).
    let lease = queue
        .offer_claimed(queue_entry(&running), Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    queue.offer(vec![queue_entry(&waiting)]).await.unwrap();
    let report = recover(&ports, 3).await.unwrap();
    assert_eq!((report.found, report.held), (2, 2));
    assert!(!report.changed_anything(), "{report:?}");
    let still = ports.store.get(running.id).await.unwrap().unwrap();
    assert_eq!((still.state, still.attempts), (JobState::Running, 1));
    assert_eq!(queue.waiting(None).await.unwrap(), 1, "offered once");

    // The lease is let go without an outcome (its node died): the next
    // pass puts the job back, and the one after finds nothing to do.
    queue.ack(&lease).await.unwrap();
    let report = recover(&ports, 3).await.unwrap();
    assert_eq!((report.requeued, report.held), (1, 1));
    let report = recover(&ports, 3).await.unwrap();
    assert!(!report.changed_anything(), "{report:?}");
}

#[tokio::test]
async fn a_job_that_ends_while_the_pass_looks_is_skipped() {
    let (ports, _queue) = ports();
    let running = stored(&ports, true, 1).await;
    let mut store = crate::ports::MockJobStore::new();
    let read = running.clone();
    store.expect_unfinished().returning(move |after, _| {
        Ok(if after.is_none() {
            vec![read.clone()]
        } else {
            Vec::new()
        })
    });
    // Its worker recorded the outcome between the read and the requeue.
    store
        .expect_open_leader_epoch()
        .returning(|| Ok(crate::ports::LeaderEpoch(1)));
    store
        .expect_apply_as_leader()
        .times(1)
        .returning(|_, _, _| {
            Err(crate::domain::Error::failed_precondition(
                "job is COMPLETED",
            ))
        });
    let ports = DutyPorts {
        store: Arc::new(store),
        ..ports
    };
    let report = recover(&ports, 3).await.unwrap();
    assert_eq!((report.found, report.requeued, report.failed), (1, 0, 0));
    assert_eq!(ports.queue.waiting(None).await.unwrap(), 0, "not offered");
}

/// A leadership that always answers `term`: a paused leader goes on
/// believing it leads until it next asks Redis.
fn believes(term: u64) -> Arc<dyn crate::ports::Leadership> {
    fixed_leadership(Some(crate::ports::LeaderTerm(term)))
}

#[tokio::test]
async fn a_deposed_leaders_pass_changes_nothing_in_the_store() {
    let (ports, _queue) = ports();
    let interrupted = stored(&ports, true, 1).await;
    let deposed = LeaderOffice::new(believes(1), ports.store.clone());
    let old = deposed.mandate().await.unwrap().unwrap();
    let leader = LeaderOffice::new(believes(2), ports.store.clone());
    let new = leader.mandate().await.unwrap().unwrap();

    let report = super::recover(&ports, 3, &old).await.unwrap();
    assert_eq!(report.requeued, 0);
    let job = ports.store.get(interrupted.id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Running, "refused by the store");

    let report = super::recover(&ports, 3, &new).await.unwrap();
    assert_eq!(report.requeued, 1);
}

#[tokio::test]
async fn a_node_starting_while_another_leads_leaves_the_pass_to_the_leader() {
    let (ports, queue) = ports();
    let waiting = stored(&ports, false, 0).await;
    let follower = LeaderOffice::new(fixed_leadership(None), ports.store.clone());
    recover_at_start(&ports, &follower, 3).await.unwrap();
    assert_eq!(queue.position(waiting.id).await.unwrap(), None);

    let sole = crate::adapters::leadership::SoleNode::new("solo".into());
    let leader = LeaderOffice::new(Arc::new(sole), ports.store.clone());
    recover_at_start(&ports, &leader, 3).await.unwrap();
    assert_eq!(queue.position(waiting.id).await.unwrap(), Some(1));
}
