//! OpenTelemetry traces (feature `otel`): the OTLP/gRPC export pipeline, W3C
//! trace context in and out, and the [`Traces`](crate::ports::Traces) port.
//!
//! Spans are ordinary `tracing` spans; the pipeline adds a layer that turns
//! them into OpenTelemetry spans, so code elsewhere never names this crate.

mod config;
mod pipeline;
mod propagation;

pub use config::OtelSettings;
pub use pipeline::{TracePipeline, start};
pub use propagation::OtelTraces;
