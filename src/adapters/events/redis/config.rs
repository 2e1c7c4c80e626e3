//! Where events travel between nodes.

#[derive(Clone)]
pub struct RedisEventsSettings {
    /// `redis://…`; never logged.
    pub url: String,
    /// Starts the channel's name: the queue's prefix, one channel per cluster.
    pub prefix: String,
    /// This node's id: its own events come back from Redis and are skipped.
    pub node_id: String,
}

impl RedisEventsSettings {
    /// From the queue's Redis URL and prefix (checked with the queue's
    /// settings) and the node id.
    pub fn new(url: String, prefix: &str, node_id: &str) -> Self {
        Self {
            url,
            prefix: prefix.to_owned(),
            node_id: node_id.to_owned(),
        }
    }
}

impl std::fmt::Debug for RedisEventsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisEventsSettings")
            .field("url", &"<redacted>")
            .field("prefix", &self.prefix)
            .field("node_id", &self.node_id)
            .finish()
    }
}
