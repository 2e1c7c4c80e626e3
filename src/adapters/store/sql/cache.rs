//! The jobs this node wrote last, kept in memory. With SQLite one writer
//! task owns the database file, so a job it committed is exactly what a read
//! would return: status reads, the worker's read of a claimed job and each
//! change's read-before-write come from here instead of a round trip to the
//! database thread. Bounded by bytes; jobs that ended go first, the least
//! recently used of them first, so that a backlog keeps its jobs in memory
//! for the workers that will claim them.

use std::mem::size_of;
use std::sync::Mutex;

use lru::LruCache;

use crate::domain::{Job, JobId, JobResult};

pub struct JobCache {
    inner: Mutex<Inner>,
    max_bytes: usize,
    /// Results of the jobs this node completed last: a client that waited
    /// for its job asks for the result next (GetJobResult, a batch
    /// stream's answer), and with SQLite each read is a hop to the
    /// database's thread and back. A share of the budget of their own.
    results: Mutex<Results>,
}

struct Results {
    kept: LruCache<JobId, JobResult>,
    bytes: usize,
    max_bytes: usize,
}

impl Results {
    fn take(&mut self, id: &JobId) {
        if let Some(old) = self.kept.pop(id) {
            self.bytes -= result_footprint(&old);
        }
    }
}

/// A kept result's memory: its counts (each a string and a count, in a
/// map), its metadata text, the LRU's node and map slot.
fn result_footprint(result: &JobResult) -> usize {
    let counts: usize = result
        .counts
        .keys()
        .map(|outcome| heap_block(outcome.len()) + 48)
        .sum();
    heap_block(size_of::<JobResult>() + size_of::<JobId>() + LRU_LINKS)
        + MAP_SLOT
        + counts
        + heap_block(result.metadata_json.len())
}

/// The share of the cache's budget that results may take.
const RESULTS_SHARE: usize = 4;

struct Inner {
    /// QUEUED and RUNNING jobs: each will be read by the worker that claims
    /// it and again by the writer for each of its changes.
    unfinished: LruCache<JobId, Job>,
    /// Jobs that ended: read only by status calls, so evicted first. When
    /// one LRU held both, a backlog larger than half the cache lost its
    /// oldest jobs to the finished ones, and every claim became a read.
    ended: LruCache<JobId, Job>,
    bytes: usize,
}

impl Inner {
    fn segment(&mut self, job: &Job) -> &mut LruCache<JobId, Job> {
        match job.state.is_terminal() {
            true => &mut self.ended,
            false => &mut self.unfinished,
        }
    }

    /// Forgets the version kept of `id`, from whichever part holds it.
    fn take(&mut self, id: &JobId) -> Option<Job> {
        let old = self.unfinished.pop(id).or_else(|| self.ended.pop(id))?;
        self.bytes -= footprint(&old);
        Some(old)
    }

    /// The next job to let go: the least recently used that ended, else the
    /// least recently used unfinished one.
    fn evict_one(&mut self) -> bool {
        match self.ended.pop_lru().or_else(|| self.unfinished.pop_lru()) {
            Some((_, evicted)) => {
                self.bytes -= footprint(&evicted);
                true
            }
            None => false,
        }
    }
}

/// What a cached job holds in memory: the LRU's node (the job itself, a
/// copy of its id, two links), the map's slot for it, and every heap
/// allocation the job owns. Names (client, backend, idempotency key) and
/// the circuit text are `Arc<str>`s: two counters before the text, and the
/// allocator rounds each block up. A name shared with other jobs (the
/// backend's id, usually) is counted for each of them: the budget errs on
/// the side of holding less. The names once went uncounted, and for the
/// Bell job the estimate was 408 bytes where 100,000 cached jobs, each with
/// names of its own, took 546 each (glibc's malloc, with its 8-byte
/// headers; mimalloc has none), so the budget held about a third more than
/// it said. It now counts 480.
fn footprint(job: &Job) -> usize {
    let names = shared_text(job.client_id.as_str().len())
        + shared_text(job.backend_id.as_str().len())
        + job
            .idempotency_key
            .as_ref()
            .map_or(0, |key| shared_text(key.as_str().len()));
    let texts = shared_text(job.circuit.text.len())
        + [&job.error_message, &job.backend_job_id, &job.traceparent]
            .into_iter()
            .map(|text| text.as_ref().map_or(0, |text| heap_block(text.len())))
            .sum::<usize>()
        + job
            .tags
            .iter()
            .map(|(k, v)| k.len() + v.len() + 48)
            .sum::<usize>();
    heap_block(size_of::<Job>() + size_of::<JobId>() + LRU_LINKS) + MAP_SLOT + names + texts
}

