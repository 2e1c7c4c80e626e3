//! The `Telemetry` and `Traces` ports' adapters: Prometheus metrics
//! (`metrics`) and OpenTelemetry traces (`otel`).

#[cfg(feature = "otel")]
pub mod otel;
#[cfg(feature = "metrics")]
pub mod prometheus;
