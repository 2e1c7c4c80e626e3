//! The composition root: turns configuration into ports. One line per
//! adapter; a configuration naming an adapter this build lacks fails here,
//! naming the Cargo feature it needs.

use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::watch;

#[allow(unused_imports)]
use std::time::Duration;

#[allow(unused_imports)]
use super::config::SqliteSynchronous;
use super::config::{Config, QueueType, StorageType, TracingConfig};
use super::handoff::LocalHandoff;
use super::jobs::JobPorts;
use crate::adapters::circuit::StandardFrontend;
use crate::adapters::clock::SystemClock;
use crate::adapters::events::memory::MemoryJobEvents;
use crate::adapters::leadership::SoleNode;
use crate::adapters::queue::memory::MemoryJobQueue;
use crate::adapters::rate_limit::governor::GovernorRateLimiter;
use crate::adapters::store::memory::MemoryJobStore;
use crate::domain::{Error, Result};
use crate::ports::{
    ApiKeyStore, AuditFlusher, AuditLog, AuditTable, Authenticator, Clock, JobEvents, JobQueue,
    JobStore, Leadership, MetricsExposition, QuantumBackend, RateLimiter, Telemetry, Traces,
};

mod auth;
mod backends;
mod policy;
mod transport;

pub use auth::{NewApiKey, api_key_store, audit_log, new_api_key};
pub use policy::policies;
pub use transport::{GrpcServing, Transports};

/// Which optional adapters this build holds, for the configuration's
/// defaults: a build serves what it has unless told otherwise.
pub struct Compiled {
    pub metrics: bool,
    pub sqlite: bool,
    pub simulator: bool,
}

pub const COMPILED: Compiled = Compiled {
    metrics: cfg!(feature = "metrics"),
    sqlite: cfg!(feature = "storage-sqlite"),
    simulator: cfg!(feature = "backend-simulator"),
};

/// Everything the app is built from.
pub struct Composed {
    pub ports: JobPorts,
    /// Authenticates every arvak.v1 call.
    pub authenticator: Arc<dyn Authenticator>,
    /// Who runs the duties done once per cluster.
    pub leadership: Arc<dyn Leadership>,
    /// The audit trail, for what happens outside calls (certificate reloads).
    pub audit: Arc<dyn AuditLog>,
    /// Flushes the audit trail at shutdown (when there is one).
    pub audit_flush: Option<Arc<dyn AuditFlusher>>,
    /// Work that runs while the server serves, until told to stop (the
    /// policies file kept current).
    pub background: Vec<Background>,
    pub transports: Transports,
}

/// A task the server starts once it serves, with the receiver that tells
/// it to stop.
pub type Background = Box<dyn FnOnce(watch::Receiver<bool>) -> BoxFuture<'static, ()> + Send>;

/// The job store, and the tables beside it when the storage is SQL.
pub(crate) struct Storage {
    pub store: Arc<dyn JobStore>,
    /// API keys (when `auth-api-key` is compiled in).
    pub key_table: Option<Arc<dyn ApiKeyStore>>,
    pub audit_table: Option<Arc<dyn AuditTable>>,
}

pub(crate) fn missing_feature(what: &str, feature: &str) -> Error {
    Error::invalid_argument(format!(
        "configuration: {what} is not available in this build; it needs the Cargo feature `{feature}`"
    ))
}

pub(crate) async fn store(config: &Config) -> Result<Storage> {
    let storage = &config.storage;
    #[allow(unused_variables)] // only SQL storage has a key table
    let recheck = Duration::from_secs(config.auth.api_keys.recheck_secs);
    match storage.kind {
        StorageType::Memory => Ok(Storage {
            store: Arc::new(MemoryJobStore::new()),
            key_table: None,
            audit_table: None,
        }),
        #[cfg(feature = "storage-sqlite")]
        StorageType::Sqlite => {
            use crate::adapters::store::sqlite::{SqliteSettings, open};
            let settings = SqliteSettings::from_config(
                storage.sqlite_path.clone(),
                storage.sqlite_synchronous == SqliteSynchronous::Full,
                storage.acquire_timeout_secs,
                storage.max_connections,
                storage.sqlite_cache_mib,
            );
            let store = open(&settings).await?;
            Ok(Storage {
                key_table: store.api_key_table(recheck),
                audit_table: Some(store.audit_table()),
                store: Arc::new(store),
            })
        }
        #[cfg(not(feature = "storage-sqlite"))]
        StorageType::Sqlite => Err(missing_feature("storage type 'sqlite'", "storage-sqlite")),
        #[cfg(feature = "storage-postgres")]
        StorageType::Postgres => {
            use crate::adapters::store::postgres::{PostgresSettings, open};
            let settings = PostgresSettings::from_config(
                storage.postgres_url.clone(),
                storage.postgres_schema.clone(),
                storage.max_connections,
                storage.statement_timeout_secs,
                storage.acquire_timeout_secs,
            )?;
            let store = open(&settings).await?;
            Ok(Storage {
                key_table: store.api_key_table(recheck),
                audit_table: Some(store.audit_table()),
                store: Arc::new(store),
            })
        }
        #[cfg(not(feature = "storage-postgres"))]
        StorageType::Postgres => Err(missing_feature(
            "storage type 'postgres'",
            "storage-postgres",
        )),
    }
}

