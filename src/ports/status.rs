//! What the operators' endpoints show, and how the gRPC health service is
//! told about readiness: driving ports for the transports.

use async_trait::async_trait;

use super::ClusterView;
use crate::domain::{BackendId, Priority, Result};

/// Readiness and the gauges read at scrape time, from the app.
#[async_trait]
pub trait ServiceStatus: Send + Sync {
    /// Why the service is not ready; `None` when it is.
    fn not_ready(&self) -> Option<String>;
    /// Waiting jobs by backend and priority; every served backend is
    /// listed, also one whose jobs never had to wait.
    async fn queue_depths(&self) -> Result<Vec<(BackendId, Priority, u64)>>;
    /// Whether each served backend takes jobs now.
    async fn backend_availability(&self) -> Vec<(BackendId, bool)>;
    /// This node, the leader and the nodes heard from.
    fn cluster(&self) -> ClusterView;
}

/// Metrics in a scrape format, for the HTTP endpoint.
pub trait MetricsExposition: Send + Sync {
    fn set_queue_sizes(&self, depths: &[(BackendId, Priority, u64)]);
    fn set_backend_available(&self, backend: &BackendId, available: bool);
    fn set_cluster(&self, view: &ClusterView);
    /// The scrape's body (Prometheus text format).
    fn encode(&self) -> String;
}

/// Tells a transport's health service whether to report SERVING.
#[async_trait]
pub trait HealthReport: Send + Sync {
    async fn set_serving(&self, serving: bool);
}
