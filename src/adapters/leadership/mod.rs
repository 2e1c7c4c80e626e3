//! The `Leadership` port's adapters: a node alone, which always leads, and
//! a lease in Redis for nodes that share a Redis queue.

#[cfg(feature = "queue-redis")]
pub mod redis;
mod sole_node;

pub use sole_node::SoleNode;
