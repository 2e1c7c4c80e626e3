//! The export pipeline: a batch span processor sending OTLP over gRPC, and
//! the `tracing` layer feeding it.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_subscriber::{Layer, Registry};

use super::config::OtelSettings;
use crate::domain::{Error, Result};

/// Name of the tracer (the instrumentation scope) of every exported span.
pub const TRACER_NAME: &str = "arvak-grpc";

/// How long shutdown may spend sending the spans still buffered.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// The running pipeline; [`TracePipeline::shutdown`] sends what is buffered.
pub struct TracePipeline {
    provider: SdkTracerProvider,
}

impl TracePipeline {
    /// Exports the spans still buffered, then stops the exporter.
    pub fn shutdown(&self) {
        if let Err(e) = self.provider.shutdown_with_timeout(FLUSH_TIMEOUT) {
            tracing::warn!(error = %e, "could not flush the remaining spans");
        }
    }
}

/// Starts exporting to `endpoint` and returns the pipeline with the layer
/// to add to the subscriber. Must run inside the Tokio runtime (the gRPC
/// exporter lives on it).
pub fn start(
    settings: &OtelSettings,
) -> Result<(TracePipeline, impl Layer<Registry> + Send + Sync + 'static)> {
    let OtelSettings {
        endpoint,
        service_name,
        sample_ratio,
    } = settings;
    let exporter = SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint.as_str())
        .build()
        .map_err(|e| {
            Error::invalid_argument(format!(
                "configuration: tracing.otlp_endpoint '{endpoint}': {e}"
            ))
        })?;
    // A call that arrives inside a sampled trace is always kept, so that
    // traces are whole; new traces are kept at the configured ratio.
    let sampler = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(*sample_ratio)));
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(sampler)
        .with_resource(
            Resource::builder()
                .with_service_name(service_name.clone())
                .build(),
        )
        .build();
    opentelemetry::global::set_tracer_provider(provider.clone());
    let tracer = provider.tracer(TRACER_NAME);
    let layer = tracing_opentelemetry::layer().with_tracer(tracer);
    Ok((TracePipeline { provider }, layer))
}
