//! Calls with credentials, and the audit trail as the test reads it.

use std::path::Path;

use arvak_grpc::proto::{self, ListBackendsRequest};
use tonic::metadata::MetadataValue;
use tonic::{Code, Request, Status};

use crate::support::{TestApp, bell_request};

/// `message` with the header `name: value`.
pub fn with_header<T>(message: T, header: Option<(&'static str, &str)>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some((name, value)) = header {
        let value = MetadataValue::try_from(value).expect("header value");
        request.metadata_mut().insert(name, value);
    }
    request
}

pub fn api_key(key: &str) -> Option<(&'static str, &str)> {
    Some(("x-api-key", key))
}

/// ListBackends with this header: the cheapest authenticated call.
pub async fn probe(app: &mut TestApp, header: Option<(&'static str, &str)>) -> Result<(), Status> {
    let request = with_header(ListBackendsRequest {}, header);
    app.client.list_backends(request).await.map(|_| ())
}

/// Submits BELL with this header; the job id.
pub async fn submit(
    app: &mut TestApp,
    header: Option<(&'static str, &str)>,
) -> Result<String, Status> {
    let request = with_header(bell_request(), header);
    Ok(app.client.submit_job(request).await?.into_inner().job_id)
}

pub async fn status(
    app: &mut TestApp,
    job_id: &str,
    header: Option<(&'static str, &str)>,
) -> Result<proto::Job, Status> {
    let request = proto::GetJobStatusRequest {
        job_id: job_id.into(),
    };
    let reply = app
        .client
        .get_job_status(with_header(request, header))
        .await?;
    Ok(reply.into_inner().job.expect("job present"))
}

pub fn assert_code<T: std::fmt::Debug>(outcome: Result<T, Status>, code: Code) -> Status {
    let status = outcome.expect_err("the call is refused");
    assert_eq!(status.code(), code, "{status:?}");
    status
}

/// Every audit line, parsed.
pub fn audit_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("an audit line is JSON"))
        .collect()
}

pub fn count_action(lines: &[serde_json::Value], action: &str) -> usize {
    lines.iter().filter(|line| line["action"] == action).count()
}

/// `config` on PostgreSQL (`ARVAK_TEST_DATABASE_URL`) in a new schema of its
/// own, named after `purpose`; drop it with `drop_postgres_schema`.
#[cfg(feature = "storage-postgres")]
pub fn on_postgres(config: &mut arvak_grpc::app::config::Config, purpose: &str) {
    let url = std::env::var("ARVAK_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "ARVAK_TEST_DATABASE_URL is not set: the PostgreSQL {purpose} test needs a database \
             (e.g. postgres://postgres@127.0.0.1:5432/postgres)"
        )
    });
    config.storage.kind = arvak_grpc::app::config::StorageType::Postgres;
    config.storage.postgres_url = Some(url);
    config.storage.postgres_schema = format!("arvak_{purpose}_{}", uuid::Uuid::new_v4().simple());
}

/// A connection to the database `on_postgres` chose, for checks and cleanup.
#[cfg(feature = "storage-postgres")]
pub async fn postgres_pool(config: &arvak_grpc::app::config::Config) -> sqlx::PgPool {
    let url = config.storage.postgres_url.as_deref().expect("on_postgres");
    sqlx::PgPool::connect(url).await.expect("test connects")
}

#[cfg(feature = "storage-postgres")]
pub async fn drop_postgres_schema(config: &arvak_grpc::app::config::Config) {
    let drop = format!("DROP SCHEMA \"{}\" CASCADE", config.storage.postgres_schema);
    sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
        .execute(&postgres_pool(config).await)
        .await
        .expect("test schema dropped");
}
