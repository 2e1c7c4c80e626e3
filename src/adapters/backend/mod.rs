//! Quantum backends.

#[cfg(feature = "backend-simulator")]
pub mod simulator;

#[cfg(feature = "backend-ibm")]
pub mod ibm;

#[cfg(any(feature = "backend-iqm", feature = "backend-ibm"))]
pub mod remote;

#[cfg(feature = "backend-iqm")]
pub mod iqm;
