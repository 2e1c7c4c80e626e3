//! Per-client submission rates with governor's GCRA: each client may submit
//! a burst of its `rate_limit_per_minute` jobs, then one every 60/N seconds.
//!
//! governor's keyed limiter holds one quota for every key, but each client
//! has its own; so this keeps one direct limiter per client, made for the
//! quota it was last checked with and made anew when that quota changes
//! (a policies reload). The map is bounded by evicting idle entries: a
//! limiter untouched for a whole minute has refilled completely, exactly as
//! a new one would be, so dropping it forgets nothing. Eviction sweeps run
//! only once the map holds `SWEEP_ABOVE` clients, so the common case costs
//! one map lookup; the map can then only exceed that with that many
//! clients submitting within one minute.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter as Gcra};

use crate::domain::{ClientId, Error, Result};
use crate::ports::RateLimiter;

/// Clients tracked before idle ones are swept out.
const SWEEP_ABOVE: usize = 4096;

/// After this long without a check a limiter is as full as a new one.
const REFILL: Duration = Duration::from_secs(60);

type Limiter<C> = Gcra<NotKeyed, InMemoryState, C, NoOpMiddleware<<C as Clock>::Instant>>;

struct Entry<C: Clock> {
    per_minute: u32,
    limiter: Limiter<C>,
    last_used: C::Instant,
}

pub struct GovernorRateLimiter<C: Clock = DefaultClock> {
    clock: C,
    clients: Mutex<HashMap<ClientId, Entry<C>>>,
}

impl Default for GovernorRateLimiter {
    fn default() -> Self {
        Self::with_clock(DefaultClock::default())
    }
}

impl<C: Clock + Clone> GovernorRateLimiter<C> {
    /// With `clock` (tests pass a fake one they advance).
    pub fn with_clock(clock: C) -> Self {
        Self {
            clock,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Clients whose limiters are kept now.
    pub fn tracked(&self) -> usize {
        self.clients.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    fn sweep(clients: &mut HashMap<ClientId, Entry<C>>, now: C::Instant) {
        clients.retain(|_, entry| Duration::from(now.duration_since(entry.last_used)) < REFILL);
    }
}

#[async_trait]
impl<C: Clock + Clone + Send + Sync> RateLimiter for GovernorRateLimiter<C>
where
    C::Instant: Send + Sync,
{
    async fn check(&self, client: &ClientId, per_minute: u32, jobs: u32) -> Result<()> {
        let (Some(rate), Some(jobs)) = (NonZeroU32::new(per_minute), NonZeroU32::new(jobs)) else {
            return Ok(());
        };
        let now = self.clock.now();
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if clients.len() >= SWEEP_ABOVE && !clients.contains_key(client) {
            Self::sweep(&mut clients, now);
        }
        let entry = clients.entry(client.clone()).or_insert_with(|| Entry {
            per_minute,
            limiter: Limiter::<C>::direct_with_clock(Quota::per_minute(rate), self.clock.clone()),
            last_used: now,
        });
        if entry.per_minute != per_minute {
            entry.per_minute = per_minute;
            entry.limiter =
                Limiter::<C>::direct_with_clock(Quota::per_minute(rate), self.clock.clone());
        }
        entry.last_used = now;
        match entry.limiter.check_n(jobs) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(now);
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Err(Error::resource_exhausted(format!(
                    "client '{client}' is over its rate_limit_per_minute {per_minute}; retry in {secs} s"
                ))
                .with_retry_after(wait))
            }
            Err(_) => Err(Error::resource_exhausted(format!(
                "{jobs} jobs at once are more than client '{client}' may ever submit together: \
                 its rate_limit_per_minute is {per_minute}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;
    use crate::domain::ErrorKind;

    fn limiter() -> (GovernorRateLimiter<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (GovernorRateLimiter::with_clock(clock.clone()), clock)
    }

    fn client(id: &str) -> ClientId {
        ClientId::parse(id).unwrap()
    }

    #[tokio::test]
    async fn a_burst_of_the_rate_then_one_per_share_of_the_minute_each_client_alone() {
        let (limiter, clock) = limiter();
        let alice = client("alice");
        for _ in 0..3 {
            limiter.check(&alice, 3, 1).await.unwrap();
        }
        let err = limiter.check(&alice, 3, 1).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResourceExhausted);
        assert!(
            err.message().contains("rate_limit_per_minute 3")
                && err.message().contains("retry in 20 s"),
            "{err}"
        );
        assert_eq!(err.retry_after(), Some(Duration::from_secs(20)));
        limiter.check(&client("bob"), 3, 1).await.unwrap();
        clock.advance(Duration::from_secs(20));
        limiter.check(&alice, 3, 1).await.unwrap();
        assert!(limiter.check(&alice, 3, 1).await.is_err());
    }

    #[tokio::test]
    async fn a_batch_takes_its_size_all_or_nothing() {
        let (limiter, _) = limiter();
        let alice = client("alice");
        limiter.check(&alice, 5, 3).await.unwrap();
        let err = limiter.check(&alice, 5, 3).await.unwrap_err();
        assert!(err.retry_after().is_some(), "{err}");
        limiter.check(&alice, 5, 2).await.unwrap();
        let never = limiter.check(&client("bob"), 5, 6).await.unwrap_err();
        assert!(never.message().contains("6 jobs at once"), "{never}");
        assert_eq!(never.retry_after(), None);
    }

    #[tokio::test]
    async fn a_changed_quota_starts_a_new_allowance() {
        let (limiter, _) = limiter();
        let alice = client("alice");
        limiter.check(&alice, 1, 1).await.unwrap();
        assert!(limiter.check(&alice, 1, 1).await.is_err());
        limiter.check(&alice, 2, 2).await.unwrap();
        assert!(limiter.check(&alice, 0, 100).await.is_ok(), "0 is no limit");
    }

    #[tokio::test]
    async fn idle_clients_are_swept_once_many_are_tracked() {
        let (limiter, clock) = limiter();
        for i in 0..SWEEP_ABOVE {
            limiter
                .check(&client(&format!("c{i}")), 10, 1)
                .await
                .unwrap();
        }
        assert_eq!(limiter.tracked(), SWEEP_ABOVE);
        clock.advance(REFILL);
        limiter.check(&client("late"), 10, 1).await.unwrap();
        assert_eq!(limiter.tracked(), 1, "only the new client is left");
    }
}
