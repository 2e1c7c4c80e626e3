//! The gRPC transport (tonic): arvak.v1, the standard health service and
//! server reflection.

mod convert;
mod rpc;
mod server;
mod service;
mod status;

pub use server::{GrpcServer, HealthHandle};
pub use service::ArvakGrpc;
pub use status::{code_of, to_status};
