//! The operators' HTTP endpoints: metrics and health.
#![cfg(feature = "metrics")]

use std::net::SocketAddr;
use std::time::Duration;

use arvak_grpc::proto::{self, JobState};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{BELL, spawn_app};

/// A plain HTTP/1.1 GET: (status, body).
async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn health_endpoints_answer_live_and_ready_with_the_leader() {
    let mut config = crate::support::test_config();
    config.cluster.node_id = Some("node-1".to_owned());
    let app = crate::support::spawn_app_with(config).await;
    assert_eq!(
        get(app.http_addr, "/health/live").await,
        (200, "live\n".to_owned())
    );
    for _ in 0..100 {
        let (status, body) = get(app.http_addr, "/health/ready").await;
        if status == 200 {
            // A node alone leads.
            assert_eq!(body, "ready\nnode: node-1\nleader: node-1\n");
            let (_, metrics) = get(app.http_addr, "/metrics").await;
            assert!(metrics.contains("arvak_cluster_nodes 1\n"), "{metrics}");
            assert!(
                metrics.contains("arvak_leader{node=\"node-1\"} 1\n"),
                "{metrics}"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("never ready");
}

#[tokio::test]
async fn metrics_count_jobs_calls_and_queues() {
    let mut app = spawn_app().await;
    let done = app.submit(BELL, "test-backend", 3).await.unwrap();
    app.wait_terminal(&done).await;
    app.backend.fail_runs_with("readout error");
    let failed = app.submit(BELL, "test-backend", 3).await.unwrap();
    assert_eq!(app.wait_terminal(&failed).await.state(), JobState::Failed);
    app.backend.hold();
    let canceled = app.submit(BELL, "test-backend", 3).await.unwrap();
    app.client
        .cancel_job(proto::CancelJobRequest {
            job_id: canceled.clone(),
        })
        .await
        .unwrap();
    let _ = app.status("not-a-job").await;

    let (status, text) = get(app.http_addr, "/metrics").await;
    assert_eq!(status, 200);
    for expected in [
        r#"arvak_jobs_submitted_total{backend="test-backend"} 3"#,
        r#"arvak_jobs_completed_total{backend="test-backend"} 1"#,
        r#"arvak_jobs_failed_total{backend="test-backend",reason="backend"} 1"#,
        r#"arvak_jobs_canceled_total{backend="test-backend"} 1"#,
        r#"arvak_job_execution_seconds_count{backend="test-backend"} 1"#,
        r#"arvak_job_queue_wait_seconds_count{backend="test-backend"}"#,
        r#"arvak_queue_size{backend="test-backend",priority="normal"} 0"#,
        r#"arvak_backend_available{backend="test-backend"} 1"#,
        r#"arvak_rpc_duration_seconds_count{method="SubmitJob",code="OK"} 3"#,
        r#"arvak_rpc_duration_seconds_count{method="GetJobStatus",code="NOT_FOUND"} 1"#,
        r#"arvak_recovery_jobs_total{action="requeued"} 0"#,
        r#"arvak_build_info{version=""#,
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    // The canceled job was running: its run's outcome comes too late.
    let refused = r#"arvak_outcomes_refused_total{backend="test-backend"} 1"#;
    for _ in 0..250 {
        if get(app.http_addr, "/metrics").await.1.contains(refused) {
            app.backend.release();
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("missing {refused}");
}

#[tokio::test]
async fn every_metric_the_dashboard_queries_is_exposed() {
    let mut app = spawn_app().await;
    let id = app.submit(BELL, "test-backend", 1).await.unwrap();
    app.wait_terminal(&id).await;
    app.backend.fail_runs_with("x");
    let failed = app.submit(BELL, "test-backend", 1).await.unwrap();
    app.wait_terminal(&failed).await;
    app.backend.hold();
    let held = app.submit(BELL, "test-backend", 1).await.unwrap();
    let canceled = app
        .client
        .cancel_job(proto::CancelJobRequest { job_id: held })
        .await
        .unwrap();
    assert!(canceled.into_inner().success);
    let (_, text) = get(app.http_addr, "/metrics").await;
    app.backend.release();
    let dashboard = include_str!("../../deploy/grafana/arvak.json");
    let mut names: Vec<&str> = dashboard
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("arvak_") && !word.starts_with("arvak_grpc"))
        .collect();
    names.sort_unstable();
    names.dedup();
    assert!(names.len() >= 8, "{names:?}");
    for name in names {
        assert!(
            text.contains(&format!("\n{name}")),
            "the dashboard uses {name}, which /metrics lacks"
        );
    }
}
