//! Distributed traces across the queue. A job runs long after the call that
//! submitted it, often on another worker; the submitting call's trace context
//! is stored with the job, so that the spans of its run join that trace.
//!
//! Spans themselves are `tracing` spans; this port covers only what `tracing`
//! cannot say: trace context as text, and a phase that already ended.

use crate::domain::UnixMillis;

pub trait Traces: Send + Sync {
    /// Whether spans leave the process; the spans of job phases are only
    /// made then (they would cost every call something for nothing).
    fn exporting(&self) -> bool;
    /// The W3C `traceparent` of the current span, when traces are exported.
    fn current(&self) -> Option<String>;
    /// Makes `span` a child of the span `traceparent` names.
    fn adopt(&self, span: &tracing::Span, traceparent: &str);
    /// Records a phase that has already ended (a job's wait in the queue) as
    /// a child span of `parent`.
    fn record_past(
        &self,
        parent: &tracing::Span,
        name: &'static str,
        start: UnixMillis,
        end: UnixMillis,
    );
}

/// A phase's span when traces are exported, else none (free).
#[macro_export]
macro_rules! phase_span {
    ($traces:expr, $name:literal $(, $($field:tt)*)?) => {
        if $traces.exporting() {
            tracing::info_span!($name $(, $($field)*)?)
        } else {
            tracing::Span::none()
        }
    };
}

/// A span that gives log lines their context (the job, the client): at
/// INFO when traces are exported, else at DEBUG, so that at the default
/// level it is never made. Making the `submit` and `job` spans (their
/// fields formatted for the log, the registry's bookkeeping) cost about
/// 12 % of the server's CPU per job (paired SubmitJob runs: 0.88 × CPU per
/// job without them), for lines that are almost never written; the few
/// warnings written inside one name the job themselves.
#[macro_export]
macro_rules! context_span {
    ($traces:expr, $name:literal $(, $($field:tt)*)?) => {
        if $traces.exporting() {
            tracing::info_span!($name $(, $($field)*)?)
        } else {
            tracing::debug_span!($name $(, $($field)*)?)
        }
    };
}

/// Exports nothing (builds without the `otel` feature, and tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTraces;

impl Traces for NoTraces {
    fn exporting(&self) -> bool {
        false
    }
    fn current(&self) -> Option<String> {
        None
    }
    fn adopt(&self, _: &tracing::Span, _: &str) {}
    fn record_past(&self, _: &tracing::Span, _: &'static str, _: UnixMillis, _: UnixMillis) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Exporting(bool);

    impl Traces for Exporting {
        fn exporting(&self) -> bool {
            self.0
        }
        fn current(&self) -> Option<String> {
            None
        }
        fn adopt(&self, _: &tracing::Span, _: &str) {}
        fn record_past(&self, _: &tracing::Span, _: &'static str, _: UnixMillis, _: UnixMillis) {}
    }

    fn made_at(level: tracing::Level, traces: &Exporting) -> bool {
        let subscriber = tracing_subscriber::fmt().with_max_level(level).finish();
        tracing::subscriber::with_default(subscriber, || {
            !crate::context_span!(traces, "job", job_id = 7).is_disabled()
        })
    }

    #[test]
    fn a_context_span_is_made_for_export_or_for_debugging_only() {
        let (quiet, exported) = (Exporting(false), Exporting(true));
        assert!(!made_at(tracing::Level::INFO, &quiet), "the default level");
        assert!(made_at(tracing::Level::DEBUG, &quiet));
        assert!(made_at(tracing::Level::INFO, &exported));
    }
}
