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
//!
//! Claims, offers, settled leases and counts go through lanes (`lanes`), which
//! send together what a node's tasks ask at once.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bb8_redis::redis;
use tokio::sync::Notify;
use tokio::task::{AbortHandle, JoinHandle};
use tokio::time::Instant;

use super::calls::{BAND_SHIFT, Calls, Claimer, parse_token};
use super::config::RedisQueueSettings;
use super::connections::QueueConnections;
use super::error::{pool_error, queue_error};
use super::lanes::{ClaimedOffer, Lanes, Settle};
use super::scripts;
use super::wakeups::{Wakeups, listen};
use crate::domain::{BackendId, Error, JobId, Priority, Result};
use crate::ports::{Claim, JobQueue, QueueCapabilities, QueueEntry};
use crate::support::arrivals::AnyArrival;

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
    calls: Calls,
    lanes: Lanes,
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
        let calls = Calls {
            pool,
            prefix: settings.prefix.clone(),
        };
        calls.refuse_eviction().await?;
        let lanes = Lanes::start(&calls);
        let inner = Arc::new(Inner { calls, lanes });
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
        let mut conn = self.inner.calls.pool.get().await.map_err(pool_error)?;
        let pattern = format!("{}:*", self.inner.calls.prefix);
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
    /// `ack`, `release` or `extend` a lease.
    async fn settle(&self, action: &'static str, claim: &Claim, lease: Duration) -> Result<()> {
        let outcome = self
            .lanes
            .settles
            .call(Settle {
                action,
                job: claim.job_id,
                token: claim.token,
                lease,
            })
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

#[async_trait]
impl JobQueue for RedisJobQueue {
    fn capabilities(&self) -> QueueCapabilities {
        QueueCapabilities { shared: true }
    }

    async fn offer(&self, entries: Vec<QueueEntry>) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        self.inner.lanes.offers.call(entries).await
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
                    inner
                        .lanes
                        .claims
                        .call(Claimer {
                            backends: asked,
                            lease,
                        })
                        .await
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
        let (job_id, backend_id) = (entry.job_id, entry.backend_id.clone());
        let token = self
            .inner
            .lanes
            .claimed_offers
            .call(ClaimedOffer { entry, lease })
            .await?;
        token
            .map(|token| {
                Ok(Claim {
                    job_id,
                    backend_id,
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
            .calls
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
            pipe.exists(format!("{}:job:{job}", self.inner.calls.prefix));
        }
        let mut conn = self.inner.calls.pool.get().await.map_err(pool_error)?;
        pipe.query_async(&mut *conn)
            .await
            .map_err(|e| queue_error("looking up jobs", &e))
    }

    async fn position(&self, job_id: JobId) -> Result<Option<u32>> {
        let place: Option<u64> = self
            .inner
            .calls
            .run_repeatable(
                &scripts::POSITION,
                &[job_id.to_string()],
                "finding a position",
            )
            .await?;
        Ok(place.map(|p| u32::try_from(p).unwrap_or(u32::MAX)))
    }

    async fn waiting(&self, backend: Option<BackendId>) -> Result<u64> {
        self.inner.lanes.counts.call(backend).await
    }

    async fn depths(&self) -> Result<Vec<(BackendId, Priority, u64)>> {
        let bands = Priority::ALL.len() as u64;
        let rows: Vec<(String, u64, u64)> = self
            .inner
            .calls
            .run_repeatable(
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
