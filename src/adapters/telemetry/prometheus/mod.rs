//! `Telemetry` as Prometheus metrics (prometheus-client). Gauges that mirror
//! live state (queue sizes, backend availability) are read when scraped.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::domain::{BackendId, Priority};
use crate::ports::{ClusterView, FailureReason, MetricsExposition, RecoveryAction, Telemetry};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BackendLabel {
    backend: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NodeLabel {
    node: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    backend: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RpcLabels {
    method: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    backend: String,
    priority: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabel {
    action: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Seconds from 1 ms to about 9 hours.
fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 4.0, 12))
}

/// Seconds from 50 µs to about 50 s, for calls.
fn rpc_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_05, 4.0, 11))
}

pub struct PrometheusTelemetry {
    registry: Registry,
    submitted: Family<BackendLabel, Counter>,
    completed: Family<BackendLabel, Counter>,
    failed: Family<ReasonLabels, Counter>,
    canceled: Family<BackendLabel, Counter>,
    refused: Family<BackendLabel, Counter>,
    execution: Histograms<BackendLabel>,
    queue_wait: Histograms<BackendLabel>,
    queue_size: Family<QueueLabels, Gauge>,
    available: Family<BackendLabel, Gauge>,
    rpc: Histograms<RpcLabels>,
    recovery: Family<ActionLabel, Counter>,
    cluster_nodes: Gauge,
    leader: Family<NodeLabel, Gauge>,
}

impl Default for PrometheusTelemetry {
    fn default() -> Self {
        Self::new()
    }
}

impl PrometheusTelemetry {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let metrics = Self {
            submitted: Family::default(),
            completed: Family::default(),
            failed: Family::default(),
            canceled: Family::default(),
            refused: Family::default(),
            execution: Family::new_with_constructor(duration_histogram),
            queue_wait: Family::new_with_constructor(duration_histogram),
            queue_size: Family::default(),
            available: Family::default(),
            rpc: Family::new_with_constructor(rpc_histogram),
            recovery: Family::default(),
            cluster_nodes: Gauge::default(),
            leader: Family::default(),
            registry: Registry::default(),
        };
        registry.register(
            "arvak_jobs_submitted",
            "Jobs accepted, by backend",
            metrics.submitted.clone(),
        );
        registry.register(
            "arvak_jobs_completed",
            "Jobs that completed, by backend",
            metrics.completed.clone(),
        );
        registry.register(
            "arvak_jobs_failed",
            "Jobs that failed, by backend and reason",
            metrics.failed.clone(),
        );
        registry.register(
            "arvak_jobs_canceled",
            "Jobs canceled by their clients, by backend",
            metrics.canceled.clone(),
        );
        registry.register(
            "arvak_job_execution_seconds",
            "Run time of completed jobs",
            metrics.execution.clone(),
        );
        registry.register(
            "arvak_job_queue_wait_seconds",
            "Time from submission to start",
            metrics.queue_wait.clone(),
        );
        registry.register(
            "arvak_queue_size",
            "Jobs waiting, by backend and priority",
            metrics.queue_size.clone(),
        );
        registry.register(
            "arvak_backend_available",
            "1 when the backend accepts work",
            metrics.available.clone(),
        );
        registry.register(
            "arvak_rpc_duration_seconds",
            "gRPC calls by method and status code",
            metrics.rpc.clone(),
        );
        registry.register(
            "arvak_recovery_jobs",
            "Jobs handled by start-up recovery, by action",
            metrics.recovery.clone(),
        );
        registry.register(
            "arvak_outcomes_refused",
            "Run outcomes the store refused (job canceled meanwhile, or claimed again under a newer token), by backend",
            metrics.refused.clone(),
        );
        registry.register(
            "arvak_cluster_nodes",
            "Nodes heard from recently, this one included",
            metrics.cluster_nodes.clone(),
        );
        registry.register(
            "arvak_leader",
            "1 for the node that leads, as this node last heard",
            metrics.leader.clone(),
        );
        let build: Family<BuildLabels, Gauge> = Family::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION").to_owned(),
            })
            .set(1);
        registry.register("arvak_build_info", "The running build", build);
        Self {
            registry,
            ..metrics
        }
    }
}

/// The gauges that mirror live state are set just before a scrape.
impl MetricsExposition for PrometheusTelemetry {
    fn set_queue_sizes(&self, depths: &[(BackendId, Priority, u64)]) {
        for (backend, priority, size) in depths {
            let labels = QueueLabels {
                backend: backend.to_string(),
                priority: priority.as_str().to_owned(),
            };
            self.queue_size
                .get_or_create(&labels)
                .set(i64::try_from(*size).unwrap_or(i64::MAX));
        }
    }

    fn set_backend_available(&self, backend: &BackendId, available: bool) {
        self.available
            .get_or_create(&backend_label(backend))
            .set(i64::from(available));
    }

    fn set_cluster(&self, view: &ClusterView) {
        self.cluster_nodes
            .set(i64::try_from(view.nodes).unwrap_or(i64::MAX));
        self.leader.clear();
        if let Some(leader) = &view.leader {
            self.leader
                .get_or_create(&NodeLabel {
                    node: leader.clone(),
                })
                .set(1);
        }
    }

    /// The exposition text of every metric.
    fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

fn backend_label(backend: &BackendId) -> BackendLabel {
    BackendLabel {
        backend: backend.to_string(),
    }
}

impl Telemetry for PrometheusTelemetry {
    fn jobs_submitted(&self, backend: &BackendId, count: u64) {
        self.submitted
            .get_or_create(&backend_label(backend))
            .inc_by(count);
    }

    fn job_started(&self, backend: &BackendId, queue_wait: Duration) {
        self.queue_wait
            .get_or_create(&backend_label(backend))
            .observe(queue_wait.as_secs_f64());
    }

    fn job_completed(&self, backend: &BackendId, execution: Duration) {
        self.completed.get_or_create(&backend_label(backend)).inc();
        self.execution
            .get_or_create(&backend_label(backend))
            .observe(execution.as_secs_f64());
    }

    fn job_failed(&self, backend: &BackendId, reason: FailureReason) {
        let labels = ReasonLabels {
            backend: backend.to_string(),
            reason: reason.as_str().to_owned(),
        };
        self.failed.get_or_create(&labels).inc();
    }

    fn job_canceled(&self, backend: &BackendId) {
        self.canceled.get_or_create(&backend_label(backend)).inc();
    }

    fn outcome_refused(&self, backend: &BackendId) {
        self.refused.get_or_create(&backend_label(backend)).inc();
    }

    fn rpc(&self, method: &str, code: &str, elapsed: Duration) {
        let labels = RpcLabels {
            method: method.to_owned(),
            code: code.to_owned(),
        };
        self.rpc
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    fn recovered(&self, action: RecoveryAction, count: u64) {
        self.recovery
            .get_or_create(&ActionLabel {
                action: action.as_str().to_owned(),
            })
            .inc_by(count);
    }
}
