//! Leadership through a lease in Redis (feature `queue-redis`): the node
//! that holds `p:leader` leads. A node takes the lease when nobody holds
//! it, its holder renews it well within its expiry, and a term counter
//! that only grows numbers each new holder. A node counts itself leader
//! only until its last renewal could have expired, measured from when it
//! asked, so two nodes never both believe they lead. Every renewal is also
//! the node's heartbeat, from which the live nodes are counted.

mod config;
mod error;
mod redis_leadership;

pub use config::RedisLeadershipSettings;
pub use redis_leadership::RedisLeadership;
