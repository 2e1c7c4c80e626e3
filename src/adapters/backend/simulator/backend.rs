//! The simulator as a [`QuantumBackend`]: capabilities, runs on the blocking
//! pool, and cancellation through a per-job flag.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use async_trait::async_trait;
use rand_chacha::ChaCha12Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

use super::config::{SimulatorConfig, max_qubits_for, memory_needed};
use super::execute::{self, Limits};
use super::program::Program;
use crate::domain::circuit::{Circuit, Counts, Gate};
use crate::domain::{
    BackendCapabilities, BackendId, DynamicCircuits, Error, JobId, JobResult, Result,
};
use crate::ports::{CancelOutcome, QuantumBackend, RunRequest};

thread_local! {
    /// Where seeds come from when a job brings none: seeded once per thread
    /// from the operating system. A seed of its own from the OS for every
    /// job cost a `getrandom` call and a ChaCha key schedule each.
    static SEEDS: std::cell::RefCell<ChaCha12Rng> =
        std::cell::RefCell::new(ChaCha12Rng::from_os_rng());
}

/// A seed for a job that did not ask for one.
fn fresh_seed() -> u64 {
    SEEDS.with(|seeds| seeds.borrow_mut().next_u64())
}

/// How many finished job ids are remembered so that a late cancel can
/// answer `AlreadyFinished` rather than `NotRunning`.
const RECENTLY_FINISHED: usize = 1024;

#[derive(Default)]
struct Jobs {
    /// Cancel flags of the jobs running now.
    running: HashMap<JobId, Arc<AtomicBool>>,
    /// Jobs that finished lately, oldest first.
    finished: VecDeque<JobId>,
}

/// The state-vector simulator backend, id `simulator`.
pub struct SimulatorBackend {
    capabilities: Arc<BackendCapabilities>,
    config: SimulatorConfig,
    limits: Limits,
    jobs: Arc<Mutex<Jobs>>,
    /// The memory budget in MiB: each run holds what its state needs, so
    /// concurrent runs together never exceed the budget (later ones wait).
    memory: Arc<tokio::sync::Semaphore>,
    memory_mib: u32,
    /// `config.run_log`, open for appending.
    run_log: Option<std::fs::File>,
}

/// What a run tells about itself, as the result's `metadata_json`. The
/// fields are in the order of their names, the order the text had when it
/// was built as a `serde_json::Value` (a sorted map); written from a
/// struct it costs a sixth of the instructions (no map, no key strings).
#[derive(Debug, serde::Serialize)]
struct RunMetadata {
    gates_after: usize,
    gates_before: usize,
    method: &'static str,
    num_qubits: u32,
    optimization_level: u8,
    seed: u64,
    simulation_time_ms: u64,
}

/// Runs one job: compile, simulate, sample; the counts and the metadata.
fn simulate(
    circuit: &Circuit,
    level: u8,
    seed: u64,
    shots: u32,
    limits: &Limits,
    cancel: &AtomicBool,
) -> Result<(Counts, RunMetadata)> {
    let program = Program::compile(circuit, level);
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let simulated = Instant::now();
    let outcome = execute::run(
        &program,
        circuit,
        u64::from(shots),
        &mut rng,
        limits,
        cancel,
    )?;
    let metadata = RunMetadata {
        gates_after: program.gates_after,
        gates_before: program.gates_before,
        method: outcome.method,
        num_qubits: circuit.num_qubits(),
        optimization_level: level,
        seed,
        simulation_time_ms: simulated.elapsed().as_millis() as u64,
    };
    Ok((outcome.counts, metadata))
}

/// A run small enough (qubits, gates, shots) to finish in microseconds,
/// which is cheaper on the calling task than on the blocking pool.
fn is_tiny(&(qubits, gates, shots): &(u32, usize, u32)) -> bool {
    qubits <= 10 && gates <= 200 && shots <= 10_000
}

/// MiB a run of `qubits` holds from the budget (at least 1).
fn run_mib(qubits: u32) -> u32 {
    u32::try_from(memory_needed(qubits).div_ceil(1 << 20))
        .unwrap_or(u32::MAX)
        .max(1)
}

impl SimulatorBackend {
    /// The id of the simulator a default configuration serves.
    pub const ID: &'static str = "simulator";

    /// The simulator as `simulator`.
    pub fn new(config: SimulatorConfig) -> Self {
        Self::with_id(
            BackendId::parse(Self::ID).expect("a valid backend id"),
            config,
        )
    }

    /// The simulator under its own id, one of several a server may serve.
    pub fn with_id(id: BackendId, config: SimulatorConfig) -> Self {
        let budget = config.memory_budget();
        let max_qubits = max_qubits_for(budget);
        let capabilities = BackendCapabilities {
            id,
            name: "State-vector simulator".to_owned(),
            description: format!(
                "Exact state-vector simulation in complex f64 on this server's CPUs, up to {max_qubits} qubits"
            ),
            max_qubits,
            max_shots: config.max_shots,
            supported_gates: Gate::NAMES.iter().map(|g| (*g).to_owned()).collect(),
            topology_json: serde_json::json!({ "kind": "all-to-all", "num_qubits": max_qubits })
                .to_string(),
            dynamic: DynamicCircuits::ALL,
        };
        let limits = Limits {
            parallel_threshold_qubits: config.parallel_threshold_qubits,
            memory_budget: budget,
        };
        let memory_mib = u32::try_from(budget >> 20)
            .unwrap_or(u32::MAX)
            .clamp(1, 1 << 28);
        Self {
            capabilities: Arc::new(capabilities),
            config,
            limits,
            jobs: Arc::default(),
            memory: Arc::new(tokio::sync::Semaphore::new(memory_mib as usize)),
            memory_mib,
            run_log: None,
        }
    }

