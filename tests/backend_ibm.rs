//! The IBM Quantum adapter against a fake IBM Quantum (IAM and the Qiskit
//! Runtime API) that follows the vendor's published shapes.

#[path = "fakes/ibm.rs"]
mod fake_ibm;

use std::time::Duration;

use arvak_grpc::adapters::backend::ibm::{API_VERSION, IbmApi, IbmConfig};
use arvak_grpc::adapters::backend::remote::{VendorApi, VendorStatus};
use arvak_grpc::domain::circuit::{Circuit, CircuitBuilder, Counts, Gate, Instruction, Operation};
use arvak_grpc::domain::transpile::Basis;
use arvak_grpc::domain::{Error, ErrorKind};
use fake_ibm::{API_KEY, BACKEND, Failure, FakeIbm, SERVICE_CRN};
use serde_json::json;

fn config(fake: &FakeIbm) -> IbmConfig {
    IbmConfig {
        url: fake.url(),
        iam_url: fake.iam_url(),
        backend: BACKEND.to_owned(),
        service_crn: SERVICE_CRN.to_owned(),
        api_key: Some(API_KEY.to_owned()),
        timeout_secs: 5,
        ..IbmConfig::default()
    }
}

fn api(fake: &FakeIbm) -> IbmApi {
    IbmApi::new("ibm_torino", config(fake)).unwrap()
}

fn gate(gate: Gate, qubits: &[u32]) -> Instruction {
    Instruction {
        operation: Operation::Gate {
            gate,
            qubits: qubits.to_vec(),
        },
        condition: None,
    }
}

fn measure(qubit: u32, clbit: u32) -> Instruction {
    Instruction {
        operation: Operation::Measure { qubit, clbit },
        condition: None,
    }
}

fn circuit(qubits: u32, cregs: &[(&str, u32)], body: Vec<Instruction>) -> Circuit {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", qubits).unwrap();
    for (name, size) in cregs {
        b.add_creg(name, *size).unwrap();
    }
    for instruction in body {
        b.push(instruction).unwrap();
    }
    b.build()
}

/// A small Heron circuit: a rotation, a cz across qubits 0 and 2, two
/// measurements.
fn small_circuit() -> Circuit {
    circuit(
        3,
        &[("c", 2)],
        vec![
            gate(Gate::Rz(std::f64::consts::FRAC_PI_2), &[0]),
            gate(Gate::Sx, &[0]),
            gate(Gate::Cz, &[0, 2]),
            measure(2, 0),
            measure(0, 1),
        ],
    )
}

/// Asserts the error says nothing of the API key or any token issued.
fn assert_no_secrets(err: &Error, fake: &FakeIbm) {
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(API_KEY), "API key in: {shown}");
    for token in fake.issued_tokens() {
        assert!(!shown.contains(&token), "token in: {shown}");
    }
}

