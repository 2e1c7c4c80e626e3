//! The behaviour every `JobStore` adapter must have. Each check takes a fresh
//! store; `store_contract!` instantiates all of them for one adapter.

use std::sync::Arc;

use arvak_grpc::domain::*;
use arvak_grpc::ports::{CreateOutcome, JobQuery, JobStore};

#[cfg(feature = "storage-postgres")]
#[path = "common/services.rs"]
mod services;

fn job(client: &str, backend: &str, submitted_at: i64) -> Job {
    let new = NewJob {
        client_id: ClientId::parse(client).unwrap(),
        backend_id: BackendId::parse(backend).unwrap(),
        circuit: CircuitSource {
            format: CircuitFormat::OpenQasm,
            text: "OPENQASM 3.0;".into(),
        },
        shots: Shots::parse(100).unwrap(),
        optimization_level: OptimizationLevel::default(),
        priority: Priority::Normal,
        tags: Tags::default(),
        idempotency_key: None,
        seed: Some(7),
        traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned()),
    };
    Job::queued(
        JobId::from_uuid(uuid::Uuid::now_v7()),
        new,
        UnixMillis(submitted_at),
    )
}

fn keyed(mut job: Job, key: &str) -> Job {
    job.idempotency_key = Some(IdempotencyKey::parse(key).unwrap());
    job
}

const SINCE_EVER: UnixMillis = UnixMillis(0);

pub async fn create_then_get_returns_the_same_job(store: Arc<dyn JobStore>) {
    let mut j = job("alice", "sim", 1_000);
    j.tags = Tags::parse([("team".into(), "q".into())]).unwrap();
    assert_eq!(
        store.create(vec![j.clone()], SINCE_EVER).await.unwrap(),
        vec![CreateOutcome::Created]
    );
    assert_eq!(store.get(j.id).await.unwrap(), Some(j));
    let unknown = JobId::from_uuid(uuid::Uuid::now_v7());
    assert_eq!(store.get(unknown).await.unwrap(), None);
}

/// Reads made at once each get their own job, whatever a store does to
/// send them together: the same job asked twice, jobs that are not there,
/// and a job's newest state.
pub async fn concurrent_reads_each_get_their_own_job(store: Arc<dyn JobStore>) {
    let jobs: Vec<Job> = (0..40).map(|n| job("alice", "sim", 1_000 + n)).collect();
    store.create(jobs.clone(), SINCE_EVER).await.unwrap();
    let start = Transition::Start {
        token: FencingToken(1),
        at: UnixMillis(5_000),
    };
    let started = store.apply(jobs[0].id, start).await.unwrap();
    let mut asked: Vec<(JobId, Option<Job>)> = Vec::new();
    for (n, j) in jobs.iter().enumerate() {
        let now = if n == 0 { started.clone() } else { j.clone() };
        asked.push((j.id, Some(now.clone())));
        if n % 5 == 0 {
            asked.push((j.id, Some(now)));
            asked.push((JobId::from_uuid(uuid::Uuid::now_v7()), None));
        }
    }
    let reads: Vec<_> = asked
        .iter()
        .map(|(id, _)| {
            let (store, id) = (store.clone(), *id);
            tokio::spawn(async move { store.get(id).await })
        })
        .collect();
    for ((id, expected), read) in asked.into_iter().zip(reads) {
        assert_eq!(read.await.unwrap().unwrap(), expected, "job {id}");
    }
}

/// Results asked for at once (as a batch's client collects them) each come
/// back as their own, whether asked twice, of a job without a result, or
/// of no job at all; a store that gathers such reads must not mix them up.
pub async fn concurrent_result_reads_each_get_their_own_result(store: Arc<dyn JobStore>) {
    let jobs: Vec<Job> = (0..30).map(|n| job("alice", "sim", 1_000 + n)).collect();
    store.create(jobs.clone(), SINCE_EVER).await.unwrap();
    let mut asked: Vec<(JobId, Option<JobResult>)> = Vec::new();
    for (n, j) in jobs.iter().enumerate() {
        if n % 7 == 6 {
            asked.push((j.id, None)); // still queued: no result
            continue;
        }
        let (token, at) = (FencingToken(1), UnixMillis(5_000));
        store
            .apply(j.id, Transition::Start { token, at })
            .await
            .unwrap();
        let result = JobResult {
            counts: [(format!("{n:05b}"), 10 + n as u64)].into_iter().collect(),
            shots: 10 + n as u32,
            execution_time_ms: n as u64,
            metadata_json: format!("{{\"n\":{n}}}"),
        };
        let complete = Transition::Complete {
            token,
            at,
            result: result.clone(),
        };
        store.apply(j.id, complete).await.unwrap();
        asked.push((j.id, Some(result.clone())));
        if n % 4 == 0 {
            asked.push((j.id, Some(result)));
            asked.push((JobId::from_uuid(uuid::Uuid::now_v7()), None));
        }
    }
    let reads: Vec<_> = asked
        .iter()
        .map(|(id, _)| {
            let (store, id) = (store.clone(), *id);
            tokio::spawn(async move { store.result(id).await })
        })
        .collect();
    for ((id, expected), read) in asked.into_iter().zip(reads) {
        assert_eq!(read.await.unwrap().unwrap(), expected, "job {id}");
    }
}

