//! The load generator's open-loop schedule (`benches/load/pace.rs`): calls
//! due evenly at the offered rate, and a late call timed from when it was
//! due only when the server (not the generator's timer) made it late.

#[path = "../../benches/load/pace.rs"]
mod pace;

use std::time::{Duration, Instant};

use pace::{Pace, latency_origin};

fn offsets(pace: &mut Pace, start: Instant, calls: usize) -> Vec<Duration> {
    (0..calls).map(|_| pace.next_due() - start).collect()
}

#[test]
fn the_callers_calls_interleave_at_the_offered_rate() {
    let start = Instant::now();
    let ms = Duration::from_millis;
    // 1,000 calls per second from 4 callers: one call due every 1 ms in
    // all, every 4 ms per caller, caller n starting n ms in.
    let mut first = Pace::new(start, 1000.0, 0, 4);
    let mut second = Pace::new(start, 1000.0, 1, 4);
    let mut last = Pace::new(start, 1000.0, 3, 4);
    assert_eq!(offsets(&mut first, start, 3), [ms(0), ms(4), ms(8)]);
    assert_eq!(offsets(&mut second, start, 3), [ms(1), ms(5), ms(9)]);
    assert_eq!(offsets(&mut last, start, 3), [ms(3), ms(7), ms(11)]);
}

#[test]
fn the_schedule_does_not_drift_over_a_long_run() {
    let start = Instant::now();
    // 30,000/s from 64 callers: the millionth call of caller 5 is due at
    // (5 + 999,999 * 64) / 30,000 s, to the microsecond.
    let mut pace = Pace::new(start, 30_000.0, 5, 64);
    let due = (0..1_000_000).map(|_| pace.next_due()).last().unwrap();
    let expected = (5.0 + 999_999.0 * 64.0) / 30_000.0;
    assert!(
        ((due - start).as_secs_f64() - expected).abs() < 1e-6,
        "{:?} against {expected} s",
        due - start
    );
}

#[test]
fn a_call_held_up_by_the_one_before_is_timed_from_when_it_was_due() {
    let due = Instant::now();
    // The previous answer came 3 ms after this call was due; it went out then.
    let free_at = due + Duration::from_millis(3);
    assert_eq!(latency_origin(due, free_at, free_at), due);
}

#[test]
fn a_call_whose_caller_was_free_is_timed_from_when_it_went_out() {
    let due = Instant::now();
    let free_at = due - Duration::from_millis(2);
    // The timer woke 700 µs late: the generator's lateness, not the server's.
    let sent = due + Duration::from_micros(700);
    assert_eq!(latency_origin(due, free_at, sent), sent);
}