async fn wait_until_final(api: &IbmApi, job: &str) -> VendorStatus {
    for _ in 0..200 {
        let status = api.status(job).await.unwrap();
        if status.is_final() {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("job {job} never ended");
}

#[tokio::test]
async fn the_key_is_exchanged_once_and_every_call_carries_the_three_headers() {
    let fake = FakeIbm::start().await;
    let api = api(&fake);
    api.device().await.unwrap();
    let job = api.submit(&small_circuit(), 100).await.unwrap();
    api.status(&job).await.unwrap();

    let requests = fake.requests();
    let exchanges: Vec<_> = requests.iter().filter(|r| !r.is_runtime()).collect();
    assert_eq!(exchanges.len(), 1, "one token serves every call");
    let exchange = exchanges[0];
    assert_eq!(exchange.method, "POST");
    assert_eq!(exchange.path, "/identity/token");
    assert_eq!(
        exchange.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        exchange.body,
        format!("grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey={API_KEY}")
    );
    let token = &fake.issued_tokens()[0];
    assert!(
        !format!("{api:?}").contains(token.as_str()),
        "no token in Debug"
    );
    let runtime: Vec<_> = requests.iter().filter(|r| r.is_runtime()).collect();
    assert_eq!(runtime.len(), 4);
    for call in runtime {
        assert_eq!(
            call.header("authorization"),
            Some(format!("Bearer {token}").as_str())
        );
        assert_eq!(call.header("service-crn"), Some(SERVICE_CRN));
        assert_eq!(call.header("ibm-api-version"), Some(API_VERSION));
        assert_eq!(call.status, 200, "{} {}", call.method, call.path);
    }
}

#[tokio::test]
async fn a_token_is_replaced_before_it_expires() {
    let fake = FakeIbm::start().await;
    fake.set_token_lifetime(Duration::from_secs(1));
    let api = api(&fake);
    api.device().await.unwrap();
    // Past 80 % of its second, still before its end.
    tokio::time::sleep(Duration::from_millis(850)).await;
    api.device().await.unwrap();

    let tokens = fake.issued_tokens();
    assert_eq!(tokens.len(), 2);
    let requests = fake.requests();
    assert!(requests.iter().all(|r| r.status == 200), "nothing refused");
    let last = requests.last().unwrap();
    assert_eq!(
        last.header("authorization"),
        Some(format!("Bearer {}", tokens[1]).as_str())
    );
}

#[tokio::test]
async fn a_refused_token_is_replaced_once() {
    let fake = FakeIbm::start().await;
    let api = api(&fake);
    let job = api.submit(&small_circuit(), 10).await.unwrap();
    fake.revoke_tokens();
    fake.clear_requests();
    api.status(&job).await.unwrap();
    let statuses: Vec<(bool, u16)> = fake
        .requests()
        .iter()
        .map(|r| (r.is_runtime(), r.status))
        .collect();
    assert_eq!(statuses, [(true, 401), (false, 200), (true, 200)]);

    // A refusal that lasts is reported after one new token.
    fake.clear_requests();
    for _ in 0..2 {
        fake.fail_next(
            "GET",
            "/api/v1/jobs/",
            Failure::ibm(401, "unauthorized", "Invalid or expired access token"),
        );
    }
    let err = api.status(&job).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert!(
        err.message().contains("Invalid or expired"),
        "{}",
        err.message()
    );
    assert_eq!(fake.requests().iter().filter(|r| r.is_runtime()).count(), 2);
    assert_no_secrets(&err, &fake);
}

#[tokio::test]
async fn a_wrong_api_key_is_refused_without_being_repeated() {
    let fake = FakeIbm::start().await;
    let wrong = "wrong-key-5b1e0c";
    let api = IbmApi::new(
        "ibm_torino",
        IbmConfig {
            api_key: Some(wrong.into()),
            ..config(&fake)
        },
    )
    .unwrap();
    let err = api.device().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert!(
        err.message()
            .contains("Provided API key could not be found"),
        "{}",
        err.message()
    );
    assert!(!format!("{err} {err:?}").contains(wrong));
    assert!(!format!("{api:?}").contains(wrong));
}

#[tokio::test]
async fn heron_and_eagle_devices_are_read() {
    let fake = FakeIbm::start().await;
    let api = api(&fake);
    let heron = api.device().await.unwrap();
    assert_eq!(heron.name, BACKEND);
    assert_eq!(heron.num_qubits, 5);
    assert_eq!(heron.basis, Basis::CzRzSxX);
    assert_eq!(heron.edges.len(), 8);
    assert!(heron.edges.contains(&(3, 4)) && heron.edges.contains(&(4, 3)));
    assert_eq!(heron.native_gates, ["cz", "id", "rz", "sx", "x"]);
    assert!(heron.online && heron.reset && heron.mid_circuit_measurement);
    assert_eq!(heron.max_shots, 100_000);

    fake.set_configuration(fake_ibm::eagle_configuration(BACKEND, 4));
    fake.set_backend_status(json!({"state": true, "status": "maintenance",
        "message": "calibrating", "length_queue": 12, "backend_version": "1.0.9"}));
    let eagle = api.device().await.unwrap();
    assert_eq!(eagle.basis, Basis::EcrRzSxX);
    assert_eq!(
        eagle.edges,
        [(1, 0), (2, 1), (3, 2)],
        "ecr keeps its direction"
    );
    assert!(!eagle.online && !eagle.reset && !eagle.mid_circuit_measurement);
    assert_eq!(eagle.max_shots, 20_000);

    fake.set_backend_status(json!({"state": false, "status": "online", "message": "",
        "length_queue": 0, "backend_version": "1.0.9"}));
    assert!(!api.device().await.unwrap().online, "not operational");
    fake.set_backend_status(json!({"state": true, "status": "paused", "message": "",
        "length_queue": 0, "backend_version": "1.0.9"}));
    assert!(!api.device().await.unwrap().online);
}

#[tokio::test]
async fn a_submission_sends_the_exact_program_in_one_sampler_pub() {
    let fake = FakeIbm::start().await;
    let api = api(&fake);
    let job = api.submit(&small_circuit(), 1000).await.unwrap();
    assert!(!job.is_empty());

    let posts = fake.requests_to("/api/v1/jobs");
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].header("content-type"), Some("application/json"));
    let program = "OPENQASM 3.0;\n\
include \"stdgates.inc\";\n\
bit[2] c;\n\
rz(1.5707963267948966) $0;\n\
sx $0;\n\
cz $0, $2;\n\
c[0] = measure $2;\n\
c[1] = measure $0;\n";
    assert_eq!(
        posts[0].json(),
        json!({
            "program_id": "sampler",
            "backend": BACKEND,
            "params": {
                "pubs": [[program, null, 1000]],
                "options": {},
                "version": 2,
                "support_qiskit": false
            }
        })
    );
}

