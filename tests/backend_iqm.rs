//! The IQM adapter against a fake IQM Server that speaks the published API:
//! the device read, the exact submission, statuses, counts, errors, token
//! rotation and cancellation.

#[path = "fakes/iqm.rs"]
mod fake_iqm;

use std::time::Duration;

use arvak_grpc::adapters::backend::iqm::{IqmApi, IqmConfig};
use arvak_grpc::adapters::backend::remote::{VendorApi, VendorStatus};
use arvak_grpc::domain::ErrorKind;
use arvak_grpc::domain::circuit::{Circuit, CircuitBuilder, Counts, Gate, Instruction, Operation};
use arvak_grpc::domain::transpile::Basis;
use fake_iqm::{FakeIqm, QUANTUM_COMPUTER, TOKEN};
use serde_json::json;

fn api(fake: &FakeIqm) -> IqmApi {
    let mut config = IqmConfig::new(fake.url(), QUANTUM_COMPUTER);
    config.token = Some(TOKEN.to_owned());
    IqmApi::new("garnet", config).unwrap()
}

fn push(b: &mut CircuitBuilder, operation: Operation) {
    b.push(Instruction {
        operation,
        condition: None,
    })
    .unwrap();
}

fn gate(b: &mut CircuitBuilder, gate: Gate, qubits: &[u32]) {
    push(
        b,
        Operation::Gate {
            gate,
            qubits: qubits.to_vec(),
        },
    );
}

/// A Bell pair on physical qubits 0 and 3 (QB1, QB4), measured into c.
fn bell() -> Circuit {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 5).unwrap();
    b.add_creg("c", 2).unwrap();
    gate(
        &mut b,
        Gate::Prx(std::f64::consts::FRAC_PI_2, std::f64::consts::FRAC_PI_2),
        &[0],
    );
    gate(
        &mut b,
        Gate::Prx(std::f64::consts::FRAC_PI_2, std::f64::consts::FRAC_PI_2),
        &[3],
    );
    gate(&mut b, Gate::Cz, &[0, 3]);
    gate(
        &mut b,
        Gate::Prx(-std::f64::consts::FRAC_PI_2, std::f64::consts::FRAC_PI_2),
        &[3],
    );
    push(&mut b, Operation::Barrier { qubits: vec![0, 3] });
    push(&mut b, Operation::Measure { qubit: 0, clbit: 0 });
    push(&mut b, Operation::Measure { qubit: 3, clbit: 1 });
    b.build()
}

async fn wait_until_final(api: &IqmApi, job: &str) -> VendorStatus {
    for _ in 0..200 {
        let status = api.status(job).await.unwrap();
        if status.is_final() {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("job {job} did not end");
}

#[tokio::test]
async fn the_device_is_read_from_the_dynamic_quantum_architecture() {
    let fake = FakeIqm::start().await;
    let device = api(&fake).device().await.unwrap();
    assert_eq!(device.name, "garnet");
    assert_eq!(device.num_qubits, 5);
    assert_eq!(device.edges, vec![(0, 1), (0, 3), (1, 2), (2, 3), (3, 4)]);
    assert_eq!(device.basis, Basis::PrxCz);
    assert_eq!(device.native_gates, vec!["cz", "measure", "prx"]);
    assert!(device.online);
    assert!(!device.mid_circuit_measurement && !device.reset);
    let requests = fake.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "/api/v1/quantum-computers",
            "/api/v1/calibration-sets/garnet/default/dynamic-quantum-architecture"
        ]
    );
    let bearer = format!("Bearer {TOKEN}");
    assert!(
        requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some(bearer.as_str()))
    );
}