pub async fn idempotency_key_returns_the_first_job_within_the_window(store: Arc<dyn JobStore>) {
    let first = keyed(job("alice", "sim", 1_000), "k1");
    store.create(vec![first.clone()], SINCE_EVER).await.unwrap();
    let again = keyed(job("alice", "sim", 2_000), "k1");
    let outcome = store
        .create(vec![again.clone()], UnixMillis(500))
        .await
        .unwrap();
    assert_eq!(outcome, vec![CreateOutcome::Existing(first.id)]);
    assert_eq!(
        store.get(again.id).await.unwrap(),
        None,
        "nothing new was written"
    );
    // Another client may use the same key.
    let bob = keyed(job("bob", "sim", 2_000), "k1");
    assert_eq!(
        store.create(vec![bob], UnixMillis(500)).await.unwrap(),
        vec![CreateOutcome::Created]
    );
    // Outside the window the key starts a new job.
    let later = keyed(job("alice", "sim", 90_000), "k1");
    let outcome = store
        .create(vec![later.clone()], UnixMillis(50_000))
        .await
        .unwrap();
    assert_eq!(outcome, vec![CreateOutcome::Created]);
    let newest = keyed(job("alice", "sim", 91_000), "k1");
    let outcome = store
        .create(vec![newest], UnixMillis(50_000))
        .await
        .unwrap();
    assert_eq!(outcome, vec![CreateOutcome::Existing(later.id)]);
}

pub async fn transitions_follow_the_domain_rules_and_fencing(store: Arc<dyn JobStore>) {
    let j = job("alice", "sim", 1_000);
    store.create(vec![j.clone()], SINCE_EVER).await.unwrap();
    let err = store
        .apply(
            j.id,
            Transition::Complete {
                token: FencingToken(1),
                at: UnixMillis(2),
                result: JobResult::default(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FailedPrecondition);
    let running = store
        .apply(
            j.id,
            Transition::Start {
                token: FencingToken(5),
                at: UnixMillis(2_000),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (running.state, running.attempts, running.started_at),
        (JobState::Running, 1, Some(UnixMillis(2_000)))
    );
    let stale = Transition::Complete {
        token: FencingToken(4),
        at: UnixMillis(3),
        result: JobResult::default(),
    };
    assert_eq!(
        store.apply(j.id, stale).await.unwrap_err().kind(),
        ErrorKind::Conflict
    );
    let result = JobResult {
        counts: [("00".to_string(), 60u64), ("11".to_string(), 40)]
            .into_iter()
            .collect(),
        shots: 100,
        execution_time_ms: 3,
        metadata_json: "{}".into(),
    };
    let done = store
        .apply(
            j.id,
            Transition::Complete {
                token: FencingToken(5),
                at: UnixMillis(3_000),
                result: result.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(done.state, JobState::Completed);
    assert_eq!(store.get(j.id).await.unwrap().unwrap(), done);
    assert_eq!(store.result(j.id).await.unwrap(), Some(result));
    store.apply(j.id, Transition::ExpireResult).await.unwrap();
    assert_eq!(
        store.result(j.id).await.unwrap(),
        None,
        "an expired result is purged"
    );
    let missing = JobId::from_uuid(uuid::Uuid::now_v7());
    assert_eq!(
        store
            .apply(missing, Transition::ExpireResult)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

pub async fn list_pages_newest_first_with_filters(store: Arc<dyn JobStore>) {
    let mut made = Vec::new();
    for i in 0..7 {
        let mut j = job("alice", if i % 2 == 0 { "sim" } else { "qpu" }, 1_000 + i);
        if i % 3 == 0 {
            j.tags = Tags::parse([("run".into(), "x".into())]).unwrap();
        }
        made.push(j);
    }
    store.create(made.clone(), SINCE_EVER).await.unwrap();
    store
        .create(vec![job("bob", "sim", 5_000)], SINCE_EVER)
        .await
        .unwrap();
    let mine = |page_size, before| JobQuery {
        client_id: Some(ClientId::parse("alice").unwrap()),
        page_size,
        before,
        ..JobQuery::default()
    };
    let first = store.list(mine(3, None)).await.unwrap();
    let ids: Vec<_> = first.jobs.iter().map(|j| j.id).collect();
    assert_eq!(ids, vec![made[6].id, made[5].id, made[4].id]);
    let second = store.list(mine(3, first.next)).await.unwrap();
    let third = store.list(mine(3, second.next)).await.unwrap();
    assert_eq!(third.jobs.len(), 1);
    assert_eq!(third.next, None);
    assert_eq!(third.jobs[0].id, made[0].id);

    let sim_only = JobQuery {
        backend_id: Some(BackendId::parse("sim").unwrap()),
        ..mine(10, None)
    };
    assert_eq!(store.list(sim_only).await.unwrap().jobs.len(), 4);
    let tagged = JobQuery {
        tags: Tags::parse([("run".into(), "x".into())]).unwrap(),
        ..mine(10, None)
    };
    assert_eq!(store.list(tagged).await.unwrap().jobs.len(), 3);
    store
        .apply(
            made[2].id,
            Transition::Cancel {
                at: UnixMillis(9),
                message: "c".into(),
            },
        )
        .await
        .unwrap();
    let canceled = JobQuery {
        state: Some(JobState::Canceled),
        ..mine(10, None)
    };
    assert_eq!(store.list(canceled).await.unwrap().jobs[0].id, made[2].id);
    let everyone = JobQuery {
        page_size: 100,
        ..JobQuery::default()
    };
    assert_eq!(store.list(everyone).await.unwrap().jobs.len(), 8);
}

pub async fn concurrent_writers_each_land_exactly_once(store: Arc<dyn JobStore>) {
    let j = job("alice", "sim", 1);
    store.create(vec![j.clone()], SINCE_EVER).await.unwrap();
    // Many workers race to start the job with their own tokens; one wins per
    // token order, and the job records exactly the attempts that succeeded.
    let mut tasks = Vec::new();
    for t in 1..=16u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .apply(
                    j.id,
                    Transition::Start {
                        token: FencingToken(t),
                        at: UnixMillis(2),
                    },
                )
                .await
                .is_ok()
        }));
    }
    let wins = futures::future::join_all(tasks)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().unwrap())
        .count();
    assert_eq!(wins, 1, "only one claim can start a QUEUED job");
    let creators: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .create(vec![job("carol", "sim", i)], SINCE_EVER)
                    .await
                    .unwrap()
            })
        })
        .collect();
    futures::future::join_all(creators).await;
    let carol = JobQuery {
        client_id: Some(ClientId::parse("carol").unwrap()),
        page_size: 100,
        ..JobQuery::default()
    };
    assert_eq!(store.list(carol).await.unwrap().jobs.len(), 16);
}

