//! Arvak gRPC: a multi-tenant service in front of quantum backends.
//!
//! - `domain`: pure rules (jobs, states, circuits, errors); no I/O.
//! - `ports`: the traits the core needs from the world.
//! - `adapters`: implementations of the ports, each behind a Cargo feature
//!   (the in-memory ones are always there), and the gRPC transport.
//! - `app`: use cases, the worker pool, configuration and wiring.

pub mod adapters;
pub mod app;
pub mod domain;
pub mod ports;
pub mod support;

/// Code generated from `proto/arvak.proto`.
pub mod proto {
    tonic::include_proto!("arvak.v1");

    /// Encoded file descriptor set, served through gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("arvak_descriptor");
}
