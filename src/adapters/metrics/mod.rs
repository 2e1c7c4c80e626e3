//! Prometheus metrics and the HTTP health endpoints (feature `metrics`).

pub mod http;
mod prometheus;

pub use prometheus::PrometheusTelemetry;
