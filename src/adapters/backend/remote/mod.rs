//! What the QPU backends share: a vendor's REST API as a small trait
//! ([`VendorApi`]), the HTTP edge that turns its answers into our error
//! kinds, credentials read from configuration or a file, and the backend
//! that runs jobs through any vendor (transpile, submit, poll, fetch counts,
//! cancel) behind a circuit breaker.
//!
//! Not an adapter of its own: `iqm` and `ibm` each implement [`VendorApi`]
//! and are served through [`RemoteBackend`].

mod backend;
mod breaker;
mod described;
pub mod http;
mod run;
pub mod secret;
mod settings;
pub mod vendor;

pub use backend::RemoteBackend;
pub use secret::{Secret, SecretReader};
pub use settings::RemoteSettings;
pub use vendor::{Device, VendorApi, VendorStatus};

#[cfg(test)]
mod tests;
