use arvak_grpc::proto::{self, JobState};

use crate::support::{BELL, spawn_app, spawn_app_with_busy_worker};

async fn cancel(app: &mut crate::support::TestApp, id: &str) -> proto::CancelJobResponse {
    app.client
        .cancel_job(proto::CancelJobRequest { job_id: id.into() })
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn canceling_a_queued_job_is_immediate_and_it_never_runs() {
    let (mut app, blocker) = spawn_app_with_busy_worker().await;
    let queued = app.submit(BELL, "test-backend", 1).await.unwrap();
    let reply = cancel(&mut app, &queued).await;
    assert!(reply.success, "{}", reply.message);
    let job = app.status(&queued).await.unwrap();
    assert_eq!((job.state(), job.queue_position), (JobState::Canceled, 0));
    assert!(job.completed_at > 0);
    app.backend.release();
    app.wait_terminal(&blocker).await;
    assert_eq!(
        app.backend.run_order(),
        vec![blocker],
        "the canceled job never started"
    );
}

#[tokio::test]
async fn canceling_a_running_job_stops_it_on_the_backend() {
    let mut app = spawn_app().await;
    app.backend.hold();
    let id = app.submit(BELL, "test-backend", 1).await.unwrap();
    app.wait_state(&id, JobState::Running).await;
    let reply = cancel(&mut app, &id).await;
    assert!(reply.success, "{}", reply.message);
    assert!(reply.message.contains("while running"), "{}", reply.message);
    assert_eq!(app.wait_terminal(&id).await.state(), JobState::Canceled);
    // The backend's run ended without a result.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(app.backend.completed(), 0);
    assert_eq!(
        app.status(&id).await.unwrap().state(),
        JobState::Canceled,
        "no late result overwrote it"
    );
}

#[tokio::test]
async fn canceling_a_finished_job_says_why_not() {
    let mut app = spawn_app().await;
    let id = app.submit(BELL, "test-backend", 1).await.unwrap();
    app.wait_terminal(&id).await;
    let reply = cancel(&mut app, &id).await;
    assert!(!reply.success);
    assert!(
        reply.message.contains("already COMPLETED"),
        "{}",
        reply.message
    );
    assert_eq!(app.status(&id).await.unwrap().state(), JobState::Completed);

    let second = cancel(&mut app, &id).await;
    assert!(!second.success, "asking again changes nothing");
}

#[tokio::test]
async fn canceling_twice_reports_the_first_cancel() {
    let mut app = spawn_app().await;
    app.backend.hold();
    let id = app.submit(BELL, "test-backend", 1).await.unwrap();
    app.wait_state(&id, JobState::Running).await;
    assert!(cancel(&mut app, &id).await.success);
    let again = cancel(&mut app, &id).await;
    assert!(!again.success);
    assert!(
        again.message.contains("already CANCELED"),
        "{}",
        again.message
    );
    app.backend.release();
}
