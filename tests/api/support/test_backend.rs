//! A backend defined by the tests: every shot gives the all-zero outcome, and
//! the test can hold runs, make them fail, and count them.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arvak_grpc::domain::circuit::{Gate, outcome_key};
use arvak_grpc::domain::{
    BackendCapabilities, BackendId, DynamicCircuits, Error, JobId, JobResult, Result,
};
use arvak_grpc::ports::{CancelOutcome, QuantumBackend, RunRequest};
use async_trait::async_trait;
use tokio::sync::Notify;

pub struct TestBackend {
    capabilities: Arc<BackendCapabilities>,
    /// While set, runs wait until released or canceled.
    hold: AtomicBool,
    /// When set, shot i gives outcome i modulo 2^width instead of all zeros.
    spread: AtomicBool,
    released: Notify,
    fail_with: Mutex<Option<String>>,
    running: Mutex<HashMap<JobId, Arc<Notify>>>,
    finished: Mutex<HashSet<JobId>>,
    started: AtomicUsize,
    completed: AtomicUsize,
    /// Job ids in the order their runs started.
    order: Mutex<Vec<String>>,
    /// When set, acts like a QPU: reports its own job id for each new run,
    /// and reattaches to an id it is given instead of submitting again.
    remote: AtomicBool,
    submitted: AtomicUsize,
    reattached: AtomicUsize,
    cancels: AtomicUsize,
}

impl TestBackend {
    pub fn new(id: &str) -> Self {
        Self {
            capabilities: Arc::new(BackendCapabilities {
                id: BackendId::parse(id).unwrap(),
                name: "Test backend".into(),
                description: "defined in the integration tests".into(),
                max_qubits: 12,
                max_shots: 100_000,
                supported_gates: Gate::NAMES.iter().map(|g| g.to_string()).collect(),
                topology_json: "{}".into(),
                dynamic: DynamicCircuits::ALL,
            }),
            hold: AtomicBool::new(false),
            spread: AtomicBool::new(false),
            released: Notify::new(),
            fail_with: Mutex::new(None),
            running: Mutex::new(HashMap::new()),
            finished: Mutex::new(HashSet::new()),
            started: AtomicUsize::new(0),
            completed: AtomicUsize::new(0),
            order: Mutex::new(Vec::new()),
            remote: AtomicBool::new(false),
            submitted: AtomicUsize::new(0),
            reattached: AtomicUsize::new(0),
            cancels: AtomicUsize::new(0),
        }
    }

    pub fn hold(&self) {
        self.hold.store(true, Ordering::SeqCst);
    }

    pub fn release(&self) {
        self.hold.store(false, Ordering::SeqCst);
        self.released.notify_waiters();
    }

    pub fn spread_outcomes(&self) {
        self.spread.store(true, Ordering::SeqCst);
    }

    pub fn fail_runs_with(&self, message: &str) {
        *self.fail_with.lock().unwrap() = Some(message.to_owned());
    }

    pub fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }

    /// Calls of `cancel` that stopped a run.
    pub fn cancels(&self) -> usize {
        self.cancels.load(Ordering::SeqCst)
    }

    pub fn act_as_remote(&self) {
        self.remote.store(true, Ordering::SeqCst);
    }

    /// Remote mode: runs handed to the "QPU" under a new id.
    pub fn submitted(&self) -> usize {
        self.submitted.load(Ordering::SeqCst)
    }

    /// Remote mode: runs that picked up an earlier id instead.
    pub fn reattached(&self) -> usize {
        self.reattached.load(Ordering::SeqCst)
    }

    pub fn run_order(&self) -> Vec<String> {
        self.order.lock().unwrap().clone()
    }

    pub fn completed(&self) -> usize {
        self.completed.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl QuantumBackend for TestBackend {
    fn capabilities(&self) -> Arc<BackendCapabilities> {
        self.capabilities.clone()
    }

    async fn is_available(&self) -> bool {
        true
    }

    async fn run(&self, request: RunRequest) -> Result<JobResult> {
        self.order.lock().unwrap().push(request.job_id.to_string());
        self.started.fetch_add(1, Ordering::SeqCst);
        if self.remote.load(Ordering::SeqCst) {
            if request.backend_job_id.is_some() {
                self.reattached.fetch_add(1, Ordering::SeqCst);
            } else {
                let n = self.submitted.fetch_add(1, Ordering::SeqCst);
                if let Some(report) = &request.on_submitted {
                    report.submitted(format!("tb-{n}"));
                }
            }
        }
        let canceled = Arc::new(Notify::new());
        self.running
            .lock()
            .unwrap()
            .insert(request.job_id, canceled.clone());
        while self.hold.load(Ordering::SeqCst) {
            tokio::select! {
                () = self.released.notified() => {}
                () = canceled.notified() => {
                    self.running.lock().unwrap().remove(&request.job_id);
                    return Err(Error::canceled("stopped by the test backend"));
                }
                () = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
        }
        self.running.lock().unwrap().remove(&request.job_id);
        let failure = self.fail_with.lock().unwrap().clone();
        if let Some(message) = failure {
            return Err(Error::internal(message));
        }
        self.finished.lock().unwrap().insert(request.job_id);
        self.completed.fetch_add(1, Ordering::SeqCst);
        let output = request.circuit.output_clbits();
        let width = output.len() as u32;
        let mut counts = std::collections::BTreeMap::new();
        for shot in 0..u64::from(request.shots.get()) {
            let outcome = if self.spread.load(Ordering::SeqCst) {
                shot % (1u64 << width.min(63))
            } else {
                0
            };
            let key = outcome_key(output.clone(), |bit| {
                (outcome >> (bit - output.start)) & 1 == 1
            });
            *counts.entry(key).or_insert(0u64) += 1;
        }
        Ok(JobResult {
            counts,
            shots: request.shots.get(),
            execution_time_ms: 1,
            metadata_json: "{\"backend\":\"test\"}".into(),
        })
    }

    async fn cancel(&self, job_id: JobId) -> Result<CancelOutcome> {
        if let Some(canceled) = self.running.lock().unwrap().get(&job_id) {
            self.cancels.fetch_add(1, Ordering::SeqCst);
            canceled.notify_one();
            return Ok(CancelOutcome::Stopped);
        }
        if self.finished.lock().unwrap().contains(&job_id) {
            return Ok(CancelOutcome::AlreadyFinished);
        }
        Ok(CancelOutcome::NotRunning)
    }
}
