//! The queue's pooled Redis connections. bb8-redis's manager never reports
//! a connection broken, so its pool must `PING` each one as it is taken
//! (a round trip per use, four per job). Here a connection that failed a
//! command at the connection level says so, and the pool drops it as it is
//! returned; the next use connects afresh. A connection that broke while
//! idle fails its next command once, and is then replaced.

use std::time::Duration;

use bb8_redis::redis::aio::{ConnectionLike, MultiplexedConnection};
use bb8_redis::redis::{
    self, AsyncConnectionConfig, Cmd, Pipeline, RedisError, RedisFuture, RedisResult, Value,
};

/// How long a command waits for Redis's answer before the connection is
/// given up. Longer than redis-rs's 500 ms: on a busy host a script call
/// can wait that long for a core, and a call that gives up answers
/// UNAVAILABLE to a client whose job Redis may well have taken.
pub(super) const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

pub(super) struct QueueConnections {
    client: redis::Client,
}

impl QueueConnections {
    pub(super) fn new(url: &str) -> RedisResult<Self> {
        Ok(Self {
            client: redis::Client::open(url)?,
        })
    }
}

/// A connection that remembers whether it failed.
pub(super) struct QueueConnection {
    inner: MultiplexedConnection,
    failed: bool,
}

impl QueueConnection {
    fn note<T>(&mut self, result: &RedisResult<T>) {
        if let Err(error) = result
            && connection_lost(error)
        {
            self.failed = true;
        }
    }
}

/// Whether the error means the connection cannot be trusted any more (not
/// a script's own error, which leaves it fine).
fn connection_lost(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_timeout()
        || error.is_unrecoverable_error()
}

impl bb8::ManageConnection for QueueConnections {
    type Connection = QueueConnection;
    type Error = RedisError;

    async fn connect(&self) -> Result<QueueConnection, RedisError> {
        Ok(QueueConnection {
            inner: self
                .client
                .get_multiplexed_async_connection_with_config(
                    &AsyncConnectionConfig::new()
                        .set_response_timeout(Some(RESPONSE_TIMEOUT))
                        .set_connection_timeout(Some(CONNECT_TIMEOUT)),
                )
                .await?,
            failed: false,
        })
    }

    async fn is_valid(&self, conn: &mut QueueConnection) -> Result<(), RedisError> {
        redis::cmd("PING")
            .query_async::<String>(conn)
            .await
            .map(drop)
    }

    fn has_broken(&self, conn: &mut QueueConnection) -> bool {
        conn.failed
    }
}

impl ConnectionLike for QueueConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let result = self.inner.req_packed_command(cmd).await;
            self.note(&result);
            result
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let result = self
                .inner
                .req_packed_commands(pipeline, offset, count)
                .await;
            self.note(&result);
            result
        })
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redis_url() -> String {
        std::env::var("ARVAK_TEST_REDIS_URL").expect(
            "ARVAK_TEST_REDIS_URL is not set: this test needs a Redis (e.g. redis://127.0.0.1:6379)",
        )
    }

    async fn client_id(pool: &bb8::Pool<QueueConnections>) -> RedisResult<i64> {
        let mut conn = pool.get().await.expect("a connection");
        redis::cmd("CLIENT").arg("ID").query_async(&mut *conn).await
    }

    /// A pooled connection that Redis closed (as a restart or a cut does)
    /// fails its next command once; the pool then connects afresh instead
    /// of handing out the dead connection again, without a PING per use.
    #[tokio::test]
    async fn a_connection_that_lost_redis_is_replaced_not_reused() {
        let url = redis_url();
        let pool = bb8::Pool::builder()
            .max_size(1)
            .test_on_check_out(false)
            .build(QueueConnections::new(&url).unwrap())
            .await
            .unwrap();
        let first = client_id(&pool).await.unwrap();
        let mut admin = redis::Client::open(url)
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let killed: i64 = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(first)
            .query_async(&mut admin)
            .await
            .unwrap();
        assert_eq!(killed, 1);

        assert!(
            client_id(&pool).await.is_err(),
            "the closed connection fails once"
        );
        let second = client_id(&pool).await.expect("a new connection works");
        assert_ne!(second, first);
    }
}
