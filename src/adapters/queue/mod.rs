//! The `JobQueue` port's adapters: the per-backend work queue with leases.

pub mod memory;
#[cfg(feature = "queue-redis")]
pub mod redis;
