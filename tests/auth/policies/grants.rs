//! Which calls and backends a client is granted, HIGH priority, per-job
//! limits, and which entry applies: exact id, longest pattern, default.

use arvak_grpc::proto::{self, JobPriority, ListBackendsRequest};
use tonic::Code;

use super::{as_client, policed_app, submit_as, submit_bell};
use crate::api_keys::{audit_path, create_key};
use crate::common::{assert_code, audit_lines};
use crate::support::{bell_request, qasm3};

const POLICIES: &str = r#"
default:
  operations: [ListBackends]
clients:
  alice:
    operations: [SubmitJob, GetJobStatus, ListBackends]
    backends: [test-backend]
    quotas: { max_shots_per_job: 1000, max_qubits: 2 }
  "team-*":
    operations: [SubmitJob, ListBackends]
    backends: "*"
    quotas: { allow_high_priority: true }
  "team-ci-*":
    operations: [ListBackends]
"#;

/// Three qubits: one more than alice may use.
const GHZ: &str = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[3] q;\nh q[0];\ncx q[0], q[1];\ncx q[1], q[2];\n";

#[tokio::test]
async fn calls_backends_priority_and_per_job_limits_are_enforced_and_denials_audited() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, config) = policed_app(dir.path(), POLICIES).await;
    let alice = create_key(&config, "alice").await;
    submit_bell(&mut app, &alice).await.unwrap();

    let cancel = proto::CancelJobRequest { job_id: "x".into() };
    let status = assert_code(
        app.client.cancel_job(as_client(&alice, cancel)).await,
        Code::PermissionDenied,
    );
    assert_eq!(status.message(), "client 'alice' may not call CancelJob");

    let simulator = proto::SubmitJobRequest {
        backend_id: "simulator".into(),
        ..bell_request()
    };
    let status = assert_code(
        submit_as(&mut app, &alice, simulator).await,
        Code::PermissionDenied,
    );
    assert!(
        status.message().contains("may not use backend 'simulator'"),
        "{status:?}"
    );

    let high = proto::SubmitJobRequest {
        priority: JobPriority::High.into(),
        ..bell_request()
    };
    let status = assert_code(
        submit_as(&mut app, &alice, high).await,
        Code::PermissionDenied,
    );
    assert!(status.message().contains("HIGH priority"), "{status:?}");

    let many_shots = proto::SubmitJobRequest {
        shots: 5000,
        ..bell_request()
    };
    let status = assert_code(
        submit_as(&mut app, &alice, many_shots).await,
        Code::InvalidArgument,
    );
    assert_eq!(
        status.message(),
        "shots 5000 is over this client's max_shots_per_job 1000"
    );

    let wide = proto::SubmitJobRequest {
        circuit: qasm3(GHZ),
        ..bell_request()
    };
    let status = assert_code(
        submit_as(&mut app, &alice, wide).await,
        Code::InvalidArgument,
    );
    assert!(
        status.message().contains("over this client's max_qubits 2"),
        "{status:?}"
    );

    app.shut_down().await.unwrap();
    let lines = audit_lines(&audit_path(dir.path()));
    let denied: Vec<&str> = lines
        .iter()
        .filter(|l| l["action"] == "authorization_denied" && l["client_id"] == "alice")
        .map(|l| l["detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        denied,
        [
            "operations",
            "backends",
            "allow_high_priority",
            "max_shots_per_job",
            "max_qubits"
        ]
    );
    let submitted = lines
        .iter()
        .filter(|l| l["action"] == "job_submitted")
        .count();
    assert_eq!(submitted, 1, "{lines:?}");
}

#[tokio::test]
async fn the_exact_id_then_the_longest_pattern_then_the_default_applies() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, config) = policed_app(dir.path(), POLICIES).await;
    let team = create_key(&config, "team-q").await;
    let ci = create_key(&config, "team-ci-7").await;
    let stranger = create_key(&config, "mallory").await;

    let high = proto::SubmitJobRequest {
        priority: JobPriority::High.into(),
        ..bell_request()
    };
    submit_as(&mut app, &team, high)
        .await
        .expect("team-* grants SubmitJob and HIGH");
    let status = assert_code(submit_bell(&mut app, &ci).await, Code::PermissionDenied);
    assert_eq!(
        status.message(),
        "client 'team-ci-7' may not call SubmitJob",
        "team-ci-* is longer than team-*"
    );
    assert_code(
        submit_bell(&mut app, &stranger).await,
        Code::PermissionDenied,
    );
    for key in [&ci, &stranger] {
        let request = as_client(key, ListBackendsRequest {});
        app.client
            .list_backends(request)
            .await
            .expect("granted by its entry");
    }
}
