//! The `JobEvents` port's adapters: job state changes fanned out to watchers.

pub mod memory;
#[cfg(feature = "queue-redis")]
pub mod redis;
