//! The IQM Server API's JSON, field for field as `iqm-client`'s
//! `iqm.iqm_server_client` and `iqm-station-control-client`'s interface
//! models define it: only the fields this adapter reads or writes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `GET /api/v1/quantum-computers` (`ListQuantumComputersResponse`).
#[derive(Debug, Deserialize)]
pub struct QuantumComputers {
    pub quantum_computers: Vec<QuantumComputer>,
}

#[derive(Debug, Deserialize)]
pub struct QuantumComputer {
    pub alias: String,
}

/// `GET /api/v1/calibration-sets/{qc}/default/dynamic-quantum-architecture`
/// (`DynamicQuantumArchitecture`).
#[derive(Debug, Deserialize)]
pub struct DynamicQuantumArchitecture {
    /// Qubit names (`QB1`, ...), in the order this adapter numbers them.
    pub qubits: Vec<String>,
    /// Gate name → its calibrated implementations.
    pub gates: BTreeMap<String, GateInfo>,
}

#[derive(Debug, Deserialize)]
pub struct GateInfo {
    pub implementations: BTreeMap<String, GateImplementationInfo>,
}

#[derive(Debug, Deserialize)]
pub struct GateImplementationInfo {
    /// The component tuples this implementation is calibrated for.
    pub loci: Vec<Vec<String>>,
}

/// `POST /api/v1/jobs/{qc}/circuit` body (`RunRequest`, alias of
/// `PostJobsRequest`). The optional settings are sent with the values that
/// mean "server default" or "off", so nothing is left to a changed default.
#[derive(Debug, Serialize)]
pub struct RunRequest {
    pub circuits: Vec<IqmCircuit>,
    /// `None`: the quantum computer's current default calibration set.
    pub calibration_set_id: Option<String>,
    /// `None`: the circuits already name physical qubits.
    pub qubit_mapping: Option<serde_json::Value>,
    pub shots: u32,
    pub heralding_mode: &'static str,
    pub dd_mode: &'static str,
}

/// `iqm.pulse.Circuit`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IqmCircuit {
    pub name: String,
    pub instructions: Vec<CircuitOperation>,
}

/// `iqm.pulse.CircuitOperation`: `args` holds `angle`/`phase` (radians)
/// for `prx`, `key` for `measure`, nothing for `cz` and `barrier`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CircuitOperation {
    pub name: &'static str,
    pub locus: Vec<String>,
    pub args: serde_json::Map<String, serde_json::Value>,
    /// `None`: the calibration set's default implementation.
    pub implementation: Option<String>,
}

/// `GET /api/v1/jobs/{id}` and the answer to a submission
/// (`iqm_server_client.models.JobData`).
#[derive(Debug, Deserialize)]
pub struct JobData {
    pub id: String,
    /// `waiting`, `processing`, `completed`, `failed` or `cancelled`.
    pub status: String,
    #[serde(default)]
    pub queue_position: Option<u32>,
    #[serde(default)]
    pub errors: Vec<JobError>,
    #[serde(default)]
    pub messages: Vec<JobMessage>,
}

#[derive(Debug, Deserialize)]
pub struct JobError {
    pub message: String,
    #[serde(default)]
    pub error_code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct JobMessage {
    pub message: String,
}

/// One entry of `GET /api/v1/jobs/{id}/artifacts/measurement_counts`
/// (`CircuitMeasurementCounts`; the artifact is a list, one per circuit).
#[derive(Debug, Deserialize)]
pub struct MeasurementCounts {
    /// The keys whose results, concatenated in this order, make up each
    /// bitstring of `counts`.
    pub measurement_keys: Vec<String>,
    pub counts: BTreeMap<String, u64>,
}
