//! The operators' HTTP port: `/metrics` (Prometheus text), `/health/live`
//! (the process answers) and `/health/ready` (200, or 503 with the reason;
//! then this node's id and the leader's).

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::domain::{Error, Result};
use crate::ports::{MetricsExposition, ServiceStatus};

#[derive(Clone)]
struct Ops {
    metrics: Arc<dyn MetricsExposition>,
    status: Arc<dyn ServiceStatus>,
}

async fn scrape(State(ops): State<Ops>) -> impl IntoResponse {
    if let Ok(depths) = ops.status.queue_depths().await {
        ops.metrics.set_queue_sizes(&depths);
    }
    for (backend, available) in ops.status.backend_availability().await {
        ops.metrics.set_backend_available(&backend, available);
    }
    ops.metrics.set_cluster(&ops.status.cluster());
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        ops.metrics.encode(),
    )
}

async fn live() -> &'static str {
    "live\n"
}

/// The verdict on the first line, then this node and the leader.
async fn ready(State(ops): State<Ops>) -> (StatusCode, String) {
    let cluster = ops.status.cluster();
    let about = format!(
        "node: {}\nleader: {}\n",
        cluster.node,
        cluster.leader.as_deref().unwrap_or("none")
    );
    match ops.status.not_ready() {
        None => (StatusCode::OK, format!("ready\n{about}")),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {reason}\n{about}"),
        ),
    }
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<dyn MetricsExposition>,
    status: Arc<dyn ServiceStatus>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let ops = Ops { metrics, status };
    let router = Router::new()
        .route("/metrics", get(scrape))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .with_state(ops);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Error::unavailable(format!("HTTP server stopped: {e}")))
}
