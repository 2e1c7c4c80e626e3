//! `JobService` against mocked ports: each test states what the service must
//! ask of its ports, and what it must not.

use std::sync::Arc;
use std::time::Duration;

use mockall::{Sequence, predicate::eq};

use super::*;
use crate::app::backends::BackendRegistry;
use crate::domain::circuit::{Circuit, CircuitBuilder, Gate, Instruction, Operation};
use crate::domain::*;
use crate::ports::*;

const NOW: UnixMillis = UnixMillis(1_700_000_000_000);

fn bell() -> Circuit {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 2).unwrap();
    for (gate, qubits) in [(Gate::H, vec![0]), (Gate::Cx, vec![0, 1])] {
        b.push(Instruction {
            operation: Operation::Gate { gate, qubits },
            condition: None,
        })
        .unwrap();
    }
    b.build()
}

fn backend(max_qubits: u32) -> MockQuantumBackend {
    let mut backend = MockQuantumBackend::new();
    backend
        .expect_capabilities()
        .return_const(Arc::new(BackendCapabilities {
            id: BackendId::parse("sim").unwrap(),
            name: "Sim".into(),
            description: String::new(),
            max_qubits,
            max_shots: 10_000,
            supported_gates: Gate::NAMES.iter().map(|g| g.to_string()).collect(),
            topology_json: "{}".into(),
            dynamic: crate::domain::DynamicCircuits::ALL,
        }));
    backend
}

fn frontend_parsing_bell() -> MockCircuitFrontend {
    let mut frontend = MockCircuitFrontend::new();
    frontend.expect_parse().returning(|_| Ok(bell()));
    frontend
}

struct Mocks {
    store: MockJobStore,
    queue: MockJobQueue,
    events: MockJobEvents,
    frontend: MockCircuitFrontend,
    backend: MockQuantumBackend,
    /// The policies in force; everything allowed unless a test sets them.
    policies: PolicySet,
    rate: MockRateLimiter,
    audit: MockAuditLog,
    /// `JobRules::start_lease`; `None` unless a test starts jobs at once.
    start_lease: Option<Duration>,
}

impl Mocks {
    fn new() -> Self {
        let mut events = MockJobEvents::new();
        events.expect_publish().returning(|_| Ok(()));
        let mut audit = MockAuditLog::new();
        audit.expect_record().return_const(());
        Self {
            store: MockJobStore::new(),
            queue: MockJobQueue::new(),
            events,
            frontend: frontend_parsing_bell(),
            backend: backend(5),
            policies: PolicySet::allow_all(),
            rate: MockRateLimiter::new(),
            audit,
            start_lease: None,
        }
    }

    /// The store knows `job` and answers every lookup with it.
    fn holding(mut self, job: &Job) -> Self {
        let stored = job.clone();
        self.store
            .expect_get()
            .returning(move |_| Ok(Some(stored.clone())));
        self
    }

    fn service(self) -> JobService {
        self.service_and_handoff().0
    }

    /// The service, and the hand-over to workers beneath it.
    fn service_and_handoff(self) -> (JobService, Arc<crate::app::handoff::LocalHandoff>) {
        let mut policies = MockPolicies::new();
        let set = Arc::new(self.policies);
        policies.expect_current().returning(move || set.clone());
        let mut clock = MockClock::new();
        clock.expect_now().return_const(NOW);
        let mut registry = BackendRegistry::new();
        registry.register(Arc::new(self.backend)).unwrap();
        let queue: Arc<dyn JobQueue> = Arc::new(self.queue);
        let handoff = Arc::new(crate::app::handoff::LocalHandoff::new(queue.clone()));
        let ports = JobPorts {
            store: Arc::new(self.store),
            handoff: handoff.clone(),
            queue,
            events: Arc::new(self.events),
            clock: Arc::new(clock),
            frontend: Arc::new(self.frontend),
            backends: Arc::new(registry),
            telemetry: Arc::new(NoTelemetry),
            traces: Arc::new(crate::ports::NoTraces),
            policies: Arc::new(policies),
            rate_limiter: Arc::new(self.rate),
            audit: Arc::new(self.audit),
        };
        let (_, stopped) = tokio::sync::watch::channel(false);
        let service = JobService::new(ports, rules(self.start_lease), stopped);
        (service, handoff)
    }
}

