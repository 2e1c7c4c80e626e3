//! The leader lease's settings.

use std::time::Duration;

use crate::domain::{Error, Result};

#[derive(Clone)]
pub struct RedisLeadershipSettings {
    /// `redis://…`; never logged.
    pub url: String,
    /// Starts the lease's keys: the queue's prefix, one election per cluster.
    pub prefix: String,
    /// This node's id, unique per process start.
    pub node_id: String,
    /// How long a lease lasts unless renewed: a dead leader is replaced
    /// within this and one renewal interval.
    pub lease: Duration,
    /// How often the holder renews and the others try to take it.
    pub renew_every: Duration,
}

/// Shortest lease accepted: renewals must fit well within it.
const MIN_LEASE_MS: u64 = 200;

impl RedisLeadershipSettings {
    /// From the queue's Redis URL and prefix (checked with the queue's
    /// settings), the node id
    /// and `cluster.leader_lease_ms` (renewed at a quarter of it). With the
    /// default 2,000 ms a dead leader's lease lapses within 2 s and the next
    /// node asks within another 0.5 s: a new leader within 3 s.
    pub fn from_config(url: String, prefix: &str, node_id: &str, lease_ms: u64) -> Result<Self> {
        if lease_ms < MIN_LEASE_MS {
            return Err(Error::invalid_argument(format!(
                "configuration: cluster.leader_lease_ms is {lease_ms}; it must be at least {MIN_LEASE_MS}"
            )));
        }
        Ok(Self {
            url,
            prefix: prefix.to_owned(),
            node_id: node_id.to_owned(),
            lease: Duration::from_millis(lease_ms),
            renew_every: Duration::from_millis(lease_ms / 4),
        })
    }
}

impl std::fmt::Debug for RedisLeadershipSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLeadershipSettings")
            .field("url", &"<redacted>")
            .field("prefix", &self.prefix)
            .field("node_id", &self.node_id)
            .field("lease", &self.lease)
            .finish()
    }
}