#[tokio::test]
async fn an_unknown_quantum_computer_is_named_with_those_offered() {
    let fake = FakeIqm::start().await;
    let mut config = IqmConfig::new(fake.url(), "emerald");
    config.token = Some(TOKEN.to_owned());
    let err = IqmApi::new("e", config)
        .unwrap()
        .device()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(
        err.message().contains("emerald") && err.message().contains("garnet"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn a_submission_sends_the_circuit_field_for_field() {
    let fake = FakeIqm::start().await;
    let api = api(&fake);
    let job = api.submit(&bell(), 1000).await.unwrap();
    let sent = fake.last_request("POST", "/circuit").unwrap();
    assert_eq!(sent.path, "/api/v1/jobs/garnet/circuit");
    assert_eq!(sent.query.as_deref(), Some("use_timeslot=false"));
    assert_eq!(sent.headers["content-type"], "application/json");
    assert_eq!(sent.headers["accept"], "application/json");
    let half_pi = std::f64::consts::FRAC_PI_2;
    assert_eq!(
        sent.body.unwrap(),
        json!({
            "circuits": [{
                "name": "arvak",
                "instructions": [
                    {"name": "prx", "locus": ["QB1"], "args": {"angle": half_pi, "phase": half_pi}, "implementation": null},
                    {"name": "prx", "locus": ["QB4"], "args": {"angle": half_pi, "phase": half_pi}, "implementation": null},
                    {"name": "cz", "locus": ["QB1", "QB4"], "args": {}, "implementation": null},
                    {"name": "prx", "locus": ["QB4"], "args": {"angle": -half_pi, "phase": half_pi}, "implementation": null},
                    {"name": "barrier", "locus": ["QB1", "QB4"], "args": {}, "implementation": null},
                    {"name": "measure", "locus": ["QB1"], "args": {"key": "c[0]"}, "implementation": null},
                    {"name": "measure", "locus": ["QB4"], "args": {"key": "c[1]"}, "implementation": null}
                ]
            }],
            "calibration_set_id": null,
            "qubit_mapping": null,
            "shots": 1000,
            "heralding_mode": "none",
            "dd_mode": "disabled"
        })
    );
    // The id is the one the server gave.
    assert!(api.status(&job).await.is_ok());
    assert_eq!(
        fake.last_request("GET", &job).unwrap().path,
        format!("/api/v1/jobs/{job}")
    );
}

#[tokio::test]
async fn shots_beyond_the_limit_and_foreign_gates_are_refused_before_sending() {
    let fake = FakeIqm::start().await;
    let api = api(&fake);
    let err = api.submit(&bell(), 100_001).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 2).unwrap();
    gate(&mut b, Gate::Cx, &[0, 1]);
    let err = api.submit(&b.build(), 10).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("'cx'"), "{}", err.message());
    assert!(fake.last_request("POST", "/circuit").is_none());
}

#[tokio::test]
async fn every_status_word_is_mapped() {
    let fake = FakeIqm::start().await;
    let api = api(&fake);
    fake.script_statuses(&[
        ("waiting", Some(4)),
        ("waiting", Some(1)),
        ("processing", None),
        ("completed", None),
    ]);
    let job = api.submit(&bell(), 10).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(api.status(&job).await.unwrap());
    }
    assert_eq!(
        seen,
        vec![
            VendorStatus::Waiting {
                queue_position: Some(4)
            },
            VendorStatus::Waiting {
                queue_position: Some(1)
            },
            VendorStatus::Running,
            VendorStatus::Completed,
            VendorStatus::Completed,
        ]
    );

    fake.script_statuses(&[("failed", None)]);
    fake.set_job_errors(vec![json!({
        "source": "iqm-server",
        "message": "Circuit duration exceeds the T2 limit",
        "error_code": "circuit_too_long"
    })]);
    let job = api.submit(&bell(), 10).await.unwrap();
    assert_eq!(
        api.status(&job).await.unwrap(),
        VendorStatus::Failed {
            reason: "circuit_too_long: Circuit duration exceeds the T2 limit".into()
        }
    );

    fake.script_statuses(&[("cancelled", None)]);
    let job = api.submit(&bell(), 10).await.unwrap();
    assert_eq!(api.status(&job).await.unwrap(), VendorStatus::Cancelled);
}

#[tokio::test]
async fn counts_are_keyed_over_our_classical_bits() {
    let fake = FakeIqm::start().await;
    let api = api(&fake);
    // Two registers; physical qubits 1, 4 and 2 measured out of order.
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 5).unwrap();
    b.add_creg("a", 2).unwrap();
    b.add_creg("b", 2).unwrap();
    gate(&mut b, Gate::Prx(std::f64::consts::PI, 0.0), &[4]);
    push(&mut b, Operation::Measure { qubit: 4, clbit: 2 }); // b[0]
    push(&mut b, Operation::Measure { qubit: 1, clbit: 0 }); // a[0]
    push(&mut b, Operation::Measure { qubit: 2, clbit: 3 }); // b[1]
    let circuit = b.build();
    fake.set_outcome("b[0]", 1);
    fake.set_outcome("b[1]", 1);
    let job = api.submit(&circuit, 64).await.unwrap();
    assert_eq!(wait_until_final(&api, &job).await, VendorStatus::Completed);
    let counts = api.counts(&job, &circuit).await.unwrap();
    // Keys are b[1] b[0] a[1] a[0]; a[1] is never measured.
    let expected: Counts = [("1100".to_owned(), 64)].into_iter().collect();
    assert_eq!(counts, expected);
    assert_eq!(
        fake.last_request("GET", "measurement_counts").unwrap().path,
        format!("/api/v1/jobs/{job}/artifacts/measurement_counts")
    );
}

