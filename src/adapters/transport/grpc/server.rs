//! Assembles the tonic server: arvak.v1, `grpc.health.v1` and reflection
//! (v1 and v1alpha, so `grpcurl list` works with old and new grpcurl).

use std::future::Future;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;
use tonic::transport::server::Connected;
use tonic_health::ServingStatus;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::server::{HealthReporter, HealthService};

use super::service::ArvakGrpc;
use crate::adapters::transport::connection::{ConnectionInfo, PeerStream};
use crate::domain::{Error, Result};
use crate::ports::{Authenticator, HealthReport, JobsApi};
use crate::proto::{FILE_DESCRIPTOR_SET, arvak_service_server::ArvakServiceServer};

/// The fully-qualified name health checks ask about.
pub const SERVICE_NAME: &str = "arvak.v1.ArvakService";

/// Sets what the gRPC health service reports.
#[derive(Clone)]
pub struct HealthHandle(HealthReporter);

#[async_trait::async_trait]
impl HealthReport for HealthHandle {
    async fn set_serving(&self, serving: bool) {
        let status = if serving {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        // "" is the whole server, as load balancers ask.
        self.0.set_service_status("", status).await;
        self.0.set_service_status(SERVICE_NAME, status).await;
    }
}

pub struct GrpcServer<J> {
    jobs: J,
    authenticator: Arc<dyn Authenticator>,
    max_message_bytes: usize,
    health: HealthHandle,
    health_service: HealthServer<HealthService>,
}

impl<J: JobsApi> GrpcServer<J> {
    /// Starts out NOT_SERVING until the caller says it is ready.
    /// Every arvak.v1 call is authenticated by `authenticator`; health and
    /// reflection stay open.
    pub async fn new(
        jobs: J,
        authenticator: Arc<dyn Authenticator>,
        max_message_bytes: usize,
    ) -> Self {
        let reporter = HealthReporter::new();
        let health_service =
            HealthServer::new(HealthService::from_health_reporter(reporter.clone()));
        let health = HealthHandle(reporter);
        health.set_serving(false).await;
        Self {
            jobs,
            authenticator,
            max_message_bytes,
            health,
            health_service,
        }
    }

    pub fn health(&self) -> HealthHandle {
        self.health.clone()
    }

    /// Serves plain TCP on `listener` until `shutdown` completes, then stops
    /// accepting and lets calls in flight finish.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<()> {
        let incoming = TcpListenerStream::new(listener).map(|stream| stream.map(plain_peer));
        self.serve_incoming(incoming, shutdown).await
    }

    /// Serves the connections `incoming` yields (a TLS listener's, say); each
    /// carries the [`ConnectionInfo`] that reaches its requests.
    pub async fn serve_incoming<I, IO, IE>(
        self,
        incoming: I,
        shutdown: impl Future<Output = ()>,
    ) -> Result<()>
    where
        I: Stream<Item = std::result::Result<IO, IE>>,
        IO: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
        IE: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .map_err(|e| Error::internal(format!("reflection service: {e}")))?;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()
            .map_err(|e| Error::internal(format!("reflection service: {e}")))?;
        Server::builder()
            .initial_stream_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .add_service(self.health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(
                ArvakServiceServer::new(ArvakGrpc::new(self.jobs, self.authenticator))
                    .max_decoding_message_size(self.max_message_bytes),
            )
            .serve_with_incoming_shutdown(incoming, shutdown)
            .await
            .map_err(|e| Error::unavailable(format!("gRPC server stopped: {e}")))
    }
}

/// What a client may send on one stream before the server has read it.
/// h2 disconnects a peer (GOAWAY `too_many_data_frames`) once the framing
/// overhead of small DATA frames it holds unread passes half the
/// connection window: a client streaming thousands of small submissions
/// faster than they are stored would be cut off, as hyper's defaults (1 MiB
/// for both windows) allow 17,000 frames of 60 bytes on one stream. With
/// these, one stream holds at most 256 KiB (about 4,400 such frames, 860 KiB
/// of overhead) against a 2 MiB budget.
const STREAM_WINDOW: u32 = 256 * 1024;
const CONNECTION_WINDOW: u32 = 4 * 1024 * 1024;

/// A plain TCP connection, with its peer address for the auth layer.
fn plain_peer(stream: TcpStream) -> PeerStream<TcpStream> {
    // Small request/response messages: do not wait to fill packets.
    let _ = stream.set_nodelay(true);
    let info = ConnectionInfo {
        remote_addr: stream.peer_addr().ok(),
        client_certificates: None,
    };
    PeerStream::new(stream, info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn plain_connections_carry_the_peer_address_and_no_certificates() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        let info = plain_peer(accepted).connect_info();
        assert_eq!(info.remote_addr, Some(client.local_addr().unwrap()));
        assert!(info.client_certificates.is_none());
    }
}
