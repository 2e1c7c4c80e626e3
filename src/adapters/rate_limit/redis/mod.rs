//! Per-client submission rates counted for the whole cluster (feature
//! `queue-redis`): GCRA in Redis, one script call per check, so every node
//! takes from the same allowance. Used with `queue.type: redis`.

mod redis_rate_limiter;

pub use redis_rate_limiter::RedisRateLimiter;
