//! A budget for warnings about failed handshakes: a few per minute are
//! logged, the rest only counted, and the count goes with the next warning
//! that is logged.

use std::time::{Duration, Instant};

/// Warnings logged per window.
const WARNINGS_PER_WINDOW: u32 = 10;
const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub(super) struct FailureLog {
    window_start: Option<Instant>,
    warned: u32,
    suppressed: u64,
}

impl FailureLog {
    pub(super) fn new() -> Self {
        Self {
            window_start: None,
            warned: 0,
            suppressed: 0,
        }
    }

    /// Some(n) when this failure may be logged as a warning, n being how
    /// many were left out since the last warning; None when the budget is
    /// spent (log it at debug).
    pub(super) fn admit(&mut self, now: Instant) -> Option<u64> {
        let window_over = self
            .window_start
            .is_none_or(|start| now.duration_since(start) >= WINDOW);
        if window_over {
            self.window_start = Some(now);
            self.warned = 0;
        }
        if self.warned >= WARNINGS_PER_WINDOW {
            self.suppressed += 1;
            return None;
        }
        self.warned += 1;
        Some(std::mem::take(&mut self.suppressed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_cut_to_the_budget_and_the_rest_counted_in_the_next_window() {
        let mut log = FailureLog::new();
        let start = Instant::now();
        let admitted = (0..25).filter(|_| log.admit(start).is_some()).count();
        assert_eq!(admitted, WARNINGS_PER_WINDOW as usize);
        let later = start + WINDOW / 2;
        assert_eq!(log.admit(later), None, "same window: still spent");
        let next_window = start + WINDOW;
        assert_eq!(
            log.admit(next_window),
            Some(16),
            "15 from the burst, 1 later"
        );
        assert_eq!(log.admit(next_window), Some(0));
    }
}
