//! gRPC over TLS, end to end: the real server on port 0 with certificates
//! made in the test (rcgen), driven by a tonic client over tokio-rustls.

mod certs;
mod client;
mod server;
#[path = "../api/support/test_backend.rs"]
#[allow(dead_code)]
mod test_backend;

mod handshakes;
mod mtls;
mod rotation;