    /// Like `with_id`, opening `config.run_log` when it names a file.
    pub fn open(id: BackendId, config: SimulatorConfig) -> Result<Self> {
        let run_log = match &config.run_log {
            Some(path) => Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| {
                        Error::invalid_argument(format!(
                            "backends.{id}.run_log: cannot open {} for appending: {e}",
                            path.display()
                        ))
                    })?,
            ),
            None => None,
        };
        Ok(Self {
            run_log,
            ..Self::with_id(id, config)
        })
    }

    /// Appends the run's line to the run log, if there is one.
    fn log_run(&self, job: JobId) {
        use std::io::Write;
        let Some(mut file) = self.run_log.as_ref() else {
            return;
        };
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        if let Err(e) = file.write_all(format!("{at} {job}\n").as_bytes()) {
            tracing::warn!(job_id = %job, error = %e, "could not append to the simulator's run log");
        }
    }

    pub fn config(&self) -> &SimulatorConfig {
        &self.config
    }

    fn jobs(&self) -> MutexGuard<'_, Jobs> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Takes a job out of the running set if its run is dropped half-way (the
/// caller's task was aborted); a run that ends normally does it itself.
struct Registration {
    jobs: Arc<Mutex<Jobs>>,
    job_id: JobId,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.running.remove(&self.job_id);
    }
}

#[async_trait]
impl QuantumBackend for SimulatorBackend {
    fn capabilities(&self) -> Arc<BackendCapabilities> {
        self.capabilities.clone()
    }

    async fn is_available(&self) -> bool {
        true
    }

    async fn run(&self, request: RunRequest) -> Result<JobResult> {
        let shots = request.shots;
        self.capabilities.check_fits(&request.circuit, shots)?;
        let flag = Arc::new(AtomicBool::new(false));
        {
            let mut jobs = self.jobs();
            if jobs.running.contains_key(&request.job_id) {
                return Err(Error::failed_precondition(format!(
                    "job {} is already running on the simulator",
                    request.job_id
                )));
            }
            jobs.running.insert(request.job_id, flag.clone());
        }
        let registration = Registration {
            jobs: self.jobs.clone(),
            job_id: request.job_id,
        };
        let needed = run_mib(request.circuit.num_qubits()).min(self.memory_mib);
        let memory = self
            .memory
            .clone()
            .acquire_many_owned(needed)
            .await
            .map_err(|_| Error::unavailable("the simulator is shutting down"))?;
        let limits = self.limits;
        let level = request.optimization_level.get();
        let seed = request.seed.unwrap_or_else(fresh_seed);
        let request_size = (
            request.circuit.num_qubits(),
            request.circuit.gate_count(),
            shots.get(),
        );
        let circuit = request.circuit;
        let cancel = flag.clone();
        self.log_run(request.job_id);
        let started = Instant::now();
        let simulate = move || {
            // Held until the state is freed, even if the caller stops waiting.
            let _memory = memory;
            simulate(&circuit, level, seed, shots.get(), &limits, &cancel)
        };
        let result = if is_tiny(&request_size) {
            // Microseconds of work: a trip to the blocking pool and back
            // would cost more than the run.
            simulate()
        } else {
            match tokio::task::spawn_blocking(simulate).await {
                Ok(result) => result,
                Err(e) => Err(Error::internal(format!("the simulator task failed: {e}"))),
            }
        };
        // Decided under the lock: a cancel either saw the job running (and
        // was told `Stopped`, so no result may stand) or sees it finished.
        let mut jobs = self.jobs();
        jobs.running.remove(&request.job_id);
        let (counts, metadata) = match result {
            Ok(_) if flag.load(Ordering::SeqCst) => Err(canceled(request.job_id)),
            other => other,
        }?;
        jobs.finished.push_back(request.job_id);
        if jobs.finished.len() > RECENTLY_FINISHED {
            jobs.finished.pop_front();
        }
        drop(jobs);
        drop(registration);
        Ok(JobResult {
            counts,
            shots: shots.get(),
            execution_time_ms: started.elapsed().as_millis() as u64,
            metadata_json: serde_json::to_string(&metadata)
                .map_err(|e| Error::internal(format!("the run's metadata: {e}")))?,
        })
    }

    /// `Stopped` while the job runs here, `AlreadyFinished` for one of the
    /// last finished jobs, `NotRunning` otherwise.
    async fn cancel(&self, job_id: JobId) -> Result<CancelOutcome> {
        let jobs = self.jobs();
        if let Some(flag) = jobs.running.get(&job_id) {
            flag.store(true, Ordering::SeqCst);
            return Ok(CancelOutcome::Stopped);
        }
        if jobs.finished.contains(&job_id) {
            return Ok(CancelOutcome::AlreadyFinished);
        }
        Ok(CancelOutcome::NotRunning)
    }
}

fn canceled(job_id: JobId) -> Error {
    Error::canceled(format!(
        "job {job_id} was canceled while running on the simulator"
    ))
}
