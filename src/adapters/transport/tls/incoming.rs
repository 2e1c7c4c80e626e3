//! The TLS listener: one task accepts TCP connections, and each handshake
//! runs in a task of its own under a time limit, so a client that stalls
//! mid-handshake (or never starts) holds up nobody else. Finished
//! connections reach tonic through a channel.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{Stream, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;

use super::ServerTls;
use super::failure_log::FailureLog;
use crate::adapters::transport::connection::{ConnectionInfo, PeerStream};

/// A connection whose handshake finished, with the peer's address and, over
/// mTLS, its verified certificate chain.
pub type TlsConnection = PeerStream<TlsStream<TcpStream>>;

/// Finished handshakes waiting for tonic to take them; beyond that the
/// handshake tasks wait, not the accept loop.
const READY_CONNECTIONS: usize = 64;
/// After a failed accept (out of file descriptors, say), wait this long
/// rather than spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Yields connections until the stream is dropped (tonic drops it when it
/// stops accepting at shutdown), which also ends the accept loop.
pub(super) fn accept(
    listener: TcpListener,
    tls: ServerTls,
) -> impl Stream<Item = Result<TlsConnection, Infallible>> + use<> {
    let (ready, connections) = mpsc::channel(READY_CONNECTIONS);
    tokio::spawn(accept_loop(listener, tls, ready));
    ReceiverStream::new(connections).map(Ok)
}

async fn accept_loop(listener: TcpListener, tls: ServerTls, ready: mpsc::Sender<TlsConnection>) {
    let failures = Arc::new(Mutex::new(FailureLog::new()));
    let timeout = tls.settings().handshake_timeout;
    loop {
        let accepted = tokio::select! {
            () = ready.closed() => return,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "cannot accept a TCP connection");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        // Small request/response messages: do not wait to fill packets.
        let _ = tcp.set_nodelay(true);
        // The configuration in force when this handshake starts.
        let acceptor = TlsAcceptor::from(tls.current());
        let (ready, failures) = (ready.clone(), failures.clone());
        tokio::spawn(async move {
            let failure = match tokio::time::timeout(timeout, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => {
                    let info = connection_info(peer, &stream);
                    // Fails only when the server stopped accepting meanwhile.
                    let _ = ready.send(PeerStream::new(stream, info)).await;
                    return;
                }
                Ok(Err(e)) => Failure::Refused(e),
                Err(_) => Failure::TimedOut(timeout),
            };
            failure.log(peer, &failures);
        });
    }
}

fn connection_info(peer: SocketAddr, stream: &TlsStream<TcpStream>) -> ConnectionInfo {
    let client_certificates = stream.get_ref().1.peer_certificates().map(|chain| {
        chain
            .iter()
            .map(|certificate| certificate.as_ref().to_vec())
            .collect()
    });
    ConnectionInfo {
        remote_addr: Some(peer),
        client_certificates,
    }
}

enum Failure {
    Refused(io::Error),
    TimedOut(Duration),
}

impl Failure {
    /// Failures that say something about a client (a certificate refused, a
    /// stalled handshake) are warnings, bounded per minute so that a
    /// scanner cannot flood the log; a peer that just hung up (a TCP health
    /// probe) is debug.
    fn log(self, peer: SocketAddr, failures: &Mutex<FailureLog>) {
        let message = match &self {
            Failure::Refused(e) if is_hang_up(e) => {
                tracing::debug!(%peer, error = %e, "TLS handshake: the client hung up");
                return;
            }
            Failure::Refused(e) => format!("{e}"),
            Failure::TimedOut(after) => format!("not finished after {after:?}"),
        };
        let suppressed = failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .admit(std::time::Instant::now());
        match suppressed {
            Some(0) => tracing::warn!(%peer, error = %message, "TLS handshake failed"),
            Some(suppressed) => tracing::warn!(
                %peer,
                error = %message,
                suppressed,
                "TLS handshake failed (and more since the last warning, not logged)"
            ),
            None => tracing::debug!(%peer, error = %message, "TLS handshake failed"),
        }
    }
}

fn is_hang_up(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
    )
}
