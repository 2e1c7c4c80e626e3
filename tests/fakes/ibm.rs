//! A fake IBM Quantum for tests: IBM Cloud IAM's token endpoint and the
//! Qiskit Runtime REST API on one loopback port, speaking the vendor's
//! shapes field for field. Where each shape comes from:
//!
//! - `POST /identity/token`: IBM Cloud IAM API, "Create an IAM access token
//!   for a user or service ID using an API key" (form `grant_type`,
//!   `apikey`; answer `access_token`, `refresh_token`, `token_type`,
//!   `expires_in`, `expiration`, `scope`; errors `errorCode`,
//!   `errorMessage`, `context`), as qiskit-community's technical integration
//!   guide calls it.
//! - Headers `Authorization: Bearer`, `Service-CRN`, `IBM-API-Version`:
//!   qiskit-ibm-runtime `api/auth.py` (CloudAuth) and `api/rest/base.py`.
//! - `GET /api/v1/backends/{name}/configuration` and `/status`:
//!   qiskit-ibm-runtime `api/rest/cloud_backend.py` (status `state`,
//!   `status`, `message`, `length_queue`, `backend_version`); configuration
//!   fields as Qiskit's backend configuration (`n_qubits`, `basis_gates`,
//!   `coupling_map`, `max_shots`, `supported_instructions`,
//!   `multi_meas_enabled`, ...).
//! - `POST /api/v1/jobs` (`program_id`, `backend`, `params`):
//!   qiskit-ibm-runtime `api/rest/runtime.py` `program_run`; `params.pubs`
//!   as `[circuit, parameter values, shots]`, `version`, `support_qiskit`
//!   as IBM's guide "Sampler with the REST API" and qiskit-cpp's sampler
//!   payload send them.
//! - `GET /api/v1/jobs/{id}`: `state.status`, `state.reason`,
//!   `state.reason_code` as qiskit-ibm-runtime `base_runtime_job.py` reads
//!   them; status words `Queued`, `Running`, `Completed`, `Failed`,
//!   `Cancelled`.
//! - `GET /api/v1/jobs/{id}/results` with `support_qiskit: false`:
//!   `results[i].data.<register>.samples` (hex) and `num_bits`, per "Sampler
//!   with the REST API".
//! - `POST /api/v1/jobs/{id}/cancel`: 204, or 409 for a job that has ended
//!   (qiskit-ibm-runtime `runtime_job_v2.py` `cancel`).
//! - Error bodies `{"errors": [{"code", "message", "more_info"}], "trace",
//!   "status_code"}`: the IBM Cloud API error format.
//!
//! By default a submitted job is Queued, then Running, then Completed within
//! a moment, with all-zero samples for each of its program's registers, so
//! a whole server can run jobs against it.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::Method;
use serde_json::{Value, json};

#[path = "ibm/server.rs"]
mod server;

use server::ibm_error;

/// The API key IAM accepts.
pub const API_KEY: &str = "fake-ibm-cloud-api-key-7f3a9c";
/// The service instance the runtime accepts in `Service-CRN`.
pub const SERVICE_CRN: &str = "crn:v1:bluemix:public:quantum-computing:us-east:a/0f1e2d:9a8b7c6d::";
/// The device's name.
pub const BACKEND: &str = "ibm_fake_torino";

/// A request as the fake saw it, with the status it answered.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: String,
    pub status: u16,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// Whether this went to the runtime API (not IAM).
    pub fn is_runtime(&self) -> bool {
        self.path.starts_with("/api/")
    }
}

/// A scripted answer for the next matching request.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<String>,
}

impl Failure {
    /// An IBM Cloud-shaped error body.
    pub fn ibm(status: u16, code: &str, message: &str) -> Self {
        Self {
            status,
            body: ibm_error(status, code, message),
            retry_after: None,
        }
    }

    pub fn with_retry_after(mut self, value: &str) -> Self {
        self.retry_after = Some(value.to_owned());
        self
    }
}

struct Job {
    backend: String,
    shots: u64,
    registers: Vec<(String, u32)>,
    created: Instant,
    created_text: String,
    /// Scripted `state` objects, one per status read, the last one kept.
    script: VecDeque<Value>,
    cancelled: bool,
}

struct FakeState {
    token_lifetime: Duration,
    tokens: HashMap<String, Instant>,
    issued: u64,
    requests: Vec<Recorded>,
    configuration: Value,
    status: Value,
    jobs: HashMap<String, Job>,
    next_job: u64,
    next_script: VecDeque<Value>,
    results: Option<Value>,
    outcome: HashMap<String, String>,
    failures: Vec<(Method, String, Failure)>,
    queued_for: Duration,
    running_for: Duration,
}

type Shared = Arc<Mutex<FakeState>>;

