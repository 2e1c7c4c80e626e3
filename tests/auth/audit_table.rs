//! The audit trail in the SQL storage's `audit_events` table (`audit.table`):
//! what the server records there, as `audit list` prints it (library and
//! shipped binary), and that SQL cannot change or remove a row. SQLite
//! here; PostgreSQL against `ARVAK_TEST_DATABASE_URL` in a schema of its own.

use std::path::Path;

use arvak_grpc::app::audit_trail;
use arvak_grpc::app::config::{Config, StorageType};
use tonic::Code;

use crate::api_keys::{create_key, keyed_config};
use crate::common::{api_key, assert_code, count_action, submit};
use crate::support::binary::server_command;

/// Serves `config`, submits as alice, fails once with a forged key and once
/// with none; returns alice's key after the server has shut down (which
/// flushes the trail).
async fn record_a_session(config: &Config) -> String {
    let alice = create_key(config, "alice").await;
    let mut app = crate::serve::serve(config.clone()).await;
    submit(&mut app, api_key(&alice)).await.unwrap();
    let forged = format!("arvak_{}_{}", "k".repeat(16), "S".repeat(40));
    assert_code(
        submit(&mut app, api_key(&forged)).await,
        Code::Unauthenticated,
    );
    app.shut_down().await.unwrap();
    alice
}

/// `audit list` through the library, parsed.
async fn listed(config: &Config, limit: u32, client: Option<&str>) -> Vec<serde_json::Value> {
    let output = audit_trail::list(config, limit, client).await.unwrap();
    output
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("an audit line is JSON"))
        .collect()
}

async fn assert_trail(config: &Config, alice: &str) {
    let lines = listed(config, 100, None).await;
    assert_eq!(count_action(&lines, "job_submitted"), 1, "{lines:#?}");
    assert!(
        count_action(&lines, "authentication_succeeded") >= 1,
        "{lines:#?}"
    );
    let failed: Vec<_> = lines
        .iter()
        .filter(|l| l["action"] == "authentication_failed")
        .collect();
    assert_eq!(failed.len(), 1, "{lines:#?}");
    assert_eq!(failed[0]["method"], "SubmitJob");
    assert_eq!(failed[0]["outcome"], "failed");
    assert!(
        failed[0]["peer"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    assert!(
        failed[0]["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    let times: Vec<&str> = lines.iter().map(|l| l["time"].as_str().unwrap()).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "oldest first: {times:?}"
    );

    let text = serde_json::to_string(&lines).unwrap();
    let secret = alice.rsplit('_').next().unwrap();
    assert!(
        !text.contains(secret) && !text.contains(&"S".repeat(40)),
        "{text}"
    );

    let alices = listed(config, 100, Some("alice")).await;
    assert!(
        alices.iter().all(|l| l["client_id"] == "alice"),
        "{alices:#?}"
    );
    assert_eq!(
        alices.len(),
        lines.len() - 1,
        "all but the failure are alice's"
    );
    let newest = listed(config, 1, None).await;
    assert_eq!(newest, lines[lines.len() - 1..], "--limit keeps the newest");
}

fn table_config(dir: &Path) -> Config {
    let mut config = keyed_config(dir);
    config.audit.file = None;
    config.audit.table = true;
    config.storage.kind = StorageType::Sqlite;
    config.storage.sqlite_path = dir.join("arvak.db");
    config
}

#[tokio::test]
async fn the_sqlite_table_holds_the_trail_and_audit_list_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = table_config(dir.path());
    let alice = record_a_session(&config).await;
    assert_trail(&config, &alice).await;

    // The shipped binary reads the same table.
    let yaml = serde_yaml::to_string(&config).unwrap();
    std::fs::write(dir.path().join("arvak.yaml"), yaml).unwrap();
    let output = server_command(dir.path())
        .args([
            "--config",
            "arvak.yaml",
            "audit",
            "list",
            "--client",
            "alice",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let printed: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(printed, listed(&config, 100, Some("alice")).await);

    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        config.storage.sqlite_path.display()
    ))
    .await
    .unwrap();
    for statement in [
        "DELETE FROM audit_events",
        "UPDATE audit_events SET outcome = 'ok'",
    ] {
        let error = sqlx::query(statement).execute(&pool).await.unwrap_err();
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
}

#[tokio::test]
async fn the_table_needs_sql_storage_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = table_config(dir.path());
    config.storage.kind = StorageType::Memory;
    let error = arvak_grpc::app::App::build(config.clone())
        .await
        .err()
        .expect("refused");
    assert!(
        error.message().contains("audit.table needs SQL storage"),
        "{error}"
    );
    let error = audit_trail::list(&config, 10, None).await.err().unwrap();
    assert!(
        error
            .message()
            .contains("audit_events table of SQL storage"),
        "{error}"
    );
}

#[cfg(feature = "storage-postgres")]
#[tokio::test]
async fn the_postgres_table_holds_the_trail_and_refuses_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = table_config(dir.path());
    crate::common::on_postgres(&mut config, "audit");
    let schema = config.storage.postgres_schema.clone();
    let alice = record_a_session(&config).await;
    assert_trail(&config, &alice).await;

    let pool = crate::common::postgres_pool(&config).await;
    for statement in ["DELETE FROM", "TRUNCATE", "UPDATE"] {
        let sql = match statement {
            "UPDATE" => format!("UPDATE \"{schema}\".audit_events SET outcome = 'ok'"),
            verb => format!("{verb} \"{schema}\".audit_events"),
        };
        let error = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    crate::common::drop_postgres_schema(&config).await;
}
