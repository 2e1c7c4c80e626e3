//! The fake's request handling: IAM's token endpoint and the runtime API's
//! routes, each answering as the vendor does (see the parent module for
//! where each shape comes from).

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::{API_KEY, FakeState, Job, Recorded, SERVICE_CRN, Shared, token_text};

pub(super) fn ibm_error(status: u16, code: &str, message: &str) -> Value {
    json!({
        "errors": [{"code": code, "message": message,
                    "more_info": "https://quantum.cloud.ibm.com/docs/errors"}],
        "trace": "fake-trace-0001",
        "status_code": status,
    })
}

fn reply(status: u16, body: Option<Value>, retry_after: Option<String>) -> Response {
    let mut response = Response::builder().status(StatusCode::from_u16(status).unwrap());
    if let Some(after) = retry_after {
        response = response.header("retry-after", after);
    }
    match body {
        Some(body) => response
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
        None => response.body(Body::empty()).unwrap(),
    }
}

pub(super) async fn handle(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = shared.lock().unwrap();
    let path = uri.path().to_owned();
    let body = String::from_utf8_lossy(&body).into_owned();
    let headers: HashMap<String, String> = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let scripted = state
        .failures
        .iter()
        .position(|(m, prefix, _)| *m == method && path.starts_with(prefix.as_str()));
    let (status, answer, retry_after) = match scripted {
        Some(at) => {
            let (_, _, failure) = state.failures.remove(at);
            (failure.status, Some(failure.body), failure.retry_after)
        }
        None => {
            let (status, answer) = route(&mut state, &method, &path, &headers, &body);
            (status, answer, None)
        }
    };
    state.requests.push(Recorded {
        method: method.to_string(),
        path,
        headers,
        body,
        status,
    });
    reply(status, answer, retry_after)
}

fn route(
    state: &mut FakeState,
    method: &Method,
    path: &str,
    headers: &HashMap<String, String>,
    body: &str,
) -> (u16, Option<Value>) {
    if path == "/identity/token" && method == Method::POST {
        return issue_token(state, headers, body);
    }
    let Some(rest) = path.strip_prefix("/api/v1/") else {
        return (404, Some(ibm_error(404, "not_found", "no such endpoint")));
    };
    if let Err(refused) = check_auth(state, headers) {
        return refused;
    }
    let parts: Vec<&str> = rest.split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["backends", name, what @ ("configuration" | "status")]) => {
            if state.configuration["backend_name"] != *name {
                let message = format!("Backend {name} not found");
                return (404, Some(ibm_error(404, "backend_not_found", &message)));
            }
            let answer = if *what == "configuration" {
                state.configuration.clone()
            } else {
                let mut status = state.status.clone();
                status["backend_name"] = json!(name);
                status
            };
            (200, Some(answer))
        }
        ("POST", ["jobs"]) => create_job(state, body),
        ("GET", ["jobs", id]) => job_info(state, id),
        ("GET", ["jobs", id, "results"]) => job_results(state, id),
        ("POST", ["jobs", id, "cancel"]) => cancel_job(state, id),
        _ => (404, Some(ibm_error(404, "not_found", "no such endpoint"))),
    }
}

fn issue_token(
    state: &mut FakeState,
    headers: &HashMap<String, String>,
    body: &str,
) -> (u16, Option<Value>) {
    let form_type = headers.get("content-type").map(String::as_str);
    let form = parse_form(body);
    let field = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let iam_error = |code: &str, message: &str| {
        json!({"errorCode": code, "errorMessage": message,
               "context": {"requestId": "fake-request-1", "requestType": "incoming.Identity_Token"}})
    };
    if form_type != Some("application/x-www-form-urlencoded") {
        return (
            400,
            Some(iam_error("BXNIM0109E", "Property missing or empty.")),
        );
    }
    if field("grant_type") != Some("urn:ibm:params:oauth:grant-type:apikey") {
        return (
            400,
            Some(iam_error("BXNIM0103E", "Unsupported grant type.")),
        );
    }
    if field("apikey") != Some(API_KEY) {
        return (
            400,
            Some(iam_error(
                "BXNIM0415E",
                "Provided API key could not be found.",
            )),
        );
    }
    state.issued += 1;
    let token = token_text(state.issued);
    let lifetime = state.token_lifetime;
    state
        .tokens
        .insert(token.clone(), Instant::now() + lifetime);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    (
        200,
        Some(json!({
            "access_token": token, "refresh_token": "not_supported", "ims_user_id": 1234567,
            "token_type": "Bearer", "expires_in": lifetime.as_secs(),
            "expiration": now + lifetime.as_secs(), "scope": "ibm openid",
        })),
    )
}

fn check_auth(
    state: &FakeState,
    headers: &HashMap<String, String>,
) -> Result<(), (u16, Option<Value>)> {
    let token = headers
        .get("authorization")
        .and_then(|h| h.strip_prefix("Bearer "));
    let valid = token
        .and_then(|t| state.tokens.get(t))
        .is_some_and(|expires| Instant::now() < *expires);
    if !valid {
        let body = ibm_error(401, "unauthorized", "Invalid or expired access token");
        return Err((401, Some(body)));
    }
    if headers.get("service-crn").map(String::as_str) != Some(SERVICE_CRN) {
        let body = ibm_error(
            403,
            "forbidden",
            "You are not authorized to use this instance",
        );
        return Err((403, Some(body)));
    }
    if headers.get("ibm-api-version").is_none_or(|v| v.is_empty()) {
        let body = ibm_error(
            400,
            "missing_api_version",
            "IBM-API-Version header is required",
        );
        return Err((400, Some(body)));
    }
    Ok(())
}

