//! The Redis job queue (feature `queue-redis`): one queue that every node
//! of a cluster shares. Each backend's line is a sorted set, each job a
//! hash, each lease an entry in a sorted set by expiry, and every change is
//! one Lua script (`scripts/`), so it is atomic across nodes. Claims carry
//! fencing tokens that only grow, also after Redis restarts empty. Offers
//! are announced on a channel so that a claimer waiting on any node wakes.
//! Every key starts with the configured prefix, so clusters can share one
//! Redis.

mod calls;
#[cfg(test)]
mod calls_tests;
mod config;
mod connections;
mod error;
mod lanes;
mod redis_queue;
mod scripts;
mod wakeups;

pub use config::RedisQueueSettings;
pub use redis_queue::RedisJobQueue;
