//! Trace export settings, from the `tracing` keys, checked.

use crate::domain::{Error, Result};

/// Where spans go and which are kept.
#[derive(Debug, Clone, PartialEq)]
pub struct OtelSettings {
    /// The OTLP/gRPC collector, e.g. `http://127.0.0.1:4317`.
    pub endpoint: String,
    /// `service.name` of the exported spans.
    pub service_name: String,
    /// Share of new traces kept, 0.0 to 1.0.
    pub sample_ratio: f64,
}

impl OtelSettings {
    /// From `tracing.otlp_endpoint`, `tracing.service_name` and
    /// `tracing.sample_ratio` (refused outside 0.0 to 1.0).
    pub fn from_config(endpoint: &str, service_name: &str, sample_ratio: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&sample_ratio) {
            return Err(Error::invalid_argument(format!(
                "configuration: tracing.sample_ratio must be between 0.0 and 1.0, not {sample_ratio}"
            )));
        }
        Ok(Self {
            endpoint: endpoint.to_owned(),
            service_name: service_name.to_owned(),
            sample_ratio,
        })
    }
}
