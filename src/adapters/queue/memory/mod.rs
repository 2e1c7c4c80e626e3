//! The in-memory job queue (always compiled): one node's per-backend queues,
//! ordered by priority then age, with leases and fencing tokens.

mod memory_queue;

pub use memory_queue::MemoryJobQueue;
