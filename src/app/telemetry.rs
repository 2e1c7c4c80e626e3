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
    traces: Option<TraceFlush>,
}

impl Telemetry {
    /// Sends what is still buffered; the last step before the process exits.
    pub fn shutdown(self) {
        if let Some(flush) = self.traces {
            flush();
        }
    }
}

/// A subscriber layer, as trace export adds one.
pub type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync + 'static>;

/// Sends the spans still buffered by trace export.
pub type TraceFlush = Box<dyn FnOnce() + Send>;

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

/// Installs the global subscriber (a second call, in tests, leaves the
/// first). Runs inside the Tokio runtime: the trace exporter lives on it.
pub fn init(logging: &LoggingConfig, tracing: &TracingConfig) -> Result<Telemetry> {
    let (traces, trace_layer) = super::compose::trace_export(tracing)?.unzip();
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
