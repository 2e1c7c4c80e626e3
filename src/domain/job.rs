//! A job and its life: the states it may pass through and the changes that
//! move it. Stores apply [`Transition`]s through [`Job::apply`], so every
//! adapter enforces the same rules, fencing included.

use std::fmt;

use super::circuit::Counts;
use super::error::{Error, Result};
use super::ids::{BackendId, ClientId, IdempotencyKey, JobId};
use super::values::{OptimizationLevel, Priority, Shots, Tags, UnixMillis};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    Queued,
    Running,
    Completed,
    Failed,
    Canceled,
    /// Ran fine; the result was purged by retention.
    ResultExpired,
}

impl JobState {
    pub const ALL: [JobState; 6] = [
        JobState::Queued,
        JobState::Running,
        JobState::Completed,
        JobState::Failed,
        JobState::Canceled,
        JobState::ResultExpired,
    ];

    pub fn is_terminal(self) -> bool {
        !matches!(self, JobState::Queued | JobState::Running)
    }

    /// The legal moves: QUEUED → RUNNING → COMPLETED | FAILED; QUEUED → CANCELED;
    /// RUNNING → CANCELED; RUNNING → QUEUED when a lease is lost;
    /// COMPLETED → RESULT_EXPIRED.
    pub fn can_become(self, next: JobState) -> bool {
        use JobState::*;
        matches!(
            (self, next),
            (Queued, Running)
                | (Queued, Canceled)
                | (Running, Completed)
                | (Running, Failed)
                | (Running, Canceled)
                | (Running, Queued)
                | (Completed, ResultExpired)
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "QUEUED",
            JobState::Running => "RUNNING",
            JobState::Completed => "COMPLETED",
            JobState::Failed => "FAILED",
            JobState::Canceled => "CANCELED",
            JobState::ResultExpired => "RESULT_EXPIRED",
        }
    }

    pub fn parse(text: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| Error::internal(format!("unknown job state '{text}'")))
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The language a circuit was submitted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CircuitFormat {
    /// OpenQASM 3 or 2; the version line decides.
    OpenQasm,
    ArvakIrJson,
}

/// The circuit exactly as the client sent it; parsed again by the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircuitSource {
    pub format: CircuitFormat,
    /// Shared: the job is cloned on every read from the job cache.
    pub text: std::sync::Arc<str>,
}

/// A claim's fencing token: grows with every claim of the same job, so a
/// worker whose lease was lost cannot overwrite a newer claim's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FencingToken(pub u64);

/// What a finished run produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobResult {
    pub counts: Counts,
    pub shots: u32,
    pub execution_time_ms: u64,
    pub metadata_json: String,
}

/// Everything the service knows about one job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    /// The tenant that submitted it; only this client sees it.
    pub client_id: ClientId,
    pub backend_id: BackendId,
    pub circuit: CircuitSource,
    pub shots: Shots,
    pub optimization_level: OptimizationLevel,
    pub priority: Priority,
    pub tags: Tags,
    /// Set when the client asked for idempotent submission.
    pub idempotency_key: Option<IdempotencyKey>,
    /// Seed for backends that sample (the simulator); `None` picks one.
    pub seed: Option<u64>,
    /// W3C `traceparent` of the call that submitted it, so that the spans of
    /// its run join that call's trace; `None` when traces are not exported.
    pub traceparent: Option<String>,
    pub state: JobState,
    pub submitted_at: UnixMillis,
    pub started_at: Option<UnixMillis>,
    pub completed_at: Option<UnixMillis>,
    /// Why the job failed or was canceled, for the client.
    pub error_message: Option<String>,
    /// How many times a worker has started it.
    pub attempts: u32,
    /// The token of the claim that last started it.
    pub claim_token: Option<FencingToken>,
    /// The backend's own id for the work, when it has one (QPUs).
    pub backend_job_id: Option<String>,
    /// Grows by one with every transition; watchers use it to skip stale events.
    pub version: u64,
}

