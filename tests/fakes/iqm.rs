//! A fake IQM Server for tests: the part of the REST API (`/api/v1`) that
//! the IQM adapter uses, on 127.0.0.1 with a port of its own.
//!
//! Paths, bodies and answers follow IQM's published client, field for field:
//! - `iqm-client`, module `iqm.iqm_server_client.iqm_server_client`
//!   (`_IQMServerClient`, 2025): `GET quantum-computers`,
//!   `GET calibration-sets/{qc}/{id|default}/dynamic-quantum-architecture`,
//!   `POST jobs/{qc}/circuit?use_timeslot=…`, `GET jobs/{id}`,
//!   `GET jobs/{id}/artifacts/measurement_counts`, `POST jobs/{id}/cancel`,
//!   bearer token in `Authorization`, error bodies read from `message` or
//!   `detail`.
//! - `iqm-client`, module `iqm.iqm_server_client.models`:
//!   `ListQuantumComputersResponse` (`quantum_computers`: `id`, `alias`,
//!   `display_name`), `JobData` (`id`, `status`, `queue_position`, `errors`,
//!   `messages`, `timeline`), `JobStatus` (`waiting`, `processing`,
//!   `completed`, `failed`, `cancelled`), `JobError` (`source`, `message`,
//!   `error_code`).
//! - `iqm-station-control-client`, `iqm.station_control.interface.models`:
//!   `circuit.PostJobsRequest` alias `RunRequest` (`circuits`, `shots`,
//!   `calibration_set_id`, `qubit_mapping`, ...), `CircuitMeasurementCounts`
//!   (`measurement_keys`, `counts`), and
//!   `dynamic_quantum_architecture.DynamicQuantumArchitecture`
//!   (`calibration_set_id`, `qubits`, `computational_resonators`, `gates` →
//!   `implementations` → `loci`, `default_implementation`,
//!   `override_default_implementation`).
//! - `iqm-pulse` `CircuitOperation` (`name`, `locus`, `args`,
//!   `implementation`); `prx` takes `angle` and `phase` in radians, as
//!   cirq-on-iqm writes them.
//!
//! By default it behaves like a quiet device: a job waits a moment,
//! processes a moment, completes, and every shot reads 0 for every key.
//! Tests can script statuses, outcomes, failures and token expiry, and read
//! every request back. A server under test reaches it as an IQM backend
//! with `url: <FakeIqm::url()>`, `quantum_computer: garnet` and
//! `token: <TOKEN>`.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The alias the fake answers to.
pub const QUANTUM_COMPUTER: &str = "garnet";
/// The token it accepts until told otherwise.
pub const TOKEN: &str = "fake-iqm-token-0001";
const CALIBRATION_SET_ID: &str = "cd4dd889-b88b-4370-ba01-eb8262ad9c53";
/// How long an unscripted job waits, then processes.
const PHASE: Duration = Duration::from_millis(30);

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    pub query: Option<String>,
    /// Every header as sent.
    pub headers: HeaderMap,
    /// The `Authorization` header, for short assertions.
    pub authorization: Option<String>,
    /// The body, when it was JSON.
    pub body: Option<Value>,
}

#[derive(Debug, Clone)]
struct Failure {
    status: StatusCode,
    body: String,
    retry_after: Option<String>,
}

#[derive(Debug)]
struct Job {
    submitted: Instant,
    measurement_keys: Vec<String>,
    shots: u64,
    script: VecDeque<(String, Option<u32>)>,
    /// Set when the job was cancelled before it ended.
    overridden: Option<String>,
}

#[derive(Debug)]
struct Fake {
    dqa: Value,
    token: String,
    rotate_on_rejection: Option<(PathBuf, String)>,
    script: Vec<(String, Option<u32>)>,
    job_errors: Vec<Value>,
    outcome: HashMap<String, u8>,
    failures: VecDeque<Failure>,
    jobs: HashMap<String, Job>,
    requests: Vec<Recorded>,
}

/// A running fake; dropped with the test's runtime.
#[derive(Clone)]
pub struct FakeIqm {
    address: SocketAddr,
    state: Arc<Mutex<Fake>>,
}

