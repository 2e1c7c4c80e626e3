//! Pure rules of the service: no I/O, no async runtime, no transport or
//! database types. Everything here is plain data and functions over it.

pub mod backend;
pub mod circuit;
pub mod error;
pub mod identity;
pub mod ids;
pub mod job;
pub mod limits;
pub mod policy;
pub mod transpile;
pub mod values;

pub use backend::{BackendCapabilities, DynamicCircuits};
pub use error::{Error, ErrorKind, Result};
pub use identity::{AuthMethod, Identity};
pub use ids::{BackendId, ClientId, IdempotencyKey, JobId};
pub use job::{
    CircuitFormat, CircuitSource, FencingToken, Job, JobResult, JobState, NewJob, Transition,
};
pub use limits::{JobLimits, QueueLimits};
pub use policy::{ClientPattern, Denial, Grant, Operation, Policy, PolicySet, Quotas};
pub use values::{OptimizationLevel, Priority, Shots, Tags, UnixMillis};
