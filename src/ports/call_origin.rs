//! Which call a use case runs for (the RPC, its request id and the peer's
//! address), for the audit trail and for every log line of the call. The
//! transport sets it around each call as a task-local, so that the use
//! cases' signatures stay about jobs, and no span has to be made per call
//! just to carry the request id.

use std::future::Future;
use std::net::SocketAddr;

tokio::task_local! {
    static ORIGIN: CallOrigin;
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallOrigin {
    /// The RPC (`SubmitJob`); empty outside a call.
    pub method: &'static str,
    pub request_id: Option<String>,
    /// Kept as an address: it becomes text only when an audit line is written.
    pub peer: Option<SocketAddr>,
}

/// Runs `call` with `origin` as the current call's.
pub async fn with_origin<F: Future>(origin: CallOrigin, call: F) -> F::Output {
    ORIGIN.scope(origin, call).await
}

/// The current call's origin; empty outside a call (background work).
pub fn current_call_origin() -> CallOrigin {
    ORIGIN.try_with(Clone::clone).unwrap_or_default()
}

/// `f` of the current call's method and request id, without copying them;
/// `None` outside a call.
pub fn with_current_call<R>(mut f: impl FnMut(Option<(&str, &str)>) -> R) -> R {
    ORIGIN
        .try_with(|origin| f(origin.request_id.as_deref().map(|id| (origin.method, id))))
        .unwrap_or_else(|_| f(None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_origin_is_known_inside_the_call_only() {
        assert_eq!(current_call_origin(), CallOrigin::default());
        let origin = CallOrigin {
            method: "SubmitJob",
            request_id: Some("r-1".to_owned()),
            peer: Some(SocketAddr::from(([10, 0, 0, 5], 4000))),
        };
        let seen = with_origin(origin.clone(), async { current_call_origin() }).await;
        assert_eq!(seen, origin);
        let fields = with_origin(origin, async {
            with_current_call(|call| call.map(|(m, id)| format!("{m} {id}")))
        })
        .await;
        assert_eq!(fields.as_deref(), Some("SubmitJob r-1"));
        assert!(with_current_call(|call| call.is_none()));
    }
}