/// The tests' rules: no limits beyond the defaults; jobs start at their
/// submission when `start_lease` is set.
fn rules(start_lease: Option<Duration>) -> JobRules {
    JobRules {
        idempotency_window: Duration::from_secs(24 * 3600),
        job_limits: JobLimits::default(),
        queue_limits: QueueLimits::default(),
        default_page_size: 50,
        max_page_size: 1000,
        start_lease,
    }
}

/// What `alice` submitting `command()` is answered, which must be a
/// refusal.
async fn refusal(mocks: Mocks) -> Error {
    mocks
        .service()
        .submit(&alice(), command())
        .await
        .unwrap_err()
}

fn command() -> SubmitCommand {
    SubmitCommand {
        circuit: Some(CircuitSource {
            format: CircuitFormat::OpenQasm,
            text: "OPENQASM 3.0;".into(),
        }),
        backend_id: "sim".into(),
        shots: 100,
        ..SubmitCommand::default()
    }
}

fn alice() -> Identity {
    Identity {
        client_id: ClientId::parse("alice").unwrap(),
        ..Identity::anonymous()
    }
}

fn stored_job(owner: &str, state: JobState) -> Job {
    let new = NewJob {
        client_id: ClientId::parse(owner).unwrap(),
        backend_id: BackendId::parse("sim").unwrap(),
        circuit: CircuitSource {
            format: CircuitFormat::OpenQasm,
            text: "".into(),
        },
        shots: Shots::parse(1).unwrap(),
        optimization_level: OptimizationLevel::default(),
        priority: Priority::Normal,
        tags: Tags::default(),
        idempotency_key: None,
        seed: None,
        traceparent: None,
    };
    let mut job = Job::queued(JobId::from_uuid(uuid::Uuid::now_v7()), new, NOW);
    job.state = state;
    job.claim_token = Some(FencingToken(1));
    job.version = 1;
    job
}

#[tokio::test]
async fn submit_writes_the_job_before_queueing_it_and_returns_its_id() {
    let mut mocks = Mocks::new();
    let mut order = Sequence::new();
    mocks
        .store
        .expect_create()
        .withf(|jobs, since| {
            jobs.len() == 1
                && jobs[0].state == JobState::Queued
                && jobs[0].client_id.as_str() == "alice"
                && *since == NOW.plus_millis(-24 * 3600 * 1000)
        })
        .times(1)
        .in_sequence(&mut order)
        .returning(|jobs, _| Ok(vec![CreateOutcome::Created; jobs.len()]));
    mocks
        .queue
        .expect_offer()
        .withf(|entries| entries.len() == 1 && entries[0].priority == Priority::High)
        .times(1)
        .in_sequence(&mut order)
        .returning(|_| Ok(()));
    let service = mocks.service();
    let id = service
        .submit(
            &alice(),
            SubmitCommand {
                priority: Priority::High,
                ..command()
            },
        )
        .await
        .unwrap();
    assert_eq!(id.as_uuid().get_version_num(), 7);
}

#[tokio::test]
async fn refused_submissions_store_nothing() {
    let cases: Vec<(SubmitCommand, ErrorKind, &str)> = vec![
        (
            SubmitCommand {
                backend_id: "nope".into(),
                ..command()
            },
            ErrorKind::NotFound,
            "backend 'nope'",
        ),
        (
            SubmitCommand {
                shots: 0,
                ..command()
            },
            ErrorKind::InvalidArgument,
            "shots",
        ),
        (
            SubmitCommand {
                shots: 10_001,
                ..command()
            },
            ErrorKind::InvalidArgument,
            "at most 10000",
        ),
        (
            SubmitCommand {
                circuit: None,
                ..command()
            },
            ErrorKind::InvalidArgument,
            "circuit is missing",
        ),
        (
            SubmitCommand {
                optimization_level: 9,
                ..command()
            },
            ErrorKind::InvalidArgument,
            "optimization_level",
        ),
    ];
    for (cmd, kind, text) in cases {
        // No expectation on store or queue: any call would panic the mock.
        let err = Mocks::new()
            .service()
            .submit(&alice(), cmd)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        assert!(
            err.message().contains(text),
            "'{err}' should mention '{text}'"
        );
    }
}

