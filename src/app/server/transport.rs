//! How the gRPC port is served: over TLS when configured (with the watcher
//! that reloads its files), otherwise in plaintext, with a warning when that
//! reaches beyond this machine.

use std::net::SocketAddr;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::net::TcpListener;

use super::App;
use crate::adapters::transport::grpc::GrpcServer;
use crate::domain::Result;

impl App {
    /// The gRPC server on `listener`, over TLS when configured, until the
    /// app is told to stop.
    pub(super) fn serve_grpc(
        &self,
        grpc: GrpcServer<crate::app::jobs::JobService>,
        listener: TcpListener,
    ) -> BoxFuture<'static, Result<()>> {
        let mut stopped = self.stop.subscribe();
        let stop = async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            let audit = self.audit.clone();
            tokio::spawn(tls.keep_current(audit, self.ports.clock.clone(), self.stop.subscribe()));
            return grpc.serve_incoming(tls.incoming(listener), stop).boxed();
        }
        if let Ok(address) = listener.local_addr() {
            warn_if_plaintext_beyond_loopback(address);
        }
        grpc.serve(listener, stop).boxed()
    }

    pub(super) fn serves_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }
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
