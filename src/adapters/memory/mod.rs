//! In-memory adapters: always compiled, used for development, tests and as the
//! queue and event bus of a single node.

mod events;
mod queue;
mod store;
mod table;

pub use events::MemoryJobEvents;
pub use queue::MemoryJobQueue;
pub use store::MemoryJobStore;
