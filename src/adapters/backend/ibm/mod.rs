//! IBM Quantum backends over the Qiskit Runtime REST API.
//!
//! [`IbmApi`] implements the remote backend's [`VendorApi`](super::remote::VendorApi):
//! it trades an IBM Cloud API key for access tokens (`iam`), reads the
//! device's configuration and status, writes a transpiled circuit as
//! OpenQASM 3 on physical qubits (`qasm`), submits it to the `sampler`
//! program as one pub, and reads the job's status and hex samples
//! (`wire`, `results`).

mod api;
mod config;
mod iam;
mod qasm;
mod results;
mod wire;

pub use api::{API_VERSION, IbmApi};
pub use config::IbmConfig;
