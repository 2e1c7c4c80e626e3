//! Implementations of the ports. The in-memory adapters and the circuit
//! front-ends are always compiled; the others each sit behind a Cargo feature.

pub mod audit;
pub mod auth;
pub mod backend;
pub mod circuit;
pub mod grpc;
pub mod memory;
#[cfg(feature = "metrics")]
pub mod metrics;
#[cfg(feature = "otel")]
pub mod otel;
pub mod policy;
pub mod polling;
#[cfg(any(feature = "storage-sqlite", feature = "storage-postgres"))]
pub mod storage;
pub mod system_clock;
#[cfg(feature = "tls")]
pub mod tls;
