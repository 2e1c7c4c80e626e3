//! The lease, renewed in a task of its own; `term()` reads what the last
//! renewal answered.

use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bb8_redis::RedisConnectionManager;
use bb8_redis::redis::Script;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::config::RedisLeadershipSettings;
use super::error::leadership_error;
use crate::domain::{Error, Result};
use crate::ports::{ClusterView, LeaderTerm, Leadership};

static LEAD: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("scripts/lead.lua")));
static RESIGN: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("scripts/resign.lua")));

/// Nodes not heard from for this many renewal intervals are not counted.
const HEARTBEATS_MISSED: u32 = 4;

pub struct RedisLeadership {
    shared: Arc<Shared>,
    renewing: AbortHandle,
}

struct Shared {
    pool: bb8::Pool<RedisConnectionManager>,
    settings: RedisLeadershipSettings,
    seen: Mutex<Seen>,
}

/// What the last renewal answered.
#[derive(Debug, Clone)]
struct Seen {
    /// This node's term while it leads.
    term: Option<LeaderTerm>,
    /// Until when that answer holds: when the renewal was asked, plus the
    /// lease. Past it this node does not count itself leader.
    until: Instant,
    leader: Option<String>,
    nodes: u64,
}

impl RedisLeadership {
    /// Connects, takes part in the election once, and keeps taking part
    /// until dropped.
    pub async fn connect(settings: &RedisLeadershipSettings) -> Result<Self> {
        let manager = RedisConnectionManager::new(settings.url.as_str())
            .map_err(|e| leadership_error("reading queue.redis_url", &e))?;
        let pool = bb8::Pool::builder()
            .max_size(2)
            .connection_timeout(settings.lease)
            .build(manager)
            .await
            .map_err(|e| leadership_error("connecting", &e))?;
        let shared = Arc::new(Shared {
            pool,
            settings: settings.clone(),
            seen: Mutex::new(Seen {
                term: None,
                until: Instant::now(),
                leader: None,
                nodes: 0,
            }),
        });
        shared.take_part().await?;
        let renewing = tokio::spawn(shared.clone().keep_taking_part());
        Ok(Self {
            shared,
            renewing: renewing.abort_handle(),
        })
    }

    pub fn node_id(&self) -> &str {
        &self.shared.settings.node_id
    }
}

impl Shared {
    fn seen(&self) -> Seen {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// One round of the election: take or renew the lease, and beat.
    async fn take_part(&self) -> Result<()> {
        let settings = &self.settings;
        let asked = Instant::now();
        let horizon = settings.renew_every * HEARTBEATS_MISSED;
        let mut conn = self
            .pool
            .get()
            .await
            .map_err(|e| Error::unavailable(format!("leader lease (Redis): {e}")))?;
        let (term, leader, nodes): (u64, String, u64) = LEAD
            .prepare_invoke()
            .arg(&settings.prefix)
            .arg(&settings.node_id)
            .arg(millis(settings.lease))
            .arg(millis(horizon))
            .invoke_async(&mut *conn)
            .await
            .map_err(|e| leadership_error("renewing", &e))?;
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let was = seen.term;
        *seen = Seen {
            term: (term > 0).then_some(LeaderTerm(term)),
            until: asked + settings.lease,
            leader: Some(leader),
            nodes,
        };
        if was != seen.term {
            match seen.term {
                Some(term) => {
                    tracing::info!(node = %settings.node_id, term = term.0, "this node leads")
                }
                None => {
                    tracing::info!(node = %settings.node_id, leader = ?seen.leader, "this node follows")
                }
            }
        }
        Ok(())
    }

    async fn keep_taking_part(self: Arc<Self>) {
        let mut every = tokio::time::interval(self.settings.renew_every);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(e) = self.take_part().await {
                tracing::warn!(error = %e, "could not take part in the leader election; trying again");
            }
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Drop for RedisLeadership {
    fn drop(&mut self) {
        self.renewing.abort();
    }
}

#[async_trait]
impl Leadership for RedisLeadership {
    fn term(&self) -> Option<LeaderTerm> {
        let seen = self.shared.seen();
        seen.term.filter(|_| Instant::now() < seen.until)
    }

    fn view(&self) -> ClusterView {
        let seen = self.shared.seen();
        ClusterView {
            node: self.shared.settings.node_id.clone(),
            leader: seen.leader,
            nodes: seen.nodes,
        }
    }

    async fn step_down(&self) {
        self.renewing.abort();
        let shared = &self.shared;
        let resigned = async {
            let mut conn = shared
                .pool
                .get()
                .await
                .map_err(|e| Error::unavailable(format!("leader lease (Redis): {e}")))?;
            RESIGN
                .prepare_invoke()
                .arg(&shared.settings.prefix)
                .arg(&shared.settings.node_id)
                .invoke_async::<i64>(&mut *conn)
                .await
                .map_err(|e| leadership_error("stepping down", &e))
        };
        match resigned.await {
            Ok(1) => tracing::info!(node = %shared.settings.node_id, "stepped down as leader"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not step down; the lease lapses by itself"),
        }
        shared.seen.lock().unwrap_or_else(|e| e.into_inner()).term = None;
    }
}
