//! Authorization adapters: the policies file, read at start and reloaded
//! when it changes, and per-client rate limits with governor (both always
//! compiled). Without a policies file the `AllowAll` port value is used.

mod file;
mod rate;
mod watch;

pub use file::{parse_policies, read_policies};
pub use rate::GovernorRateLimiter;
pub use watch::PolicyFile;
