//! The running service: gRPC server and worker pool, started together and
//! shut down in order (stop accepting, let running work finish, leave).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use super::compose;
use super::config::Config;
use super::jobs::{JobPorts, JobRules, JobService};
use super::worker::{WorkerPool, WorkerSettings};
use crate::adapters::grpc::GrpcServer;
use crate::domain::Result;
use crate::ports::QuantumBackend;

pub struct App {
    config: Config,
    ports: JobPorts,
    jobs: JobService,
    stop: watch::Sender<bool>,
}

impl App {
    /// Builds the app as the shipped binary does.
    pub fn build(config: Config) -> Result<Self> {
        Self::build_with(config, Vec::new())
    }

    /// Builds the app with extra backends besides the configured ones.
    pub fn build_with(
        config: Config,
        extra_backends: Vec<Arc<dyn QuantumBackend>>,
    ) -> Result<Self> {
        let ports = compose::ports(&config, extra_backends)?;
        let rules = JobRules {
            idempotency_window: Duration::from_secs(config.jobs.idempotency_window_secs),
            default_page_size: config.jobs.default_page_size.max(1),
            max_page_size: config.jobs.max_page_size.max(1),
        };
        let (stop, stopped) = watch::channel(false);
        let jobs = JobService::new(ports.clone(), rules, stopped);
        Ok(Self {
            config,
            ports,
            jobs,
            stop,
        })
    }

    pub fn jobs(&self) -> &JobService {
        &self.jobs
    }

    fn worker_settings(&self) -> WorkerSettings {
        let workers = &self.config.workers;
        let count = match workers.count {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        };
        WorkerSettings {
            count,
            lease: Duration::from_secs(workers.lease_secs.max(1)),
            max_attempts: workers.max_attempts.max(1),
            claim_wait: Duration::from_secs(1),
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
        let address = listener.local_addr().ok();
        let drain_time = Duration::from_secs(self.config.server.shutdown_timeout_secs);
        let grpc = GrpcServer::new(self.jobs.clone()).await;
        let health = grpc.health();
        let mut stopped = self.stop.subscribe();
        let server = grpc.serve(listener, async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        });
        tokio::pin!(server);
        tokio::pin!(shutdown);
        if self.ports.backends.is_empty() {
            tracing::warn!("no backend is configured: every submission will be refused");
        }
        let workers = WorkerPool::start(self.ports.clone(), self.worker_settings());
        health.set_serving(true).await;
        log_listening(address, &self.ports);

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
        health.set_serving(false).await;
        let _ = self.stop.send(true);
        let (served, busy) = tokio::join!(
            tokio::time::timeout(drain_time, server),
            workers.drain(drain_time)
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

fn log_listening(address: Option<SocketAddr>, ports: &JobPorts) {
    let backends: Vec<String> = ports
        .backends
        .ids()
        .iter()
        .map(ToString::to_string)
        .collect();
    match address {
        Some(address) => tracing::info!(%address, ?backends, "arvak-grpc-server listening"),
        None => tracing::info!(?backends, "arvak-grpc-server listening"),
    }
}
