//! Which call a use case runs for (its request id and the peer's address),
//! for the audit trail. The transport sets it around each call as a
//! task-local, so that the use cases' signatures stay about jobs.

use std::future::Future;
use std::net::SocketAddr;

tokio::task_local! {
    static ORIGIN: CallOrigin;
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallOrigin {
    pub request_id: Option<String>,
    /// Kept as an address: it becomes text only when an audit line is written.
    pub peer: Option<SocketAddr>,
}

/// Runs `call` with `origin` as the current call's.
pub async fn with_origin<F: Future>(origin: CallOrigin, call: F) -> F::Output {
    ORIGIN.scope(origin, call).await
}

/// The current call's origin; empty outside a call (background work).
pub(super) fn current() -> CallOrigin {
    ORIGIN.try_with(Clone::clone).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_origin_is_known_inside_the_call_only() {
        assert_eq!(current(), CallOrigin::default());
        let origin = CallOrigin {
            request_id: Some("r-1".to_owned()),
            peer: Some(SocketAddr::from(([10, 0, 0, 5], 4000))),
        };
        let seen = with_origin(origin.clone(), async { current() }).await;
        assert_eq!(seen, origin);
    }
}
