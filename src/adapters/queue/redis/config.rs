//! The Redis queue's settings, from the `queue` keys it reads.

use crate::domain::{Error, Result};

/// Where the queue lives.
#[derive(Clone)]
pub struct RedisQueueSettings {
    /// `redis://[user:password@]host:port[/db]`; never logged.
    pub url: String,
    /// Starts every key and channel, so that several clusters (or tests)
    /// can share one Redis.
    pub prefix: String,
    /// Connections in the pool.
    pub pool_size: u32,
}

/// Connections when the configuration names none: each is multiplexed, so
/// a few carry many concurrent calls.
pub const DEFAULT_POOL_SIZE: u32 = 8;

impl RedisQueueSettings {
    /// From `queue.redis_url` (required) and `queue.redis_prefix`.
    pub fn from_config(url: Option<String>, prefix: &str) -> Result<Self> {
        let url = url.ok_or_else(|| {
            Error::invalid_argument(
                "configuration: queue type 'redis' needs queue.redis_url (ARVAK_QUEUE_REDIS_URL)",
            )
        })?;
        let valid = !prefix.is_empty()
            && prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
        if !valid {
            return Err(Error::invalid_argument(format!(
                "configuration: queue.redis_prefix '{prefix}' must be letters, digits, '_', '-', '.' or ':'"
            )));
        }
        Ok(Self {
            url,
            prefix: prefix.to_owned(),
            pool_size: DEFAULT_POOL_SIZE,
        })
    }
}

impl std::fmt::Debug for RedisQueueSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisQueueSettings")
            .field("url", &"<redacted>")
            .field("prefix", &self.prefix)
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_is_required_and_the_prefix_checked() {
        let missing = RedisQueueSettings::from_config(None, "arvak").unwrap_err();
        assert!(missing.message().contains("queue.redis_url"), "{missing}");
        let bad = RedisQueueSettings::from_config(Some("redis://h".into()), "a b").unwrap_err();
        assert!(bad.message().contains("'a b'"), "{bad}");
        let good =
            RedisQueueSettings::from_config(Some("redis://:secret@h".into()), "arvak").unwrap();
        assert!(!format!("{good:?}").contains("secret"));
    }
}
