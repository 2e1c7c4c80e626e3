//! The store going away and coming back; a stored row that cannot be read.

use std::time::Duration;

use arvak_grpc::app::config::StorageType;
use arvak_grpc::proto;
use tonic::Code;

use crate::support::{BELL, spawn_app_with, test_config};

#[cfg(feature = "storage-postgres")]
mod postgres {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

    use super::*;
    use crate::support::TestApp;
    use crate::support::proxy::Proxy;

    async fn serving(app: &TestApp) -> ServingStatus {
        let mut health = HealthClient::new(app.channel().await);
        let request = HealthCheckRequest {
            service: "arvak.v1.ArvakService".into(),
        };
        health.check(request).await.unwrap().into_inner().status()
    }

    async fn wait_serving(app: &TestApp, wanted: ServingStatus) {
        for _ in 0..200 {
            if serving(app).await == wanted {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("health did not become {wanted:?} within 10 s");
    }

    #[tokio::test]
    async fn an_unreachable_store_refuses_submissions_as_unavailable_and_the_service_recovers_by_itself()
     {
        let url = crate::support::services::database_url();
        let target = {
            let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
            let host = if options.get_host() == "localhost" {
                "127.0.0.1"
            } else {
                options.get_host()
            };
            format!("{host}:{}", options.get_port()).parse().unwrap()
        };
        let proxy = Proxy::start(target).await;
        let through_proxy = {
            let mut parsed = url::Url::parse(&url).unwrap();
            parsed.set_host(Some("127.0.0.1")).unwrap();
            parsed.set_port(Some(proxy.addr.port())).unwrap();
            parsed.to_string()
        };
        let schema = format!("arvak_fault_{}", uuid::Uuid::new_v4().simple());
        let mut config = test_config();
        config.storage.kind = StorageType::Postgres;
        config.storage.postgres_url = Some(through_proxy);
        config.storage.postgres_schema = schema.clone();
        config.storage.acquire_timeout_secs = 1;
        let mut app = spawn_app_with(config).await;
        wait_serving(&app, ServingStatus::Serving).await;
        let before = app.submit(BELL, "test-backend", 5).await.unwrap();
        app.wait_terminal(&before).await;

        proxy.cut();
        let err = app.submit(BELL, "test-backend", 5).await.unwrap_err();
        assert_eq!(err.code(), Code::Unavailable, "{err:?}");
        assert!(err.message().contains("job store"), "{}", err.message());
        wait_serving(&app, ServingStatus::NotServing).await;
        let listed = app
            .client
            .list_jobs(proto::ListJobsRequest::default())
            .await
            .unwrap_err();
        assert_eq!(listed.code(), Code::Unavailable);

        proxy.restore();
        wait_serving(&app, ServingStatus::Serving).await;
        let after = app.submit(BELL, "test-backend", 5).await.unwrap();
        let finished = app.wait_terminal(&after).await;
        assert_eq!(finished.state(), proto::JobState::Completed);
        let all = app
            .client
            .list_jobs(proto::ListJobsRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            all.jobs.len(),
            2,
            "the refused submission left nothing half-written"
        );

        app.shut_down().await.unwrap();
        crate::support::services::drop_schema(&schema).await;
    }
}

#[cfg(feature = "storage-sqlite")]
#[tokio::test]
async fn a_row_that_cannot_be_read_fails_its_job_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("arvak.db");
    let mut config = test_config();
    config.storage.kind = StorageType::Sqlite;
    config.storage.sqlite_path = path.clone();
    // The row is damaged behind the server's back; with its cache of the jobs
    // it wrote last, the server would answer from memory what it committed.
    config.storage.sqlite_cache_mib = 0;
    let mut app = spawn_app_with(config).await;
    app.backend.hold();
    let damaged = app.submit(BELL, "test-backend", 5).await.unwrap();
    let healthy = app.submit(BELL, "test-backend", 5).await.unwrap();

    let file = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let damage = format!("UPDATE jobs SET tags = 'not json' WHERE id = '{damaged}'");
    sqlx::raw_sql(sqlx::AssertSqlSafe(damage))
        .execute(&file)
        .await
        .unwrap();

    let err = app.status(&damaged).await.unwrap_err();
    assert_eq!(err.code(), Code::Internal);
    assert!(
        err.message().contains(&damaged) && err.message().contains("tags"),
        "{}",
        err.message()
    );
    assert!(
        app.status(&healthy).await.is_ok(),
        "other jobs are unaffected"
    );
    let listed = app
        .client
        .list_jobs(proto::ListJobsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(
        listed.jobs.iter().all(|j| j.job_id != damaged),
        "listing leaves the unreadable job out"
    );
    for _ in 0..100 {
        let state: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT state FROM jobs WHERE id = '{damaged}'"
        )))
        .fetch_one(&file)
        .await
        .unwrap();
        if state == "FAILED" {
            app.backend.release();
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the unreadable job was not marked FAILED");
}