impl FakeIqm {
    /// Starts the fake on 127.0.0.1, port chosen by the system.
    pub async fn start() -> FakeIqm {
        let state = Arc::new(Mutex::new(Fake {
            dqa: default_dqa(),
            token: TOKEN.to_owned(),
            rotate_on_rejection: None,
            script: Vec::new(),
            job_errors: vec![json!({
                "source": "iqm-server",
                "message": "Execution failed on the quantum computer",
                "error_code": "execution_failed"
            })],
            outcome: HashMap::new(),
            failures: VecDeque::new(),
            jobs: HashMap::new(),
            requests: Vec::new(),
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = Router::new().fallback(handle).with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        FakeIqm { address, state }
    }

    /// The server root, as the adapter's `url` setting takes it.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Fake) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.with(|f| f.requests.clone())
    }

    /// The last request whose path ends with `suffix`.
    pub fn last_request(&self, method: &str, suffix: &str) -> Option<Recorded> {
        self.requests()
            .into_iter()
            .rev()
            .find(|r| r.method == method && r.path.ends_with(suffix))
    }

    /// Serves this dynamic quantum architecture instead of the default
    /// (QB1–QB5, `prx`, `cz` on QB1-QB2, QB2-QB3, QB3-QB4, QB4-QB5,
    /// QB1-QB4, `measure`).
    pub fn set_dqa(&self, dqa: Value) {
        self.with(|f| f.dqa = dqa);
    }

    /// Accepts only `token` from now on (the old one has expired).
    pub fn accept_token(&self, token: &str) {
        self.with(|f| f.token = token.to_owned());
    }

    /// The next time a token is refused, writes `new_token` to `file` and
    /// accepts it from then on: a credential rotated as the old one expired.
    pub fn rotate_token_on_rejection(&self, file: PathBuf, new_token: &str) {
        self.with(|f| f.rotate_on_rejection = Some((file, new_token.to_owned())));
    }

    /// Jobs submitted from now on report these statuses (word and queue
    /// position), one per `GET jobs/{id}`; the last one stays.
    pub fn script_statuses(&self, steps: &[(&str, Option<u32>)]) {
        self.with(|f| {
            f.script = steps.iter().map(|(s, q)| ((*s).to_owned(), *q)).collect();
        });
    }

    /// The `errors` a failed job reports (`JobError` objects).
    pub fn set_job_errors(&self, errors: Vec<Value>) {
        self.with(|f| f.job_errors = errors);
    }

    /// Every shot reads `bit` for measurement key `key` (0 for keys not
    /// named).
    pub fn set_outcome(&self, key: &str, bit: u8) {
        self.with(|f| f.outcome.insert(key.to_owned(), bit));
    }

    /// The next request, whatever it asks, is answered with `status` and
    /// `body` (and `Retry-After` if given). Calls queue up.
    pub fn fail_next(&self, status: u16, body: &str, retry_after: Option<&str>) {
        self.with(|f| {
            f.failures.push_back(Failure {
                status: StatusCode::from_u16(status).unwrap(),
                body: body.to_owned(),
                retry_after: retry_after.map(str::to_owned),
            })
        });
    }
}

fn default_dqa() -> Value {
    let qubits = ["QB1", "QB2", "QB3", "QB4", "QB5"];
    let singles: Vec<Value> = qubits.iter().map(|q| json!([q])).collect();
    json!({
        "calibration_set_id": CALIBRATION_SET_ID,
        "qubits": qubits,
        "computational_resonators": [],
        "gates": {
            "prx": {
                "implementations": {"drag_gaussian": {"loci": singles}},
                "default_implementation": "drag_gaussian",
                "override_default_implementation": {}
            },
            "cz": {
                "implementations": {"tgss": {"loci": [
                    ["QB1", "QB2"], ["QB2", "QB3"], ["QB3", "QB4"], ["QB4", "QB5"], ["QB1", "QB4"]
                ]}},
                "default_implementation": "tgss",
                "override_default_implementation": {}
            },
            "measure": {
                "implementations": {"constant": {"loci": singles}},
                "default_implementation": "constant",
                "override_default_implementation": {}
            }
        }
    })
}

fn answer(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// IQM Server's error body (FastAPI's `detail`).
fn error(status: StatusCode, detail: &str) -> Response {
    answer(status, json!({ "detail": detail }))
}

async fn handle(
    State(state): State<Arc<Mutex<Fake>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut fake = state.lock().unwrap();
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    fake.requests.push(Recorded {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers: headers.clone(),
        authorization: authorization.clone(),
        body: serde_json::from_slice(&body).ok(),
    });
    if let Some(failure) = fake.failures.pop_front() {
        let json = serde_json::from_str::<Value>(&failure.body).is_ok();
        let mut response = (failure.status, failure.body).into_response();
        if json {
            response
                .headers_mut()
                .insert("content-type", "application/json".parse().unwrap());
        }
        if let Some(after) = failure.retry_after {
            response
                .headers_mut()
                .insert("retry-after", after.parse().unwrap());
        }
        return response;
    }
    if authorization.as_deref() != Some(&format!("Bearer {}", fake.token)) {
        if let Some((file, new_token)) = fake.rotate_on_rejection.take() {
            std::fs::write(file, format!("{new_token}\n")).unwrap();
            fake.token = new_token;
        }
        return error(StatusCode::UNAUTHORIZED, "Invalid or expired token");
    }
    let Some(path) = uri.path().strip_prefix("/api/v1/") else {
        return error(StatusCode::NOT_FOUND, "Not Found");
    };
    let segments: Vec<&str> = path.split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["quantum-computers"]) => answer(
            StatusCode::OK,
            json!({"quantum_computers": [{
                "id": "5d1f0b6a-6f3c-4e0b-9e43-3f0c0d9a1e01",
                "alias": QUANTUM_COMPUTER,
                "display_name": "Garnet"
            }]}),
        ),
        ("GET", ["calibration-sets", qc, _, "dynamic-quantum-architecture"]) => {
            if *qc != QUANTUM_COMPUTER {
                return error(StatusCode::NOT_FOUND, "Quantum computer not found");
            }
            answer(StatusCode::OK, fake.dqa.clone())
        }
        ("POST", ["jobs", qc, "circuit"]) => {
            if *qc != QUANTUM_COMPUTER {
                return error(StatusCode::NOT_FOUND, "Quantum computer not found");
            }
            submit(&mut fake, &body)
        }
        ("GET", ["jobs", id]) => match job_status(&mut fake, id) {
            Some(data) => answer(StatusCode::OK, data),
            None => error(StatusCode::NOT_FOUND, "Job not found"),
        },
        ("GET", ["jobs", id, "artifacts", "measurement_counts"]) => counts(&fake, id),
        ("POST", ["jobs", id, "cancel"]) => match fake.jobs.get_mut(*id) {
            Some(job) => {
                // A job that has ended stays as it ended.
                let (status, _) = current(job);
                if status == "waiting" || status == "processing" {
                    job.overridden = Some("cancelled".to_owned());
                }
                StatusCode::NO_CONTENT.into_response()
            }
            None => error(StatusCode::NOT_FOUND, "Job not found"),
        },
        _ => error(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// Checks a `RunRequest` as IQM's validation would (names, loci, unique
/// keys) and queues the job.
fn submit(fake: &mut Fake, body: &[u8]) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "Request body is not JSON");
    };
    let shots = request["shots"].as_u64().unwrap_or(0);
    let Some([circuit]) = request["circuits"].as_array().map(Vec::as_slice) else {
        return error(StatusCode::BAD_REQUEST, "Expected a batch of one circuit");
    };
    if shots == 0 {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "shots must be greater than zero",
        );
    }
    let qubits: Vec<&str> = fake.dqa["qubits"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut keys = Vec::new();
    for op in circuit["instructions"].as_array().into_iter().flatten() {
        let name = op["name"].as_str().unwrap_or("");
        let locus: Vec<&str> = op["locus"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if let Some(q) = locus.iter().find(|q| !qubits.contains(q)) {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("Component {q} does not exist on the QPU."),
            );
        }
        if let Some(message) = locus_refused(&fake.dqa, name, &locus) {
            return error(StatusCode::BAD_REQUEST, &message);
        }
        match name {
            "prx" if op["args"]["angle"].is_number() && op["args"]["phase"].is_number() => {}
            "cz" | "barrier" => {}
            "measure" => match op["args"]["key"].as_str() {
                Some(key) if !keys.iter().any(|k| k == key) => keys.push(key.to_owned()),
                _ => return error(StatusCode::BAD_REQUEST, "Measurement keys must be unique."),
            },
            other => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("Unknown quantum operation '{other}'."),
                );
            }
        }
    }
    let id = uuid::Uuid::new_v4().to_string();
    let script: VecDeque<_> = fake.script.iter().cloned().collect();
    fake.jobs.insert(
        id.clone(),
        Job {
            submitted: Instant::now(),
            measurement_keys: keys,
            shots,
            script,
            overridden: None,
        },
    );
    answer(
        StatusCode::OK,
        json!({"id": id, "status": "waiting", "queue_position": 0, "messages": [], "errors": []}),
    )
}

