//! Wall-clock time, behind a port so rules that depend on it can be tested.

use crate::domain::UnixMillis;

#[cfg_attr(test, mockall::automock)]
pub trait Clock: Send + Sync {
    fn now(&self) -> UnixMillis;
}