#[tokio::test]
async fn a_job_runs_to_completion_and_its_counts_fit_the_circuit() {
    let fake = FakeIbm::start().await;
    let api = api(&fake);
    let circuit = small_circuit();
    let job = api.submit(&circuit, 64).await.unwrap();
    assert_eq!(wait_until_final(&api, &job).await, VendorStatus::Completed);
    let counts = api.counts(&job, &circuit).await.unwrap();
    assert_eq!(counts, Counts::from([("00".to_owned(), 64)]));

    fake.set_outcome("c", "0x2");
    let job = api.submit(&circuit, 5).await.unwrap();
    wait_until_final(&api, &job).await;
    let counts = api.counts(&job, &circuit).await.unwrap();
    assert_eq!(counts, Counts::from([("10".to_owned(), 5)]));
}

#[tokio::test]
async fn every_status_word_is_mapped_with_the_failure_reason() {
    let fake = FakeIbm::start().await;
    let api = api(&fake);
    fake.script_next_job(vec![
        json!({"status": "Queued"}),
        json!({"status": "Running"}),
        json!({"status": "Completed"}),
    ]);
    let job = api.submit(&small_circuit(), 10).await.unwrap();
    let waiting = VendorStatus::Waiting {
        queue_position: None,
    };
    assert_eq!(api.status(&job).await.unwrap(), waiting);
    assert_eq!(api.status(&job).await.unwrap(), VendorStatus::Running);
    assert_eq!(api.status(&job).await.unwrap(), VendorStatus::Completed);

    let cases = [
        (
            json!({"status": "Failed", "reason": "Instruction h on qubit 0 is not supported",
                   "reason_code": 1517}),
            VendorStatus::Failed {
                reason: "error code 1517: Instruction h on qubit 0 is not supported".into(),
            },
        ),
        (
            json!({"status": "Cancelled", "reason": "Cancelled by the user"}),
            VendorStatus::Cancelled,
        ),
        (
            json!({"status": "Cancelled", "reason": "Ran too long", "reason_code": 1305}),
            VendorStatus::Failed {
                reason: "error code 1305: Ran too long".into(),
            },
        ),
        (
            json!({"status": "Cancelled - Ran too long"}),
            VendorStatus::Failed {
                reason: "the job ran longer than its maximum execution time".into(),
            },
        ),
    ];
    for (state, expected) in cases {
        fake.script_next_job(vec![state]);
        let job = api.submit(&small_circuit(), 10).await.unwrap();
        assert_eq!(api.status(&job).await.unwrap(), expected);
    }
}

#[tokio::test]
async fn counts_come_from_hex_samples_of_two_registers_on_scattered_qubits() {
    let fake = FakeIbm::start().await;
    let api = api(&fake);
    // a[0] ← $4, a[1] ← $1, b[0] ← $3, b[1] ← $0, b[2] ← $2
    let circuit = circuit(
        5,
        &[("a", 2), ("b", 3)],
        vec![
            gate(Gate::X, &[4]),
            measure(4, 0),
            measure(1, 1),
            measure(3, 2),
            measure(0, 3),
            measure(2, 4),
        ],
    );
    fake.set_results(json!({
        "results": [{
            "data": {
                "a": {"samples": ["0x1", "0x1", "0x3", "0x1"], "num_bits": 2},
                "b": {"samples": ["0x4", "0x4", "0x0", "0x5"], "num_bits": 3}
            },
            "metadata": {"circuit_metadata": {}}
        }],
        "metadata": {"version": 2}
    }));
    let job = api.submit(&circuit, 4).await.unwrap();
    let program = fake.requests_to("/api/v1/jobs")[0].json()["params"]["pubs"][0][0]
        .as_str()
        .unwrap()
        .to_owned();
    for line in [
        "bit[2] a;",
        "bit[3] b;",
        "a[0] = measure $4;",
        "a[1] = measure $1;",
        "b[0] = measure $3;",
        "b[1] = measure $0;",
        "b[2] = measure $2;",
    ] {
        assert!(program.lines().any(|l| l == line), "{line} in {program}");
    }
    wait_until_final(&api, &job).await;
    let counts = api.counts(&job, &circuit).await.unwrap();
    // Keys: b[2] b[1] b[0] a[1] a[0].
    assert_eq!(
        counts,
        Counts::from([
            ("10001".to_owned(), 2),
            ("00011".to_owned(), 1),
            ("10101".to_owned(), 1),
        ])
    );
}

