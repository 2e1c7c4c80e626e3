//! Credentials that passed their slow check (bcrypt, a signature), kept for
//! a while so that the next call with the same credential costs a hash and
//! a map lookup. Entries hold a SHA-256 digest of the credential, never the
//! credential, and the digest is compared in constant time.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::time::Instant;

use crate::domain::Identity;

/// Most entries kept; past it, expired entries go, then the oldest.
const MAX_ENTRIES: usize = 100_000;

pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// A cache hit.
#[derive(Debug, Clone)]
pub struct CachedIdentity {
    pub identity: Identity,
    /// When the credential's status was last confirmed with its source.
    pub checked_at: Instant,
}

struct Entry {
    digest: [u8; 32],
    identity: Identity,
    expires_at: Instant,
    checked_at: Instant,
}

/// Keyed by what names the credential (an API key's id, a token's digest).
pub struct VerifiedCache<K> {
    ttl: Duration,
    entries: Mutex<HashMap<K, Entry>>,
}

impl<K: Hash + Eq + Clone> VerifiedCache<K> {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The identity stored for `key`, if `digest` is the credential's and
    /// the entry has not expired.
    pub fn get(&self, key: &K, digest: &[u8; 32], now: Instant) -> Option<CachedIdentity> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(key)?;
        if entry.expires_at <= now {
            entries.remove(key);
            return None;
        }
        if !bool::from(entry.digest.ct_eq(digest)) {
            return None;
        }
        Some(CachedIdentity {
            identity: entry.identity.clone(),
            checked_at: entry.checked_at,
        })
    }

    /// Remembers a verified credential until `expires_at` (at most the TTL).
    pub fn insert(
        &self,
        key: K,
        digest: [u8; 32],
        identity: Identity,
        now: Instant,
        expires_at: Option<Instant>,
    ) {
        if self.ttl.is_zero() {
            return;
        }
        let limit = now + self.ttl;
        let expires_at = expires_at.map_or(limit, |at| at.min(limit));
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.retain(|_, entry| entry.expires_at > now);
            if entries.len() >= MAX_ENTRIES
                && let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, entry)| entry.expires_at)
                    .map(|(key, _)| key.clone())
            {
                entries.remove(&oldest);
            }
        }
        let entry = Entry {
            digest,
            identity,
            expires_at,
            checked_at: now,
        };
        entries.insert(key, entry);
    }

    /// Notes that the credential's source still vouches for it.
    pub fn confirm(&self, key: &K, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = entries.get_mut(key) {
            entry.checked_at = now;
        }
    }

    pub fn remove(&self, key: &K) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_entry_answers_only_its_own_digest_and_only_until_it_expires() {
        let cache = VerifiedCache::new(Duration::from_secs(60));
        let now = Instant::now();
        cache.insert("k1", digest("right"), Identity::anonymous(), now, None);
        assert!(cache.get(&"k1", &digest("right"), now).is_some());
        assert!(cache.get(&"k1", &digest("wrong"), now).is_none());
        let later = now + Duration::from_secs(61);
        assert!(cache.get(&"k1", &digest("right"), later).is_none());
        let soon = now + Duration::from_secs(10);
        cache.insert("k2", digest("t"), Identity::anonymous(), now, Some(soon));
        assert!(
            cache
                .get(&"k2", &digest("t"), soon + Duration::from_millis(1))
                .is_none(),
            "a credential's own expiry comes first"
        );
    }
}
