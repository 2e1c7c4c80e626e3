//! `JobQueue` on Redis. Keys, under the prefix `p`:
//!
//! - `p:ready:<backend>`: the backend's waiting jobs, a sorted set scored by
//!   priority band then submission time (ties: the lower id, which for
//!   UUID v7 is the earlier job);
//! - `p:job:<id>`: what the queue knows of a job it holds (backend, client,
//!   priority, score, waiting or claimed, token, lease expiry);
//! - `p:leases`: claimed jobs by lease expiry (ms, Redis's clock);
//! - `p:token`: the last fencing token; `p:backends`: every backend seen;
//! - channel `p:arrivals`: the backend of every job that starts waiting.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bb8_redis::redis::{self, FromRedisValue, Script};
use tokio::sync::Notify;
use tokio::task::{AbortHandle, JoinHandle};
use tokio::time::Instant;

use super::config::RedisQueueSettings;
use super::connections::QueueConnections;
use super::error::{pool_error, queue_error};
use super::scripts;
use super::wakeups::{Wakeups, listen};
use crate::domain::{BackendId, Error, FencingToken, JobId, Priority, Result};
use crate::ports::{Claim, JobQueue, QueueCapabilities, QueueEntry};
use crate::support::arrivals::AnyArrival;

/// Scores hold the priority band above 42 bits of milliseconds (until 2109).
const BAND_SHIFT: u32 = 42;

/// A waiting claimer looks again at least this often: for leases that
/// lapsed, and arrivals announced while its node's subscription was down.
const LOOK_AGAIN: Duration = Duration::from_millis(500);

/// How long a call waits for a pooled connection before UNAVAILABLE.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);

pub struct RedisJobQueue {
    inner: Arc<Inner>,
    wakeups: Arc<Wakeups>,
    listener: AbortHandle,
}

struct Inner {
    pool: bb8::Pool<QueueConnections>,
    prefix: String,
}

impl RedisJobQueue {
    /// Connects, refuses a Redis that may evict keys, and starts following
    /// arrivals.
    pub async fn connect(settings: &RedisQueueSettings) -> Result<Self> {
        let manager = QueueConnections::new(settings.url.as_str())
            .map_err(|e| queue_error("reading queue.redis_url", &e))?;
        let pool = bb8::Pool::builder()
            .max_size(settings.pool_size.max(1))
            .connection_timeout(CONNECTION_TIMEOUT)
            // A failed connection reports itself (`QueueConnections`); no
            // PING before every use.
            .test_on_check_out(false)
            .build(manager)
            .await
            .map_err(|e| queue_error("connecting", &e))?;
        let inner = Arc::new(Inner {
            pool,
            prefix: settings.prefix.clone(),
        });
        inner.refuse_eviction().await?;
        let client = redis::Client::open(settings.url.as_str())
            .map_err(|e| queue_error("reading queue.redis_url", &e))?;
        let wakeups = Arc::new(Wakeups::default());
        let channel = format!("{}:arrivals", settings.prefix);
        let listener = tokio::spawn(listen(client, channel, Arc::downgrade(&wakeups)));
        Ok(Self {
            inner,
            wakeups,
            listener: listener.abort_handle(),
        })
    }

    /// Deletes every key under the prefix (for tests, and for an operator
    /// retiring a cluster).
    pub async fn delete_all(&self) -> Result<u64> {
        let mut conn = self.inner.pool.get().await.map_err(pool_error)?;
        let pattern = format!("{}:*", self.inner.prefix);
        let mut cursor: u64 = 0;
        let mut deleted = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut *conn)
                .await
                .map_err(|e| queue_error("listing keys", &e))?;
            if !keys.is_empty() {
                let n: u64 = redis::cmd("DEL")
                    .arg(&keys)
                    .query_async(&mut *conn)
                    .await
                    .map_err(|e| queue_error("deleting keys", &e))?;
                deleted += n;
            }
            if next == 0 {
                return Ok(deleted);
            }
            cursor = next;
        }
    }
}

impl Drop for RedisJobQueue {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl Inner {
    /// An evicted lease or queue entry is a lost job: only `noeviction`
    /// keeps every key.
    async fn refuse_eviction(&self) -> Result<()> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let reply: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("maxmemory-policy")
            .query_async(&mut *conn)
            .await
            .map_err(|e| queue_error("reading maxmemory-policy (CONFIG GET)", &e))?;
        match reply.get(1).map(String::as_str) {
            Some("noeviction") => Ok(()),
            policy => Err(Error::failed_precondition(format!(
                "job queue (Redis): maxmemory-policy is {}; the queue needs noeviction, \
                 since an evicted lease or queue entry would be a lost job \
                 (CONFIG SET maxmemory-policy noeviction, or maxmemory-policy noeviction in redis.conf)",
                policy.unwrap_or("unknown")
            ))),
        }
    }

