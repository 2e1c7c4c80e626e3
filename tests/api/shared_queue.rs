//! Two servers in one process sharing a PostgreSQL schema and a Redis
//! prefix: one queue for both, so a job submitted to either runs once, on
//! whichever claims it.
#![cfg(all(feature = "queue-redis", feature = "storage-postgres"))]

use arvak_grpc::adapters::queue::redis::{RedisJobQueue, RedisQueueSettings};
use arvak_grpc::app::config::{Config, QueueType, StorageType};
use arvak_grpc::proto::JobState;

use crate::support::{BELL, TestApp, spawn_app_with, test_config};

fn env(name: &str, what: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: this test needs {what}"))
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_submitted_to_either_node_run_once() {
    let database = env(
        "ARVAK_TEST_DATABASE_URL",
        "PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/postgres)",
    );
    let redis = env(
        "ARVAK_TEST_REDIS_URL",
        "Redis (e.g. redis://127.0.0.1:6379)",
    );
    let id = uuid::Uuid::new_v4().simple();
    let (schema, prefix) = (format!("arvak_shared_{id}"), format!("arvak_test_{id}"));
    let mut a = spawn_app_with(node(&database, &schema, &redis, &prefix)).await;
    let mut b = spawn_app_with(node(&database, &schema, &redis, &prefix)).await;

    let mut jobs = Vec::new();
    for n in 0..20 {
        let app: &mut TestApp = if n % 2 == 0 { &mut a } else { &mut b };
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

    a.shut_down().await.unwrap();
    b.shut_down().await.unwrap();
    let settings = RedisQueueSettings::from_config(Some(redis), &prefix).unwrap();
    RedisJobQueue::connect(&settings)
        .await
        .unwrap()
        .delete_all()
        .await
        .unwrap();
    let pool = sqlx::PgPool::connect(&database).await.unwrap();
    let drop = format!("DROP SCHEMA \"{schema}\" CASCADE");
    sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
        .execute(&pool)
        .await
        .unwrap();
}
