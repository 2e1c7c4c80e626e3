//! API keys in PostgreSQL's `api_keys` table, against the database
//! `ARVAK_TEST_DATABASE_URL` names (in a schema of its own, dropped after).

use tonic::Code;

use crate::api_keys::{create_key, keyed_config};
use crate::common::{api_key, assert_code, probe};

#[tokio::test]
async fn keys_in_the_postgres_table_authenticate_and_stop_once_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = keyed_config(dir.path());
    config.auth.api_keys.file = None;
    config.auth.api_keys.recheck_secs = 0;
    crate::common::on_postgres(&mut config, "auth");
    let key = create_key(&config, "alice").await;
    let mut app = crate::serve::serve(config.clone()).await;
    probe(&mut app, api_key(&key)).await.unwrap();
    let key_id = key.split('_').nth(1).unwrap().to_owned();
    let disable = arvak_grpc::app::api_keys::ApiKeyCommand::Disable { key_id };
    arvak_grpc::app::api_keys::run(&config, disable)
        .await
        .unwrap();
    assert_code(probe(&mut app, api_key(&key)).await, Code::Unauthenticated);
    app.shut_down().await.unwrap();

    crate::common::drop_postgres_schema(&config).await;
}
