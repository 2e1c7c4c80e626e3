//! The leader election over Redis: one leader at a time, a new one within
//! 3 s of the old one's death, and at once when it steps down. Each test
//! under a fresh key prefix, deleted afterwards.
#![cfg(feature = "queue-redis")]

use std::time::{Duration, Instant};

use arvak_grpc::adapters::leadership::redis::{RedisLeadership, RedisLeadershipSettings};
use arvak_grpc::ports::{LeaderTerm, Leadership};

#[path = "common/services.rs"]
mod services;

use services::{delete_redis_prefix, redis_url};

fn settings(prefix: &str, node: &str) -> RedisLeadershipSettings {
    RedisLeadershipSettings::from_config(redis_url(), prefix, node, 2000).unwrap()
}

async fn node(prefix: &str, id: &str) -> RedisLeadership {
    RedisLeadership::connect(&settings(prefix, id))
        .await
        .unwrap()
}

fn fresh_prefix() -> String {
    format!("arvak_test_{}", uuid::Uuid::new_v4().simple())
}

/// Waits up to `within` for `node` to lead; how long it took.
async fn leads_within(node: &RedisLeadership, within: Duration) -> Duration {
    let started = Instant::now();
    while node.term().is_none() {
        assert!(
            started.elapsed() < within,
            "{} did not lead within {within:?}",
            node.node_id()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    started.elapsed()
}

fn leaders(nodes: &[&RedisLeadership]) -> usize {
    nodes.iter().filter(|n| n.term().is_some()).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_leads_and_a_new_one_follows_within_3_s_of_its_death() {
    let prefix = fresh_prefix();
    let a = node(&prefix, "a").await;
    let b = node(&prefix, "b").await;
    let c = node(&prefix, "c").await;
    let first = a.term().expect("the first node to ask leads");
    for _ in 0..10 {
        assert_eq!(leaders(&[&a, &b, &c]), 1);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let view = b.view();
    assert_eq!(
        (view.node.as_str(), view.leader.as_deref()),
        ("b", Some("a"))
    );
    assert_eq!(view.nodes, 3, "every node beats");

    // Killed: no step-down, its lease lapses.
    drop(a);
    let died = Instant::now();
    let taken = loop {
        if let Some(term) = b.term().or(c.term()) {
            break term;
        }
        assert!(
            died.elapsed() < Duration::from_secs(3),
            "no new leader within 3 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(taken > first, "{taken:?} after {first:?}");
    assert_eq!(leaders(&[&b, &c]), 1);
    delete_redis_prefix(&prefix).await;
}

#[test]
fn a_lease_too_short_to_renew_is_refused_by_name() {
    let refused =
        RedisLeadershipSettings::from_config(redis_url(), "p", "a", 50).expect_err("refused");
    assert!(
        refused.message().contains("cluster.leader_lease_ms is 50"),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_steps_down_is_replaced_at_once() {
    let prefix = fresh_prefix();
    let a = node(&prefix, "a").await;
    let b = node(&prefix, "b").await;
    assert!(a.term().is_some() && b.term().is_none());
    a.step_down().await;
    assert_eq!(a.term(), None);
    // Well before a's lease (2 s) would have lapsed: b's next round.
    let took = leads_within(&b, Duration::from_secs(1)).await;
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert!(b.term() > Some(LeaderTerm(1)));
    delete_redis_prefix(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terms_never_repeat_even_after_redis_forgot_them() {
    let prefix = fresh_prefix();
    let a = node(&prefix, "a").await;
    let first = a.term().expect("the first node to ask leads");
    a.step_down().await;
    // As if Redis had restarted empty: the term counter is gone too.
    delete_redis_prefix(&prefix).await;
    let b = node(&prefix, "b").await;
    let second = b.term().expect("b leads once nobody holds the lease");
    assert!(
        second > first,
        "a term was handed out again: {second:?} after {first:?}"
    );
    delete_redis_prefix(&prefix).await;
}
