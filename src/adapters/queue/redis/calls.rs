//! Script calls on the queue's pooled connections, and how a queue entry
//! is written for them.

use std::sync::Arc;
use std::time::Duration;

use bb8_redis::redis::{self, FromRedisValue, Script};

use super::connections::QueueConnections;
use super::error::{pool_error, queue_error};
use super::scripts;
use crate::domain::{BackendId, Error, FencingToken, JobId, Priority, Result};
use crate::ports::{Claim, QueueEntry};
use crate::support::lane::one_each;

/// Scores hold the priority band above 42 bits of milliseconds (until 2109).
pub(super) const BAND_SHIFT: u32 = 42;

/// Who asks for a lease: on which backends, and for how long.
pub(super) struct Claimer {
    pub backends: Arc<Vec<BackendId>>,
    pub lease: Duration,
}

/// Script calls on the pool's connections, every one under the prefix.
#[derive(Clone)]
pub(super) struct Calls {
    pub pool: bb8::Pool<QueueConnections>,
    pub prefix: String,
}

impl Calls {
    /// An evicted lease or queue entry is a lost job: only `noeviction`
    /// keeps every key.
    pub async fn refuse_eviction(&self) -> Result<()> {
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
    pub async fn run<T: FromRedisValue>(
        &self,
        script: &Script,
        args: &[String],
        doing: &str,
    ) -> Result<T> {
        self.invoke(script, args)
            .await?
            .map_err(|e| queue_error(doing, &e))
    }

    /// Runs `script` as `run` does, and once more if the first call went
    /// unanswered. A call times out when Redis is slow, and also when this
    /// process was paused (a frozen VM, a stopped process) with the answer
    /// already on its socket; the second call, on another connection,
    /// answers at once. Only for scripts that do the same run twice as run
    /// once: reads, and offers (which never queue a job twice).
    pub async fn run_repeatable<T: FromRedisValue>(
        &self,
        script: &Script,
        args: &[String],
        doing: &str,
    ) -> Result<T> {
        match self.invoke(script, args).await? {
            Err(error) if error.is_timeout() => self.invoke(script, args).await?,
            answered => answered,
        }
        .map_err(|e| queue_error(doing, &e))
    }

    /// The call's answer, inside the pool's: a connection in time or not.
    async fn invoke<T: FromRedisValue>(
        &self,
        script: &Script,
        args: &[String],
    ) -> Result<redis::RedisResult<T>> {
        let mut invocation = script.prepare_invoke();
        invocation.arg(&self.prefix);
        for arg in args {
            invocation.arg(arg);
        }
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        Ok(invocation.invoke_async(&mut *conn).await)
    }

    /// Claims for each claimer in turn (see `claim.lua`).
    pub async fn claim(&self, claimers: &[Claimer]) -> Vec<Result<Option<Claim>>> {
        let mut args = Vec::new();
        for claimer in claimers {
            args.push(millis(claimer.lease).to_string());
            args.push(claimer.backends.len().to_string());
            args.extend(claimer.backends.iter().map(|b| b.as_str().to_owned()));
        }
        let doing = "claiming";
        let claimed: Result<Vec<Option<(String, String, String)>>> =
            self.run(&scripts::CLAIM, &args, doing).await;
        one_each(claimers.len(), claimed)
            .into_iter()
            .map(|claimed| {
                claimed?
                    .map(|(job, backend, token)| {
                        Ok(Claim {
                            job_id: JobId::parse(&job)?,
                            backend_id: BackendId::parse(&backend)?,
                            token: parse_token(&token)?,
                        })
                    })
                    .transpose()
            })
            .collect()
    }
}

pub(super) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

pub(super) fn parse_token(text: &str) -> Result<FencingToken> {
    text.parse()
        .map(FencingToken)
        .map_err(|_| Error::internal(format!("job queue (Redis): token '{text}' is not a number")))
}

/// The band of a priority: 0 for the highest, claimed first.
pub(super) fn band(priority: Priority) -> u64 {
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
pub(super) fn entry_args(entry: &QueueEntry) -> [String; 6] {
    [
        entry.job_id.to_string(),
        entry.backend_id.as_str().to_owned(),
        entry.client_id.as_str().to_owned(),
        entry.priority.as_str().to_owned(),
        entry.submitted_at.0.to_string(),
        score(entry).to_string(),
    ]
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
