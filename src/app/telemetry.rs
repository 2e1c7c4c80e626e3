//! Logging and trace export: console or JSON lines, filtered by `RUST_LOG`
//! or the configured level; with the `otel` feature and an endpoint, spans
//! go to an OTLP collector as well.

mod call_fields;

use call_fields::{ConsoleCallFields, JsonCallFields};
use tracing_subscriber::fmt::format::DefaultFields;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use super::config::{LogFormat, LoggingConfig, TracingConfig};
use crate::domain::Result;

/// Keeps trace export running; [`Telemetry::shutdown`] flushes it.
#[must_use = "dropping it without shutdown loses the spans still buffered"]
pub struct Telemetry {
    traces: Option<TracePipeline>,
}

impl Telemetry {
    /// Sends what is still buffered; the last step before the process exits.
    pub fn shutdown(self) {
        #[cfg(feature = "otel")]
        if let Some(traces) = self.traces {
            traces.shutdown();
        }
        // Without the `otel` feature nothing is buffered.
        #[cfg(not(feature = "otel"))]
        let _ = self.traces;
    }
}

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync + 'static>;

/// Lines written inside a call end with its method and request id
/// (`call_fields`).
fn log_layer(config: &LoggingConfig) -> BoxedLayer {
    let layer = tracing_subscriber::fmt::layer().with_target(false);
    match config.format {
        LogFormat::Console => layer
            .fmt_fields(ConsoleCallFields(DefaultFields::new()))
            .boxed(),
        LogFormat::Json => {
            let format = tracing_subscriber::fmt::format()
                .json()
                .with_target(false)
                .flatten_event(true)
                .with_current_span(true);
            layer.json().event_format(JsonCallFields(format)).boxed()
        }
    }
}

#[cfg(feature = "otel")]
type TracePipeline = crate::adapters::telemetry::otel::TracePipeline;
/// Nothing to flush in a build without trace export.
#[cfg(not(feature = "otel"))]
type TracePipeline = ();

/// The trace export pipeline and its layer, when an endpoint is configured.
fn trace_export(config: &TracingConfig) -> Result<Option<(TracePipeline, BoxedLayer)>> {
    let Some(endpoint) = &config.otlp_endpoint else {
        return Ok(None);
    };
    #[cfg(feature = "otel")]
    {
        let (pipeline, layer) = crate::adapters::telemetry::otel::start(
            endpoint,
            &config.service_name,
            config.sample_ratio,
        )?;
        Ok(Some((pipeline, layer.boxed())))
    }
    #[cfg(not(feature = "otel"))]
    Err(super::compose::missing_feature(
        &format!("tracing.otlp_endpoint ('{endpoint}')"),
        "otel",
    ))
}

/// Installs the global subscriber (a second call, in tests, leaves the
/// first). Runs inside the Tokio runtime: the trace exporter lives on it.
pub fn init(logging: &LoggingConfig, tracing: &TracingConfig) -> Result<Telemetry> {
    let (traces, trace_layer) = trace_export(tracing)?.unzip();
    let layers: Vec<BoxedLayer> = [Some(log_layer(logging)), trace_layer]
        .into_iter()
        .flatten()
        .collect();
    // One filter for the whole stack, not one per layer: with per-layer
    // filters, a library that asks whether a level is enabled without then
    // logging (sqlx does) makes the next event vanish
    // (tokio-rs/tracing#2519). So traces see what the logs see; the default
    // `info` includes every span of this service.
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&logging.level));
    let _ = tracing_subscriber::registry()
        .with(layers)
        .with(filter)
        .try_init();
    Ok(Telemetry { traces })
}