/// Starts and ends `id` at `ended_at`: COMPLETED when `complete`, else FAILED.
async fn finish(store: &Arc<dyn JobStore>, id: JobId, ended_at: i64, complete: bool) {
    let token = FencingToken(1);
    store
        .apply(
            id,
            Transition::Start {
                token,
                at: UnixMillis(ended_at - 1),
            },
        )
        .await
        .unwrap();
    let at = UnixMillis(ended_at);
    let end = if complete {
        Transition::Complete {
            token,
            at,
            result: JobResult {
                shots: 1,
                ..JobResult::default()
            },
        }
    } else {
        Transition::Fail {
            token: Some(token),
            at,
            message: "broken".into(),
        }
    };
    store.apply(id, end).await.unwrap();
}

pub async fn a_million_outcomes_round_trip(store: Arc<dyn JobStore>) {
    let j = job("alice", "sim", 1);
    store.create(vec![j.clone()], SINCE_EVER).await.unwrap();
    let token = FencingToken(3);
    store
        .apply(
            j.id,
            Transition::Start {
                token,
                at: UnixMillis(2),
            },
        )
        .await
        .unwrap();
    let counts: std::collections::BTreeMap<String, u64> = (0..1_000_000u64)
        .map(|i| (format!("{i:020b}"), i % 7 + 1))
        .collect();
    let result = JobResult {
        shots: 4_000_000,
        execution_time_ms: 9,
        metadata_json: "{}".into(),
        counts,
    };
    store
        .apply(
            j.id,
            Transition::Complete {
                token,
                at: UnixMillis(3),
                result: result.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(store.result(j.id).await.unwrap(), Some(result));
}

pub async fn queued_jobs_are_counted_per_client(store: Arc<dyn JobStore>) {
    let jobs: Vec<Job> = (0..4).map(|i| job("alice", "sim", i)).collect();
    store.create(jobs.clone(), SINCE_EVER).await.unwrap();
    store
        .create(vec![job("bob", "sim", 9)], SINCE_EVER)
        .await
        .unwrap();
    store
        .apply(
            jobs[0].id,
            Transition::Cancel {
                at: UnixMillis(5),
                message: "c".into(),
            },
        )
        .await
        .unwrap();
    store
        .apply(
            jobs[1].id,
            Transition::Start {
                token: FencingToken(1),
                at: UnixMillis(5),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .count_queued(ClientId::parse("alice").unwrap())
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .count_queued(ClientId::parse("bob").unwrap())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .count_queued(ClientId::parse("carol").unwrap())
            .await
            .unwrap(),
        0
    );
}

pub async fn unfinished_jobs_page_in_id_order(store: Arc<dyn JobStore>) {
    let jobs: Vec<Job> = (0..5).map(|i| job("alice", "sim", i)).collect();
    store.create(jobs.clone(), SINCE_EVER).await.unwrap();
    finish(&store, jobs[1].id, 10, true).await;
    store
        .apply(
            jobs[3].id,
            Transition::Start {
                token: FencingToken(1),
                at: UnixMillis(5),
            },
        )
        .await
        .unwrap();
    let first = store.unfinished(None, 2).await.unwrap();
    assert_eq!(
        first.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![jobs[0].id, jobs[2].id]
    );
    let rest = store.unfinished(Some(jobs[2].id), 10).await.unwrap();
    assert_eq!(
        rest.iter().map(|j| (j.id, j.state)).collect::<Vec<_>>(),
        vec![
            (jobs[3].id, JobState::Running),
            (jobs[4].id, JobState::Queued)
        ]
    );
}

pub async fn retention_expires_old_results_and_deletes_old_failures(store: Arc<dyn JobStore>) {
    let jobs: Vec<Job> = (0..5)
        .map(|i| keyed(job("alice", "sim", i), &format!("k{i}")))
        .collect();
    store.create(jobs.clone(), SINCE_EVER).await.unwrap();
    finish(&store, jobs[0].id, 100, true).await; // old result
    finish(&store, jobs[1].id, 900, true).await; // recent result
    finish(&store, jobs[2].id, 100, false).await; // old failure
    finish(&store, jobs[3].id, 900, false).await; // recent failure
    let cutoff = UnixMillis(500);
    let epoch = store.open_leader_epoch().await.unwrap();
    assert_eq!(store.expire_results(cutoff, 10, epoch).await.unwrap(), 1);
    assert_eq!(store.delete_finished(cutoff, 10, epoch).await.unwrap(), 1);
    let state = |id| {
        let store = store.clone();
        async move { store.get(id).await.unwrap().map(|j| j.state) }
    };
    assert_eq!(state(jobs[0].id).await, Some(JobState::ResultExpired));
    assert_eq!(store.result(jobs[0].id).await.unwrap(), None);
    assert!(store.result(jobs[1].id).await.unwrap().is_some());
    assert_eq!(state(jobs[2].id).await, None, "old failure deleted");
    assert_eq!(state(jobs[3].id).await, Some(JobState::Failed));
    assert_eq!(
        state(jobs[4].id).await,
        Some(JobState::Queued),
        "unfinished jobs are never touched"
    );
    // The deleted job's idempotency key is free again.
    let reuse = keyed(job("alice", "sim", 1_000), "k2");
    assert_eq!(
        store.create(vec![reuse], SINCE_EVER).await.unwrap(),
        vec![CreateOutcome::Created]
    );
    assert_eq!(
        store.expire_results(cutoff, 10, epoch).await.unwrap(),
        0,
        "nothing left to do"
    );
    store.ping().await.unwrap();
}

/// A leader-only write carries the epoch of the leader making it; once a
/// newer leader has opened its epoch, the older one's writes change
/// nothing, whichever write it is and whether or not the batch also holds
/// the newer leader's writes.
pub async fn a_deposed_leaders_writes_are_refused(store: Arc<dyn JobStore>) {
    let jobs: Vec<Job> = (0..4).map(|i| job("alice", "sim", i)).collect();
    store.create(jobs.clone(), SINCE_EVER).await.unwrap();
    let token = FencingToken(1);
    for j in &jobs[..2] {
        let start = Transition::Start {
            token,
            at: UnixMillis(1),
        };
        store.apply(j.id, start).await.unwrap();
    }
    finish(&store, jobs[2].id, 100, true).await;
    finish(&store, jobs[3].id, 100, false).await;

    let old = store.open_leader_epoch().await.unwrap();
    let new = store.open_leader_epoch().await.unwrap();
    assert!(new > old, "epochs grow: {old:?} then {new:?}");
    let requeue = Transition::Requeue { token: Some(token) };
    let refused = |result: Result<_>, what: &str| {
        let error = result.expect_err(what);
        assert_eq!(error.kind(), ErrorKind::Conflict, "{what}: {error}");
        assert!(error.message().contains("leader epoch"), "{error}");
    };
    // The old leader's writes, alone and side by side with the new one's.
    let (late, current) = tokio::join!(
        store.apply_as_leader(jobs[0].id, requeue.clone(), old),
        store.apply_as_leader(jobs[1].id, requeue.clone(), new),
    );
    refused(late.map(|_| ()), "a requeue under the old epoch");
    assert_eq!(current.unwrap().state, JobState::Queued);
    let cutoff = UnixMillis(500);
    refused(
        store.expire_results(cutoff, 10, old).await.map(|_| ()),
        "expiring under the old epoch",
    );
    refused(
        store.delete_finished(cutoff, 10, old).await.map(|_| ()),
        "deleting under the old epoch",
    );
    let state = |id| {
        let store = store.clone();
        async move { store.get(id).await.unwrap().map(|j| j.state) }
    };
    assert_eq!(state(jobs[0].id).await, Some(JobState::Running));
    assert_eq!(state(jobs[2].id).await, Some(JobState::Completed));
    assert_eq!(state(jobs[3].id).await, Some(JobState::Failed));
    // The new leader's go through; a node's own writes need no epoch.
    assert_eq!(store.expire_results(cutoff, 10, new).await.unwrap(), 1);
    assert_eq!(store.delete_finished(cutoff, 10, new).await.unwrap(), 1);
    let complete = Transition::Complete {
        token,
        at: UnixMillis(5),
        result: JobResult::default(),
    };
    store.apply(jobs[0].id, complete).await.unwrap();
}

/// A change made on the caller's copy of a job gives `apply`'s answer,
/// whether the copy is current or the job has moved on since.
pub async fn a_change_on_a_callers_copy_is_the_change_on_the_stored_job(store: Arc<dyn JobStore>) {
    let jobs: Vec<Job> = (0..3).map(|i| job("alice", "sim", i)).collect();
    store.create(jobs.clone(), SINCE_EVER).await.unwrap();
    let token = FencingToken(1);
    let start = || Transition::Start {
        token,
        at: UnixMillis(1),
    };
    let complete = || Transition::Complete {
        token,
        at: UnixMillis(2),
        result: JobResult::default(),
    };
    let mut running = Vec::new();
    for j in &jobs {
        running.push(store.apply(j.id, start()).await.unwrap());
    }
    // Current: completes.
    let done = store
        .apply_to(running[0].clone(), complete())
        .await
        .unwrap();
    assert_eq!(
        (done.state, done.version),
        (JobState::Completed, running[0].version + 1)
    );
    // Canceled since the copy was taken: the completion is refused.
    let cancel = Transition::Cancel {
        at: UnixMillis(2),
        message: "canceled by its owner".into(),
    };
    store.apply(jobs[1].id, cancel).await.unwrap();
    let refused = store
        .apply_to(running[1].clone(), complete())
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::FailedPrecondition, "{refused}");
    let stored = store.get(jobs[1].id).await.unwrap().unwrap();
    assert_eq!(stored.state, JobState::Canceled);
    // A copy older than the start refuses the completion; the stored job
    // takes it.
    let done = store.apply_to(jobs[2].clone(), complete()).await.unwrap();
    assert_eq!(
        (done.state, done.version),
        (JobState::Completed, running[2].version + 1)
    );
}

/// Hundreds of jobs started and completed at once: the writer's batches
/// mix many jobs' transitions, and each lands with its own result.
pub async fn many_lifecycles_at_once_each_keep_their_own_result(store: Arc<dyn JobStore>) {
    let jobs: Vec<Job> = (0..300).map(|i| job("alice", "sim", i)).collect();
    store.create(jobs.clone(), SINCE_EVER).await.unwrap();
    let tasks = jobs.iter().enumerate().map(|(i, j)| {
        let (store, id) = (store.clone(), j.id);
        tokio::spawn(async move {
            let token = FencingToken(i as u64 + 1);
            let at = UnixMillis(10);
            let started = store
                .apply(id, Transition::Start { token, at })
                .await
                .unwrap();
            // New jobs go in beside the outcomes, as under load.
            store
                .create(vec![job("bob", "sim", i as i64)], SINCE_EVER)
                .await
                .unwrap();
            let result = JobResult {
                counts: [(format!("{i:09b}"), i as u64 + 1)].into_iter().collect(),
                shots: i as u32 + 1,
                execution_time_ms: 1,
                metadata_json: "{}".into(),
            };
            // Half through the worker's way, on its copy of the job.
            let complete = Transition::Complete { token, at, result };
            match i % 2 {
                0 => store.apply_to(started, complete).await.unwrap(),
                _ => store.apply(id, complete).await.unwrap(),
            }
        })
    });
    for done in futures::future::join_all(tasks).await {
        assert_eq!(done.unwrap().state, JobState::Completed);
    }
    for (i, j) in jobs.iter().enumerate() {
        let stored = store.get(j.id).await.unwrap().unwrap();
        assert_eq!(
            (stored.state, stored.version),
            (JobState::Completed, j.version + 2)
        );
        let result = store.result(j.id).await.unwrap().expect("result stored");
        assert_eq!(result.shots, i as u32 + 1);
        assert_eq!(result.counts[&format!("{i:09b}")], i as u64 + 1);
    }
}

/// Removes what a fixture made (runs after a passing check).
type Cleanup = futures::future::BoxFuture<'static, ()>;

fn nothing_to_clean() -> Cleanup {
    Box::pin(async {})
}

#[macro_export]
macro_rules! store_contract {
    ($module:ident, $make:expr) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            store_contract!(@each $make;
                create_then_get_returns_the_same_job,
                concurrent_reads_each_get_their_own_job,
                concurrent_result_reads_each_get_their_own_result,
                idempotency_key_returns_the_first_job_within_the_window,
                transitions_follow_the_domain_rules_and_fencing,
                list_pages_newest_first_with_filters,
                concurrent_writers_each_land_exactly_once,
                many_lifecycles_at_once_each_keep_their_own_result,
                a_million_outcomes_round_trip,
                queued_jobs_are_counted_per_client,
                unfinished_jobs_page_in_id_order,
                retention_expires_old_results_and_deletes_old_failures,
                a_deposed_leaders_writes_are_refused,
                a_change_on_a_callers_copy_is_the_change_on_the_stored_job);
        }
    };
    (@each $make:expr; $($check:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let make = $make;
                let (store, cleanup): (Arc<dyn JobStore>, Cleanup) = make().await;
                super::$check(store).await;
                cleanup.await;
            }
        )*
    };
}

