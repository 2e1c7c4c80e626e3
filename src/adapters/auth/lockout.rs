//! Refuses an address for a cool-down after repeated failed
//! authentications, so a guesser gets a few tries a minute, not thousands.
//!
//! A small bounded map rather than `governor`: a GCRA limiter answers "may
//! this one go?" by spending a cell, so it cannot be asked whether an
//! address is locked without counting a try, and it has no separate
//! cool-down; here failures count, successes and checks do not.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Addresses tracked at most; past it, the least recent are dropped.
const MAX_TRACKED: usize = 65_536;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutLimits {
    /// Failures within `window` that lock the address; 0 turns it off.
    pub max_failures: u32,
    pub window: Duration,
    pub cooldown: Duration,
}

struct Failures {
    window_start: Instant,
    count: u32,
    locked_until: Option<Instant>,
}

pub struct FailureLockout {
    limits: LockoutLimits,
    peers: Mutex<HashMap<IpAddr, Failures>>,
}

/// IPv6 clients usually hold a whole /64, so that is what counts as one.
fn peer_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
    }
}

impl FailureLockout {
    pub fn new(limits: LockoutLimits) -> Self {
        Self {
            limits,
            peers: Mutex::new(HashMap::new()),
        }
    }

    /// How much longer `ip` is locked out, if it is.
    pub fn locked(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        if self.limits.max_failures == 0 {
            return None;
        }
        let peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        let until = peers.get(&peer_key(ip))?.locked_until?;
        (until > now).then(|| until - now)
    }

    /// Counts a failure; true when it starts a lock-out.
    pub fn record_failure(&self, ip: IpAddr, now: Instant) -> bool {
        let limits = self.limits;
        if limits.max_failures == 0 {
            return false;
        }
        let mut peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        let key = peer_key(ip);
        if peers.len() >= MAX_TRACKED && !peers.contains_key(&key) {
            make_room(&mut peers, now, limits.window);
        }
        let failures = peers.entry(key).or_insert(Failures {
            window_start: now,
            count: 0,
            locked_until: None,
        });
        if failures.locked_until.is_some_and(|until| until > now) {
            return false;
        }
        if now.duration_since(failures.window_start) > limits.window
            || failures.locked_until.is_some()
        {
            failures.window_start = now;
            failures.count = 0;
            failures.locked_until = None;
        }
        failures.count += 1;
        if failures.count >= limits.max_failures {
            failures.locked_until = Some(now + limits.cooldown);
            return true;
        }
        false
    }
}

/// Drops addresses whose window and lock have passed, then, if that is not
/// enough, the one whose window began longest ago.
fn make_room(peers: &mut HashMap<IpAddr, Failures>, now: Instant, window: Duration) {
    peers.retain(|_, f| {
        now.duration_since(f.window_start) <= window || f.locked_until.is_some_and(|u| u > now)
    });
    if peers.len() >= MAX_TRACKED
        && let Some(oldest) = peers
            .iter()
            .filter(|(_, f)| f.locked_until.is_none())
            .min_by_key(|(_, f)| f.window_start)
            .map(|(ip, _)| *ip)
    {
        peers.remove(&oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> LockoutLimits {
        LockoutLimits {
            max_failures: 3,
            window: Duration::from_secs(60),
            cooldown: Duration::from_secs(300),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_nth_failure_in_the_window_locks_until_the_cooldown_ends() {
        let lockout = FailureLockout::new(limits());
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let now = Instant::now();
        assert!(!lockout.record_failure(ip, now));
        assert!(!lockout.record_failure(ip, now));
        assert_eq!(lockout.locked(ip, now), None);
        assert!(
            lockout.record_failure(ip, now),
            "the third starts a lock-out"
        );
        assert_eq!(lockout.locked(ip, now), Some(Duration::from_secs(300)));
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(lockout.locked(other, now), None, "only that address");
        let after = now + Duration::from_secs(301);
        assert_eq!(lockout.locked(ip, after), None);
        assert!(!lockout.record_failure(ip, after), "counting starts over");
    }

    #[tokio::test(start_paused = true)]
    async fn failures_spread_wider_than_the_window_never_lock() {
        let lockout = FailureLockout::new(limits());
        let ip: IpAddr = "2001:db8::1".parse().unwrap();
        let start = Instant::now();
        for minute in 0..10 {
            let at = start + Duration::from_secs(61 * minute);
            assert!(!lockout.record_failure(ip, at));
        }
        let neighbour: IpAddr = "2001:db8::2".parse().unwrap();
        let at = start + Duration::from_secs(61 * 9 + 10);
        assert!(!lockout.record_failure(neighbour, at));
        assert!(lockout.record_failure(ip, at), "one /64 counts as one peer");
    }
}
