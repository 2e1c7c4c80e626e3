//! Use cases, the worker pool, configuration and the composition root.

pub mod api_keys;
pub mod audit_trail;
pub mod backends;
pub mod compose;
pub mod config;
pub mod duties;
pub mod handoff;
#[cfg(test)]
mod hooked_store;
pub mod jobs;
pub mod server;
pub mod signals;
pub mod status;
pub mod telemetry;
pub mod worker;

pub use server::App;
pub mod readiness;
pub mod recovery;
pub mod retention;