store_contract!(memory, || async {
    let store: Arc<dyn JobStore> =
        Arc::new(arvak_grpc::adapters::store::memory::MemoryJobStore::new());
    (store, nothing_to_clean())
});

#[cfg(feature = "storage-sqlite")]
mod sqlite_store {
    use super::*;
    use arvak_grpc::adapters::store::sqlite::{SqliteSettings, open};

    /// A store in a new file, removed with its directory afterwards, that
    /// keeps up to `cache_bytes` of the jobs it wrote last in memory.
    pub async fn fresh(cache_bytes: usize) -> (Arc<dyn JobStore>, Cleanup) {
        let dir = tempfile::tempdir().unwrap();
        let settings = SqliteSettings {
            path: dir.path().join("jobs.db"),
            synchronous_full: true,
            busy_timeout: std::time::Duration::from_secs(5),
            max_connections: 4,
            cache_bytes,
        };
        let store: Arc<dyn JobStore> = Arc::new(open(&settings).await.expect("SQLite store opens"));
        (store, Box::pin(async move { drop(dir) }))
    }

    /// Someone else changed a cached job behind the store's back (it is
    /// meant to be the file's only writer): the change built on the stale
    /// copy is not written over theirs; the row is read again and the
    /// change made on it.
    #[tokio::test]
    async fn a_stale_cached_job_is_read_again_and_the_change_made_on_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jobs.db");
        let settings = SqliteSettings {
            path: path.clone(),
            synchronous_full: false,
            busy_timeout: std::time::Duration::from_secs(5),
            max_connections: 2,
            cache_bytes: 1 << 20,
        };
        let store = open(&settings).await.unwrap();
        let j = job("alice", "sim", 1);
        store.create(vec![j.clone()], SINCE_EVER).await.unwrap();
        let token = FencingToken(1);
        let start = Transition::Start {
            token,
            at: UnixMillis(2),
        };
        store.apply(j.id, start).await.unwrap();

