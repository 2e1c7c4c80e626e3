//! The allowance in Redis under `p:rate:<client>`; the check is one script.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use bb8_redis::RedisConnectionManager;
use bb8_redis::redis::{RedisError, Script};

use crate::domain::{ClientId, Error, Result};
use crate::ports::RateLimiter;

static GCRA: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("scripts/gcra.lua")));

/// How long a check waits for a connection before UNAVAILABLE.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);

pub struct RedisRateLimiter {
    pool: bb8::Pool<RedisConnectionManager>,
    prefix: String,
}

impl RedisRateLimiter {
    /// From `queue.redis_url` and `queue.redis_prefix`: the same Redis as the
    /// queue.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self> {
        let manager = RedisConnectionManager::new(url)
            .map_err(|e| unavailable("reading queue.redis_url", &e))?;
        let pool = bb8::Pool::builder()
            .max_size(4)
            .connection_timeout(CONNECTION_TIMEOUT)
            .build(manager)
            .await
            .map_err(|e| unavailable("connecting", &e))?;
        Ok(Self {
            pool,
            prefix: prefix.to_owned(),
        })
    }
}

fn unavailable(doing: &str, error: &RedisError) -> Error {
    Error::unavailable(format!(
        "rate limits (Redis): {doing}: {:?}{}",
        error.kind(),
        error.detail().map(|d| format!(": {d}")).unwrap_or_default()
    ))
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn check(&self, client: &ClientId, per_minute: u32, jobs: u32) -> Result<()> {
        if per_minute == 0 || jobs == 0 {
            return Ok(());
        }
        let mut conn = self
            .pool
            .get()
            .await
            .map_err(|e| Error::unavailable(format!("rate limits (Redis): {e}")))?;
        let wait_ms: i64 = GCRA
            .prepare_invoke()
            .arg(&self.prefix)
            .arg(client.as_str())
            .arg(per_minute)
            .arg(jobs)
            .invoke_async(&mut *conn)
            .await
            .map_err(|e| unavailable("checking", &e))?;
        match wait_ms {
            0 => Ok(()),
            -1 => Err(Error::resource_exhausted(format!(
                "{jobs} jobs at once are more than client '{client}' may ever submit together: \
                 its rate_limit_per_minute is {per_minute}"
            ))),
            ms => {
                let wait = Duration::from_millis(u64::try_from(ms).unwrap_or(0));
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Err(Error::resource_exhausted(format!(
                    "client '{client}' is over its rate_limit_per_minute {per_minute}; retry in {secs} s"
                ))
                .with_retry_after(wait))
            }
        }
    }
}
