//! The in-memory event bus (always compiled): watchers on this node.

mod memory_events;

pub use memory_events::MemoryJobEvents;
