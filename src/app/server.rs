//! The running service: gRPC server and worker pool, started together and
//! shut down in order (stop accepting, let running work finish, leave).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use super::backends::BackendRegistry;
use super::compose::{self, Background, GrpcServing, Transports};
use super::config::Config;
use super::duties::{self, DutySettings, LeaderOffice};
use super::jobs::{JobPorts, JobRules, JobService};
use super::readiness::{NotReady, Readiness};
use super::recovery::recover_at_start;
use super::retention::RetentionSettings;
use super::status::StatusService;
use super::worker::{WorkerPool, WorkerSettings};
use crate::domain::Result;
use crate::ports::{AuditFlusher, Authenticator, HealthReport, Leadership, QuantumBackend};

/// Workers per CPU core when `workers.count` is 0. Each job waits for two
/// commits, so the pool runs at most `workers / (2 × commit time)` jobs a
/// second: with 32 per core and commits of about 2 ms under load, fewer
/// than SubmitJob takes in on 2 cores. The backlog then outgrew the job
/// cache, every claim became a database read, and the workers slowed to
/// half speed while the backlog and memory kept growing. 128 per core kept
/// the queue empty at the same submission rate; an idle worker costs one
/// wake-up a second.
const WORKERS_PER_CORE: usize = 128;

/// How often readiness asks the store whether it answers.
const READINESS_CHECK: Duration = Duration::from_secs(2);

pub struct App {
    config: Config,
    ports: JobPorts,
    authenticator: Arc<dyn Authenticator>,
    /// Whether this node runs the duties done once per cluster.
    leadership: Arc<dyn Leadership>,
    /// Certificate and policy reloads are recorded here (calls record their own).
    audit: Arc<dyn crate::ports::AuditLog>,
    audit_flush: Option<Arc<dyn AuditFlusher>>,
    /// Started once serving (the policies file kept current).
    background: Vec<Background>,
    jobs: JobService,
    stop: watch::Sender<bool>,
    /// gRPC (over TLS when configured) and the HTTP endpoints.
    transports: Transports,
}

impl App {
    /// Builds the app as the shipped binary does.
    pub async fn build(config: Config) -> Result<Self> {
        Self::build_with(config, Vec::new()).await
    }

    /// Builds the app with extra backends besides the configured ones.
    pub async fn build_with(
        config: Config,
        extra_backends: Vec<Arc<dyn QuantumBackend>>,
    ) -> Result<Self> {
        let composed = compose::compose(&config, extra_backends).await?;
        let ports = composed.ports;
        let rules = JobRules {
            idempotency_window: Duration::from_secs(config.jobs.idempotency_window_secs),
            job_limits: config.limits.job_limits(),
            queue_limits: config.limits.queue_limits(),
            default_page_size: config.jobs.default_page_size.max(1),
            max_page_size: config.jobs.max_page_size.max(1),
            start_lease: Some(Duration::from_secs(config.workers.lease_secs.max(1))),
        };
        let (stop, stopped) = watch::channel(false);
        let jobs = JobService::new(ports.clone(), rules, stopped);
        Ok(Self {
            config,
            ports,
            authenticator: composed.authenticator,
            leadership: composed.leadership,
            audit: composed.audit,
            audit_flush: composed.audit_flush,
            background: composed.background,
            jobs,
            stop,
            transports: composed.transports,
        })
    }

    pub fn jobs(&self) -> &JobService {
        &self.jobs
    }

    fn start_http(&self, listener: TcpListener, readiness: Readiness) {
        let status = Arc::new(StatusService {
            queue: self.ports.queue.clone(),
            backends: self.ports.backends.clone(),
            readiness,
            leadership: self.leadership.clone(),
        });
        let serving = self
            .transports
            .http(listener, status, self.stop.subscribe());
        tokio::spawn(async move {
            if let Err(e) = serving.await {
                tracing::error!(error = %e, "the HTTP endpoints stopped");
            }
        });
    }

    fn duty_settings(&self) -> DutySettings {
        let storage = &self.config.storage;
        let reconcile_secs = self.config.queue.reconcile_interval_secs;
        DutySettings {
            reconcile_every: (reconcile_secs > 0).then(|| Duration::from_secs(reconcile_secs)),
            retention: RetentionSettings {
                interval: Duration::from_secs(storage.retention_interval_secs),
                result_days: storage.result_retention_days,
                failed_days: storage.failed_retention_days,
            },
            max_attempts: self.config.workers.max_attempts.max(1),
        }
    }

    fn worker_settings(&self) -> WorkerSettings {
        let workers = &self.config.workers;
        let count = match workers.count {
            // A worker spends most of a job waiting: for the store's commits
            // (two per job) or a QPU. With one per core a durable store left
            // the CPU idle; the simulator's memory budget, not the worker
            // count, keeps large state vectors from piling up.
            0 => WORKERS_PER_CORE * std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        };
        WorkerSettings {
            count,
            lease: Duration::from_secs(workers.lease_secs.max(1)),
            max_attempts: workers.max_attempts.max(1),
            claim_wait: Duration::from_secs(1),
            job_timeouts: self.config.backends.job_timeouts(),
            job_timeout: (workers.job_timeout_secs > 0)
                .then(|| Duration::from_secs(workers.job_timeout_secs)),
            follow_cancels: self.ports.queue.capabilities().shared,
        }
    }