/// Why IQM would refuse `name` on `locus`, if it would: a calibrated gate
/// must act on one of its DQA loci (`cz` in either order); `measure` on
/// qubits that each have a `measure` locus; `barrier` needs no calibration.
fn locus_refused(dqa: &Value, name: &str, locus: &[&str]) -> Option<String> {
    if name == "barrier" {
        return None;
    }
    let Some(implementations) = dqa["gates"][name]["implementations"].as_object() else {
        return Some(format!(
            "Operation '{name}' is not supported by the dynamic quantum architecture."
        ));
    };
    let loci: Vec<Vec<&str>> = implementations
        .values()
        .flat_map(|implementation| implementation["loci"].as_array().into_iter().flatten())
        .map(|l| {
            l.as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect()
        })
        .collect();
    let allowed = match name {
        "measure" => locus.iter().all(|q| loci.iter().any(|l| l == &[*q])),
        "cz" => loci.iter().any(|l| {
            l.as_slice() == locus
                || (l.len() == 2 && locus.len() == 2 && l[0] == locus[1] && l[1] == locus[0])
        }),
        _ => loci.iter().any(|l| l.as_slice() == locus),
    };
    (!allowed).then(|| format!("{locus:?} is not allowed as locus for '{name}'"))
}

/// The job's status now: cancelled if it was cancelled before it ended,
/// else its script's current step, else where the clock has taken it.
fn current(job: &Job) -> (String, Option<u32>) {
    if let Some(status) = &job.overridden {
        return (status.clone(), None);
    }
    if let Some(step) = job.script.front() {
        return step.clone();
    }
    let elapsed = job.submitted.elapsed();
    if elapsed < PHASE {
        ("waiting".to_owned(), Some(0))
    } else if elapsed < 2 * PHASE {
        ("processing".to_owned(), None)
    } else {
        ("completed".to_owned(), None)
    }
}

/// The job's `JobData`, then its script moves on a step (the last stays).
fn job_status(fake: &mut Fake, id: &str) -> Option<Value> {
    let job_errors = fake.job_errors.clone();
    let job = fake.jobs.get_mut(id)?;
    let (status, queue_position) = current(job);
    if job.script.len() > 1 {
        job.script.pop_front();
    }
    let errors = if status == "failed" {
        job_errors
    } else {
        Vec::new()
    };
    Some(json!({
        "id": id,
        "status": status,
        "queue_position": queue_position,
        "messages": [],
        "errors": errors,
        "timeline": []
    }))
}

fn counts(fake: &Fake, id: &str) -> Response {
    let Some(job) = fake.jobs.get(id) else {
        return error(StatusCode::NOT_FOUND, "Job not found");
    };
    if current(job).0 != "completed" {
        return error(StatusCode::NOT_FOUND, "Artifact not found");
    }
    let bitstring: String = job
        .measurement_keys
        .iter()
        .map(|k| {
            if fake.outcome.get(k) == Some(&1) {
                '1'
            } else {
                '0'
            }
        })
        .collect();
    answer(
        StatusCode::OK,
        json!([{"measurement_keys": job.measurement_keys, "counts": {bitstring: job.shots}}]),
    )
}
