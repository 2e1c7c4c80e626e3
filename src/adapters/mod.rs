//! Implementations of the ports, laid out by port, then technology:
//! `adapters/<port>/<technology>/`. The in-memory adapters, the circuit
//! front-ends and the gRPC transport are always compiled; the others each
//! sit behind a Cargo feature (see `features.md`).

pub mod audit;
pub mod auth;
pub mod backend;
pub mod circuit;
pub mod clock;
pub mod events;
pub mod leadership;
pub mod policy;
pub mod queue;
pub mod rate_limit;
pub mod store;
pub mod telemetry;
pub mod transport;
