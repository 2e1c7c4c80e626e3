//! The worker pool over the in-memory adapters, with paused time: leases,
//! fencing and attempts as a cluster would exercise them.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::adapters::clock::SystemClock;
use crate::app::backends::BackendRegistry;
use crate::app::hooked_store::{HookedStore, StoreHooks};
use crate::app::jobs::JobPorts;
use crate::domain::circuit::{CircuitBuilder, Gate, Instruction, Operation};
use crate::domain::job::tests::queued_job;
use crate::domain::{BackendCapabilities, BackendId, UnixMillis};
use crate::ports::{MockCircuitFrontend, MockQuantumBackend, QuantumBackend};

/// X on one qubit: what the tests' frontend parses every text into.
fn x_circuit() -> Circuit {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 1).unwrap();
    let operation = Operation::Gate {
        gate: Gate::X,
        qubits: vec![0],
    };
    b.push(Instruction {
        operation,
        condition: None,
    })
    .unwrap();
    b.build()
}

fn ports(backend: MockQuantumBackend) -> JobPorts {
    let mut frontend = MockCircuitFrontend::new();
    frontend.expect_parse().returning(|_| Ok(x_circuit()));
    let mut registry = BackendRegistry::new();
    registry.register(Arc::new(backend)).unwrap();
    JobPorts::in_memory(Arc::new(SystemClock), Arc::new(frontend), registry)
}

fn simulator_backend() -> MockQuantumBackend {
    let mut backend = MockQuantumBackend::new();
    backend
        .expect_capabilities()
        .return_const(Arc::new(BackendCapabilities {
            id: BackendId::parse("simulator").unwrap(),
            name: "mock".into(),
            description: String::new(),
            max_qubits: 4,
            max_shots: 100,
            supported_gates: vec!["x".into()],
            topology_json: "{}".into(),
            dynamic: crate::domain::DynamicCircuits::ALL,
        }));
    backend.expect_is_available().return_const(true);
    backend
}

fn settings(max_attempts: u32) -> WorkerSettings {
    WorkerSettings {
        count: 1,
        lease: Duration::from_secs(30),
        max_attempts,
        claim_wait: Duration::from_secs(1),
        job_timeouts: Default::default(),
        job_timeout: None,
        follow_cancels: false,
    }
}

/// A new job, stored and queued as a submission leaves it.
async fn submitted_job(ports: &JobPorts) -> Job {
    let job = queued_job();
    let entry = crate::app::jobs::queue_entry(&job);
    ports
        .store
        .create(vec![job.clone()], UnixMillis(0))
        .await
        .unwrap();
    ports.queue.offer(vec![entry]).await.unwrap();
    job
}