async fn queue(config: &Config) -> Result<Arc<dyn JobQueue>> {
    match config.queue.kind {
        QueueType::Memory => Ok(Arc::new(MemoryJobQueue::new())),
        #[cfg(feature = "queue-redis")]
        QueueType::Redis => {
            use crate::adapters::queue::redis::RedisJobQueue;
            Ok(Arc::new(RedisJobQueue::connect(&redis(config)?).await?))
        }
        #[cfg(not(feature = "queue-redis"))]
        QueueType::Redis => Err(missing_feature("queue type 'redis'", "queue-redis")),
    }
}

/// The shared Redis's URL and key prefix, as the queue's settings check
/// them (`queue.redis_url` required); the election, the event bus and the
/// rate limits use the same.
#[cfg(feature = "queue-redis")]
fn redis(config: &Config) -> Result<crate::adapters::queue::redis::RedisQueueSettings> {
    let queue = &config.queue;
    crate::adapters::queue::redis::RedisQueueSettings::from_config(
        queue.redis_url.clone(),
        &queue.redis_prefix,
    )
}

/// Who runs the duties done once per cluster: an election among the nodes
/// that share a Redis queue; a node with its own queue always leads.
async fn leadership(config: &Config, node: &str) -> Result<Arc<dyn Leadership>> {
    match config.queue.kind {
        QueueType::Memory => Ok(Arc::new(SoleNode::new(node.to_owned()))),
        #[cfg(feature = "queue-redis")]
        QueueType::Redis => {
            use crate::adapters::leadership::redis::{RedisLeadership, RedisLeadershipSettings};
            let redis = redis(config)?;
            let settings = RedisLeadershipSettings::from_config(
                redis.url,
                &redis.prefix,
                node,
                config.cluster.leader_lease_ms,
            )?;
            Ok(Arc::new(RedisLeadership::connect(&settings).await?))
        }
        #[cfg(not(feature = "queue-redis"))]
        QueueType::Redis => Err(missing_feature("queue type 'redis'", "queue-redis")),
    }
}

/// Per-client submission rates: counted on this node alone, or for every
/// node that shares a Redis queue.
async fn rate_limiter(config: &Config) -> Result<Arc<dyn RateLimiter>> {
    match config.queue.kind {
        QueueType::Memory => Ok(Arc::new(<GovernorRateLimiter>::default())),
        #[cfg(feature = "queue-redis")]
        QueueType::Redis => {
            use crate::adapters::rate_limit::redis::RedisRateLimiter;
            let redis = redis(config)?;
            Ok(Arc::new(
                RedisRateLimiter::connect(&redis.url, &redis.prefix).await?,
            ))
        }
        #[cfg(not(feature = "queue-redis"))]
        QueueType::Redis => Err(missing_feature("queue type 'redis'", "queue-redis")),
    }
}

/// State changes for watchers: on this node alone, or across the nodes
/// that share a Redis queue.
#[allow(unused_variables)] // only the Redis bus needs the node's id
async fn events(config: &Config, node: &str) -> Result<Arc<dyn JobEvents>> {
    match config.queue.kind {
        QueueType::Memory => Ok(Arc::new(MemoryJobEvents::default())),
        #[cfg(feature = "queue-redis")]
        QueueType::Redis => {
            use crate::adapters::events::redis::{RedisEventsSettings, RedisJobEvents};
            let redis = redis(config)?;
            let settings = RedisEventsSettings::new(redis.url, &redis.prefix, node);
            Ok(Arc::new(RedisJobEvents::connect(&settings).await?))
        }
        #[cfg(not(feature = "queue-redis"))]
        QueueType::Redis => Err(missing_feature("queue type 'redis'", "queue-redis")),
    }
}