        let other = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        sqlx::query(
            "UPDATE jobs SET version = version + 10, error_message = 'theirs' WHERE id = ?",
        )
        .bind(j.id.to_string())
        .execute(&other)
        .await
        .unwrap();
        let fail = || Transition::Fail {
            token: Some(token),
            at: UnixMillis(3),
            message: "ours".into(),
        };
        // The cache is found out by the version and the job read again.
        let failed = store.apply(j.id, fail()).await.unwrap();
        assert_eq!(
            (failed.state, failed.version),
            (JobState::Failed, j.version + 12)
        );
        assert_eq!(failed.error_message.as_deref(), Some("ours"));
    }

    fn settings_in(dir: &tempfile::TempDir, busy_timeout: std::time::Duration) -> SqliteSettings {
        SqliteSettings {
            path: dir.path().join("jobs.db"),
            synchronous_full: true,
            busy_timeout,
            max_connections: 2,
            cache_bytes: 1 << 20,
        }
    }

    /// A statement that fails (here a second row with a job's id) takes its
    /// whole transaction back: nothing of that submission is kept, the
    /// answer says what failed, and the writer goes on with the next one.
    #[tokio::test]
    async fn a_failed_statement_rolls_back_its_batch_and_the_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&settings_in(&dir, std::time::Duration::from_secs(5)))
            .await
            .unwrap();
        let first = job("alice", "sim", 1);
        store.create(vec![first.clone()], SINCE_EVER).await.unwrap();

        let newcomer = job("alice", "sim", 2);
        let mut twin = job("alice", "sim", 3);
        twin.id = first.id;
        let failed = store
            .create(vec![newcomer.clone(), twin], SINCE_EVER)
            .await
            .unwrap_err();
        assert_eq!(failed.kind(), ErrorKind::Internal, "{failed}");
        assert!(failed.message().contains("UNIQUE"), "{failed}");
        assert_eq!(store.get(newcomer.id).await.unwrap(), None);

        let next = job("alice", "sim", 4);
        store.create(vec![next.clone()], SINCE_EVER).await.unwrap();
        assert_eq!(store.get(next.id).await.unwrap().unwrap().id, next.id);
        assert_eq!(store.get(first.id).await.unwrap().unwrap(), first);
    }

    /// While another connection holds the write lock past the busy
    /// timeout, a write is UNAVAILABLE (worth retrying), not lost in a
    /// half-open transaction: once the lock is free, writes go through.
    #[tokio::test]
    async fn a_locked_database_is_unavailable_until_it_is_free() {
        let dir = tempfile::tempdir().unwrap();
        let settings = settings_in(&dir, std::time::Duration::from_millis(100));
        let store = open(&settings).await.unwrap();
        let other = sqlx::SqlitePool::connect(&format!("sqlite://{}", settings.path.display()))
            .await
            .unwrap();
        let mut locker = other.acquire().await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *locker)
            .await
            .unwrap();

        let refused = store
            .create(vec![job("alice", "sim", 1)], SINCE_EVER)
            .await
            .unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Unavailable, "{refused}");
        assert!(refused.message().contains("locked"), "{refused}");

        sqlx::query("COMMIT").execute(&mut *locker).await.unwrap();
        let later = job("alice", "sim", 2);
        store.create(vec![later.clone()], SINCE_EVER).await.unwrap();
        assert_eq!(store.get(later.id).await.unwrap().unwrap().id, later.id);
    }
}

