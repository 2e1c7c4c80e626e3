//! The Qiskit Runtime API's JSON, as far as this adapter reads or writes it
//! (shapes as `qiskit-ibm-runtime`'s `api/rest/runtime.py`,
//! `api/rest/cloud_backend.py` and `base_runtime_job.py` use them, and IBM's
//! "Sampler with the REST API" guide), and its mapping to our types.

use serde::{Deserialize, Serialize};

use crate::adapters::backend::remote::{Device, VendorStatus};
use crate::domain::transpile::Basis;
use crate::domain::{Error, Result};

/// `POST /v1/jobs`: one sampler pub `[circuit, parameter values, shots]`.
/// `support_qiskit: false` asks for plain JSON results (hex samples)
/// instead of Qiskit's own encoding.
#[derive(Debug, Serialize)]
pub struct JobRequest<'a> {
    pub program_id: &'static str,
    pub backend: &'a str,
    pub params: SamplerParams<'a>,
}

#[derive(Debug, Serialize)]
pub struct SamplerParams<'a> {
    pub pubs: [(&'a str, Option<()>, u32); 1],
    pub options: serde_json::Map<String, serde_json::Value>,
    pub version: u32,
    pub support_qiskit: bool,
}

#[derive(Debug, Deserialize)]
pub struct JobCreated {
    pub id: String,
}

/// `GET /v1/jobs/{id}`: its `state` holds the status and, for a failed or
/// cancelled job, the reason.
#[derive(Debug, Deserialize)]
pub struct JobInfo {
    state: Option<JobState>,
    /// The same word at the top level, read when `state` is missing.
    status: Option<String>,
}

#[derive(Debug, Deserialize)]
struct JobState {
    status: String,
    reason: Option<String>,
    #[serde(alias = "reasonCode")]
    reason_code: Option<serde_json::Value>,
}

/// `reason_code` the service gives a job it stopped for running longer
/// than its maximum execution time (the SDK reports such a job as failed).
const RAN_TOO_LONG: u64 = 1305;

impl JobInfo {
    /// Our status for the service's words: `Queued`, `Running`,
    /// `Completed`, `Failed`, `Cancelled` (and the older `Cancelled - Ran
    /// too long`). The service tells no queue position.
    pub fn status(&self) -> Result<VendorStatus> {
        let (word, reason, code) = match &self.state {
            Some(state) => (
                state.status.as_str(),
                state.reason.clone(),
                state.reason_code.as_ref().and_then(code_number),
            ),
            None => (
                self.status.as_deref().ok_or_else(|| {
                    Error::internal("IBM Quantum job information holds no status")
                })?,
                None,
                None,
            ),
        };
        let failed = |default: &str| {
            let reason = reason.clone().unwrap_or_else(|| default.to_owned());
            VendorStatus::Failed {
                reason: match code {
                    Some(code) => format!("error code {code}: {reason}"),
                    None => reason,
                },
            }
        };
        let ran_too_long = "the job ran longer than its maximum execution time";
        Ok(match word.to_ascii_lowercase().as_str() {
            "queued" => VendorStatus::Waiting {
                queue_position: None,
            },
            "running" => VendorStatus::Running,
            "completed" => VendorStatus::Completed,
            "failed" => failed("the job failed (IBM Quantum gave no reason)"),
            "cancelled" if code == Some(RAN_TOO_LONG) => failed(ran_too_long),
            "cancelled - ran too long" => failed(ran_too_long),
            "cancelled" => VendorStatus::Cancelled,
            other => {
                return Err(Error::internal(format!(
                    "IBM Quantum reported job status '{other}', which this server does not know"
                )));
            }
        })
    }
}

fn code_number(value: &serde_json::Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

/// `GET /v1/backends/{name}/configuration`, the fields a `Device` needs.
#[derive(Debug, Deserialize)]
pub struct Configuration {
    pub backend_name: Option<String>,
    pub n_qubits: u32,
    pub basis_gates: Vec<String>,
    #[serde(default)]
    pub coupling_map: Option<Vec<(u32, u32)>>,
    pub max_shots: u32,
    #[serde(default)]
    pub supported_instructions: Vec<String>,
    /// Whether a qubit may be measured more than once.
    #[serde(default)]
    pub multi_meas_enabled: bool,
}

/// `GET /v1/backends/{name}/status`: `state` is whether it is operational
/// (missing means not, as the SDK reads it), `status` a word such as
/// `active`, `online`, `maintenance`, `paused`.
#[derive(Debug, Deserialize)]
pub struct BackendStatus {
    #[serde(default)]
    pub state: bool,
    #[serde(default)]
    pub status: String,
}

impl BackendStatus {
    /// Operational and in a state that runs jobs (`internal` accepts jobs
    /// but does not run them).
    pub fn online(&self) -> bool {
        self.state
            && matches!(
                self.status.to_ascii_lowercase().as_str(),
                "active" | "online"
            )
    }
}

/// The device as the transpiler and `BackendInfo` see it.
pub fn device(name: &str, config: Configuration, status: &BackendStatus) -> Result<Device> {
    let basis = Basis::from_native_names(&config.basis_gates).ok_or_else(|| {
        Error::failed_precondition(format!(
            "IBM Quantum backend {name} offers the gates [{}], which this server cannot translate to",
            config.basis_gates.join(", ")
        ))
    })?;
    let has = |n: &str| config.supported_instructions.iter().any(|i| i == n);
    let reset = has("reset") || config.basis_gates.iter().any(|g| g == "reset");
    Ok(Device {
        name: config.backend_name.unwrap_or_else(|| name.to_owned()),
        num_qubits: config.n_qubits,
        edges: config.coupling_map.unwrap_or_default(),
        basis,
        native_gates: config.basis_gates,
        online: status.online(),
        max_shots: config.max_shots,
        mid_circuit_measurement: config.multi_meas_enabled,
        reset,
    })
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
