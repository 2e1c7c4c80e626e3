//! The `RateLimiter` port's adapters: per-client submission rates.

pub mod governor;
