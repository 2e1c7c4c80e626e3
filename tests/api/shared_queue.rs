//! Two servers in one process sharing a PostgreSQL schema and a Redis
//! prefix: one queue for both, so a job submitted to either runs once, on
//! whichever claims it.
#![cfg(all(feature = "queue-redis", feature = "storage-postgres"))]

use std::time::{Duration, Instant};

use arvak_grpc::app::config::{Config, QueueType, StorageType};
use arvak_grpc::proto::{self, JobState};
use futures::StreamExt;

use crate::support::{BELL, TestApp, services, spawn_app_with, test_config};

/// A node's configuration on the shared store and queue.
fn node(database: &str, schema: &str, redis: &str, prefix: &str) -> Config {
    let mut config = test_config();
    config.storage.kind = StorageType::Postgres;
    config.storage.postgres_url = Some(database.to_owned());
    config.storage.postgres_schema = schema.to_owned();
    config.queue.kind = QueueType::Redis;
    config.queue.redis_url = Some(redis.to_owned());
    config.queue.redis_prefix = prefix.to_owned();
    config
}

/// Two nodes on a fresh schema and prefix.
struct Pair {
    a: TestApp,
    b: TestApp,
    schema: String,
    prefix: String,
}

impl Pair {
    async fn start() -> Self {
        let (database, redis) = (services::database_url(), services::redis_url());
        let id = uuid::Uuid::new_v4().simple();
        let (schema, prefix) = (format!("arvak_shared_{id}"), format!("arvak_test_{id}"));
        let a = spawn_app_with(node(&database, &schema, &redis, &prefix)).await;
        let b = spawn_app_with(node(&database, &schema, &redis, &prefix)).await;
        Self {
            a,
            b,
            schema,
            prefix,
        }
    }

    /// Both test backends hold their runs; one job submitted to `a`, once
    /// RUNNING: its id, and whether `a` runs it.
    async fn running_job(&mut self) -> (String, bool) {
        self.a.backend.hold();
        self.b.backend.hold();
        let id = self.a.submit(BELL, "test-backend", 10).await.unwrap();
        self.a.wait_state(&id, JobState::Running).await;
        let started = Instant::now();
        while self.a.backend.started() + self.b.backend.started() == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "the run never began"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        (id, self.a.backend.started() == 1)
    }

    async fn stop(mut self) {
        self.a.shut_down().await.unwrap();
        self.b.shut_down().await.unwrap();
        services::delete_redis_prefix(&self.prefix).await;
        services::drop_schema(&self.schema).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_submitted_to_either_node_run_once() {
    let mut pair = Pair::start().await;
    let (a, b) = (&mut pair.a, &mut pair.b);

    let mut jobs = Vec::new();
    for n in 0..20 {
        let app: &mut TestApp = if n % 2 == 0 { a } else { b };
        jobs.push(app.submit(BELL, "test-backend", 10).await.unwrap());
    }
    for job in &jobs {
        // Either node answers for any job: the store is shared.
        let done = b.wait_terminal(job).await;
        assert_eq!(done.state(), JobState::Completed, "{}", done.error_message);
        assert_eq!(a.status(job).await.unwrap().state(), JobState::Completed);
    }
    assert_eq!(
        a.backend.completed() + b.backend.completed(),
        jobs.len(),
        "each job ran once, on one node or the other"
    );

    pair.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_on_one_node_follows_a_job_run_on_the_other() {
    let mut pair = Pair::start().await;
    let (id, a_runs) = pair.running_job().await;
    let watcher = if a_runs { &mut pair.b } else { &mut pair.a };
    let mut updates = watcher
        .client
        .watch_job(proto::WatchJobRequest { job_id: id.clone() })
        .await
        .unwrap()
        .into_inner();
    let first = updates.next().await.unwrap().unwrap();
    assert_eq!(first.state(), JobState::Running);
    pair.a.backend.release();
    pair.b.backend.release();
    let last = tokio::time::timeout(Duration::from_secs(5), updates.next())
        .await
        .expect("the other node's transition was pushed, not missed")
        .unwrap()
        .unwrap();
    assert_eq!(last.state(), JobState::Completed);
    pair.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_on_one_node_stops_the_run_on_the_other() {
    let mut pair = Pair::start().await;
    let (id, a_runs) = pair.running_job().await;
    let (canceler, runner) = if a_runs {
        (&mut pair.b, &pair.a)
    } else {
        (&mut pair.a, &pair.b)
    };
    canceler
        .client
        .cancel_job(proto::CancelJobRequest { job_id: id.clone() })
        .await
        .unwrap();
    let asked = Instant::now();
    while runner.backend.cancels() == 0 {
        assert!(
            asked.elapsed() < Duration::from_secs(2),
            "the run was not stopped"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let done = canceler.wait_terminal(&id).await;
    assert_eq!(done.state(), JobState::Canceled);
    assert_eq!(runner.backend.completed(), 0);
    pair.a.backend.release();
    pair.b.backend.release();
    pair.stop().await;
}
