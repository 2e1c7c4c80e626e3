//! A quantum backend: a simulator or a QPU.

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::{
    BackendCapabilities, JobId, JobResult, OptimizationLevel, Result, Shots, circuit::Circuit,
};

/// Where a backend reports the id under which another system (a QPU's own
/// queue) holds the work, so that it is recorded with the running job.
#[derive(Clone)]
pub struct SubmissionReport(Arc<dyn Fn(String) + Send + Sync>);

impl SubmissionReport {
    pub fn new(report: impl Fn(String) + Send + Sync + 'static) -> Self {
        Self(Arc::new(report))
    }

    /// Records `backend_job_id`; call it once, as soon as the other system
    /// has accepted the work.
    pub fn submitted(&self, backend_job_id: String) {
        (self.0)(backend_job_id)
    }
}

impl std::fmt::Debug for SubmissionReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SubmissionReport")
    }
}

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
    /// The backend's own id for this job from an earlier attempt (the server
    /// restarted while it ran). A backend that can should reattach to it,
    /// asking for its status and result, rather than submit it again.
    pub backend_job_id: Option<String>,
    /// Where to report a new backend job id; `None` when nobody records it.
    pub on_submitted: Option<SubmissionReport>,
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
    /// What the backend is and can run now (a QPU's description changes
    /// with its calibration).
    fn capabilities(&self) -> Arc<BackendCapabilities>;

    /// Whether the backend accepts work right now.
    async fn is_available(&self) -> bool;

    /// Runs the circuit and returns its counts, keyed over the circuit's
    /// output bits (see `outcome_key`). Ends with a Canceled error when
    /// `cancel` stopped it.
    async fn run(&self, request: RunRequest) -> Result<JobResult>;

    /// Asks the backend to stop the job's work.
    async fn cancel(&self, job_id: JobId) -> Result<CancelOutcome>;

    /// The 1-based place of the work recorded as `backend_job_id` in the
    /// other system's own queue, when that system says; for the status of a
    /// job that runs there but has not started.
    async fn queue_position(&self, backend_job_id: &str) -> Option<u32> {
        let _ = backend_job_id;
        None
    }
}
