//! What the transport knows about a connection. The listener wraps every
//! accepted stream in a [`PeerStream`] that carries it; tonic copies it into
//! each request's extensions, and the call wrapper turns it into the
//! request's credentials.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tonic::transport::server::Connected;

#[derive(Debug, Clone, Default)]
pub struct ConnectionInfo {
    pub remote_addr: Option<SocketAddr>,
    /// The client's verified certificate chain (DER, leaf first), over mTLS.
    pub client_certificates: Option<Arc<[Vec<u8>]>>,
}

/// An accepted connection (plain TCP or TLS) together with what is known
/// about its peer. Reads and writes go straight to `io`.
#[derive(Debug)]
pub struct PeerStream<IO> {
    io: IO,
    info: ConnectionInfo,
}

impl<IO> PeerStream<IO> {
    pub fn new(io: IO, info: ConnectionInfo) -> Self {
        Self { io, info }
    }
}

impl<IO> Connected for PeerStream<IO> {
    type ConnectInfo = ConnectionInfo;

    fn connect_info(&self) -> ConnectionInfo {
        self.info.clone()
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for PeerStream<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

// Every method forwards, vectored writes included: hyper writes HTTP/2
// frames vectored when the stream says it can, which saves a copy per frame.
impl<IO: AsyncWrite + Unpin> AsyncWrite for PeerStream<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
