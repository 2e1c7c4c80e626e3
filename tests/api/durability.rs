//! Jobs outlive the server: a new server on the same SQLite file finishes
//! what the old one acknowledged.
#![cfg(feature = "storage-sqlite")]

use std::time::Duration;

use arvak_grpc::app::config::{Config, StorageType};
use arvak_grpc::proto::JobState;

use std::sync::Arc;

use crate::support::{BELL, TestBackend, spawn_app_with, spawn_app_with_backend, test_config};

fn sqlite_config(dir: &std::path::Path) -> Config {
    let mut config = test_config();
    config.storage.kind = StorageType::Sqlite;
    config.storage.sqlite_path = dir.join("arvak.db");
    config.workers.count = 1;
    config.server.shutdown_timeout_secs = 1;
    config
}

#[tokio::test]
async fn a_restarted_server_finishes_what_the_stopped_one_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = spawn_app_with(sqlite_config(dir.path())).await;
    let done = first.submit(BELL, "test-backend", 5).await.unwrap();
    first.wait_terminal(&done).await;
    first.backend.hold();
    let interrupted = first.submit(BELL, "test-backend", 5).await.unwrap();
    first.wait_state(&interrupted, JobState::Running).await;
    let waiting: Vec<String> = {
        let mut ids = Vec::new();
        for _ in 0..5 {
            ids.push(first.submit(BELL, "test-backend", 5).await.unwrap());
        }
        ids
    };
    // The drain time (1 s) runs out with one job still running.
    first.shut_down().await.unwrap();

    let mut second = spawn_app_with(sqlite_config(dir.path())).await;
    let before = second.status(&done).await.unwrap();
    assert_eq!(
        before.state(),
        JobState::Completed,
        "finished jobs stay finished"
    );
    assert_eq!(
        second.result(&done).await.counts["00"],
        5,
        "and keep their result"
    );
    for id in waiting.iter().chain([&interrupted]) {
        let job = second.wait_terminal(id).await;
        assert_eq!(
            job.state(),
            JobState::Completed,
            "{id}: {}",
            job.error_message
        );
    }
    let rerun = second.status(&interrupted).await.unwrap();
    assert_eq!(rerun.attempts, 2, "started once by each server");
    assert_eq!(second.backend.completed(), 6);
}

#[tokio::test]
async fn a_job_interrupted_too_often_fails_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = sqlite_config(dir.path());
    config.workers.max_attempts = 1;
    let mut first = spawn_app_with(config.clone()).await;
    first.backend.hold();
    let id = first.submit(BELL, "test-backend", 5).await.unwrap();
    first.wait_state(&id, JobState::Running).await;
    first.shut_down().await.unwrap();

    let mut second = spawn_app_with(config).await;
    let job = second.wait_terminal(&id).await;
    assert_eq!(job.state(), JobState::Failed);
    assert!(
        job.error_message.contains("gave up after 1 attempts"),
        "{}",
        job.error_message
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(second.backend.started(), 0, "it was not run again");
}

#[tokio::test]
async fn a_job_a_hardware_backend_holds_is_reattached_after_a_restart_not_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let remote = || {
        let backend = Arc::new(TestBackend::new("test-backend"));
        backend.act_as_remote();
        backend
    };
    let first_backend = remote();
    first_backend.hold();
    let mut first = spawn_app_with_backend(sqlite_config(dir.path()), first_backend.clone()).await;
    let id = first.submit(BELL, "test-backend", 5).await.unwrap();
    first.wait_state(&id, JobState::Running).await;
    assert_eq!(first_backend.submitted(), 1);
    // Let the recorded backend id reach the store before the server stops.
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.shut_down().await.unwrap();

    let second_backend = remote();
    let mut second =
        spawn_app_with_backend(sqlite_config(dir.path()), second_backend.clone()).await;
    let job = second.wait_terminal(&id).await;
    assert_eq!(job.state(), JobState::Completed, "{}", job.error_message);
    assert_eq!(
        second_backend.reattached(),
        1,
        "the restarted server reattached to the backend's job"
    );
    assert_eq!(second_backend.submitted(), 0, "and did not submit it again");
}