/// Stores and queues a job, then lets a "worker" claim and start it with a
/// one-second lease that it will never renew.
async fn job_held_by_a_dead_worker(ports: &JobPorts) -> (Job, Claim) {
    let job = submitted_job(ports).await;
    let backends = vec![job.backend_id.clone()];
    let dead = ports
        .queue
        .claim(backends, Duration::from_secs(1), Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    let start = Transition::Start {
        token: dead.token,
        at: UnixMillis(1),
    };
    ports.store.apply(job.id, start).await.unwrap();
    (job, dead)
}

async fn wait_terminal(ports: &JobPorts, job: &Job) -> Job {
    for _ in 0..600 {
        let now = ports.store.get(job.id).await.unwrap().unwrap();
        if now.state.is_terminal() {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("job did not finish");
}

#[tokio::test(start_paused = true)]
async fn a_job_whose_worker_died_runs_again_and_the_late_result_is_refused() {
    let mut backend = simulator_backend();
    backend.expect_run().times(1).returning(|request| {
        Ok(JobResult {
            counts: [("1".to_string(), u64::from(request.shots.get()))]
                .into_iter()
                .collect(),
            shots: request.shots.get(),
            ..JobResult::default()
        })
    });
    let ports = ports(backend);
    let (job, dead) = job_held_by_a_dead_worker(&ports).await;
    let pool = WorkerPool::start(ports.for_workers(), settings(3));

    let done = wait_terminal(&ports, &job).await;
    assert_eq!(done.state, JobState::Completed);
    assert_eq!(
        done.attempts, 2,
        "started by the dead worker, then by the pool"
    );
    assert!(done.claim_token > Some(dead.token));

    let late = Transition::Complete {
        token: dead.token,
        at: UnixMillis(2),
        result: JobResult::default(),
    };
    assert!(
        ports.store.apply(job.id, late).await.is_err(),
        "the dead worker's outcome is fenced off"
    );
    assert_eq!(
        ports.store.result(job.id).await.unwrap().unwrap().counts["1"],
        10
    );
    assert_eq!(pool.drain(Duration::from_secs(1)).await, 0);
}

#[tokio::test(start_paused = true)]
async fn a_backend_that_cannot_be_reached_leaves_its_job_queued_not_failed() {
    let mut backend = simulator_backend();
    let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = runs.clone();
    backend.expect_run().returning(move |request| {
        // Unreachable twice (a QPU before it accepted the work), then fine.
        if counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 2 {
            return Err(Error::unavailable("the vendor cannot be reached"));
        }
        Ok(JobResult {
            shots: request.shots.get(),
            ..JobResult::default()
        })
    });
    let ports = ports(backend);
    let job = submitted_job(&ports).await;
    // One attempt allowed: giving the job back untried does not use it up.
    let pool = WorkerPool::start(ports.for_workers(), settings(1));
    let done = wait_terminal(&ports, &job).await;
    assert_eq!(done.state, JobState::Completed, "{:?}", done.error_message);
    assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert_eq!(done.attempts, 1, "only the run that went through counts");
    pool.drain(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_backend_marked_unavailable_gets_no_claims_until_it_is_back() {
    let available = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut backend = MockQuantumBackend::new();
    let caps = simulator_backend().capabilities();
    backend.expect_capabilities().return_const(caps);
    let now = available.clone();
    backend
        .expect_is_available()
        .returning(move || now.load(std::sync::atomic::Ordering::SeqCst));
    backend.expect_run().times(1).returning(|request| {
        Ok(JobResult {
            shots: request.shots.get(),
            ..JobResult::default()
        })
    });
    let ports = ports(backend);
    let job = submitted_job(&ports).await;
    let pool = WorkerPool::start(ports.for_workers(), settings(1));
    tokio::time::sleep(Duration::from_secs(30)).await;
    let waiting = ports.store.get(job.id).await.unwrap().unwrap();
    assert_eq!(waiting.state, JobState::Queued);
    assert_eq!(waiting.attempts, 0, "never claimed while unavailable");
    available.store(true, std::sync::atomic::Ordering::SeqCst);
    let done = wait_terminal(&ports, &job).await;
    assert_eq!(done.state, JobState::Completed);
    pool.drain(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_job_that_keeps_losing_its_worker_fails_after_max_attempts() {
    let mut backend = simulator_backend();
    backend.expect_run().never();
    let ports = ports(backend);
    let (job, _dead) = job_held_by_a_dead_worker(&ports).await;
    let pool = WorkerPool::start(ports.for_workers(), settings(1));

    let failed = wait_terminal(&ports, &job).await;
    assert_eq!(failed.state, JobState::Failed);
    let message = failed.error_message.unwrap();
    assert!(message.contains("gave up after 1 attempts"), "{message}");
    pool.drain(Duration::from_secs(1)).await;
}

/// Runs take ten seconds (of paused time) and are counted.
struct SlowBackend {
    capabilities: Arc<BackendCapabilities>,
    runs: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl crate::ports::QuantumBackend for SlowBackend {
    fn capabilities(&self) -> Arc<BackendCapabilities> {
        self.capabilities.clone()
    }

    async fn is_available(&self) -> bool {
        true
    }

    async fn run(&self, _request: crate::ports::RunRequest) -> crate::domain::Result<JobResult> {
        self.runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(10)).await;
        Ok(JobResult::default())
    }

    async fn cancel(
        &self,
        _job_id: crate::domain::JobId,
    ) -> crate::domain::Result<crate::ports::CancelOutcome> {
        Ok(crate::ports::CancelOutcome::NotRunning)
    }
}

/// Ports whose only backend is a `SlowBackend`, which is returned too.
fn slow_ports() -> (JobPorts, Arc<SlowBackend>) {
    let slow = Arc::new(SlowBackend {
        capabilities: simulator_backend().capabilities(),
        runs: std::sync::atomic::AtomicUsize::new(0),
    });
    let mut registry = BackendRegistry::new();
    registry.register(slow.clone()).unwrap();
    let frontend = ports(simulator_backend()).frontend;
    (
        JobPorts::in_memory(Arc::new(SystemClock), frontend, registry),
        slow,
    )
}

#[tokio::test(start_paused = true)]
async fn a_run_longer_than_its_lease_keeps_the_lease_and_runs_once() {
    let (ports, slow) = slow_ports();
    let job = submitted_job(&ports).await;
    // Two workers: had the lease lapsed, the idle one would claim the job again.
    let lease = Duration::from_secs(3);
    let pool = WorkerPool::start(
        ports.for_workers(),
        WorkerSettings {
            count: 2,
            lease,
            ..settings(3)
        },
    );
    let done = wait_terminal(&ports, &job).await;
    assert_eq!((done.state, done.attempts), (JobState::Completed, 1));
    assert_eq!(slow.runs.load(std::sync::atomic::Ordering::SeqCst), 1);
    pool.drain(Duration::from_secs(1)).await;
}

/// The first completion fails as if the database were down.
#[derive(Default)]
struct FirstCompletionFails {
    failed_once: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl StoreHooks for FirstCompletionFails {
    async fn before_apply(&self, transition: &Transition) -> crate::domain::Result<()> {
        if matches!(transition, Transition::Complete { .. })
            && !self
                .failed_once
                .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return Err(crate::domain::Error::unavailable("store down"));
        }
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn an_outcome_the_store_cannot_take_leaves_the_job_queued_to_run_again() {
    let mut backend = simulator_backend();
    backend.expect_run().times(2).returning(|_| {
        Ok(JobResult {
            shots: 10,
            ..JobResult::default()
        })
    });
    let mut ports = ports(backend);
    ports.store = Arc::new(HookedStore::new(FirstCompletionFails::default()));
    let job = submitted_job(&ports).await;
    let pool = WorkerPool::start(ports.for_workers(), settings(3));
    let done = wait_terminal(&ports, &job).await;
    assert_eq!((done.state, done.attempts), (JobState::Completed, 2));
    pool.drain(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_run_past_its_timeout_is_stopped_and_fails_saying_so() {
    let (ports, slow) = slow_ports();
    let job = submitted_job(&ports).await;
    // Ten-second runs against a four-second limit for this backend (the
    // default would allow them).
    let mut with_timeout = settings(3);
    with_timeout.job_timeout = Some(Duration::from_secs(60));
    with_timeout
        .job_timeouts
        .insert(job.backend_id.clone(), Duration::from_secs(4));
    let pool = WorkerPool::start(ports.for_workers(), with_timeout);
    let failed = wait_terminal(&ports, &job).await;
    assert_eq!(failed.state, JobState::Failed);
    assert_eq!(failed.error_message.as_deref(), Some("timed out after 4 s"));
    assert_eq!(
        slow.runs.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "not retried"
    );
    pool.drain(Duration::from_secs(1)).await;
}

/// A new job stored RUNNING under a lease for one of the pool's idle
/// workers, as a submission does when a worker waits; not handed over yet.
async fn stored_for_an_idle_worker(ports: &JobPorts) -> (Job, Claim) {
    let mut job = queued_job();
    let entry = crate::app::jobs::queue_entry(&job);
    let claim = loop {
        // The worker parks in its claim shortly after it starts.
        match ports
            .handoff
            .lease_for_idle(entry.clone(), Duration::from_secs(30))
            .await
            .unwrap()
        {
            Some(claim) => break claim,
            None => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    };
    let start = Transition::Start {
        token: claim.token,
        at: UnixMillis(1),
    };
    job.apply(&start).unwrap();
    ports
        .store
        .create(vec![job.clone()], UnixMillis(0))
        .await
        .unwrap();
    (job, claim)
}

/// A job stored RUNNING under a lease given to an idle worker (as a
/// submission does when a worker waits) runs on that lease: no second
/// start, so its one attempt stays one and its token is the lease's.
#[tokio::test(start_paused = true)]
async fn a_job_started_at_its_submission_runs_under_that_lease() {
    let mut backend = simulator_backend();
    backend.expect_run().times(1).returning(|request| {
        Ok(JobResult {
            shots: request.shots.get(),
            ..JobResult::default()
        })
    });
    let ports = ports(backend);
    let pool = WorkerPool::start(ports.for_workers(), settings(3));
    let (job, claim) = stored_for_an_idle_worker(&ports).await;
    ports
        .handoff
        .hand_over(
            claim.clone(),
            Submitted {
                job: job.clone(),
                circuit: Arc::new(x_circuit()),
            },
        )
        .unwrap();

    let done = wait_terminal(&ports, &job).await;
    assert_eq!(done.state, JobState::Completed);
    assert_eq!(done.attempts, 1, "started once, at its submission");
    assert_eq!(done.claim_token, Some(claim.token));
    assert_eq!(pool.drain(Duration::from_secs(1)).await, 0);
}

/// A job handed over with its circuit as the submission parsed it runs
/// that circuit; the worker does not parse the stored text again.
#[tokio::test(start_paused = true)]
async fn a_job_handed_over_with_its_parsed_circuit_is_not_parsed_again() {
    let mut backend = simulator_backend();
    backend.expect_run().times(1).returning(|request| {
        // The kept circuit has 3 qubits; the frontend's would have 1.
        assert_eq!(request.circuit.num_qubits(), 3);
        Ok(JobResult {
            shots: request.shots.get(),
            ..JobResult::default()
        })
    });
    let mut registry = BackendRegistry::new();
    registry.register(Arc::new(backend)).unwrap();
    let mut frontend = MockCircuitFrontend::new();
    frontend.expect_parse().never();
    let ports = JobPorts::in_memory(Arc::new(SystemClock), Arc::new(frontend), registry);
    let pool = WorkerPool::start(ports.for_workers(), settings(3));
    let (job, claim) = stored_for_an_idle_worker(&ports).await;
    let mut three = CircuitBuilder::new();
    three.add_qreg("q", 3).unwrap();
    ports
        .handoff
        .hand_over(
            claim,
            Submitted {
                job: job.clone(),
                circuit: Arc::new(three.build()),
            },
        )
        .unwrap();

    let done = wait_terminal(&ports, &job).await;
    assert_eq!(done.state, JobState::Completed);
    assert_eq!(pool.drain(Duration::from_secs(1)).await, 0);
}