    /// Runs `script` with the prefix and then `args`.
    async fn run<T: FromRedisValue>(
        &self,
        script: &Script,
        args: &[String],
        doing: &str,
    ) -> Result<T> {
        let mut invocation = script.prepare_invoke();
        invocation.arg(&self.prefix);
        for arg in args {
            invocation.arg(arg);
        }
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        invocation
            .invoke_async(&mut *conn)
            .await
            .map_err(|e| queue_error(doing, &e))
    }

    async fn claim_once(&self, backends: &[BackendId], lease: Duration) -> Result<Option<Claim>> {
        let mut invocation = scripts::CLAIM.prepare_invoke();
        invocation.arg(&self.prefix).arg(millis(lease));
        for backend in backends {
            invocation.arg(backend.as_str());
        }
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let claimed: Option<(String, String, String)> = invocation
            .invoke_async(&mut *conn)
            .await
            .map_err(|e| queue_error("claiming", &e))?;
        claimed
            .map(|(job, backend, token)| {
                Ok(Claim {
                    job_id: JobId::parse(&job)?,
                    backend_id: BackendId::parse(&backend)?,
                    token: parse_token(&token)?,
                })
            })
            .transpose()
    }

    /// `ack`, `release` or `extend` a lease.
    async fn settle(&self, action: &str, claim: &Claim, lease: Duration) -> Result<()> {
        let job = claim.job_id.to_string();
        let token = claim.token.0.to_string();
        let outcome: i64 = self
            .run(
                &scripts::SETTLE,
                &[action.to_owned(), job, token, millis(lease).to_string()],
                action,
            )
            .await?;
        match outcome {
            1 => Ok(()),
            -1 => Err(Error::conflict(format!(
                "the lease on job {} expired",
                claim.job_id
            ))),
            _ => Err(Error::conflict(format!(
                "the lease on job {} (token {}) was lost",
                claim.job_id, claim.token.0
            ))),
        }
    }
}

/// A claim script running in a task of its own: if the caller stops
/// waiting for it, the lease it may yet take is given back, so a dropped
/// claim takes no lease.
struct PendingClaim {
    task: Option<JoinHandle<Result<Option<Claim>>>>,
    inner: Arc<Inner>,
}

impl PendingClaim {
    async fn outcome(mut self) -> Result<Option<Claim>> {
        let task = self.task.as_mut().expect("awaited once");
        let outcome = task.await;
        self.task = None;
        outcome
            .map_err(|e| Error::internal(format!("job queue (Redis): the claim stopped: {e}")))?
    }
}

