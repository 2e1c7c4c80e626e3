//! Rate limits counted for the whole cluster: two limiters on one Redis
//! prefix, as two nodes hold them, share each client's allowance. Each
//! test under a fresh prefix, deleted afterwards.
#![cfg(feature = "queue-redis")]

use std::time::Duration;

use arvak_grpc::adapters::rate_limit::redis::RedisRateLimiter;
use arvak_grpc::domain::{ClientId, ErrorKind};
use arvak_grpc::ports::RateLimiter;

#[path = "common/services.rs"]
mod services;

use services::{delete_redis_prefix, redis_url};

#[tokio::test]
async fn two_nodes_take_from_one_allowance_per_client() {
    let prefix = format!("arvak_test_{}", uuid::Uuid::new_v4().simple());
    let a = RedisRateLimiter::connect(&redis_url(), &prefix)
        .await
        .unwrap();
    let b = RedisRateLimiter::connect(&redis_url(), &prefix)
        .await
        .unwrap();
    let alice = ClientId::parse("alice").unwrap();
    let bob = ClientId::parse("bob").unwrap();

    // A burst of the rate (3 a minute), taken on either node.
    a.check(&alice, 3, 2).await.unwrap();
    b.check(&alice, 3, 1).await.unwrap();
    let over = b.check(&alice, 3, 1).await.unwrap_err();
    assert_eq!(over.kind(), ErrorKind::ResourceExhausted, "{over}");
    assert!(over.message().contains("rate_limit_per_minute 3"), "{over}");
    let wait = over.retry_after().expect("says when to try again");
    assert!(
        wait > Duration::from_secs(19) && wait <= Duration::from_secs(20),
        "one job every 20 s: {wait:?}"
    );
    assert!(
        a.check(&alice, 3, 1).await.is_err(),
        "nor on the other node"
    );

    // Each client has its own allowance; a batch larger than the burst
    // can never pass, and says so.
    b.check(&bob, 3, 3).await.unwrap();
    let never = a
        .check(&ClientId::parse("carol").unwrap(), 3, 4)
        .await
        .unwrap_err();
    assert!(
        never
            .message()
            .contains("more than client 'carol' may ever submit"),
        "{never}"
    );
    delete_redis_prefix(&prefix).await;
}

#[tokio::test]
async fn an_unreachable_redis_is_unavailable_not_a_denial() {
    let refused = RedisRateLimiter::connect("redis://127.0.0.1:1", "arvak").await;
    let error = match refused {
        Err(error) => error,
        Ok(limiter) => limiter
            .check(&ClientId::parse("alice").unwrap(), 3, 1)
            .await
            .unwrap_err(),
    };
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
}
