//! Quantum backends.

#[cfg(feature = "backend-simulator")]
pub mod simulator;
