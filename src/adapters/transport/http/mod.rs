//! The operators' HTTP port: `/metrics` (Prometheus text), `/health/live`
//! (the process answers) and `/health/ready` (200, or 503 with the reason).

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::adapters::telemetry::prometheus::PrometheusTelemetry;
use crate::app::jobs::JobPorts;
use crate::app::readiness::Readiness;
use crate::domain::{Error, Priority, Result};

#[derive(Clone)]
struct Ops {
    metrics: Arc<PrometheusTelemetry>,
    ports: JobPorts,
    readiness: Readiness,
}

async fn metrics(State(ops): State<Ops>) -> impl IntoResponse {
    if let Ok(mut depths) = ops.ports.queue.depths().await {
        // Every backend has a queue, also one whose jobs never had to wait
        // (they started at their submission).
        for backend in ops.ports.backends.ids() {
            if !depths.iter().any(|(listed, _, _)| *listed == backend) {
                depths.extend(Priority::ALL.into_iter().map(|p| (backend.clone(), p, 0)));
            }
        }
        ops.metrics.set_queue_sizes(&depths);
    }
    for status in ops.ports.backends.statuses().await {
        ops.metrics
            .set_backend_available(&status.capabilities.id, status.is_available);
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        ops.metrics.encode(),
    )
}

async fn live() -> &'static str {
    "live\n"
}

async fn ready(State(ops): State<Ops>) -> (StatusCode, String) {
    match ops.readiness.reason() {
        None => (StatusCode::OK, "ready\n".to_owned()),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {reason}\n"),
        ),
    }
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    metrics_registry: Arc<PrometheusTelemetry>,
    ports: JobPorts,
    readiness: Readiness,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let ops = Ops {
        metrics: metrics_registry,
        ports,
        readiness,
    };
    let router = Router::new()
        .route("/metrics", get(metrics))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .with_state(ops);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Error::unavailable(format!("HTTP server stopped: {e}")))
}