/// The running fake; stops when dropped.
pub struct FakeIbm {
    addr: SocketAddr,
    state: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeIbm {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeIbm {
    /// Starts on 127.0.0.1 with a 5-qubit Heron device named [`BACKEND`]
    /// that is online, and tokens that live an hour.
    pub async fn start() -> FakeIbm {
        let state = Arc::new(Mutex::new(FakeState {
            token_lifetime: Duration::from_secs(3600),
            tokens: HashMap::new(),
            issued: 0,
            requests: Vec::new(),
            configuration: heron_configuration(BACKEND, 5),
            status: json!({"state": true, "status": "active", "message": "available",
                           "length_queue": 0, "backend_version": "1.2.3"}),
            jobs: HashMap::new(),
            next_job: 0,
            next_script: VecDeque::new(),
            results: None,
            outcome: HashMap::new(),
            failures: Vec::new(),
            queued_for: Duration::from_millis(30),
            running_for: Duration::from_millis(30),
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .fallback(server::handle)
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeIbm {
            addr,
            state,
            server,
        }
    }

    /// The runtime API's base, for `IbmConfig::url`.
    pub fn url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// IAM's base, for `IbmConfig::iam_url`.
    pub fn iam_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn lock(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap()
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// The requests whose path ends with `suffix`.
    pub fn requests_to(&self, suffix: &str) -> Vec<Recorded> {
        let all = self.requests();
        all.into_iter()
            .filter(|r| r.path.ends_with(suffix))
            .collect()
    }

    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// The access tokens issued so far, oldest first.
    pub fn issued_tokens(&self) -> Vec<String> {
        (1..=self.lock().issued).map(token_text).collect()
    }

    /// Tokens issued from now on live this long (`expires_in` is whole
    /// seconds, at least 1).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.lock().token_lifetime = lifetime.max(Duration::from_secs(1));
    }

    /// Every token issued so far is refused from now on.
    pub fn revoke_tokens(&self) {
        self.lock().tokens.clear();
    }

    pub fn set_configuration(&self, configuration: Value) {
        self.lock().configuration = configuration;
    }

    pub fn set_backend_status(&self, status: Value) {
        self.lock().status = status;
    }

    /// How long a default job stays Queued, then Running.
    pub fn set_job_timing(&self, queued: Duration, running: Duration) {
        let mut state = self.lock();
        state.queued_for = queued;
        state.running_for = running;
    }

    /// The next submitted job reports these `state` objects, one per
    /// status read, and then keeps the last.
    pub fn script_next_job(&self, states: Vec<Value>) {
        self.lock().next_script = states.into();
    }

    /// Every completed job answers with this results body.
    pub fn set_results(&self, body: Value) {
        self.lock().results = Some(body);
    }

    /// Every shot of every job reads `hex` in register `register` (instead
    /// of 0).
    pub fn set_outcome(&self, register: &str, hex: &str) {
        self.lock()
            .outcome
            .insert(register.to_owned(), hex.to_owned());
    }

    /// The next request with `method` whose path starts with
    /// `path_prefix` gets `failure` instead of its answer.
    pub fn fail_next(&self, method: &str, path_prefix: &str, failure: Failure) {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        self.lock()
            .failures
            .push((method, path_prefix.to_owned(), failure));
    }
}

fn token_text(n: u64) -> String {
    format!("eyJmYWtl.access-token-{n}.c2lnbmF0dXJl")
}

/// A Heron-like device: `cz` both ways along a line of `n` qubits.
pub fn heron_configuration(name: &str, n: u32) -> Value {
    let coupling: Vec<[u32; 2]> = (1..n).flat_map(|q| [[q - 1, q], [q, q - 1]]).collect();
    json!({
        "backend_name": name, "backend_version": "1.2.3", "n_qubits": n,
        "basis_gates": ["cz", "id", "rz", "sx", "x"],
        "coupling_map": coupling,
        "supported_instructions": ["cz", "id", "delay", "measure", "reset", "rz", "sx", "x",
                                   "if_else", "for_loop", "switch_case", "while_loop"],
        "max_shots": 100000, "max_experiments": 300, "simulator": false, "local": false,
        "conditional": false, "open_pulse": false, "memory": true,
        "multi_meas_enabled": true, "dynamic_reprate_enabled": true,
        "processor_type": {"family": "Heron", "revision": "1"},
        "supported_features": ["qasm3"],
    })
}

/// An Eagle-like device: `ecr` one way along a line of `n` qubits.
pub fn eagle_configuration(name: &str, n: u32) -> Value {
    let coupling: Vec<[u32; 2]> = (1..n).map(|q| [q, q - 1]).collect();
    json!({
        "backend_name": name, "backend_version": "1.0.9", "n_qubits": n,
        "basis_gates": ["ecr", "id", "rz", "sx", "x"],
        "coupling_map": coupling,
        "supported_instructions": ["ecr", "id", "delay", "measure", "rz", "sx", "x"],
        "max_shots": 20000, "max_experiments": 300, "simulator": false, "local": false,
        "conditional": false, "open_pulse": false, "memory": true,
        "multi_meas_enabled": false,
        "processor_type": {"family": "Eagle", "revision": 3},
        "supported_features": ["qasm3"],
    })
}
