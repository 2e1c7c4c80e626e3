//! The writer's connection, kept from one batch to the next while batches
//! follow each other. sqlx pings a pooled connection as it is taken and
//! again as it is given back: two round trips beside the one that writes,
//! each waking the database. A writer under load writes one batch after
//! another, so it keeps its connection; it takes a tested one from the pool
//! again after a pause (a connection idle for long may have been dropped by
//! the network in between) and after any batch that failed (it gives the
//! suspect connection back, where the ping on release closes it if it is
//! broken). While kept, a connection is not retired by the pool's
//! `max_lifetime`; it is at the first pause.

use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{Database, Pool};

/// A batch that starts longer than this after the last one ended takes a
/// tested connection.
pub const KEEP_FOR: Duration = Duration::from_secs(1);

pub struct HeldConnection<DB: Database> {
    pool: Pool<DB>,
    held: Option<(PoolConnection<DB>, Instant)>,
}

impl<DB: Database> HeldConnection<DB> {
    pub fn new(pool: Pool<DB>) -> Self {
        Self { pool, held: None }
    }

    /// The kept connection when the last batch ended less than `KEEP_FOR`
    /// before `now`; else one from the pool, tested as it is taken.
    pub async fn take(&mut self, now: Instant) -> Result<PoolConnection<DB>, sqlx::Error> {
        if let Some((conn, ended)) = self.held.take() {
            if is_fresh(ended, now) {
                return Ok(conn);
            }
            // Back to the pool (and tested there) before one is taken.
            drop(conn);
        }
        self.pool.acquire().await
    }

    /// Keeps `conn` for the next batch after a batch that went through;
    /// after a failure it goes back to the pool.
    pub fn put_back(&mut self, conn: PoolConnection<DB>, succeeded: bool, now: Instant) {
        if succeeded {
            self.held = Some((conn, now));
        }
    }
}

fn is_fresh(ended: Instant, now: Instant) -> bool {
    now.saturating_duration_since(ended) < KEEP_FOR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_is_kept_only_between_batches_that_follow_closely() {
        let ended = Instant::now();
        assert!(is_fresh(ended, ended + Duration::from_millis(5)));
        assert!(
            is_fresh(ended, ended),
            "no time at all since the last batch"
        );
        assert!(
            !is_fresh(ended, ended + KEEP_FOR),
            "a pause as long as KEEP_FOR"
        );
        assert!(!is_fresh(ended, ended + Duration::from_secs(60)));
    }

    /// A pool of one connection: taking from it while the connection is
    /// held elsewhere times out, so a `take` that answers at once while the
    /// writer holds it handed over the held one.
    #[cfg(feature = "storage-sqlite")]
    async fn pool_of_one() -> Pool<sqlx::Sqlite> {
        sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_millis(300))
            .connect("sqlite::memory:")
            .await
            .unwrap()
    }

    #[cfg(feature = "storage-sqlite")]
    #[tokio::test]
    async fn the_writer_keeps_its_connection_while_batches_follow_and_gives_it_back_after_a_failure()
     {
        let pool = pool_of_one().await;
        let mut writer = HeldConnection::new(pool.clone());
        let t0 = Instant::now();
        let conn = writer.take(t0).await.expect("the pool's connection");
        writer.put_back(conn, true, t0);
        assert_eq!(pool.num_idle(), 0, "kept by the writer, not in the pool");
        let conn = writer
            .take(t0 + Duration::from_millis(5))
            .await
            .expect("the kept connection, though the pool has none");

        writer.put_back(conn, false, t0);
        assert!(
            writer.held.is_none(),
            "a failed batch's connection is not kept"
        );
        let conn = writer.take(t0).await.expect("back from the pool");
        writer.put_back(conn, true, t0);

        // After a pause the kept one goes back, and one comes from the pool:
        // with a pool of one, only once the kept one is back.
        let conn = writer.take(t0 + KEEP_FOR * 2).await.expect("from the pool");
        drop(conn);
        assert!(writer.held.is_none());
    }
}