// As shipped (16 MiB of recently written jobs), with no cache, and with one
// so small that most reads and changes miss it.
#[cfg(feature = "storage-sqlite")]
store_contract!(sqlite, || sqlite_store::fresh(16 << 20));
#[cfg(feature = "storage-sqlite")]
store_contract!(sqlite_uncached, || sqlite_store::fresh(0));
#[cfg(feature = "storage-sqlite")]
store_contract!(sqlite_tiny_cache, || sqlite_store::fresh(4096));

#[cfg(feature = "storage-postgres")]
mod postgres_store {
    use super::*;
    use arvak_grpc::adapters::store::postgres::{PostgresSettings, open};

    /// A store in a new schema of the database `ARVAK_TEST_DATABASE_URL`
    /// names, so runs never see each other's rows; the schema is dropped
    /// afterwards.
    pub async fn fresh() -> (Arc<dyn JobStore>, Cleanup) {
        let (mut stores, cleanup) = sharing(1).await;
        (stores.remove(0), cleanup)
    }

    /// `nodes` stores on one new schema, as the nodes of a cluster share
    /// it, each with its own pool and writer.
    pub async fn sharing(nodes: usize) -> (Vec<Arc<dyn JobStore>>, Cleanup) {
        let (stores, _, cleanup) = sharing_schema(nodes).await;
        (stores, cleanup)
    }

