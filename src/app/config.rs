//! Configuration: built-in defaults, then a YAML file (`--config PATH` or
//! `ARVAK_CONFIG`), then `ARVAK_*` environment variables (which `.env` may
//! supply when the real environment does not).
//!
//! An environment variable names its section and key: `ARVAK_SERVER_LISTEN_ADDR`
//! sets `server.listen_addr`, `ARVAK_BACKENDS_SIMULATOR_MAX_SHOTS` sets
//! `backends.simulator.max_shots`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Yaml};
use serde::{Deserialize, Serialize};

use super::compose::COMPILED;
use crate::domain::{Error, Result};

mod auth;
mod backends;

pub use auth::{
    ApiKeysConfig, AuditConfig, AuthConfig, JwtConfig, JwtKeyConfig, LockoutConfig, MtlsConfig,
    PoliciesConfig,
};
pub use backends::{BackendSection, BackendsConfig};

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub http: HttpConfig,
    pub storage: StorageConfig,
    pub queue: QueueConfig,
    pub workers: WorkerConfig,
    pub jobs: JobsConfig,
    pub limits: LimitsConfig,
    pub tls: TlsConfig,
    pub auth: AuthConfig,
    pub policies: PoliciesConfig,
    pub audit: AuditConfig,
    pub logging: LoggingConfig,
    pub tracing: TracingConfig,
    pub cluster: ClusterConfig,
    pub backends: BackendsConfig,
}

