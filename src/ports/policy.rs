//! Authorization's two needs from the world: the policies in force (which
//! may be replaced while the server runs) and a rate limiter per client.

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::{ClientId, PolicySet, Result};

#[cfg_attr(test, mockall::automock)]
pub trait Policies: Send + Sync {
    /// The policies in force now; a call keeps the snapshot it started with.
    fn current(&self) -> Arc<PolicySet>;
}

/// No policies configured: everything is allowed, as before authorization.
#[derive(Debug, Clone)]
pub struct AllowAll(Arc<PolicySet>);

impl Default for AllowAll {
    fn default() -> Self {
        Self(Arc::new(PolicySet::allow_all()))
    }
}

impl Policies for AllowAll {
    fn current(&self) -> Arc<PolicySet> {
        self.0.clone()
    }
}

#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Takes `jobs` submissions from `client`'s allowance of `per_minute`
    /// (all or none), or answers RESOURCE_EXHAUSTED with the time after
    /// which trying again can succeed. Any other error means the allowance
    /// could not be checked (a shared limiter's server is unreachable).
    async fn check(&self, client: &ClientId, per_minute: u32, jobs: u32) -> Result<()>;
}

/// Never limits (tests, and no policy sets a rate).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRateLimit;

#[async_trait]
impl RateLimiter for NoRateLimit {
    async fn check(&self, _: &ClientId, _: u32, _: u32) -> Result<()> {
        Ok(())
    }
}
