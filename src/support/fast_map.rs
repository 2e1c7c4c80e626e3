//! A hash map for keys the service makes itself.

/// A hash map keyed by what the service makes itself: job ids (UUID v7)
/// and configured backend ids, never text a client chose. The standard
/// SipHash was 3 % of the instructions per SubmitJob (callgrind), spent in
/// the queue's maps; foldhash is several times cheaper and still seeded
/// per map.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
