//! Logging set-up: console or JSON lines, filtered by `RUST_LOG` or the
//! configured level.

use tracing_subscriber::EnvFilter;

use super::config::{LogFormat, LoggingConfig};

/// Installs the global subscriber; a second call (tests) leaves the first.
pub fn init_logging(config: &LoggingConfig) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = match config.format {
        LogFormat::Console => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
}