fn create_job(state: &mut FakeState, body: &str) -> (u16, Option<Value>) {
    let bad = |message: &str| (400, Some(ibm_error(400, "invalid_request", message)));
    let Ok(request) = serde_json::from_str::<Value>(body) else {
        return bad("The request body is not JSON");
    };
    if request["program_id"] != "sampler" {
        return bad("program_id must name a primitive such as sampler");
    }
    let backend = request["backend"].as_str().unwrap_or_default().to_owned();
    if state.configuration["backend_name"] != backend.as_str() {
        let message = format!("Backend {backend} not found");
        return (404, Some(ibm_error(404, "backend_not_found", &message)));
    }
    let params = &request["params"];
    let Some([program, _values, rest @ ..]) = params["pubs"]
        .as_array()
        .filter(|p| p.len() == 1)
        .and_then(|p| p[0].as_array())
        .map(Vec::as_slice)
    else {
        return bad("params.pubs must hold one pub [circuit, parameter values, shots]");
    };
    let Some(program) = program.as_str().filter(|p| p.starts_with("OPENQASM 3")) else {
        return bad("the pub's circuit is not an OpenQASM 3 program");
    };
    let shots = rest.first().and_then(Value::as_u64).unwrap_or(4096);
    if shots == 0 || shots > state.configuration["max_shots"].as_u64().unwrap_or(0) {
        return bad("shots is out of range for this backend");
    }
    let registers = program
        .lines()
        .filter_map(|l| {
            let (size, name) = l.strip_prefix("bit[")?.split_once("] ")?;
            Some((name.strip_suffix(';')?.to_owned(), size.parse().ok()?))
        })
        .collect();
    state.next_job += 1;
    let id = format!("d{:019x}", 0x5eed_0000_u64 + state.next_job);
    let script = std::mem::take(&mut state.next_script);
    state.jobs.insert(
        id.clone(),
        Job {
            backend: backend.clone(),
            shots,
            registers,
            created: Instant::now(),
            created_text: rfc3339_now(),
            script,
            cancelled: false,
        },
    );
    (200, Some(json!({"id": id, "backend": backend})))
}

/// The job's `state` now; a read moves a scripted job on.
fn current_state(job: &mut Job, timing: (Duration, Duration), advance: bool) -> Value {
    if job.cancelled {
        return json!({"status": "Cancelled", "reason": "Cancelled by the user"});
    }
    if !job.script.is_empty() {
        if advance && job.script.len() > 1 {
            return job.script.pop_front().unwrap();
        }
        return job.script[0].clone();
    }
    let elapsed = job.created.elapsed();
    let status = if elapsed < timing.0 {
        "Queued"
    } else if elapsed < timing.0 + timing.1 {
        "Running"
    } else {
        "Completed"
    };
    json!({ "status": status })
}

fn unknown_job(id: &str) -> (u16, Option<Value>) {
    let message = format!("Job {id} not found");
    (404, Some(ibm_error(404, "job_not_found", &message)))
}

fn job_info(state: &mut FakeState, id: &str) -> (u16, Option<Value>) {
    let timing = (state.queued_for, state.running_for);
    let Some(job) = state.jobs.get_mut(id) else {
        return unknown_job(id);
    };
    let current = current_state(job, timing, true);
    (
        200,
        Some(json!({
            "id": id, "backend": job.backend, "state": current,
            "status": current["status"], "program": {"id": "sampler"},
            "created": job.created_text, "runtime": "", "tags": [], "private": false,
            "session_id": null,
        })),
    )
}

fn job_results(state: &mut FakeState, id: &str) -> (u16, Option<Value>) {
    let timing = (state.queued_for, state.running_for);
    let Some(job) = state.jobs.get_mut(id) else {
        return unknown_job(id);
    };
    if current_state(job, timing, false)["status"] != "Completed" {
        let message = format!("Job {id} has no results yet");
        return (404, Some(ibm_error(404, "results_not_found", &message)));
    }
    if let Some(body) = &state.results {
        return (200, Some(body.clone()));
    }
    let mut data = serde_json::Map::new();
    for (name, size) in &job.registers {
        let value = state.outcome.get(name).map_or("0x0", String::as_str);
        let samples = vec![value; job.shots as usize];
        data.insert(name.clone(), json!({"samples": samples, "num_bits": size}));
    }
    (
        200,
        Some(json!({
            "results": [{"data": data, "metadata": {"circuit_metadata": {}}}],
            "metadata": {"version": 2},
        })),
    )
}

fn cancel_job(state: &mut FakeState, id: &str) -> (u16, Option<Value>) {
    let timing = (state.queued_for, state.running_for);
    let Some(job) = state.jobs.get_mut(id) else {
        return unknown_job(id);
    };
    let status = current_state(job, timing, false)["status"].clone();
    if status == "Queued" || status == "Running" {
        job.cancelled = true;
        return (204, None);
    }
    let message = format!("Job {id} is in a final state and cannot be cancelled");
    (409, Some(ibm_error(409, "job_in_final_state", &message)))
}

/// `application/x-www-form-urlencoded` pairs, decoded.
fn parse_form(body: &str) -> Vec<(String, String)> {
    let decode = |text: &str| {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                    out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                    i += 2;
                }
                other => out.push(other),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Now as `2026-12-06T19:48:06Z`.
fn rfc3339_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}