#[tokio::test]
async fn vendor_errors_keep_their_message_and_no_credentials() {
    let fake = FakeIbm::start().await;
    let api = api(&fake);
    api.device().await.unwrap();
    let token = fake.issued_tokens()[0].clone();
    let echoed = format!(
        "Instruction h is not supported; request had Authorization: Bearer {token} apikey={API_KEY}"
    );
    fake.fail_next(
        "POST",
        "/api/v1/jobs",
        Failure::ibm(400, "invalid_instruction", &echoed),
    );
    let err = api.submit(&small_circuit(), 10).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(
        err.message().contains("Instruction h is not supported"),
        "{}",
        err.message()
    );
    assert_no_secrets(&err, &fake);

    let unknown = api.status("d0000000000000000bad").await.unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::NotFound);
    assert!(
        unknown.message().contains("not found"),
        "{}",
        unknown.message()
    );
    assert_no_secrets(&unknown, &fake);

    let refused = api.status("../backends").await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidArgument);
}

#[tokio::test]
async fn rate_limits_and_server_errors_keep_their_kinds() {
    let fake = FakeIbm::start().await;
    let api = api(&fake);
    let job = api.submit(&small_circuit(), 10).await.unwrap();

    fake.fail_next(
        "GET",
        "/api/v1/jobs/",
        Failure::ibm(429, "too_many_requests", "Rate limit exceeded").with_retry_after("7"),
    );
    let limited = api.status(&job).await.unwrap_err();
    assert_eq!(limited.kind(), ErrorKind::ResourceExhausted);
    assert_eq!(limited.retry_after(), Some(Duration::from_secs(7)));
    assert!(limited.message().contains("Rate limit exceeded"));

    fake.fail_next(
        "GET",
        "/api/v1/jobs/",
        Failure::ibm(503, "service_unavailable", "Service is in maintenance"),
    );
    let down = api.status(&job).await.unwrap_err();
    assert_eq!(down.kind(), ErrorKind::Unavailable);
    assert!(down.message().contains("maintenance"));

    fake.fail_next(
        "POST",
        "/identity/token",
        Failure {
            status: 500,
            body: json!({"errorCode": "BXNIM0001E", "errorMessage": "Internal error"}),
            retry_after: None,
        },
    );
    fake.revoke_tokens();
    let iam_down = api.status(&job).await.unwrap_err();
    assert_eq!(iam_down.kind(), ErrorKind::Unavailable);
    for err in [limited, down, iam_down] {
        assert_no_secrets(&err, &fake);
    }
    assert!(api.status(&job).await.is_ok(), "fine once IAM is back");
}

#[tokio::test]
async fn cancel_stops_a_job_and_is_fine_once_it_has_ended() {
    let fake = FakeIbm::start().await;
    fake.set_job_timing(Duration::from_secs(60), Duration::from_secs(60));
    let api = api(&fake);
    let job = api.submit(&small_circuit(), 10).await.unwrap();
    api.cancel(&job).await.unwrap();
    assert_eq!(api.status(&job).await.unwrap(), VendorStatus::Cancelled);
    let cancels = fake.requests_to("/cancel");
    assert_eq!(cancels.len(), 1);
    assert_eq!(cancels[0].method, "POST");
    assert_eq!(cancels[0].path, format!("/api/v1/jobs/{job}/cancel"));
    assert_eq!(cancels[0].status, 204);

    api.cancel(&job).await.unwrap();
    assert_eq!(fake.requests_to("/cancel")[1].status, 409);

    let missing = api.cancel("d00000000000000missing").await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn settings_are_checked_and_named() {
    let fake = FakeIbm::start().await;
    let refused = |config: IbmConfig| IbmApi::new("ibm_torino", config).unwrap_err();
    let remote_http = refused(IbmConfig {
        url: "http://quantum.cloud.ibm.com/api".into(),
        ..config(&fake)
    });
    assert!(remote_http.message().contains("backends.ibm_torino.url"));
    let iam_http = refused(IbmConfig {
        iam_url: "http://iam.cloud.ibm.com".into(),
        ..config(&fake)
    });
    assert!(iam_http.message().contains("backends.ibm_torino.iam_url"));
    let no_key = refused(IbmConfig {
        api_key: None,
        ..config(&fake)
    });
    assert!(no_key.message().contains("backends.ibm_torino.api_key"));
    let no_backend = refused(IbmConfig {
        backend: String::new(),
        ..config(&fake)
    });
    assert!(no_backend.message().contains("backends.ibm_torino.backend"));
    let no_crn = refused(IbmConfig {
        service_crn: " ".into(),
        ..config(&fake)
    });
    assert!(no_crn.message().contains("backends.ibm_torino.service_crn"));

    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("ibm-api-key");
    std::fs::write(&key_file, format!("{API_KEY}\n")).unwrap();
    let from_file = IbmApi::new(
        "ibm_torino",
        IbmConfig {
            api_key: None,
            api_key_file: Some(key_file),
            ..config(&fake)
        },
    )
    .unwrap();
    assert!(from_file.device().await.is_ok());
}
