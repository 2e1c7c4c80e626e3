//! A quantum backend: a simulator or a QPU.

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::{
    BackendCapabilities, JobId, JobResult, OptimizationLevel, Result, Shots, circuit::Circuit,
};

/// One run of one job.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub job_id: JobId,
    /// Already validated against the backend and implicitly measured.
    pub circuit: Arc<Circuit>,
    pub shots: Shots,
    pub optimization_level: OptimizationLevel,
    /// Same seed, same counts, for backends that sample.
    pub seed: Option<u64>,
}

/// What a request to stop a running job achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// The backend stopped the work; its `run` ends with a Canceled error.
    Stopped,
    /// Too late: the work already finished and its result stands.
    AlreadyFinished,
    /// The backend is not running this job here.
    NotRunning,
}

#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait QuantumBackend: Send + Sync {
    fn capabilities(&self) -> &BackendCapabilities;

    /// Whether the backend accepts work right now.
    async fn is_available(&self) -> bool;

    /// Runs the circuit and returns its counts, keyed over the circuit's
    /// output bits (see `outcome_key`). Ends with a Canceled error when
    /// `cancel` stopped it.
    async fn run(&self, request: RunRequest) -> Result<JobResult>;

    /// Asks the backend to stop the job's work.
    async fn cancel(&self, job_id: JobId) -> Result<CancelOutcome>;
}