#[tokio::test]
async fn parse_errors_and_oversized_circuits_are_refused_at_submit() {
    let mut mocks = Mocks::new();
    mocks.frontend = MockCircuitFrontend::new();
    mocks.frontend.expect_parse().returning(|_| {
        Err(Error::invalid_argument(
            "line 1, column 5: unknown gate 'hx'",
        ))
    });
    let err = refusal(mocks).await;
    assert!(err.message().contains("line 1, column 5"), "{err}");

    let mut mocks = Mocks::new();
    mocks.backend = backend(1);
    let err = refusal(mocks).await;
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("2 qubits"), "{err}");
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_first_job_and_queues_nothing() {
    let first = JobId::from_uuid(uuid::Uuid::now_v7());
    let mut mocks = Mocks::new();
    mocks
        .store
        .expect_create()
        .withf(|jobs, _| jobs[0].idempotency_key.as_ref().map(|k| k.as_str()) == Some("retry-1"))
        .returning(move |_, _| Ok(vec![CreateOutcome::Existing(first)]));
    mocks.queue.expect_offer().never();
    let service = mocks.service();
    let id = service
        .submit(
            &alice(),
            SubmitCommand {
                idempotency_key: "retry-1".into(),
                ..command()
            },
        )
        .await
        .unwrap();
    assert_eq!(id, first);
}

#[tokio::test]
async fn an_unreachable_queue_does_not_lose_a_stored_job() {
    let mut mocks = Mocks::new();
    mocks
        .store
        .expect_create()
        .returning(|jobs, _| Ok(vec![CreateOutcome::Created; jobs.len()]));
    mocks
        .queue
        .expect_offer()
        .returning(|_| Err(Error::unavailable("queue down")));
    assert!(mocks.service().submit(&alice(), command()).await.is_ok());
}

#[tokio::test]
async fn an_unreachable_store_refuses_the_submission_as_unavailable() {
    let mut mocks = Mocks::new();
    mocks
        .store
        .expect_create()
        .returning(|_, _| Err(Error::unavailable("store down")));
    mocks.queue.expect_offer().never();
    let err = refusal(mocks).await;
    assert_eq!(err.kind(), ErrorKind::Unavailable);
}

#[tokio::test]
async fn a_batch_with_one_bad_job_is_refused_whole_naming_the_job() {
    let mut mocks = Mocks::new();
    mocks.store.expect_create().never();
    let jobs = vec![
        command(),
        SubmitCommand {
            shots: 0,
            ..command()
        },
    ];
    let err = mocks
        .service()
        .submit_batch(&alice(), "sim", jobs)
        .await
        .unwrap_err();
    assert!(err.message().starts_with("jobs[1]: shots"), "{err}");
    let err = Mocks::new()
        .service()
        .submit_batch(&alice(), "sim", Vec::new())
        .await
        .unwrap_err();
    assert!(err.message().contains("jobs is empty"), "{err}");
}

#[tokio::test]
async fn another_tenants_job_is_not_found_exactly_like_a_missing_one() {
    let bobs = stored_job("bob", JobState::Queued);
    let missing = JobId::from_uuid(uuid::Uuid::now_v7());
    let mut mocks = Mocks::new();
    let returned = bobs.clone();
    mocks
        .store
        .expect_get()
        .with(eq(bobs.id))
        .returning(move |_| Ok(Some(returned.clone())));
    mocks
        .store
        .expect_get()
        .with(eq(missing))
        .returning(|_| Ok(None));
    let service = mocks.service();
    let foreign = service
        .status(&alice(), &bobs.id.to_string())
        .await
        .unwrap_err();
    let absent = service
        .status(&alice(), &missing.to_string())
        .await
        .unwrap_err();
    assert_eq!(foreign.kind(), ErrorKind::NotFound);
    assert_eq!(foreign.message(), format!("job '{}' not found", bobs.id));
    assert_eq!(absent.message(), format!("job '{missing}' not found"));
}

#[tokio::test]
async fn result_of_an_unfinished_job_is_a_failed_precondition() {
    let job = stored_job("alice", JobState::Running);
    let mocks = Mocks::new().holding(&job);
    let err = mocks
        .service()
        .result(&alice(), &job.id.to_string())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FailedPrecondition);
    assert!(err.message().contains("RUNNING"), "{err}");
}

