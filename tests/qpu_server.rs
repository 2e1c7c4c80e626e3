//! The shipped binary serving an IQM and an IBM backend, each pointed at its
//! fake vendor server: BackendInfo from the device, a job transpiled, run
//! and counted end to end, the vendor's queue position in our status, and a
//! server killed while the vendor holds a job that reattaches after its
//! restart instead of submitting again.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use arvak_grpc::proto::{self, JobState, arvak_service_client::ArvakServiceClient};
use tonic::transport::Channel;

#[path = "fakes/iqm.rs"]
mod fake_iqm;

#[path = "fakes/ibm.rs"]
mod fake_ibm;

#[allow(dead_code)]
#[path = "common/process.rs"]
mod process;

use fake_ibm::FakeIbm;
use fake_iqm::FakeIqm;
use process::{connect, free_port, server_command, terminate};

const GHZ: &str = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[3] q;\nbit[3] c;\n\
                   h q[0];\ncx q[0], q[1];\ncx q[0], q[2];\nc = measure q;\n";

fn config(dir: &Path, iqm: &FakeIqm, ibm: &FakeIbm) -> std::path::PathBuf {
    let yaml = format!(
        "storage:\n  type: sqlite\n  sqlite_path: {db}\nbackends:\n  \
         garnet:\n    type: iqm\n    url: {iqm_url}\n    quantum_computer: {qc}\n    \
         token: {iqm_token}\n    poll_ms: 20\n  \
         torino:\n    type: ibm\n    url: {ibm_url}\n    iam_url: {iam_url}\n    \
         backend: {ibm_backend}\n    service_crn: \"{crn}\"\n    api_key: {api_key}\n    \
         poll_ms: 20\n",
        db = dir.join("jobs.db").display(),
        iqm_url = iqm.url(),
        qc = fake_iqm::QUANTUM_COMPUTER,
        iqm_token = fake_iqm::TOKEN,
        ibm_url = ibm.url(),
        iam_url = ibm.iam_url(),
        ibm_backend = fake_ibm::BACKEND,
        crn = fake_ibm::SERVICE_CRN,
        api_key = fake_ibm::API_KEY,
    );
    let path = dir.join("arvak.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

fn start(dir: &Path, config: &Path, port: u16) -> Child {
    start_with(dir, config, port, &[])
}

fn start_with(dir: &Path, config: &Path, port: u16, env: &[(&str, &str)]) -> Child {
    server_command(dir)
        .envs(env.iter().copied())
        .arg("--config")
        .arg(config)
        .env("ARVAK_SERVER_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("ARVAK_HTTP_ENABLED", "false")
        .stdout(std::fs::File::create(dir.join(format!("server-{port}.log"))).unwrap())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

async fn backend_info(client: &mut ArvakServiceClient<Channel>, id: &str) -> proto::BackendInfo {
    client
        .get_backend_info(proto::GetBackendInfoRequest {
            backend_id: id.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .backend
        .unwrap()
}

/// The backend once it has read its device and is available.
async fn described(client: &mut ArvakServiceClient<Channel>, id: &str) -> proto::BackendInfo {
    let by = Instant::now() + Duration::from_secs(20);
    loop {
        let info = backend_info(client, id).await;
        if info.is_available {
            return info;
        }
        assert!(Instant::now() < by, "backend {id} never became available");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn submit(client: &mut ArvakServiceClient<Channel>, backend: &str, shots: u32) -> String {
    client
        .submit_job(proto::SubmitJobRequest {
            circuit: Some(proto::CircuitPayload {
                format: Some(proto::circuit_payload::Format::Qasm3(GHZ.into())),
            }),
            backend_id: backend.into(),
            shots,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .job_id
}

async fn status(client: &mut ArvakServiceClient<Channel>, id: &str) -> proto::Job {
    client
        .get_job_status(proto::GetJobStatusRequest { job_id: id.into() })
        .await
        .unwrap()
        .into_inner()
        .job
        .unwrap()
}

async fn finished(client: &mut ArvakServiceClient<Channel>, id: &str) -> proto::Job {
    let by = Instant::now() + Duration::from_secs(30);
    loop {
        let job = status(client, id).await;
        if !matches!(job.state(), JobState::Queued | JobState::Running) {
            return job;
        }
        assert!(Instant::now() < by, "job {id} did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn result(client: &mut ArvakServiceClient<Channel>, id: &str) -> proto::JobResult {
    client
        .get_job_result(proto::GetJobResultRequest { job_id: id.into() })
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap()
}

#[tokio::test]
async fn jobs_run_end_to_end_on_both_vendors() {
    let (iqm, ibm) = (FakeIqm::start().await, FakeIbm::start().await);
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &iqm, &ibm);
    let port = free_port();
    let mut server = start(dir.path(), &config, port);
    let mut client = connect(port, &mut server, Duration::from_secs(20)).await;

    let garnet = described(&mut client, "garnet").await;
    assert_eq!(garnet.max_qubits, 5, "the fake's five qubits");
    assert!(garnet.supported_gates.iter().any(|g| g == "ccx"));
    let topology: serde_json::Value = serde_json::from_str(&garnet.topology_json).unwrap();
    assert_eq!(topology["coupling_map"].as_array().unwrap().len(), 5);
    assert_eq!(topology["basis_gates"], serde_json::json!(["prx", "cz"]));
    let torino = described(&mut client, "torino").await;
    assert_eq!(torino.max_qubits, 5);

    // What the device cannot run is refused at submission, saying why.
    let refusals = [
        ("OPENQASM 3.0; qubit[6] q; h q[0];", "6 qubits"),
        (
            "OPENQASM 3.0; qubit[2] q; bit[2] c; c[0] = measure q[0]; x q[0]; c[1] = measure q[0];",
            "after it was measured",
        ),
    ];
    for (program, reason) in refusals {
        let refused = client
            .submit_job(proto::SubmitJobRequest {
                circuit: Some(proto::CircuitPayload {
                    format: Some(proto::circuit_payload::Format::Qasm3(program.into())),
                }),
                backend_id: "garnet".into(),
                shots: 10,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{program}");
        assert!(refused.message().contains(reason), "{}", refused.message());
    }

    for backend in ["garnet", "torino"] {
        let id = submit(&mut client, backend, 50).await;
        let job = finished(&mut client, &id).await;
        assert_eq!(
            job.state(),
            JobState::Completed,
            "{backend}: {}",
            job.error_message
        );
        let result = result(&mut client, &id).await;
        // The fakes read 0 on every bit; keyed by our three classical bits.
        assert_eq!(result.counts, [("000".to_owned(), 50)].into(), "{backend}");
        let metadata: serde_json::Value = serde_json::from_str(&result.metadata_json).unwrap();
        assert!(!metadata["backend_job_id"].as_str().unwrap().is_empty());
    }
    // What IQM was sent: native instructions only, on the device's qubits.
    let sent = iqm.last_request("POST", "/circuit").unwrap();
    let body = sent.body.unwrap();
    let names: Vec<&str> = body["circuits"][0]["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| ["prx", "cz", "measure", "barrier"].contains(n)),
        "{names:?}"
    );
    assert_eq!(names.iter().filter(|n| **n == "measure").count(), 3);
    // What IBM was sent: an ISA program of Heron's gates.
    let submitted = ibm.requests_to("/v1/jobs");
    let program = submitted[0].json()["params"]["pubs"][0][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        program.contains("cz $") && !program.contains("cx "),
        "{program}"
    );
    terminate(server).await;
}

#[tokio::test]
async fn the_vendors_queue_position_shows_in_our_status() {
    let (iqm, ibm) = (FakeIqm::start().await, FakeIbm::start().await);
    iqm.script_statuses(&[
        ("waiting", Some(7)),
        ("waiting", Some(7)),
        ("waiting", Some(7)),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &iqm, &ibm);
    let port = free_port();
    let mut server = start(dir.path(), &config, port);
    let mut client = connect(port, &mut server, Duration::from_secs(20)).await;
    described(&mut client, "garnet").await;
    let id = submit(&mut client, "garnet", 10).await;
    let by = Instant::now() + Duration::from_secs(10);
    loop {
        let job = status(&mut client, &id).await;
        if job.state() == JobState::Running && job.queue_position == 7 {
            break;
        }
        assert!(
            Instant::now() < by,
            "never saw the vendor's position: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = server.kill();
    let _ = server.wait();
}

#[tokio::test]
async fn a_server_killed_while_the_vendor_holds_its_job_reattaches_after_restart() {
    let (iqm, ibm) = (FakeIqm::start().await, FakeIbm::start().await);
    // The vendor queues the job long enough for the kill and the restart.
    ibm.set_job_timing(Duration::from_secs(4), Duration::from_millis(100));
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &iqm, &ibm);
    let port = free_port();
    let mut server = start(dir.path(), &config, port);
    let mut client = connect(port, &mut server, Duration::from_secs(20)).await;
    described(&mut client, "torino").await;
    let id = submit(&mut client, "torino", 20).await;
    let by = Instant::now() + Duration::from_secs(10);
    while ibm.requests_to("/v1/jobs").is_empty() {
        assert!(Instant::now() < by, "the job never reached the vendor");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Let the vendor's id reach the store, then kill without warning.
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.kill().unwrap();
    server.wait().unwrap();

    let mut server = start(dir.path(), &config, port);
    let mut client = connect(port, &mut server, Duration::from_secs(20)).await;
    let job = finished(&mut client, &id).await;
    assert_eq!(job.state(), JobState::Completed, "{}", job.error_message);
    assert_eq!(
        result(&mut client, &id).await.counts,
        [("000".to_owned(), 20)].into()
    );
    let submissions = ibm
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/v1/jobs"))
        .count();
    assert_eq!(submissions, 1, "reattached, not submitted again");
    terminate(server).await;
}

#[tokio::test]
async fn an_unreachable_vendor_marks_the_backend_unavailable_and_its_job_waits() {
    let (iqm, ibm) = (FakeIqm::start().await, FakeIbm::start().await);
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &iqm, &ibm);
    let port = free_port();
    let settings = [
        ("ARVAK_BACKENDS_GARNET_BREAKER_FAILURES", "2"),
        ("ARVAK_BACKENDS_GARNET_BREAKER_OPEN_SECS", "1"),
        // Giving a job back untried does not use up an attempt.
        ("ARVAK_WORKERS_MAX_ATTEMPTS", "1"),
    ];
    let mut server = start_with(dir.path(), &config, port, &settings);
    let mut client = connect(port, &mut server, Duration::from_secs(20)).await;
    described(&mut client, "garnet").await;
    // From now on IQM answers 503 six times: two submissions open the
    // breaker, then probes fail until the vendor is back.
    for _ in 0..6 {
        iqm.fail_next(503, r#"{"detail": "maintenance"}"#, None);
    }
    let id = submit(&mut client, "garnet", 10).await;
    let by = Instant::now() + Duration::from_secs(20);
    let mut seen_unavailable = false;
    let job = loop {
        let job = status(&mut client, &id).await;
        let available = backend_info(&mut client, "garnet").await.is_available;
        if !available {
            seen_unavailable = true;
            assert!(
                matches!(job.state(), JobState::Queued | JobState::Running),
                "the job waits while the vendor is away: {job:?}"
            );
        }
        if !matches!(job.state(), JobState::Queued | JobState::Running) {
            break job;
        }
        assert!(Instant::now() < by, "the job never ran after the outage");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(seen_unavailable, "the breaker never showed in BackendInfo");
    assert_eq!(job.state(), JobState::Completed, "{}", job.error_message);
    assert_eq!(
        job.attempts, 1,
        "the untried starts are not counted: {job:?}"
    );
    terminate(server).await;
}
