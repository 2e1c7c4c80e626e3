//! Authentication adapters: one `Authenticator` (the chain) that tries the
//! configured methods in a fixed order, mTLS certificate, then bearer JWT,
//! then API key, and lets the first credential present decide.
//!
//! - `chain`: the order, anonymous callers, lock-out and the audit trail
//! - `lockout`: refuses an address after repeated failures
//! - `api_key` [`auth-api-key`], `jwt` [`auth-jwt`], `mtls` [`auth-mtls`]

mod chain;
mod lockout;

#[cfg(feature = "auth-api-key")]
pub mod api_key;
#[cfg(feature = "auth-jwt")]
pub mod jwt;
#[cfg(feature = "auth-mtls")]
pub mod mtls;

pub use chain::{AnonymousOnly, AuthChain, Verifiers};
pub use lockout::{FailureLockout, LockoutLimits};
