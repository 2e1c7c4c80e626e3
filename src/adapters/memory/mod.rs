//! In-memory adapters: always compiled, used for development, tests and as the
//! queue and event bus of a single node.

mod events;
mod queue;
mod store;
mod table;

/// A hash map keyed by what the service makes itself: job ids (UUID v7)
/// and configured backend ids, never text a client chose. The standard
/// SipHash was 3 % of the instructions per SubmitJob (callgrind), spent in
/// the queue's maps; foldhash is several times cheaper and still seeded
/// per map.
type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

pub use events::MemoryJobEvents;
pub use queue::MemoryJobQueue;
pub use store::MemoryJobStore;
