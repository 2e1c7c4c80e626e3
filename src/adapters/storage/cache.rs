//! The jobs this node wrote last, kept in memory. With SQLite one writer
//! task owns the database file, so a job it committed is exactly what a read
//! would return: status reads, the worker's read of a claimed job and each
//! change's read-before-write come from here instead of a round trip to the
//! database thread. Bounded by bytes; the least recently used go first.

use std::mem::size_of;
use std::sync::Mutex;

use lru::LruCache;

use crate::domain::{Job, JobId};

pub struct JobCache {
    inner: Mutex<Inner>,
    max_bytes: usize,
}

struct Inner {
    jobs: LruCache<JobId, Job>,
    bytes: usize,
}

/// Roughly what a cached job holds in memory.
fn footprint(job: &Job) -> usize {
    let texts = job.circuit.text.len()
        + job.error_message.as_ref().map_or(0, String::len)
        + job.backend_job_id.as_ref().map_or(0, String::len)
        + job.traceparent.as_ref().map_or(0, String::len)
        + job
            .tags
            .iter()
            .map(|(k, v)| k.len() + v.len() + 48)
            .sum::<usize>();
    // The entry itself and the map's own bookkeeping for it.
    size_of::<Job>() + size_of::<JobId>() + 64 + texts
}

impl JobCache {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                jobs: LruCache::unbounded(),
                bytes: 0,
            }),
            max_bytes,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves a consistent map.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, id: JobId) -> Option<Job> {
        self.lock().jobs.get(&id).cloned()
    }

    /// `get` without making the job the most recently used: for the writer,
    /// which puts the job back, changed, straight after (that put makes it
    /// the newest). Moving an entry to the front touches its neighbours,
    /// cache misses each in a map of tens of thousands of jobs.
    pub fn peek(&self, id: JobId) -> Option<Job> {
        self.lock().jobs.peek(&id).cloned()
    }

    /// Keeps `jobs` as committed, evicting the least recently used beyond
    /// the byte budget. A job larger than the whole budget is not kept.
    pub fn put_all(&self, jobs: impl IntoIterator<Item = Job>) {
        let mut inner = self.lock();
        for job in jobs {
            let size = footprint(&job);
            if size > self.max_bytes {
                if let Some(old) = inner.jobs.pop(&job.id) {
                    inner.bytes -= footprint(&old);
                }
                continue;
            }
            inner.bytes += size;
            // One lookup: `put` replaces a job already kept, and hands back
            // the version it held.
            if let Some(old) = inner.jobs.put(job.id, job) {
                inner.bytes -= footprint(&old);
            }
            while inner.bytes > self.max_bytes {
                match inner.jobs.pop_lru() {
                    Some((_, evicted)) => inner.bytes -= footprint(&evicted),
                    None => break,
                }
            }
        }
    }

    pub fn remove(&self, id: JobId) {
        let mut inner = self.lock();
        if let Some(old) = inner.jobs.pop(&id) {
            inner.bytes -= footprint(&old);
        }
    }

    /// Forgets everything (after changes made by SQL over many jobs at once).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.jobs.clear();
        inner.bytes = 0;
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        BackendId, CircuitFormat, CircuitSource, ClientId, NewJob, OptimizationLevel, Priority,
        Shots, Tags, UnixMillis,
    };

    fn job(n: u128, text_len: usize) -> Job {
        let new = NewJob {
            client_id: ClientId::anonymous(),
            backend_id: BackendId::parse("simulator").unwrap(),
            circuit: CircuitSource {
                format: CircuitFormat::OpenQasm,
                text: "x".repeat(text_len).into(),
            },
            shots: Shots::parse(10).unwrap(),
            optimization_level: OptimizationLevel::parse(1).unwrap(),
            priority: Priority::Normal,
            tags: Tags::default(),
            idempotency_key: None,
            seed: None,
            traceparent: None,
        };
        Job::queued(
            JobId::from_uuid(uuid::Uuid::from_u128(n)),
            new,
            UnixMillis(0),
        )
    }

    #[test]
    fn keeps_the_newest_write_and_evicts_the_least_recently_used_beyond_the_budget() {
        let one = footprint(&job(1, 100));
        let cache = JobCache::new(one * 3);
        cache.put_all((1..=3).map(|n| job(n, 100)));
        assert!(
            cache
                .get(JobId::from_uuid(uuid::Uuid::from_u128(1)))
                .is_some()
        );
        cache.put_all([job(4, 100)]);
        assert!(
            cache
                .get(JobId::from_uuid(uuid::Uuid::from_u128(2)))
                .is_none(),
            "2 was the least recently used once 1 was read"
        );
        assert!(
            cache
                .get(JobId::from_uuid(uuid::Uuid::from_u128(1)))
                .is_some()
        );
        assert_eq!(cache.bytes(), one * 3);

        let mut changed = job(1, 100);
        changed.version = 7;
        cache.put_all([changed]);
        let id = JobId::from_uuid(uuid::Uuid::from_u128(1));
        assert_eq!(cache.get(id).unwrap().version, 7);
        assert_eq!(
            cache.bytes(),
            one * 3,
            "a replaced entry is not counted twice"
        );
        cache.remove(id);
        assert!(cache.get(id).is_none());
        cache.clear();
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn peeking_leaves_the_order_of_eviction_alone() {
        let id = |n| JobId::from_uuid(uuid::Uuid::from_u128(n));
        let cache = JobCache::new(footprint(&job(1, 100)) * 2);
        cache.put_all([job(1, 100), job(2, 100)]);
        assert_eq!(cache.peek(id(1)).unwrap().id, id(1));
        cache.put_all([job(3, 100)]);
        assert!(
            cache.get(id(1)).is_none(),
            "1 was still the least recently used"
        );
        assert!(cache.get(id(2)).is_some() && cache.get(id(3)).is_some());
    }

    #[test]
    fn a_job_grown_past_the_budget_drops_its_older_version() {
        let id = JobId::from_uuid(uuid::Uuid::from_u128(1));
        let cache = JobCache::new(1000);
        cache.put_all([job(1, 10)]);
        assert!(cache.get(id).is_some());
        cache.put_all([job(1, 5000)]);
        assert!(cache.get(id).is_none(), "the old version would be stale");
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn a_job_larger_than_the_budget_is_not_kept() {
        let cache = JobCache::new(1000);
        cache.put_all([job(1, 5000)]);
        assert!(
            cache
                .get(JobId::from_uuid(uuid::Uuid::from_u128(1)))
                .is_none()
        );
        assert_eq!(cache.bytes(), 0);
    }
}