    /// `sharing`, and the schema's name.
    async fn sharing_schema(nodes: usize) -> (Vec<Arc<dyn JobStore>>, String, Cleanup) {
        let url = services::database_url();
        let schema = format!("arvak_test_{}", uuid::Uuid::new_v4().simple());
        let settings = PostgresSettings {
            url,
            schema: schema.clone(),
            max_connections: 8,
            statement_timeout: std::time::Duration::from_secs(30),
            acquire_timeout: std::time::Duration::from_secs(5),
        };
        let mut stores: Vec<Arc<dyn JobStore>> = Vec::with_capacity(nodes);
        for _ in 0..nodes {
            stores.push(Arc::new(
                open(&settings).await.expect("PostgreSQL store opens"),
            ));
        }
        let dropped = schema.clone();
        let cleanup = async move { services::drop_schema(&dropped).await };
        (stores, schema, Box::pin(cleanup))
    }

    /// Another client's transaction on `schema`, holding row locks.
    async fn other_transaction(schema: &str) -> sqlx::PgConnection {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&services::database_url())
            .await
            .unwrap();
        let begin = format!("SET search_path TO \"{schema}\"; BEGIN");
        sqlx::raw_sql(sqlx::AssertSqlSafe(begin))
            .execute(&mut conn)
            .await
            .unwrap();
        conn
    }

    /// Locks the row of job `id` in `conn`'s transaction; `NOWAIT` fails
    /// at once where another transaction holds it.
    async fn lock_row(conn: &mut sqlx::PgConnection, id: JobId, nowait: bool) -> sqlx::Result<()> {
        let wait = if nowait { " NOWAIT" } else { "" };
        let lock = format!("SELECT id FROM jobs WHERE id = '{id}' FOR UPDATE{wait}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(lock))
            .execute(conn)
            .await
            .map(|_| ())
    }

    /// Waits until some session waits for a lock `conn`'s transaction holds.
    async fn someone_waits_for(conn: &mut sqlx::PgConnection) {
        let waiting = "SELECT count(*) FROM pg_stat_activity \
                       WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))";
        for _ in 0..500 {
            let n: i64 = sqlx::query_scalar(waiting)
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            if n > 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("no writer waited for the rows this transaction locked");
    }

    /// A batch that changes several rows locks them all in id order before
    /// it writes any, whatever order and kinds its changes come in: here
    /// the higher id starts (a change that keeps the result columns) and
    /// the lower completes (one that stores a result), which two UPDATEs,
    /// one per kind, locked high id first. Another writer holding the
    /// lower row must find the higher one free while the batch waits; had
    /// the batch locked the higher first, two nodes could deadlock.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_locks_its_rows_in_id_order_before_writing_any() {
        let (stores, schema, cleanup) = sharing_schema(1).await;
        let store = stores[0].clone();
        let mut jobs: Vec<Job> = (0..3).map(|i| job("alice", "sim", i)).collect();
        jobs.sort_by_key(|j| j.id.to_string());
        let (low, high, blocker) = (jobs[0].id, jobs[1].id, jobs[2].id);
        store.create(jobs, SINCE_EVER).await.unwrap();
        let (token, at) = (FencingToken(1), UnixMillis(10));
        store
            .apply(low, Transition::Start { token, at })
            .await
            .unwrap();

        // Hold the writer in a batch of its own, so that the next two
        // changes gather into one batch behind it.
        let mut holds_blocker = other_transaction(&schema).await;
        lock_row(&mut holds_blocker, blocker, false).await.unwrap();
        let held = {
            let store = store.clone();
            tokio::spawn(async move { store.apply(blocker, Transition::Start { token, at }).await })
        };
        someone_waits_for(&mut holds_blocker).await;
        let mut holds_low = other_transaction(&schema).await;
        lock_row(&mut holds_low, low, false).await.unwrap();
        let start_high = {
            let store = store.clone();
            tokio::spawn(async move { store.apply(high, Transition::Start { token, at }).await })
        };
        let complete_low = {
            let store = store.clone();
            let result = JobResult::default();
            tokio::spawn(async move {
                store
                    .apply(low, Transition::Complete { token, at, result })
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        sqlx::raw_sql("COMMIT")
            .execute(&mut holds_blocker)
            .await
            .unwrap();
        held.await.unwrap().unwrap();

        someone_waits_for(&mut holds_low).await;
        let high_is_free = lock_row(&mut holds_low, high, true).await;
        sqlx::raw_sql("ROLLBACK")
            .execute(&mut holds_low)
            .await
            .unwrap();
        assert!(
            high_is_free.is_ok(),
            "the batch locked the higher id while waiting for the lower: {high_is_free:?}"
        );
        assert_eq!(start_high.await.unwrap().unwrap().state, JobState::Running);
        assert_eq!(
            complete_low.await.unwrap().unwrap().state,
            JobState::Completed
        );
        cleanup.await;
    }

    /// Two nodes' stores on one schema: one starts and completes every job
    /// while the other cancels them all, in the opposite order, each call
    /// at once so that both writers batch many rows and lock them. Every
    /// job ends exactly one way, the one whose write was answered OK, and
    /// no call fails for any reason but the rules (a deadlock between the
    /// two writers' batches would fail whole batches).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_nodes_racing_over_the_same_jobs_each_end_them_once() {
        let (stores, cleanup) = sharing(2).await;
        let (runner, canceller) = (stores[0].clone(), stores[1].clone());
        let jobs: Vec<Job> = (0..400).map(|i| job("alice", "sim", i)).collect();
        runner.create(jobs.clone(), SINCE_EVER).await.unwrap();
        let runs = jobs.iter().map(|j| {
            let (store, id) = (runner.clone(), j.id);
            tokio::spawn(async move {
                let (token, at) = (FencingToken(1), UnixMillis(10));
                store.apply(id, Transition::Start { token, at }).await?;
                let result = JobResult::default();
                store
                    .apply(id, Transition::Complete { token, at, result })
                    .await
            })
        });
        let cancels = jobs.iter().rev().map(|j| {
            let (store, id) = (canceller.clone(), j.id);
            let message = "canceled by its owner".to_owned();
            tokio::spawn(async move {
                let at = UnixMillis(11);
                store.apply(id, Transition::Cancel { at, message }).await
            })
        });
        let (runs, cancels) = futures::future::join(
            futures::future::join_all(runs),
            futures::future::join_all(cancels),
        )
        .await;
        let mut cancels = cancels;
        cancels.reverse();
        let by_rules = [ErrorKind::FailedPrecondition, ErrorKind::Conflict];
        for ((j, run), cancel) in jobs.iter().zip(runs).zip(cancels) {
            let (run, cancel) = (run.unwrap(), cancel.unwrap());
            for refused in [&run.as_ref().err(), &cancel.as_ref().err()]
                .into_iter()
                .flatten()
            {
                assert!(
                    by_rules.contains(&refused.kind()),
                    "job {}: {refused}",
                    j.id
                );
            }
            let stored = runner.get(j.id).await.unwrap().unwrap();
            match (run.is_ok(), cancel.is_ok()) {
                (true, false) => assert_eq!(stored.state, JobState::Completed),
                (false, true) => assert_eq!(stored.state, JobState::Canceled),
                both => panic!("job {}: completed and canceled answered {both:?}", j.id),
            }
        }
        cleanup.await;
    }
}

#[cfg(feature = "storage-postgres")]
store_contract!(postgres, postgres_store::fresh);
