//! The ways in: gRPC (always), the HTTP health and metrics endpoints
//! (`metrics`) and TLS for the gRPC port (`tls`). `connection` is what a
//! listener knows about a connection, which the gRPC calls read.

pub mod connection;
pub mod grpc;
#[cfg(feature = "metrics")]
pub mod http;
#[cfg(feature = "tls")]
pub mod tls;
