//! Turning submitted circuit text into the domain's circuit model.

use crate::domain::{CircuitSource, Result, circuit::Circuit};

#[cfg_attr(test, mockall::automock)]
pub trait CircuitFrontend: Send + Sync {
    /// Parses `source`; errors are INVALID_ARGUMENT and say what is wrong and
    /// where (line and column for text formats). Never panics.
    fn parse(&self, source: &CircuitSource) -> Result<Circuit>;
}
