//! The `Clock` port's adapter: the system's wall clock.

mod system;

pub use system::SystemClock;