#[tokio::test]
async fn a_job_left_alone_completes_with_zeros_like_a_quiet_device() {
    let fake = FakeIqm::start().await;
    let api = api(&fake);
    let circuit = bell();
    let job = api.submit(&circuit, 100).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..200 {
        let status = api.status(&job).await.unwrap();
        seen.push(status.clone());
        if status.is_final() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // waiting (at the head of the queue), then processing, then completed.
    let rank = |s: &VendorStatus| match s {
        VendorStatus::Waiting { queue_position } => {
            assert_eq!(*queue_position, Some(0));
            0
        }
        VendorStatus::Running => 1,
        VendorStatus::Completed => 2,
        other => panic!("unexpected {other:?}"),
    };
    let ranks: Vec<u8> = seen.iter().map(rank).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(seen.last(), Some(&VendorStatus::Completed));
    let counts = api.counts(&job, &circuit).await.unwrap();
    assert_eq!(
        counts,
        [("00".to_owned(), 100)].into_iter().collect::<Counts>()
    );
}

#[tokio::test]
async fn the_vendor_s_error_body_becomes_the_message_without_credentials() {
    let fake = FakeIqm::start().await;
    let api = api(&fake);
    fake.fail_next(
        400,
        r#"{"message": "('QB1', 'QB5') is not allowed as locus for 'cz'"}"#,
        None,
    );
    let err = api.submit(&bell(), 10).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(
        err.message().contains("is not allowed as locus for 'cz'"),
        "{}",
        err.message()
    );

    fake.fail_next(
        422,
        &format!(r#"{{"detail": "bad header Authorization: Bearer {TOKEN} in request"}}"#),
        None,
    );
    let err = api.status("some-job").await.unwrap_err();
    assert!(err.message().contains("bad header"), "{}", err.message());
    assert!(!err.message().contains(TOKEN), "{}", err.message());

    fake.accept_token("another-token");
    let err = api.device().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert!(
        err.message().contains("Invalid or expired token"),
        "{}",
        err.message()
    );
    assert!(!err.message().contains(TOKEN), "{}", err.message());
    assert!(!format!("{err:?} {api:?}").contains(TOKEN));

    fake.accept_token(TOKEN);
    let err = api
        .status("00000000-0000-0000-0000-000000000000")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains("Job not found"), "{}", err.message());
}

#[tokio::test]
async fn iqm_s_own_validation_message_reaches_the_caller() {
    let fake = FakeIqm::start().await;
    let api = api(&fake);
    // QB1 and QB3 are not coupled on the fake's device.
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 3).unwrap();
    gate(&mut b, Gate::Cz, &[0, 2]);
    let err = api.submit(&b.build(), 10).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(
        err.message()
            .contains(r#"["QB1", "QB3"] is not allowed as locus for 'cz'"#),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn too_many_requests_carries_the_retry_after() {
    let fake = FakeIqm::start().await;
    let api = api(&fake);
    fake.fail_next(429, r#"{"detail": "Rate limit exceeded"}"#, Some("7"));
    let err = api.submit(&bell(), 10).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceExhausted);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(
        err.message().contains("Rate limit exceeded"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn server_errors_are_unavailable() {
    let fake = FakeIqm::start().await;
    let api = api(&fake);
    fake.fail_next(
        503,
        r#"{"detail": "Quantum computer is in maintenance"}"#,
        None,
    );
    let err = api.device().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.message().contains("maintenance"), "{}", err.message());
    fake.fail_next(500, "Internal Server Error", None);
    assert_eq!(
        api.status("x").await.unwrap_err().kind(),
        ErrorKind::Unavailable
    );
}

#[tokio::test]
async fn a_refused_token_is_read_again_from_its_file_and_the_request_retried_once() {
    let fake = FakeIqm::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("iqm-token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    let mut config = IqmConfig::new(fake.url(), QUANTUM_COMPUTER);
    config.token_file = Some(file.clone());
    let api = IqmApi::new("garnet", config).unwrap();
    let job = api.submit(&bell(), 10).await.unwrap();

    // The token expires; the operator's rotation writes its successor.
    fake.accept_token("no-token-yet");
    fake.rotate_token_on_rejection(file.clone(), "rotated-token-0002");
    api.status(&job).await.unwrap();
    let requests = fake.requests();
    let last_two: Vec<_> = requests[requests.len() - 2..]
        .iter()
        .map(|r| (r.path.clone(), r.authorization.clone().unwrap()))
        .collect();
    let path = format!("/api/v1/jobs/{job}");
    assert_eq!(
        last_two,
        vec![
            (path.clone(), format!("Bearer {TOKEN}")),
            (path, "Bearer rotated-token-0002".to_owned()),
        ]
    );

    // A token refused again after re-reading an unchanged file is not
    // retried: one request, one error.
    let before = fake.requests().len();
    fake.accept_token("yet-another");
    let err = api.status(&job).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(fake.requests().len(), before + 1);
}

#[tokio::test]
async fn cancel_stops_a_waiting_job_and_leaves_an_ended_one_alone() {
    let fake = FakeIqm::start().await;
    let api = api(&fake);
    fake.script_statuses(&[("waiting", Some(9))]);
    let job = api.submit(&bell(), 10).await.unwrap();
    api.cancel(&job).await.unwrap();
    assert_eq!(
        fake.last_request("POST", "/cancel").unwrap().path,
        format!("/api/v1/jobs/{job}/cancel")
    );
    assert_eq!(api.status(&job).await.unwrap(), VendorStatus::Cancelled);

    fake.script_statuses(&[("completed", None)]);
    let done = api.submit(&bell(), 10).await.unwrap();
    api.cancel(&done).await.unwrap();
    assert_eq!(api.status(&done).await.unwrap(), VendorStatus::Completed);

    let err = api
        .cancel("00000000-0000-0000-0000-000000000000")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}
