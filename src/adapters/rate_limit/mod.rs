//! The `RateLimiter` port's adapters: per-client submission rates, on this
//! node alone (governor) or for the whole cluster (Redis).

pub mod governor;
#[cfg(feature = "queue-redis")]
pub mod redis;