/// This node among others that share a queue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// This node's id in the election and the metrics; unset, a new one at
    /// every start (host name and random digits), so that a restarted node
    /// is never mistaken for its earlier self.
    pub node_id: Option<String>,
    /// How long the leader's lease lasts unless renewed (it is renewed at a
    /// quarter of this): a dead leader is replaced within about 1.25 × it.
    pub leader_lease_ms: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            node_id: None,
            leader_lease_ms: 2000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address the gRPC server listens on.
    pub listen_addr: SocketAddr,
    /// On SIGTERM/SIGINT, how long running jobs and calls may take to finish.
    pub shutdown_timeout_secs: u64,
    /// Threads that run calls and jobs; 0 for one per core. Fewer when
    /// several nodes share a host's cores.
    pub threads: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 50051)),
            shutdown_timeout_secs: 30,
            threads: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Serve `/metrics`, `/health/live` and `/health/ready` (feature `metrics`).
    pub enabled: bool,
    pub listen_addr: SocketAddr,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            enabled: COMPILED.metrics,
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageType {
    Memory,
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    /// Every commit reaches the disk: survives power loss.
    #[default]
    Full,
    /// Survives process crashes, may lose the last commits on power loss.
    Normal,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Where jobs are kept: `memory`, `sqlite` (default) or `postgres`.
    #[serde(rename = "type")]
    pub kind: StorageType,
    /// SQLite database file (storage type `sqlite`).
    pub sqlite_path: std::path::PathBuf,
    pub sqlite_synchronous: SqliteSynchronous,
    /// Memory for the jobs written last, which status reads and workers then
    /// read without asking SQLite; 0 turns it off.
    pub sqlite_cache_mib: u64,
    /// PostgreSQL connection URL (storage type `postgres`); never logged.
    pub postgres_url: Option<String>,
    /// Schema holding the tables; created if missing.
    pub postgres_schema: String,
    /// Connections in the pool; unset, 4 for SQLite (one writer, and reads
    /// mostly answered from memory) and 10 for PostgreSQL.
    pub max_connections: Option<u32>,
    /// PostgreSQL cancels a statement running longer than this.
    pub statement_timeout_secs: u64,
    /// How long a request waits for a free connection before UNAVAILABLE.
    pub acquire_timeout_secs: u64,
    /// Retention: how often it runs; 0 turns it off.
    pub retention_interval_secs: u64,
    /// Results of COMPLETED jobs older than this many days are purged (the
    /// job becomes RESULT_EXPIRED); 0 keeps them forever.
    pub result_retention_days: u64,
    /// FAILED and CANCELED jobs older than this many days are deleted; 0
    /// keeps them forever.
    pub failed_retention_days: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            kind: if COMPILED.sqlite {
                StorageType::Sqlite
            } else {
                StorageType::Memory
            },
            sqlite_path: std::path::PathBuf::from("data/arvak.db"),
            sqlite_synchronous: SqliteSynchronous::Full,
            sqlite_cache_mib: 16,
            postgres_url: None,
            postgres_schema: "public".to_owned(),
            max_connections: None,
            statement_timeout_secs: 30,
            acquire_timeout_secs: 5,
            retention_interval_secs: 3600,
            result_retention_days: 30,
            failed_retention_days: 30,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueType {
    #[default]
    Memory,
    Redis,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    /// Where the queue lives: `memory` (one node) or `redis` (a cluster).
    #[serde(rename = "type")]
    pub kind: QueueType,
    pub redis_url: Option<String>,
    /// Starts every Redis key and channel of this cluster.
    pub redis_prefix: String,
    /// How often the leader puts back in the queue what the store says
    /// belongs there (jobs the queue lost); 0 only at start-up.
    pub reconcile_interval_secs: u64,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            kind: QueueType::Memory,
            redis_url: None,
            redis_prefix: "arvak".to_owned(),
            reconcile_interval_secs: 60,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerConfig {
    /// Jobs run at once on this node; 0 means 128 per CPU core.
    pub count: usize,
    /// A claim not renewed for this long returns its job to the queue.
    pub lease_secs: u64,
    /// Starts of one job (after lost leases) before it is failed.
    pub max_attempts: u32,
    /// A run longer than this is stopped and its job FAILED; 0 never times
    /// out. A backend's own `job_timeout_secs` overrides it.
    pub job_timeout_secs: u64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            count: 0,
            lease_secs: 30,
            max_attempts: 3,
            job_timeout_secs: 3600,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// How long an idempotency key keeps returning its first job.
    pub idempotency_window_secs: u64,
    /// ListJobs page size when the request asks for 0.
    pub default_page_size: u32,
    /// Largest ListJobs page.
    pub max_page_size: u32,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            idempotency_window_secs: 24 * 60 * 60,
            default_page_size: 50,
            max_page_size: 1000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest request message the server decodes, in bytes.
    pub max_message_bytes: usize,
    /// Qubits per job; 0 leaves it to each backend.
    pub max_qubits: u32,
    /// Gates per job (after gate definitions are expanded); 0 is unlimited.
    pub max_gates: u64,
    /// Shots per job; 0 leaves it to each backend.
    pub max_shots: u32,
    /// Jobs waiting in all queues together; 0 is unlimited.
    pub max_queued_jobs: u64,
    /// Jobs waiting for one backend; 0 is unlimited.
    pub max_queued_jobs_per_backend: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_message_bytes: 16 << 20,
            max_qubits: 0,
            max_gates: 1_000_000,
            max_shots: 0,
            max_queued_jobs: 1_000_000,
            max_queued_jobs_per_backend: 0,
        }
    }
}

impl LimitsConfig {
    pub fn job_limits(&self) -> crate::domain::JobLimits {
        crate::domain::JobLimits {
            max_qubits: (self.max_qubits > 0).then_some(self.max_qubits),
            max_gates: (self.max_gates > 0).then_some(self.max_gates),
            max_shots: (self.max_shots > 0).then_some(self.max_shots),
        }
    }