/// `cluster.node_id`, or the host name and random digits, new at every start.
pub fn node_id(config: &Config) -> String {
    if let Some(id) = &config.cluster.node_id {
        return id.clone();
    }
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".to_owned());
    // The last digits of a v7 UUID are random (the first are the clock).
    let random = uuid::Uuid::now_v7().simple().to_string();
    format!("{host}-{}", &random[random.len() - 12..])
}

/// The wall clock.
pub fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// Metrics: Prometheus when built with `metrics` (also exposed over HTTP),
/// none otherwise.
fn telemetry() -> (Arc<dyn Telemetry>, Option<Arc<dyn MetricsExposition>>) {
    #[cfg(feature = "metrics")]
    {
        use crate::adapters::telemetry::prometheus::PrometheusTelemetry;
        let metrics = Arc::new(PrometheusTelemetry::new());
        (metrics.clone(), Some(metrics))
    }
    #[cfg(not(feature = "metrics"))]
    (Arc::new(crate::ports::NoTelemetry), None)
}

/// Span export to an OTLP collector when `tracing.otlp_endpoint` is set:
/// the layer for the subscriber, and what flushes it at exit.
pub fn trace_export(
    config: &TracingConfig,
) -> Result<Option<(super::telemetry::TraceFlush, super::telemetry::BoxedLayer)>> {
    let Some(endpoint) = &config.otlp_endpoint else {
        return Ok(None);
    };
    #[cfg(feature = "otel")]
    {
        use crate::adapters::telemetry::otel::{OtelSettings, start};
        use tracing_subscriber::Layer;
        let settings =
            OtelSettings::from_config(endpoint, &config.service_name, config.sample_ratio)?;
        let (pipeline, layer) = start(&settings)?;
        let flush: super::telemetry::TraceFlush = Box::new(move || pipeline.shutdown());
        Ok(Some((flush, layer.boxed())))
    }
    #[cfg(not(feature = "otel"))]
    Err(missing_feature(
        &format!("tracing.otlp_endpoint ('{endpoint}')"),
        "otel",
    ))
}

/// Trace context for jobs: real when traces are exported (feature `otel`
/// and an endpoint), none otherwise, so that the phase spans cost nothing.
fn traces(config: &Config) -> Arc<dyn Traces> {
    #[cfg(feature = "otel")]
    if config.tracing.otlp_endpoint.is_some() {
        return Arc::new(crate::adapters::telemetry::otel::OtelTraces);
    }
    let _ = config;
    Arc::new(crate::ports::NoTraces)
}

/// Builds every port the app needs from `config`, plus backends supplied by
/// the caller (tests use this; the shipped binary passes none).
pub async fn compose(
    config: &Config,
    extra_backends: Vec<Arc<dyn QuantumBackend>>,
) -> Result<Composed> {
    let (telemetry, metrics) = telemetry();
    let transports = Transports::new(config, metrics)?;
    let Storage {
        store,
        key_table,
        audit_table,
    } = store(config).await?;
    let (audit, audit_flush) = audit_log(config, audit_table)?;
    let authenticator = auth::authenticator(config, key_table, audit.clone()).await?;
    let (policies, policy_file) = policies(config)?;
    let clock = clock();
    let mut background: Vec<Background> = Vec::new();
    if let Some(file) = policy_file {
        let interval = Duration::from_secs(config.policies.reload_interval_secs.max(1));
        let (audit, clock) = (audit.clone(), clock.clone());
        background.push(Box::new(move |stop| {
            file.keep_current(interval, audit, clock, stop).boxed()
        }));
    }
    let queue = queue(config).await?;
    let node = node_id(config);
    let ports = JobPorts {
        store,
        handoff: Arc::new(LocalHandoff::new(queue.clone())),
        queue,
        events: events(config, &node).await?,
        clock,
        frontend: Arc::new(StandardFrontend),
        backends: Arc::new(backends::registry(config, extra_backends)?),
        telemetry,
        traces: traces(config),
        policies,
        rate_limiter: rate_limiter(config).await?,
        audit: audit.clone(),
    };
    Ok(Composed {
        ports,
        authenticator,
        leadership: leadership(config, &node).await?,
        audit,
        audit_flush: audit_flush.map(|flush| Arc::new(flush) as Arc<dyn AuditFlusher>),
        background,
        transports,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_id_is_the_configured_one_or_new_at_every_start() {
        let mut config = Config::default();
        let (first, second) = (node_id(&config), node_id(&config));
        assert_ne!(first, second, "never reused");
        assert!(
            first.len() > 13 && first.as_bytes()[first.len() - 13] == b'-',
            "{first}"
        );
        config.cluster.node_id = Some("gpu-box-7".to_owned());
        assert_eq!(node_id(&config), "gpu-box-7");
    }
}