impl Drop for PendingClaim {
    fn drop(&mut self) {
        let Some(task) = self.task.take() else { return };
        let inner = self.inner.clone();
        tokio::spawn(async move {
            if let Ok(Ok(Some(claim))) = task.await
                && let Err(e) = inner.settle("release", &claim, Duration::ZERO).await
            {
                tracing::warn!(job_id = %claim.job_id, error = %e, "could not give back a claim nobody took");
            }
        });
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn parse_token(text: &str) -> Result<FencingToken> {
    text.parse()
        .map(FencingToken)
        .map_err(|_| Error::internal(format!("job queue (Redis): token '{text}' is not a number")))
}

/// The band of a priority: 0 for the highest, claimed first.
fn band(priority: Priority) -> u64 {
    let last = Priority::ALL.len() - 1;
    let index = Priority::ALL
        .iter()
        .position(|p| *p == priority)
        .unwrap_or(0);
    (last - index) as u64
}

/// Lower scores are claimed first: the band, then the submission time.
fn score(entry: &QueueEntry) -> u64 {
    let at = u64::try_from(entry.submitted_at.0.max(0)).unwrap_or(0);
    (band(entry.priority) << BAND_SHIFT) | at.min((1 << BAND_SHIFT) - 1)
}

/// What a script stores of an entry, in its order.
fn entry_args(entry: &QueueEntry) -> [String; 6] {
    [
        entry.job_id.to_string(),
        entry.backend_id.as_str().to_owned(),
        entry.client_id.as_str().to_owned(),
        entry.priority.as_str().to_owned(),
        entry.submitted_at.0.to_string(),
        score(entry).to_string(),
    ]
}

#[async_trait]
impl JobQueue for RedisJobQueue {
    fn capabilities(&self) -> QueueCapabilities {
        QueueCapabilities { shared: true }
    }

    async fn offer(&self, entries: Vec<QueueEntry>) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut invocation = scripts::OFFER.prepare_invoke();
        invocation.arg(&self.inner.prefix);
        for entry in &entries {
            for value in entry_args(entry) {
                invocation.arg(value);
            }
        }
        let mut conn = self.inner.pool.get().await.map_err(pool_error)?;
        let _added: i64 = invocation
            .invoke_async(&mut *conn)
            .await
            .map_err(|e| queue_error("offering", &e))?;
        Ok(())
    }

    async fn claim(
        &self,
        backends: Vec<BackendId>,
        lease: Duration,
        wait: Duration,
    ) -> Result<Option<Claim>> {
        let deadline = Instant::now() + wait;
        let signals: Vec<Arc<Notify>> = backends.iter().map(|b| self.wakeups.signal(b)).collect();
        let backends = Arc::new(backends);
        loop {
            let arrived = AnyArrival::register(&signals);
            let inner = self.inner.clone();
            let asked = backends.clone();
            let pending = PendingClaim {
                task: Some(tokio::spawn(async move {
                    inner.claim_once(&asked, lease).await
                })),
                inner: self.inner.clone(),
            };
            if let Some(claim) = pending.outcome().await? {
                return Ok(Some(claim));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            arrived.until(deadline.min(now + LOOK_AGAIN)).await;
        }
    }

    async fn offer_claimed(&self, entry: QueueEntry, lease: Duration) -> Result<Option<Claim>> {
        let [job, backend, client, priority, at, score] = entry_args(&entry);
        let token: Option<String> = self
            .inner
            .run(
                &scripts::OFFER_CLAIMED,
                &[
                    millis(lease).to_string(),
                    job,
                    backend,
                    client,
                    priority,
                    at,
                    score,
                ],
                "offering and claiming",
            )
            .await?;
        token
            .map(|token| {
                Ok(Claim {
                    job_id: entry.job_id,
                    backend_id: entry.backend_id,
                    token: parse_token(&token)?,
                })
            })
            .transpose()
    }

    async fn extend(&self, claim: &Claim, lease: Duration) -> Result<()> {
        self.inner.settle("extend", claim, lease).await
    }

    async fn ack(&self, claim: &Claim) -> Result<()> {
        self.inner.settle("ack", claim, Duration::ZERO).await
    }

    async fn release(&self, claim: &Claim) -> Result<()> {
        self.inner.settle("release", claim, Duration::ZERO).await
    }

    async fn remove(&self, job_id: JobId) -> Result<bool> {
        let removed: i64 = self
            .inner
            .run(&scripts::REMOVE, &[job_id.to_string()], "removing")
            .await?;
        Ok(removed == 1)
    }

    async fn holds(&self, jobs: Vec<JobId>) -> Result<Vec<bool>> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for job in &jobs {
            pipe.exists(format!("{}:job:{job}", self.inner.prefix));
        }
        let mut conn = self.inner.pool.get().await.map_err(pool_error)?;
        pipe.query_async(&mut *conn)
            .await
            .map_err(|e| queue_error("looking up jobs", &e))
    }

    async fn position(&self, job_id: JobId) -> Result<Option<u32>> {
        let place: Option<u64> = self
            .inner
            .run(
                &scripts::POSITION,
                &[job_id.to_string()],
                "finding a position",
            )
            .await?;
        Ok(place.map(|p| u32::try_from(p).unwrap_or(u32::MAX)))
    }

    async fn waiting(&self, backend: Option<BackendId>) -> Result<u64> {
        let Some(backend) = backend else {
            let depths = self.depths().await?;
            return Ok(depths.iter().map(|(_, _, count)| count).sum());
        };
        // One backend's line is one sorted set: its size, without counting
        // every backend by band.
        let mut conn = self.inner.pool.get().await.map_err(pool_error)?;
        redis::cmd("ZCARD")
            .arg(format!("{}:ready:{backend}", self.inner.prefix))
            .query_async(&mut *conn)
            .await
            .map_err(|e| queue_error("counting waiting jobs", &e))
    }

    async fn depths(&self) -> Result<Vec<(BackendId, Priority, u64)>> {
        let bands = Priority::ALL.len() as u64;
        let rows: Vec<(String, u64, u64)> = self
            .inner
            .run(
                &scripts::DEPTHS,
                &[(1u64 << BAND_SHIFT).to_string(), bands.to_string()],
                "counting waiting jobs",
            )
            .await?;
        let mut depths = Vec::with_capacity(rows.len());
        for (backend, band, count) in rows {
            let Ok(backend) = BackendId::parse(&backend) else {
                continue;
            };
            let last = Priority::ALL.len() - 1;
            let Some(priority) = usize::try_from(band)
                .ok()
                .and_then(|band| last.checked_sub(band))
                .map(|index| Priority::ALL[index])
            else {
                continue;
            };
            depths.push((backend, priority, count));
        }
        Ok(depths)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientId, UnixMillis};

    fn entry(priority: Priority, at: i64) -> QueueEntry {
        QueueEntry {
            job_id: JobId::from_uuid(uuid::Uuid::now_v7()),
            backend_id: BackendId::parse("sim").unwrap(),
            client_id: ClientId::anonymous(),
            priority,
            submitted_at: UnixMillis(at),
        }
    }

    #[test]
    fn scores_order_priority_first_then_age() {
        let now = 1_765_000_000_000;
        let high_late = score(&entry(Priority::High, now + 1_000));
        let normal_early = score(&entry(Priority::Normal, now));
        let normal_late = score(&entry(Priority::Normal, now + 1));
        let low_early = score(&entry(Priority::Low, 0));
        assert!(high_late < normal_early && normal_early < normal_late && normal_late < low_early);
        // Exact in a double, as Redis keeps scores.
        assert!(score(&entry(Priority::Low, i64::MAX)) < (1 << 53));
        assert_eq!(score(&entry(Priority::High, -5)), 0);
    }
}