    /// Serves until `shutdown` completes, then drains within the configured
    /// time: no new calls or claims, running jobs may finish, queued jobs stay
    /// queued for the next start.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<()> {
        let http = if self.config.http.enabled {
            let address = self.config.http.listen_addr;
            let listener = TcpListener::bind(address).await.map_err(|e| {
                crate::domain::Error::unavailable(format!("cannot listen on {address} (http): {e}"))
            })?;
            Some(listener)
        } else {
            None
        };
        self.serve_with(listener, http, shutdown).await
    }

    /// Serves gRPC on `listener` and, when given, the HTTP endpoints on
    /// `http` (tests bind both to port 0). The audit file is flushed on the
    /// way out, whichever way that is.
    pub async fn serve_with(
        self,
        listener: TcpListener,
        http: Option<TcpListener>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<()> {
        let audit = self.audit_flush.clone();
        let outcome = self.serve_until(listener, http, shutdown).await;
        if let Some(audit) = audit {
            audit.flush().await;
        }
        outcome
    }

    async fn serve_until(
        mut self,
        listener: TcpListener,
        http: Option<TcpListener>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<()> {
        let address = listener.local_addr().ok();
        let drain_time = Duration::from_secs(self.config.server.shutdown_timeout_secs);
        let GrpcServing {
            serving: server,
            health,
        } = self
            .transports
            .grpc(
                self.jobs.clone(),
                self.authenticator.clone(),
                self.config.limits.max_message_bytes,
                listener,
                self.audit.clone(),
                self.ports.clock.clone(),
                self.stop.subscribe(),
            )
            .await;
        tokio::pin!(server);
        tokio::pin!(shutdown);
        if self.ports.backends.is_empty() {
            tracing::warn!("no backend is configured: every submission will be refused");
        }
        let readiness = Readiness::new();
        tokio::spawn(report_health(readiness.subscribe(), health));
        if let Some(http) = http {
            self.start_http(http, readiness.clone());
        }
        let duty_ports = self.ports.for_duties();
        let office = Arc::new(LeaderOffice::new(
            self.leadership.clone(),
            duty_ports.store.clone(),
        ));
        let max_attempts = self.config.workers.max_attempts.max(1);
        let recovered = tokio::select! {
            outcome = &mut server => return outcome,
            () = &mut shutdown => {
                let _ = self.stop.send(true);
                return Ok(());
            }
            recovered = recover_at_start(&duty_ports, &office, max_attempts) => recovered,
        };
        match recovered {
            Ok(()) => {}
            Err(e) => {
                let _ = self.stop.send(true);
                return Err(e.context("recovery at start-up"));
            }
        }
        readiness.set(None);
        tokio::spawn(readiness.clone().monitor(
            self.ports.store.clone(),
            READINESS_CHECK,
            self.stop.subscribe(),
        ));
        for task in std::mem::take(&mut self.background) {
            tokio::spawn(task(self.stop.subscribe()));
        }
        tokio::spawn(duties::run(
            duty_ports,
            office,
            self.duty_settings(),
            self.stop.subscribe(),
        ));
        let workers = WorkerPool::start(self.ports.for_workers(), self.worker_settings());
        log_listening(address, self.transports.serves_tls(), &self.ports.backends);

        tokio::select! {
            outcome = &mut server => {
                workers.drain(drain_time).await;
                return outcome;
            }
            () = &mut shutdown => {}
        }
        tracing::info!(
            drain_secs = drain_time.as_secs(),
            "shutting down: refusing new work, letting running jobs finish"
        );
        readiness.set(Some("shutting down".to_owned()));
        let _ = self.stop.send(true);
        let (served, busy, ()) = tokio::join!(
            tokio::time::timeout(drain_time, server),
            workers.drain(drain_time),
            self.leadership.step_down()
        );
        if busy > 0 {
            tracing::warn!(
                busy,
                "drain time ran out with jobs still running; they stay RUNNING and are retried after their lease ends"
            );
        }
        match served {
            Ok(outcome) => outcome?,
            Err(_) => tracing::warn!("drain time ran out with calls still open; closing them"),
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Keeps the gRPC health service in step with readiness.
async fn report_health(mut readiness: watch::Receiver<NotReady>, health: Arc<dyn HealthReport>) {
    loop {
        let ready = readiness.borrow_and_update().is_none();
        health.set_serving(ready).await;
        if readiness.changed().await.is_err() {
            return;
        }
    }
}

fn log_listening(address: Option<SocketAddr>, tls: bool, backends: &BackendRegistry) {
    let backends: Vec<String> = backends.ids().iter().map(ToString::to_string).collect();
    match address {
        Some(address) => tracing::info!(%address, tls, ?backends, "arvak-grpc-server listening"),
        None => tracing::info!(tls, ?backends, "arvak-grpc-server listening"),
    }
}