    pub fn queue_limits(&self) -> crate::domain::QueueLimits {
        crate::domain::QueueLimits {
            total: (self.max_queued_jobs > 0).then_some(self.max_queued_jobs),
            per_backend: (self.max_queued_jobs_per_backend > 0)
                .then_some(self.max_queued_jobs_per_backend),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// Serve gRPC over TLS (needs the `tls` feature).
    pub enabled: bool,
    /// The server's certificate chain, leaf first (PEM).
    pub cert_path: Option<PathBuf>,
    /// The leaf certificate's private key (PEM).
    pub key_path: Option<PathBuf>,
    /// CA bundle that client certificates must chain to (mTLS).
    pub client_ca_path: Option<PathBuf>,
    /// Refuse clients without a certificate; otherwise one is optional (but
    /// checked when presented).
    pub require_client_cert: bool,
    /// How often the files are checked for a new certificate, key or CA.
    pub reload_interval_secs: u64,
    /// A client that has not finished its TLS handshake by then is dropped.
    pub handshake_timeout_secs: u64,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            cert_path: None,
            key_path: None,
            client_ca_path: None,
            require_client_cert: false,
            reload_interval_secs: 5,
            handshake_timeout_secs: 10,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Console,
    Json,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoggingConfig {
    /// `console` for people, `json` for log collectors.
    pub format: LogFormat,
    /// Filter such as `info` or `arvak_grpc=debug`; `RUST_LOG` overrides it.
    pub level: String,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Console,
            level: "info".to_owned(),
        }
    }
}

/// OpenTelemetry traces (feature `otel`): off until an endpoint is set.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TracingConfig {
    /// OTLP/gRPC collector, such as `http://127.0.0.1:4317`.
    pub otlp_endpoint: Option<String>,
    /// `service.name` of the exported spans.
    pub service_name: String,
    /// Share of new traces kept, 0.0 to 1.0; a call that arrives with a
    /// sampled `traceparent` is always kept.
    pub sample_ratio: f64,
}

impl Default for TracingConfig {
    fn default() -> Self {
        Self {
            otlp_endpoint: None,
            service_name: "arvak-grpc".to_owned(),
            sample_ratio: 1.0,
        }
    }
}

/// Top-level sections, which environment variable names start with.
const SECTIONS: [&str; 15] = [
    "server", "http", "storage", "queue", "workers", "jobs", "limits", "tls", "auth", "policies",
    "audit", "logging", "tracing", "cluster", "backends",
];

/// Subsections of `auth`, whose keys hold underscores too.
const AUTH_SUBSECTIONS: [&str; 4] = ["api_keys", "jwt", "mtls", "lockout"];

/// Maps `SERVER_LISTEN_ADDR` (prefix already removed) to `server.listen_addr`,
/// `BACKENDS_SIMULATOR_MAX_SHOTS` to `backends.simulator.max_shots`, and
/// `AUTH_API_KEYS_FILE` to `auth.api_keys.file`. A backend id may hold
/// underscores (`BACKENDS_IBM_TORINO_TOKEN`): the longest of `backend_ids`
/// (the sections the defaults and the file name) that the key starts with is
/// the id; otherwise the id ends at the first underscore.
fn env_key_to_path(key: &str, backend_ids: &[String]) -> Option<String> {
    let key = key.to_ascii_lowercase();
    let (section, rest) = key.split_once('_')?;
    if !SECTIONS.contains(&section) || rest.is_empty() {
        return None;
    }
    if section == "backends" {
        let known = backend_ids
            .iter()
            .filter_map(|id| {
                let setting = rest.strip_prefix(id.as_str())?.strip_prefix('_')?;
                Some((id.as_str(), setting))
            })
            .max_by_key(|(id, _)| id.len());
        let (backend, setting) = known.or_else(|| rest.split_once('_'))?;
        return Some(format!("backends.{backend}.{setting}"));
    }
    if section == "auth" {
        for sub in AUTH_SUBSECTIONS {
            if let Some(setting) = rest.strip_prefix(sub).and_then(|r| r.strip_prefix('_')) {
                return Some(format!("auth.{sub}.{setting}"));
            }
        }
    }
    Some(format!("{section}.{rest}"))
}

impl Config {
    /// Loads the layers in order; the YAML file is optional, but one that is
    /// named must exist.
    pub fn load(file: Option<&Path>) -> Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(Error::invalid_argument(format!(
                    "configuration file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Yaml::file_exact(path));
        }
        let backend_ids = section_names(&figment, "backends");
        let env = Env::prefixed("ARVAK_")
            .filter_map(move |key| env_key_to_path(key.as_str(), &backend_ids).map(Into::into))
            .split(".");
        figment
            .merge(env)
            .extract()
            .map_err(|e| Error::invalid_argument(format!("configuration: {e}")))
    }
}

/// The keys of the dictionary at `path` (none when it is not one).
fn section_names(figment: &Figment, path: &str) -> Vec<String> {
    figment
        .find_value(path)
        .ok()
        .and_then(|value| value.into_dict())
        .map(|dict| dict.into_keys().map(|id| id.to_ascii_lowercase()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
