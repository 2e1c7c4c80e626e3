//! Jobs by id, in shards, for the in-memory queue and store. A hash map
//! grows by copying its whole table at once, and in the queue it did so
//! under the lock that every submission and claim takes: with
//! 650,000–690,000 jobs waiting (8 workers, 25 s of SubmitJob) the
//! slowest SubmitJob took 305–375 ms. In eight shards, each growing on
//! its own, 48–91 ms (p99 4.56–4.77 against 4.42–4.47 ms in the same
//! runs: the closed-loop load generator makes few calls during a long
//! stall, so a few long stalls weigh less in its p99 than more short
//! ones). More shards cut the slowest call further (64: 20–30 ms) but
//! turn one long copy into many that each hold up every caller for a few
//! milliseconds (p99 5.1–5.5 against 4.4 ms); a B-tree has no copy at
//! all but cost p99 too (4.8 ms) and 50 MiB more at that size. Over a
//! million submissions with the default 64 workers (`bench/million.sh`,
//! four pairs): 1.16 × requests/s (1.01–1.24), slowest call 25–42 against
//! 91–171 ms, the stalls having held up the workers' claims as well.

use super::FastMap;
use crate::domain::JobId;

const SHARDS: usize = 8;

/// A shard with more slots than this is cut down once it holds less than
/// an eighth of them, so that a drained backlog does not keep its table
/// for the life of the process.
const SHRINK_ABOVE: usize = 512;

pub struct JobTable<V> {
    shards: Vec<FastMap<JobId, V>>,
}

impl<V> Default for JobTable<V> {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| FastMap::default()).collect(),
        }
    }
}

/// The low bits of the id: random in the ids made here (UUID version 7),
/// and consecutive in ids numbered by hand.
fn shard_of(id: &JobId) -> usize {
    (id.as_uuid().as_u128() % SHARDS as u128) as usize
}

impl<V> JobTable<V> {
    fn shard(&self, id: &JobId) -> &FastMap<JobId, V> {
        &self.shards[shard_of(id)]
    }

    fn shard_mut(&mut self, id: &JobId) -> &mut FastMap<JobId, V> {
        &mut self.shards[shard_of(id)]
    }

    pub fn insert(&mut self, id: JobId, value: V) -> Option<V> {
        self.shard_mut(&id).insert(id, value)
    }

    pub fn get(&self, id: &JobId) -> Option<&V> {
        self.shard(id).get(id)
    }

    pub fn get_mut(&mut self, id: &JobId) -> Option<&mut V> {
        self.shard_mut(id).get_mut(id)
    }

    pub fn contains_key(&self, id: &JobId) -> bool {
        self.shard(id).contains_key(id)
    }

    /// Removes the job, and cuts its shard down once it holds less than
    /// an eighth of its table.
    pub fn remove(&mut self, id: &JobId) -> Option<V> {
        let shard = self.shard_mut(id);
        let removed = shard.remove(id);
        let (len, capacity) = (shard.len(), shard.capacity());
        if capacity > SHRINK_ABOVE && len < capacity / 8 {
            shard.shrink_to(len * 2);
        }
        removed
    }

    /// Slots of all shards' tables, used or not.
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.shards.iter().map(FastMap::capacity).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> JobId {
        JobId::from_uuid(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn jobs_are_found_in_their_shard_and_the_shards_shrink_when_drained() {
        let mut table = JobTable::default();
        for n in 0..20_000 {
            assert!(table.insert(id(n), n).is_none());
        }
        assert!(
            table
                .shards
                .iter()
                .all(|shard| shard.len() == 20_000 / SHARDS)
        );
        assert_eq!(table.get(&id(7)), Some(&7));
        *table.get_mut(&id(7)).unwrap() = 70;
        assert_eq!(table.remove(&id(7)), Some(70));
        assert!(!table.contains_key(&id(7)));
        assert_eq!(table.remove(&id(7)), None);
        let grown = table.capacity();
        for n in 0..20_000 {
            table.remove(&id(n));
        }
        assert!(
            table.capacity() <= SHARDS * SHRINK_ABOVE,
            "{} slots kept after draining {grown}",
            table.capacity()
        );
    }
}
