//! The PostgreSQL and Redis the tests share: their URLs from the
//! environment (a test that needs one fails, saying so, when it is unset),
//! and removing what a test made there.
#![allow(dead_code)] // each test crate uses its part

pub fn database_url() -> String {
    std::env::var("ARVAK_TEST_DATABASE_URL").expect(
        "ARVAK_TEST_DATABASE_URL is not set: this test needs PostgreSQL \
         (e.g. postgres://postgres@127.0.0.1:5432/postgres)",
    )
}

pub fn redis_url() -> String {
    std::env::var("ARVAK_TEST_REDIS_URL").expect(
        "ARVAK_TEST_REDIS_URL is not set: this test needs a Redis server \
         (e.g. redis://127.0.0.1:6379)",
    )
}

/// Drops `schema` and everything in it.
pub async fn drop_schema(schema: &str) {
    let pool = sqlx::PgPool::connect(&database_url()).await.unwrap();
    let drop = format!("DROP SCHEMA \"{schema}\" CASCADE");
    sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
        .execute(&pool)
        .await
        .unwrap();
}

/// Deletes every Redis key under `prefix`.
#[cfg(feature = "queue-redis")]
pub async fn delete_redis_prefix(prefix: &str) {
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
}
