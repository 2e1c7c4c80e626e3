//! A circuit breaker per backend: after repeated failures to reach the
//! vendor (transport errors, 5xx answers, refused credentials) the backend
//! is marked unavailable for a while, so jobs wait in our queue instead of
//! failing one by one; a probe then closes it again.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::domain::{ErrorKind, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    /// Unavailable until a probe succeeds, and not probed before `until`.
    Open {
        until: Instant,
    },
}

#[derive(Debug)]
pub struct Breaker {
    state: Mutex<State>,
    /// Consecutive failures that open it.
    threshold: u32,
    /// How long it stays open before the next probe.
    open_for: Duration,
}

/// Whether an error says the vendor could not be reached or refused us as
/// a whole, rather than refusing one request.
pub fn is_outage(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::Unavailable | ErrorKind::Unauthenticated)
}

impl Breaker {
    pub fn new(threshold: u32, open_for: Duration) -> Self {
        Self {
            state: Mutex::new(State::Closed { failures: 0 }),
            threshold: threshold.max(1),
            open_for,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_open(&self) -> bool {
        matches!(*self.lock(), State::Open { .. })
    }

    /// Whether it is open and its pause is over, so a probe may run.
    pub fn probe_due(&self) -> bool {
        matches!(*self.lock(), State::Open { until } if Instant::now() >= until)
    }

    /// Counts one call's outcome; true when this outcome opened it.
    pub fn record<T>(&self, outcome: &Result<T>) -> bool {
        match outcome {
            Ok(_) => {
                self.close();
                false
            }
            Err(e) if is_outage(e.kind()) => self.failure(),
            // The vendor answered: it is reachable.
            Err(_) => {
                let mut state = self.lock();
                if let State::Closed { failures } = &mut *state {
                    *failures = 0;
                }
                false
            }
        }
    }

    /// A probe or a call succeeded.
    pub fn close(&self) {
        *self.lock() = State::Closed { failures: 0 };
    }

    fn failure(&self) -> bool {
        let mut state = self.lock();
        let until = Instant::now() + self.open_for;
        match &mut *state {
            State::Closed { failures } => {
                *failures += 1;
                if *failures >= self.threshold {
                    *state = State::Open { until };
                    return true;
                }
                false
            }
            // A failed probe: wait again.
            State::Open { until: at } => {
                *at = until;
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Error;

    fn down() -> Result<()> {
        Err(Error::unavailable("connection refused"))
    }

    #[tokio::test(start_paused = true)]
    async fn repeated_outages_open_it_and_a_success_closes_it() {
        let breaker = Breaker::new(3, Duration::from_secs(10));
        assert!(!breaker.record(&down()));
        assert!(!breaker.record(&down()));
        assert!(!breaker.is_open());
        assert!(breaker.record(&down()), "the third outage opens it");
        assert!(breaker.is_open() && !breaker.probe_due());
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(breaker.probe_due());
        breaker.record(&down());
        assert!(!breaker.probe_due(), "a failed probe waits again");
        breaker.record(&Ok(()));
        assert!(!breaker.is_open());
    }

    #[test]
    fn a_refused_request_is_not_an_outage_and_resets_the_count() {
        let breaker = Breaker::new(2, Duration::from_secs(10));
        breaker.record(&down());
        breaker.record::<()>(&Err(Error::invalid_argument("bad circuit")));
        breaker.record(&down());
        assert!(!breaker.is_open(), "the vendor answered in between");
        breaker.record::<()>(&Err(Error::unauthenticated("token refused")));
        assert!(breaker.is_open(), "refused credentials count as an outage");
    }
}
