//! The transports: gRPC over TLS when configured (with the watcher that
//! reloads its files), otherwise in plaintext, with a warning when that
//! reaches beyond this machine; and the operators' HTTP endpoints.

use std::net::SocketAddr;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::net::TcpListener;
use tokio::sync::watch;

#[allow(unused_imports)] // used by builds that lack a transport's feature
use super::missing_feature;
use crate::adapters::transport::grpc::GrpcServer;
use crate::app::config::Config;
use crate::app::jobs::JobService;
use crate::domain::Result;
use crate::ports::{
    AuditLog, Authenticator, Clock, HealthReport, MetricsExposition, ServiceStatus,
};

/// What serves calls: the gRPC port's TLS (when `tls.enabled`) and the
/// metrics the HTTP endpoint exposes (when built with `metrics`).
pub struct Transports {
    #[cfg(feature = "tls")]
    tls: Option<crate::adapters::transport::tls::ServerTls>,
    metrics: Option<Arc<dyn MetricsExposition>>,
}

/// A running gRPC server and the health it reports.
pub struct GrpcServing {
    pub serving: BoxFuture<'static, Result<()>>,
    pub health: Arc<dyn HealthReport>,
}

impl Transports {
    /// Checks the transport settings (TLS files are read here, so a bad
    /// certificate stops the start with its name).
    pub fn new(config: &Config, metrics: Option<Arc<dyn MetricsExposition>>) -> Result<Self> {
        if config.http.enabled && metrics.is_none() {
            return Err(missing_feature(
                "http.enabled (metrics and health endpoints)",
                "metrics",
            ));
        }
        #[cfg(not(feature = "tls"))]
        if config.tls.enabled {
            return Err(missing_feature("tls.enabled", "tls"));
        }
        Ok(Self {
            #[cfg(feature = "tls")]
            tls: tls(config)?,
            metrics,
        })
    }

    pub fn serves_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }

    /// The gRPC server on `listener`, over TLS when configured, until
    /// `stop` turns true; it reports NOT_SERVING until told otherwise.
    #[allow(clippy::too_many_arguments)]
    pub async fn grpc(
        &self,
        jobs: JobService,
        authenticator: Arc<dyn Authenticator>,
        max_message_bytes: usize,
        listener: TcpListener,
        audit: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
        stop: watch::Receiver<bool>,
    ) -> GrpcServing {
        let grpc = GrpcServer::new(jobs, authenticator, max_message_bytes).await;
        let health = Arc::new(grpc.health());
        let until_stopped = until_stopped(stop.clone());
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            tokio::spawn(tls.keep_current(audit, clock, stop));
            let serving = grpc
                .serve_incoming(tls.incoming(listener), until_stopped)
                .boxed();
            return GrpcServing { serving, health };
        }
        let _ = (audit, clock);
        if let Ok(address) = listener.local_addr() {
            warn_if_plaintext_beyond_loopback(address);
        }
        let serving = grpc.serve(listener, until_stopped).boxed();
        GrpcServing { serving, health }
    }

    /// `/metrics`, `/health/live` and `/health/ready` on `listener` until
    /// `stop` turns true.
    pub fn http(
        &self,
        listener: TcpListener,
        status: Arc<dyn ServiceStatus>,
        stop: watch::Receiver<bool>,
    ) -> BoxFuture<'static, Result<()>> {
        let until_stopped = until_stopped(stop);
        #[cfg(feature = "metrics")]
        if let Some(metrics) = &self.metrics {
            return crate::adapters::transport::http::serve(
                listener,
                metrics.clone(),
                status,
                until_stopped,
            )
            .boxed();
        }
        let _ = (&self.metrics, listener, status, until_stopped);
        futures::future::ready(Err(missing_feature("http.enabled", "metrics"))).boxed()
    }
}

/// Completes once `stop` turns true (or its sender is gone).
async fn until_stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// The TLS side of the gRPC port when `tls.enabled`.
#[cfg(feature = "tls")]
fn tls(config: &Config) -> Result<Option<crate::adapters::transport::tls::ServerTls>> {
    use crate::adapters::transport::tls::{ServerTls, TlsSettings};
    let tls = &config.tls;
    if !tls.enabled {
        return Ok(None);
    }
    let settings = TlsSettings::from_config(
        tls.cert_path.clone(),
        tls.key_path.clone(),
        tls.client_ca_path.clone(),
        tls.require_client_cert,
        tls.reload_interval_secs,
        tls.handshake_timeout_secs,
    )?;
    ServerTls::load(settings).map(Some)
}

/// Plaintext is for development on one machine: anywhere else, calls and
/// their credentials cross the network readable by anyone on the path.
fn warn_if_plaintext_beyond_loopback(address: SocketAddr) {
    if !address.ip().is_loopback() {
        tracing::warn!(
            %address,
            "gRPC is served WITHOUT TLS on an address reachable from other machines: \
             anyone on the network can read and alter calls and their credentials; \
             set tls.enabled (feature `tls`) for anything but development"
        );
    }
}