#[tokio::test]
async fn cancel_of_a_queued_job_takes_it_off_the_queue_and_publishes() {
    let job = stored_job("alice", JobState::Queued);
    let mut mocks = Mocks::new().holding(&job);
    mocks
        .queue
        .expect_remove()
        .with(eq(job.id))
        .times(1)
        .returning(|_| Ok(true));
    let mut canceled = job.clone();
    canceled.state = JobState::Canceled;
    mocks
        .store
        .expect_apply()
        .withf(|_, t| matches!(t, Transition::Cancel { .. }))
        .times(1)
        .returning(move |_, _| Ok(canceled.clone()));
    mocks.events = MockJobEvents::new();
    mocks
        .events
        .expect_publish()
        .withf(|e| e.state == JobState::Canceled)
        .times(1)
        .returning(|_| Ok(()));
    let reply = mocks
        .service()
        .cancel(&alice(), &job.id.to_string())
        .await
        .unwrap();
    assert!(reply.success, "{}", reply.message);
}

#[tokio::test]
async fn cancel_of_a_running_job_the_backend_already_finished_is_refused() {
    let job = stored_job("alice", JobState::Running);
    let mut mocks = Mocks::new().holding(&job);
    mocks
        .backend
        .expect_cancel()
        .returning(|_| Ok(CancelOutcome::AlreadyFinished));
    mocks.store.expect_apply().never();
    let reply = mocks
        .service()
        .cancel(&alice(), &job.id.to_string())
        .await
        .unwrap();
    assert!(!reply.success);
    assert!(
        reply.message.contains("already finished"),
        "{}",
        reply.message
    );
}

#[tokio::test]
async fn cancel_of_a_terminal_job_says_why_it_cannot() {
    let job = stored_job("alice", JobState::Completed);
    let mut mocks = Mocks::new().holding(&job);
    mocks.store.expect_apply().never();
    let reply = mocks
        .service()
        .cancel(&alice(), &job.id.to_string())
        .await
        .unwrap();
    assert!(!reply.success);
    assert!(
        reply.message.contains("already COMPLETED"),
        "{}",
        reply.message
    );
}

#[tokio::test]
async fn list_refuses_a_forged_page_token_and_caps_page_size() {
    let err = Mocks::new()
        .service()
        .list(
            &alice(),
            ListJobsCommand {
                page_token: "garbage".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let mut mocks = Mocks::new();
    mocks
        .store
        .expect_list()
        .withf(|q| q.page_size == 1000 && q.client_id.as_ref().map(|c| c.as_str()) == Some("alice"))
        .returning(|_| Ok(JobPage::default()));
    let (jobs, next) = mocks
        .service()
        .list(
            &alice(),
            ListJobsCommand {
                page_size: 50_000,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(jobs.is_empty() && next.is_none());
}

#[test]
fn result_chunks_cover_every_outcome_once() {
    let id = JobId::from_uuid(uuid::Uuid::now_v7());
    let counts = (0..2500u64).map(|i| (format!("{i:012b}"), i + 1)).collect();
    let result = JobResult {
        counts,
        shots: 0,
        execution_time_ms: 0,
        metadata_json: String::new(),
    };
    let chunks = result_chunks(id, &result, 1000);
    assert_eq!(chunks.len(), 3);
    assert!(chunks.iter().all(|c| c.total_chunks == 3));
    assert_eq!(chunks.iter().filter(|c| c.is_final).count(), 1);
    assert!(chunks[2].is_final);
    let keys: std::collections::BTreeSet<_> = chunks
        .iter()
        .flat_map(|c| c.counts.iter().map(|(k, _)| k.clone()))
        .collect();
    assert_eq!(keys.len(), 2500);
    assert_eq!(chunks.iter().map(|c| c.counts.len()).sum::<usize>(), 2500);
    assert_eq!(result_chunks(id, &result, 0).len(), 3, "0 means 1000");
    let empty = result_chunks(id, &JobResult::default(), 10);
    assert_eq!(
        (empty.len(), empty[0].is_final, empty[0].total_chunks),
        (1, true, 1)
    );
}

#[tokio::test]
async fn a_cancel_the_store_cannot_record_puts_the_job_back_in_the_queue() {
    let job = stored_job("alice", JobState::Queued);
    let mut mocks = Mocks::new().holding(&job);
    mocks.queue.expect_remove().returning(|_| Ok(true));
    mocks
        .store
        .expect_apply()
        .returning(|_, _| Err(Error::unavailable("store down")));
    let id = job.id;
    mocks
        .queue
        .expect_offer()
        .withf(move |entries| entries.len() == 1 && entries[0].job_id == id)
        .times(1)
        .returning(|_| Ok(()));
    let err = mocks
        .service()
        .cancel(&alice(), &job.id.to_string())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
}

mod access;
mod dropped_call;
mod start_at_once;
