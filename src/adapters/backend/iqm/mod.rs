//! IQM quantum computers through the IQM Server REST API (`/api/v1`): the
//! device read from the default calibration set's dynamic quantum
//! architecture, circuits sent as IQM circuit JSON (`prx`, `cz`, `measure`,
//! `barrier` on physical qubit names), job status, measurement counts and
//! cancellation. Served through the remote backend as a [`VendorApi`].
//!
//! [`VendorApi`]: crate::adapters::backend::remote::VendorApi

mod api;
mod config;
mod device;
mod serialise;
mod status;
mod wire;

pub use api::IqmApi;
pub use config::IqmConfig;