/// A change to a job's state, with what the change carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// A worker holding `token` starts the job.
    Start { token: FencingToken, at: UnixMillis },
    /// The worker holding `token` finished it.
    Complete {
        token: FencingToken,
        at: UnixMillis,
        result: JobResult,
    },
    /// The worker holding `token` (or recovery, without a worker) gives up.
    Fail {
        token: Option<FencingToken>,
        at: UnixMillis,
        message: String,
    },
    /// The client canceled it.
    Cancel { at: UnixMillis, message: String },
    /// The lease of `token` was lost; the job waits for another claim.
    Requeue { token: Option<FencingToken> },
    /// The worker holding `token` gives the job back untried: its backend
    /// could not take the work (a QPU that cannot be reached). The job waits
    /// for another claim, and this start does not count as an attempt.
    GiveBack { token: FencingToken },
    /// Retention purged the result.
    ExpireResult,
    /// The backend holding `token` handed the work to another system (a
    /// QPU's queue) under `backend_job_id`; the job stays RUNNING. Recorded so
    /// that after a restart the work can be reattached instead of run again.
    RecordBackendJob {
        token: FencingToken,
        backend_job_id: String,
    },
}

impl Transition {
    pub fn target(&self) -> JobState {
        match self {
            Transition::Start { .. } | Transition::RecordBackendJob { .. } => JobState::Running,
            Transition::Complete { .. } => JobState::Completed,
            Transition::Fail { .. } => JobState::Failed,
            Transition::Cancel { .. } => JobState::Canceled,
            Transition::Requeue { .. } | Transition::GiveBack { .. } => JobState::Queued,
            Transition::ExpireResult => JobState::ResultExpired,
        }
    }

    fn token(&self) -> Option<FencingToken> {
        match self {
            Transition::Complete { token, .. }
            | Transition::RecordBackendJob { token, .. }
            | Transition::GiveBack { token } => Some(*token),
            Transition::Fail { token, .. } | Transition::Requeue { token } => *token,
            _ => None,
        }
    }
}

/// What a client chooses about a new job.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub client_id: ClientId,
    pub backend_id: BackendId,
    pub circuit: CircuitSource,
    pub shots: Shots,
    pub optimization_level: OptimizationLevel,
    pub priority: Priority,
    pub tags: Tags,
    pub idempotency_key: Option<IdempotencyKey>,
    pub seed: Option<u64>,
    pub traceparent: Option<String>,
}

impl Job {
    /// A job as it starts its life: QUEUED, never run, version 0.
    pub fn queued(id: JobId, new: NewJob, submitted_at: UnixMillis) -> Self {
        Self {
            id,
            client_id: new.client_id,
            backend_id: new.backend_id,
            circuit: new.circuit,
            shots: new.shots,
            optimization_level: new.optimization_level,
            priority: new.priority,
            tags: new.tags,
            idempotency_key: new.idempotency_key,
            seed: new.seed,
            traceparent: new.traceparent,
            state: JobState::Queued,
            submitted_at,
            started_at: None,
            completed_at: None,
            error_message: None,
            attempts: 0,
            claim_token: None,
            backend_job_id: None,
            version: 0,
        }
    }

    /// Applies a transition if the state machine and the fencing token allow
    /// it; otherwise leaves the job untouched and says why.
    pub fn apply(&mut self, transition: &Transition) -> Result<()> {
        let target = transition.target();
        let allowed = match transition {
            // Not a change of state: only a running job gains a backend id.
            Transition::RecordBackendJob { .. } => self.state == JobState::Running,
            _ => self.state.can_become(target),
        };
        if !allowed {
            return Err(Error::failed_precondition(format!(
                "job {} is {} and cannot become {}",
                self.id, self.state, target
            )));
        }
        if let Some(token) = transition.token()
            && self.claim_token != Some(token)
        {
            return Err(Error::conflict(format!(
                "job {} is no longer held by this claim (token {}), its outcome is not recorded",
                self.id, token.0
            )));
        }
        match transition {
            Transition::Start { token, at } => {
                if self.claim_token.is_some_and(|held| held >= *token) {
                    return Err(Error::conflict(format!(
                        "job {} was already started by a newer claim",
                        self.id
                    )));
                }
                self.claim_token = Some(*token);
                self.started_at = Some(*at);
                self.attempts += 1;
                self.error_message = None;
            }
            Transition::Complete { at, .. } => self.completed_at = Some(*at),
            Transition::Fail { at, message, .. } | Transition::Cancel { at, message } => {
                self.completed_at = Some(*at);
                self.error_message = Some(message.clone());
            }
            Transition::Requeue { .. } => self.started_at = None,
            Transition::GiveBack { .. } => {
                self.started_at = None;
                self.attempts = self.attempts.saturating_sub(1);
            }
            Transition::ExpireResult => {}
            Transition::RecordBackendJob { backend_job_id, .. } => {
                self.backend_job_id = Some(backend_job_id.clone());
            }
        }
        self.state = target;
        self.version += 1;
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests;
