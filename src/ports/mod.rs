//! The traits the core needs from the world. Adapters implement them; the
//! composition root hands them to the app as `Arc<dyn Port>`.

mod api_keys;
mod audit;
mod auth;
mod backend;
mod call_origin;
mod clock;
mod events;
mod frontend;
mod jobs_api;
mod leadership;
mod policy;
mod queue;
mod status;
mod store;
mod telemetry;
mod traces;

pub use api_keys::{ApiKeyStore, StoredApiKey};
pub use audit::{AuditAction, AuditEvent, AuditFlusher, AuditLog, AuditSink, AuditTable, NoAudit};
pub use auth::{Authenticator, Credentials, Secret, Verified, Verifier};
pub use backend::{CancelOutcome, QuantumBackend, RunRequest, SubmissionReport};
pub use call_origin::{CallOrigin, current_call_origin, with_current_call, with_origin};
pub use clock::Clock;
pub use events::{EventStream, JobEvent, JobEvents, WatchItem};
pub use frontend::CircuitFrontend;
pub use jobs_api::{
    BackendStatus, BatchStreamAnswer, BatchSubmission, CancelReply, JobView, JobsApi,
    ListJobsCommand, ResultChunkView, StreamOutcome, SubmissionStream, SubmitCommand,
};
pub use leadership::{ClusterView, LeaderTerm, Leadership};
pub use policy::{AllowAll, NoRateLimit, Policies, RateLimiter};
pub use queue::{Claim, JobQueue, QueueCapabilities, QueueEntry};
pub use status::{HealthReport, MetricsExposition, ServiceStatus};
pub use store::{CreateOutcome, JobPage, JobQuery, JobStore, LeaderEpoch};
pub use telemetry::{FailureReason, NoTelemetry, RecoveryAction, Telemetry};
pub use traces::{NoTraces, Traces};

#[cfg(test)]
pub use api_keys::MockApiKeyStore;
#[cfg(test)]
pub use audit::MockAuditLog;
#[cfg(test)]
pub use auth::{MockAuthenticator, MockVerifier};
#[cfg(test)]
pub use backend::MockQuantumBackend;
#[cfg(test)]
pub use clock::MockClock;
#[cfg(test)]
pub use events::MockJobEvents;
#[cfg(test)]
pub use frontend::MockCircuitFrontend;
#[cfg(test)]
pub use leadership::MockLeadership;
#[cfg(test)]
pub use policy::{MockPolicies, MockRateLimiter};
#[cfg(test)]
pub use queue::MockJobQueue;
#[cfg(test)]
pub use store::MockJobStore;
#[cfg(test)]
pub use telemetry::MockTelemetry;
