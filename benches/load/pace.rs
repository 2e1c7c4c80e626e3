//! Open-loop pacing (`--rate`): calls go out on a fixed schedule whatever
//! the server does, so a slow answer cannot hold back the calls behind it.
//! A closed loop (each caller sends again when answered) slows down with
//! the server and then under-counts exactly the waits it should show
//! ("coordinated omission"); here a call that went out late because its
//! caller was still waiting for the previous answer is timed from when it
//! was due.

use std::time::{Duration, Instant};

/// The schedule of one caller of `callers`, together offering `rate` calls
/// per second: caller `n`'s `k`-th call is due `(n + k * callers) / rate`
/// seconds after the start, so the callers' calls interleave evenly.
pub struct Pace {
    start: Instant,
    /// Calls of all callers before this caller's next one.
    slot: u64,
    callers: u64,
    rate: f64,
}

impl Pace {
    /// `rate` is in calls per second and must be positive.
    pub fn new(start: Instant, rate: f64, caller: usize, callers: usize) -> Self {
        assert!(rate > 0.0, "the rate must be positive");
        Self {
            start,
            slot: caller as u64,
            callers: callers as u64,
            rate,
        }
    }

    /// When this caller's next call is due; each call moves on to the next.
    pub fn next_due(&mut self) -> Instant {
        let due = self.start + Duration::from_secs_f64(self.slot as f64 / self.rate);
        self.slot += self.callers;
        due
    }
}

/// Where a paced call's latency starts. A caller still busy with the
/// previous call when this one fell due was held up by the server: the
/// wait counts, from `due`. A caller that was free and slept until `due`
/// is timed from `sent`, so that its own timer waking late (tokio's timer
/// has millisecond steps) is not blamed on the server.
pub fn latency_origin(due: Instant, free_at: Instant, sent: Instant) -> Instant {
    if free_at > due { due } else { sent }
}
