//! Health, reflection and graceful shutdown.

use std::time::{Duration, Instant};

use arvak_grpc::proto::JobState;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::support::{BELL, spawn_app, spawn_app_with, test_config};

#[tokio::test]
async fn the_standard_health_service_reports_serving() {
    let app = spawn_app().await;
    let mut health = HealthClient::new(app.channel().await);
    for service in ["", "arvak.v1.ArvakService"] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status();
        assert_eq!(status, ServingStatus::Serving, "service '{service}'");
    }
}

#[tokio::test]
async fn reflection_lists_the_arvak_service() {
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let app = spawn_app().await;
    let mut client = ServerReflectionClient::new(app.channel().await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("{response:?}")
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"arvak.v1.ArvakService".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"grpc.health.v1.Health".to_string()),
        "{names:?}"
    );
}

#[tokio::test]
async fn shutdown_lets_running_jobs_finish_and_leaves_queued_ones() {
    let mut config = test_config();
    config.workers.count = 1;
    let mut app = spawn_app_with(config).await;
    app.backend.hold();
    let running = app.submit(BELL, "test-backend", 1).await.unwrap();
    app.wait_state(&running, JobState::Running).await;
    let _queued = app.submit(BELL, "test-backend", 1).await.unwrap();

    let backend = app.backend.clone();
    let release_later = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        backend.release();
    });
    app.shut_down().await.expect("clean exit");
    release_later.await.unwrap();
    assert_eq!(
        app.backend.completed(),
        1,
        "the running job finished during the drain"
    );
    assert_eq!(
        app.backend.started(),
        1,
        "the queued job was left for the next start"
    );
}

#[tokio::test]
async fn an_idle_server_stops_promptly() {
    let mut app = spawn_app().await;
    let started = Instant::now();
    app.shut_down().await.expect("clean exit");
    // The drain time is 10 s; an idle server must not wait it out.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_drain_that_runs_out_of_time_still_exits() {
    let mut config = test_config();
    config.server.shutdown_timeout_secs = 1;
    let mut app = spawn_app_with(config).await;
    app.backend.hold();
    let id = app.submit(BELL, "test-backend", 1).await.unwrap();
    app.wait_state(&id, JobState::Running).await;
    let started = Instant::now();
    app.shut_down().await.expect("exits even with a stuck job");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(app.backend.completed(), 0);
}

#[tokio::test]
async fn open_watch_streams_end_when_the_server_stops() {
    let mut app = spawn_app().await;
    app.backend.hold();
    let id = app.submit(BELL, "test-backend", 1).await.unwrap();
    let mut updates = app
        .client
        .watch_job(arvak_grpc::proto::WatchJobRequest { job_id: id })
        .await
        .unwrap()
        .into_inner();
    updates.message().await.unwrap().unwrap();
    let backend = app.backend.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        backend.release();
    });
    app.shut_down().await.unwrap();
    // Whatever arrived, the stream is over.
    while let Ok(Some(_)) = updates.message().await {}
}