/// The LRU node's links to its neighbours.
const LRU_LINKS: usize = 2 * size_of::<usize>();

/// The hash map's share per entry: a pointer to the key, one to the node,
/// a control byte, at most 7/8 of the table full, and a table that grows by
/// doubling (so on average a quarter to a half of it is empty).
const MAP_SLOT: usize = 32;

/// An `Arc<str>` of `len` bytes: its two counters, then the text.
fn shared_text(len: usize) -> usize {
    heap_block(2 * size_of::<usize>() + len)
}

/// A heap block as the allocator hands it out, in 16-byte steps.
fn heap_block(len: usize) -> usize {
    len.next_multiple_of(16)
}

impl JobCache {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                unfinished: LruCache::unbounded(),
                ended: LruCache::unbounded(),
                bytes: 0,
            }),
            max_bytes,
            results: Mutex::new(Results {
                kept: LruCache::unbounded(),
                bytes: 0,
                max_bytes: max_bytes / RESULTS_SHARE,
            }),
        }
    }

    fn results(&self) -> std::sync::MutexGuard<'_, Results> {
        self.results.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The result of a job this node completed lately, if still kept.
    pub fn result(&self, id: JobId) -> Option<JobResult> {
        self.results().kept.get(&id).cloned()
    }

    /// Keeps results as committed (None: the job's result was cleared),
    /// evicting the least recently used beyond their budget; one larger
    /// than the whole budget is not kept.
    pub fn put_results(&self, results: impl IntoIterator<Item = (JobId, Option<JobResult>)>) {
        let mut kept = self.results();
        for (id, result) in results {
            kept.take(&id);
            let Some(result) = result else { continue };
            let size = result_footprint(&result);
            if size > kept.max_bytes {
                continue;
            }
            kept.bytes += size;
            kept.kept.put(id, result);
            while kept.bytes > kept.max_bytes {
                match kept.kept.pop_lru() {
                    Some((_, evicted)) => kept.bytes -= result_footprint(&evicted),
                    None => break,
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves a consistent map.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, id: JobId) -> Option<Job> {
        let mut inner = self.lock();
        match inner.unfinished.get(&id) {
            Some(job) => Some(job.clone()),
            None => inner.ended.get(&id).cloned(),
        }
    }

    /// `get` without making the job the most recently used: for the writer,
    /// which puts the job back, changed, straight after (that put makes it
    /// the newest). Moving an entry to the front touches its neighbours,
    /// cache misses each in a map of tens of thousands of jobs.
    pub fn peek(&self, id: JobId) -> Option<Job> {
        let inner = self.lock();
        inner
            .unfinished
            .peek(&id)
            .or_else(|| inner.ended.peek(&id))
            .cloned()
    }

    /// Keeps `jobs` as committed, evicting beyond the byte budget (jobs
    /// that ended first). A job larger than the whole budget is not kept.
    pub fn put_all(&self, jobs: impl IntoIterator<Item = Job>) {
        let mut inner = self.lock();
        for job in jobs {
            let size = footprint(&job);
            if size > self.max_bytes {
                inner.take(&job.id);
                continue;
            }
            if job.state.is_terminal() {
                // It ended: the version kept, if any, is among the unfinished.
                if let Some(old) = inner.unfinished.pop(&job.id) {
                    inner.bytes -= footprint(&old);
                }
            }
            inner.bytes += size;
            // One lookup where the job stays in its part: `put` replaces
            // the version kept, and hands it back.
            if let Some(old) = inner.segment(&job).put(job.id, job) {
                inner.bytes -= footprint(&old);
            }
            while inner.bytes > self.max_bytes && inner.evict_one() {}
        }
    }

    pub fn remove(&self, id: JobId) {
        self.lock().take(&id);
        self.results().take(&id);
    }

    /// Forgets everything (after changes made by SQL over many jobs at
    /// once, such as results expired by retention).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.unfinished.clear();
        inner.ended.clear();
        inner.bytes = 0;
        let mut results = self.results();
        results.kept.clear();
        results.bytes = 0;
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
        BackendId, CircuitFormat, CircuitSource, ClientId, IdempotencyKey, JobState, NewJob,
        OptimizationLevel, Priority, Shots, Tags, UnixMillis,
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

    fn ended(n: u128) -> Job {
        let mut job = job(n, 100);
        job.state = JobState::Completed;
        job
    }

    #[test]
    fn jobs_that_ended_are_evicted_before_unfinished_ones() {
        let id = |n| JobId::from_uuid(uuid::Uuid::from_u128(n));
        let cache = JobCache::new(footprint(&job(1, 100)) * 3);
        cache.put_all([job(1, 100), ended(2), ended(3)]);
        cache.put_all([job(4, 100)]);
        assert!(cache.get(id(1)).is_some(), "the oldest, but still waiting");
        assert!(cache.get(id(2)).is_none(), "the oldest of those that ended");
        cache.put_all([job(5, 100), job(6, 100)]);
        assert!(
            cache.get(id(3)).is_none(),
            "ended jobs go before any waiting one"
        );
        assert!(
            cache.get(id(4)).is_none(),
            "then the least recently used: 1 was read after 4 was written"
        );
        assert!([1, 5, 6].into_iter().all(|n| cache.get(id(n)).is_some()));
    }

    #[test]
    fn a_job_that_ends_is_kept_once_as_its_last_version() {
        let id = JobId::from_uuid(uuid::Uuid::from_u128(1));
        let cache = JobCache::new(1 << 20);
        cache.put_all([job(1, 100)]);
        cache.put_all([ended(1)]);
        assert_eq!(cache.get(id).unwrap().state, JobState::Completed);
        assert_eq!(cache.peek(id).unwrap().state, JobState::Completed);
        assert_eq!(cache.bytes(), footprint(&ended(1)), "not counted twice");
        cache.remove(id);
        assert!(cache.get(id).is_none());
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

    /// Every part the job owns counts: its names, its circuit, and what
    /// it gains as it runs.
    #[test]
    fn the_footprint_counts_each_allocation_the_job_owns() {
        let plain = job(1, 100);
        let base = footprint(&plain);
        let mut keyed = plain.clone();
        keyed.idempotency_key = Some(IdempotencyKey::parse("retry-1").unwrap());
        let mut longer_name = plain.clone();
        longer_name.client_id = ClientId::parse(&"c".repeat(120)).unwrap();
        let mut failed = plain.clone();
        failed.error_message = Some("e".repeat(100));
        for (what, bigger) in [
            ("an idempotency key", &keyed),
            ("a longer client id", &longer_name),
            ("an error message", &failed),
        ] {
            assert!(footprint(bigger) > base, "{what} is not counted");
        }
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

    fn result(outcomes: usize) -> JobResult {
        JobResult {
            counts: (0..outcomes).map(|n| (format!("{n:016b}"), 1)).collect(),
            shots: outcomes as u32,
            execution_time_ms: 1,
            metadata_json: "{}".into(),
        }
    }

    #[test]
    fn results_are_kept_within_their_share_and_cleared_when_told() {
        let cache = JobCache::new(64 * 1024);
        let ids: Vec<JobId> = (1..=40u128)
            .map(|n| JobId::from_uuid(uuid::Uuid::from_u128(n)))
            .collect();
        cache.put_results(ids.iter().map(|id| (*id, Some(result(10)))));
        // A quarter of 64 KiB holds some of forty results of ten outcomes,
        // the newest: the oldest went first.
        assert!(cache.result(ids[0]).is_none(), "the oldest was evicted");
        assert_eq!(cache.result(ids[39]), Some(result(10)));
        let kept = ids.iter().filter(|id| cache.result(**id).is_some()).count();
        assert!((5..40).contains(&kept), "{kept} kept");
        assert!(cache.results().bytes <= 16 * 1024);

        cache.put_results([(ids[39], None)]);
        assert!(
            cache.result(ids[39]).is_none(),
            "a cleared result is forgotten"
        );
        cache.put_results([(ids[0], Some(result(100_000)))]);
        assert!(
            cache.result(ids[0]).is_none(),
            "one larger than the share is not kept"
        );
        cache.clear();
        assert!(cache.result(ids[38]).is_none() && cache.results().bytes == 0);
    }
}
