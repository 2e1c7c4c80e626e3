//! What the transport knows about a connection. The TLS listener attaches
//! it to every connection (tonic copies it into each request's extensions),
//! and the call wrapper turns it into the request's credentials.

use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct ConnectionInfo {
    pub remote_addr: Option<SocketAddr>,
    /// The client's verified certificate chain (DER, leaf first), over mTLS.
    pub client_certificates: Option<Arc<[Vec<u8>]>>,
}
