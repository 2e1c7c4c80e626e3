//! What the service reports about itself (metrics). Calls are cheap and never
//! fail; an adapter that exports nothing is always available.

use std::time::Duration;

use crate::domain::BackendId;

/// Why a job failed, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    /// The backend reported an error.
    Backend,
    /// The run passed its time limit.
    Timeout,
    /// Its workers kept stopping before it finished.
    MaxAttempts,
}

impl FailureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::Backend => "backend",
            FailureReason::Timeout => "timeout",
            FailureReason::MaxAttempts => "max_attempts",
        }
    }
}

/// What recovery did to one job, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryAction {
    Requeued,
    Reattached,
    Failed,
    Queued,
}

impl RecoveryAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RecoveryAction::Requeued => "requeued",
            RecoveryAction::Reattached => "reattached",
            RecoveryAction::Failed => "failed",
            RecoveryAction::Queued => "queued",
        }
    }
}

#[cfg_attr(test, mockall::automock)]
pub trait Telemetry: Send + Sync {
    fn jobs_submitted(&self, backend: &BackendId, count: u64);
    /// A worker started a job that waited `queue_wait` since submission.
    fn job_started(&self, backend: &BackendId, queue_wait: Duration);
    fn job_completed(&self, backend: &BackendId, execution: Duration);
    fn job_failed(&self, backend: &BackendId, reason: FailureReason);
    fn job_canceled(&self, backend: &BackendId);
    /// A run's outcome the store refused: the job was canceled meanwhile,
    /// or claimed again under a newer token (a late write, fenced off).
    fn outcome_refused(&self, backend: &BackendId);
    /// One call of `method`, ended with status `code`.
    fn rpc(&self, method: &str, code: &str, elapsed: Duration);
    fn recovered(&self, action: RecoveryAction, count: u64);
}

/// Reports nothing (builds without the `metrics` feature, and tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTelemetry;

impl Telemetry for NoTelemetry {
    fn jobs_submitted(&self, _: &BackendId, _: u64) {}
    fn job_started(&self, _: &BackendId, _: Duration) {}
    fn job_completed(&self, _: &BackendId, _: Duration) {}
    fn job_failed(&self, _: &BackendId, _: FailureReason) {}
    fn job_canceled(&self, _: &BackendId) {}
    fn outcome_refused(&self, _: &BackendId) {}
    fn rpc(&self, _: &str, _: &str, _: Duration) {}
    fn recovered(&self, _: RecoveryAction, _: u64) {}
}
