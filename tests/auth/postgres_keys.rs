//! API keys in PostgreSQL's `api_keys` table, against the database
//! `ARVAK_TEST_DATABASE_URL` names (in a schema of its own, dropped after).

use arvak_grpc::app::config::StorageType;
use tonic::Code;

use crate::api_keys::{create_key, keyed_config};
use crate::common::{api_key, assert_code, probe};
use crate::support::spawn_app_with;

#[tokio::test]
async fn keys_in_the_postgres_table_authenticate_and_stop_once_disabled() {
    let url = std::env::var("ARVAK_TEST_DATABASE_URL").expect(
        "ARVAK_TEST_DATABASE_URL is not set: the PostgreSQL API key test needs a database \
         (e.g. postgres://postgres@127.0.0.1:5432/postgres)",
    );
    let schema = format!("arvak_auth_{}", uuid::Uuid::new_v4().simple());
    let dir = tempfile::tempdir().unwrap();
    let mut config = keyed_config(dir.path());
    config.auth.api_keys.file = None;
    config.auth.api_keys.recheck_secs = 0;
    config.storage.kind = StorageType::Postgres;
    config.storage.postgres_url = Some(url.clone());
    config.storage.postgres_schema = schema.clone();
    let key = create_key(&config, "alice").await;
    let mut app = spawn_app_with(config.clone()).await;
    probe(&mut app, api_key(&key)).await.unwrap();
    let key_id = key.split('_').nth(1).unwrap().to_owned();
    let disable = arvak_grpc::app::api_keys::ApiKeyCommand::Disable { key_id };
    arvak_grpc::app::api_keys::run(&config, disable)
        .await
        .unwrap();
    assert_code(probe(&mut app, api_key(&key)).await, Code::Unauthenticated);
    app.shut_down().await.unwrap();

    let pool = sqlx::PgPool::connect(&url).await.expect("cleanup connects");
    let drop = format!("DROP SCHEMA \"{schema}\" CASCADE");
    sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
        .execute(&pool)
        .await
        .expect("test schema dropped");
}
