//! A vendor's job API, as the remote backend needs it. Each method is one
//! (or a few) REST calls; errors come back already translated to our kinds
//! (see `http`): Unavailable for transport failures and 5xx answers (the
//! breaker counts these), ResourceExhausted with a retry-after for 429,
//! Unauthenticated for refused credentials, InvalidArgument or
//! FailedPrecondition for a refused request, NotFound for an unknown job.

use async_trait::async_trait;

use crate::domain::Result;
use crate::domain::circuit::{Circuit, Counts};
use crate::domain::transpile::Basis;

/// What a device says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    /// The vendor's name for it (`garnet`, `ibm_torino`).
    pub name: String,
    pub num_qubits: u32,
    /// Pairs of physical qubits (numbered 0.. in the vendor's order) that
    /// the native two-qubit gate joins, in its direction.
    pub edges: Vec<(u32, u32)>,
    pub basis: Basis,
    /// The native operations as the vendor names them, for `BackendInfo`.
    pub native_gates: Vec<String>,
    /// Whether the vendor accepts work now (online, not in maintenance).
    pub online: bool,
    /// Most shots one job may ask for.
    pub max_shots: u32,
    /// Whether a qubit may be measured and then used again.
    pub mid_circuit_measurement: bool,
    /// Whether `reset` may be used.
    pub reset: bool,
}

/// A vendor job's state, mapped from the vendor's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VendorStatus {
    /// Accepted and waiting in the vendor's queue, at this position if told.
    Waiting {
        queue_position: Option<u32>,
    },
    Running,
    Completed,
    /// Ended without a result, with the vendor's reason.
    Failed {
        reason: String,
    },
    Cancelled,
}

impl VendorStatus {
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            VendorStatus::Completed | VendorStatus::Failed { .. } | VendorStatus::Cancelled
        )
    }
}

#[async_trait]
pub trait VendorApi: Send + Sync {
    /// The vendor's name for messages (`IQM`, `IBM Quantum`).
    fn vendor(&self) -> &'static str;

    /// Reads the device's qubits, coupling map, native gates and status.
    async fn device(&self) -> Result<Device>;

    /// Submits `circuit`, already transpiled for the device (its qubit `i`
    /// is the device's physical qubit `i`, only native gates), and returns
    /// the vendor's job id.
    async fn submit(&self, circuit: &Circuit, shots: u32) -> Result<String>;

    async fn status(&self, job: &str) -> Result<VendorStatus>;

    /// The counts of a completed job, keyed over `circuit.output_clbits()`
    /// as `outcome_key` writes them; `circuit` is the one submitted.
    async fn counts(&self, job: &str, circuit: &Circuit) -> Result<Counts>;

    /// Asks the vendor to stop the job; fine if it had already ended.
    async fn cancel(&self, job: &str) -> Result<()>;
}
