//! W3C trace context: taken from a call's metadata, stored with a job as a
//! `traceparent`, and resumed by the worker that runs it.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::Context;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{Span as _, TraceContextExt, Tracer as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::pipeline::TRACER_NAME;
use crate::domain::UnixMillis;
use crate::ports::Traces;

const TRACEPARENT: &str = "traceparent";

fn context_of(traceparent: &str) -> Context {
    let carrier = HashMap::from([(TRACEPARENT.to_owned(), traceparent.to_owned())]);
    TraceContextPropagator::new().extract(&carrier)
}

fn system_time(at: UnixMillis) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(at.0).unwrap_or(0))
}

/// The [`Traces`] port over the OpenTelemetry layer of the global subscriber.
#[derive(Debug, Clone, Copy, Default)]
pub struct OtelTraces;

impl Traces for OtelTraces {
    fn exporting(&self) -> bool {
        true
    }

    fn current(&self) -> Option<String> {
        let context = tracing::Span::current().context();
        if !context.span().span_context().is_valid() {
            return None;
        }
        let mut carrier = HashMap::new();
        TraceContextPropagator::new().inject_context(&context, &mut carrier);
        carrier.remove(TRACEPARENT)
    }

    fn adopt(&self, span: &tracing::Span, traceparent: &str) {
        let parent = context_of(traceparent);
        if parent.span().span_context().is_valid() {
            let _ = span.set_parent(parent);
        }
    }

    fn record_past(
        &self,
        parent: &tracing::Span,
        name: &'static str,
        start: UnixMillis,
        end: UnixMillis,
    ) {
        let context = parent.context();
        if !context.span().span_context().is_valid() {
            return;
        }
        // `tracing` spans start when created; a phase that already happened
        // is written through the OpenTelemetry API with its own times.
        let tracer = opentelemetry::global::tracer(TRACER_NAME);
        let mut span = tracer
            .span_builder(name)
            .with_start_time(system_time(start))
            .start_with_context(&tracer, &context);
        span.end_with_timestamp(system_time(end.max(start)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_round_trips_through_the_context() {
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context = context_of(traceparent);
        let span_context = context.span().span_context().clone();
        assert!(span_context.is_valid());
        assert_eq!(
            span_context.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert!(
            !context_of("not a traceparent")
                .span()
                .span_context()
                .is_valid()
        );
    }
}
