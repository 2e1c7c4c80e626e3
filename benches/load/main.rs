//! Load generator: drives a running server through the real gRPC API and
//! prints one JSON line per run (requests per second and latency
//! percentiles, from an HDR histogram).
//!
//! ```sh
//! cargo bench --bench load -- --addr 127.0.0.1:50051 --rpc submit \
//!     --concurrency 64 --duration 10 --warmup 2 --label sqlite
//! ```
//!
//! Callers send their next call when the last is answered (a closed loop),
//! or with `--rate R` on a fixed schedule of R calls per second in all (an
//! open loop, `pace.rs`), a late call timed from when it was due.
//!
//! `end-to-end` submits `--jobs` Bell jobs as fast as it can, then waits
//! until every one has ended (one WatchJob stream per job, or with
//! `--wait poll` GetJobStatus rounds); its rate is completed jobs per second
//! and its latencies run from submission to the moment the job was seen ended.
//! `bench/matrix.sh` runs it against each storage.
//!
//! ListBackends, SubmitJob and GetJobStatus go through a lean HTTP/2 caller
//! (`lean.rs`) unless `--client tonic` asks for tonic's client, which TLS
//! runs use by default and end-to-end runs always.
//!
//! With `--tls-ca PATH` it speaks TLS (rustls, as the server does), trusting
//! that CA; `--tls-cert`/`--tls-key` add a client certificate for mTLS.
//! `bench/tls-throughput.sh` compares TLS with plaintext.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use arvak_grpc::proto::{self, JobState, arvak_service_client::ArvakServiceClient};
use clap::{Parser, ValueEnum};
use futures::StreamExt;
use hdrhistogram::Histogram;
use tonic::transport::{Channel, Endpoint};

mod lean;
mod pace;
// The TLS client the tests use, shared rather than copied.
#[path = "../../tests/tls/client.rs"]
mod tls_client;

use lean::LeanConnection;
use pace::{Pace, latency_origin};

const BELL: &str = "OPENQASM 3.0; qubit[2] q; h q[0]; cx q[0], q[1];";
/// Callers sharing one HTTP/2 connection.
const CALLERS_PER_CONNECTION: usize = 16;
/// Jobs submitted before a `status` run, then queried round-robin.
const STATUS_JOBS: usize = 300;
/// Pause between two polling rounds of `end-to-end`.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Rpc {
    ListBackends,
    Submit,
    Status,
    EndToEnd,
}

impl Rpc {
    /// The service method a throughput run calls.
    fn method(self) -> &'static str {
        match self {
            Rpc::ListBackends => "ListBackends",
            Rpc::Submit | Rpc::EndToEnd => "SubmitJob",
            Rpc::Status => "GetJobStatus",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Rpc::ListBackends => "list-backends",
            Rpc::Submit => "submit",
            Rpc::Status => "status",
            Rpc::EndToEnd => "end-to-end",
        }
    }
}

/// What makes the unary calls of a throughput run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Client {
    /// HTTP/2 from the h2 crate, the request framed once (`lean.rs`).
    Lean,
    /// tonic's generated client over a `Channel`.
    Tonic,
}

impl Client {
    fn name(self) -> &'static str {
        match self {
            Client::Lean => "lean",
            Client::Tonic => "tonic",
        }
    }
}

/// How `end-to-end` learns that a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Wait {
    /// One WatchJob stream per job.
    Watch,
    /// GetJobStatus for every pending job, every 20 ms.
    Poll,
}

impl Wait {
    fn name(self) -> &'static str {
        match self {
            Wait::Watch => "watch",
            Wait::Poll => "poll",
        }
    }
}

#[derive(Debug, Parser)]
#[command(about = "Load generator for the Arvak gRPC service")]
struct Args {
    /// Server address (host:port), or several separated by commas (the
    /// nodes of a cluster): connections go to each in turn, the same
    /// number to every one.
    #[arg(long, default_value = "127.0.0.1:50051")]
    addr: String,
    #[arg(long, value_enum, default_value = "submit")]
    rpc: Rpc,
    /// The caller for ListBackends, SubmitJob and GetJobStatus runs:
    /// `lean` unless TLS is asked for; end-to-end runs always use tonic's.
    #[arg(long, value_enum)]
    client: Option<Client>,
    /// Concurrent callers, 16 to an HTTP/2 connection.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Measured seconds (not for end-to-end).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of load before measuring starts (not for end-to-end).
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Stop after this many measured calls instead of after `--duration`
    /// (a sustained run: `--rpc submit --requests 1000000`).
    #[arg(long)]
    requests: Option<u64>,
    /// Open loop: offer this many calls per second in all, on a fixed
    /// schedule, with at most `--concurrency` in flight; a call held up by
    /// the one before it is timed from when it was due (not for end-to-end).
    #[arg(long)]
    rate: Option<f64>,
    #[arg(long, default_value = "simulator")]
    backend: String,
    #[arg(long, default_value_t = 100)]
    shots: u32,
    /// End-to-end: jobs to submit and wait for.
    #[arg(long, default_value_t = 1000)]
    jobs: usize,
    /// End-to-end: how to learn that jobs ended.
    #[arg(long, value_enum, default_value = "watch")]
    wait: Wait,
    /// End-to-end: give up waiting after this many seconds.
    #[arg(long, default_value_t = 600.0)]
    timeout: f64,
    /// Speak TLS, trusting the CA certificates in this PEM file.
    #[arg(long)]
    tls_ca: Option<PathBuf>,
    /// Client certificate (PEM) for mTLS; needs --tls-key.
    #[arg(long, requires = "tls_key", requires = "tls_ca")]
    tls_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// The name the server certificate must carry (SNI); the host of
    /// --addr by default.
    #[arg(long, requires = "tls_ca")]
    tls_domain: Option<String>,
    /// Copied into the output line, to tell runs apart.
    #[arg(long, default_value = "")]
    label: String,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// What one caller saw in the measured window.
struct Tally {
    latencies_us: Histogram<u64>,
    requests: u64,
    errors: u64,
    first_error: Option<String>,
    /// When its last measured call ended.
    ended: Instant,
}

impl Tally {
    fn new() -> Self {
        Self {
            // 1 µs to 10 minutes, 3 significant digits.
            latencies_us: Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds"),
            requests: 0,
            errors: 0,
            first_error: None,
            ended: Instant::now(),
        }
    }

    fn record(&mut self, started: Instant, outcome: Result<(), String>) {
        let now = Instant::now();
        self.latencies_us
            .saturating_record(now.duration_since(started).as_micros() as u64);
        self.requests += 1;
        self.ended = now;
        if let Err(status) = outcome {
            self.errors += 1;
            self.first_error.get_or_insert(status);
        }
    }

    fn merge(&mut self, other: Tally) {
        self.latencies_us
            .add(&other.latencies_us)
            .expect("same bounds");
        self.requests += other.requests;
        self.errors += other.errors;
        self.ended = self.ended.max(other.ended);
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.concurrency == 0 {
        return Err("--concurrency must be at least 1".into());
    }
    if let Some(rate) = args.rate
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(
            format!("--rate must be a positive number of calls per second, not {rate}").into(),
        );
    }
    if args.rate.is_some() && args.rpc == Rpc::EndToEnd {
        return Err(
            "--rate paces ListBackends, SubmitJob and GetJobStatus runs, not end-to-end".into(),
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let line = runtime.block_on(run(&args))?;
    println!("{line}");
    Ok(())
}

impl Args {
    fn addrs(&self) -> Vec<&str> {
        self.addr.split(',').map(str::trim).collect()
    }
}

async fn run(args: &Args) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let addrs = args.addrs();
    // As many connections to every address.
    let connections = args
        .concurrency
        .div_ceil(CALLERS_PER_CONNECTION)
        .div_ceil(addrs.len())
        * addrs.len();
    let client = caller_kind(args)?;
    // tonic channels: for end-to-end and the tonic caller one per 16
    // callers, otherwise one (a status run's prefill).
    let tonic_connections = match (args.rpc, client) {
        (Rpc::EndToEnd, _) | (_, Client::Tonic) => connections,
        _ => 1,
    };
    let tls = tls_client(args)?;
    let mut channels = Vec::with_capacity(tonic_connections);
    for i in 0..tonic_connections {
        let addr = addrs[i % addrs.len()];
        let channel = match &tls {
            Some(tls) => tls.channel(addr).await?,
            None => {
                Endpoint::from_shared(format!("http://{addr}"))?
                    .connect()
                    .await?
            }
        };
        channels.push(ArvakServiceClient::new(channel));
    }
    if args.rpc == Rpc::EndToEnd {
        let clients = (0..args.concurrency)
            .map(|i| channels[i % connections].clone())
            .collect();
        return end_to_end(args, clients).await;
    }

    let ids = if args.rpc == Rpc::Status {
        Arc::new(prefill(args, &channels[0]).await?)
    } else {
        Arc::new(Vec::new())
    };
    let callers: Vec<Caller> = match client {
        Client::Tonic => (0..args.concurrency)
            .map(|i| Caller::Tonic(channels[i % connections].clone()))
            .collect(),
        Client::Lean => {
            let mut lean = Vec::with_capacity(connections);
            for i in 0..connections {
                lean.push(LeanConnection::connect(addrs[i % addrs.len()]).await?);
            }
            let uri = lean[0].method_uri(args.rpc.method())?;
            (0..args.concurrency)
                .map(|i| Caller::Lean(lean[i % connections].clone(), uri.clone()))
                .collect()
        }
    };
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(args.warmup);
    let until = match args.requests {
        // Long enough for any count; the budget ends the run.
        Some(_) => measure_from + Duration::from_secs(365 * 24 * 3600),
        None => measure_from + Duration::from_secs_f64(args.duration),
    };
    let budget = Arc::new(AtomicU64::new(args.requests.unwrap_or(u64::MAX)));
    let request = Arc::new(Request::new(args));
    let callers: Vec<_> = callers
        .into_iter()
        .enumerate()
        .map(|(n, mut caller)| {
            let (ids, budget, request) = (ids.clone(), budget.clone(), request.clone());
            let (rpc, callers) = (args.rpc, args.concurrency);
            let mut pace = args.rate.map(|rate| Pace::new(start, rate, n, callers));
            tokio::spawn(async move {
                let mut tally = Tally::new();
                let mut next = n;
                let mut free_at = Instant::now();
                while Instant::now() < until {
                    let started = match pace.as_mut().map(Pace::next_due) {
                        Some(due) if due >= until => break,
                        Some(due) => {
                            tokio::time::sleep_until(due.into()).await;
                            latency_origin(due, free_at, Instant::now())
                        }
                        None => Instant::now(),
                    };
                    let measured = started >= measure_from;
                    if measured && take_one(&budget).is_none() {
                        break;
                    }
                    let job_id = match rpc {
                        Rpc::Status => ids[next % ids.len()].as_str(),
                        _ => "",
                    };
                    next += callers;
                    let outcome = caller.call(rpc, &request, job_id).await;
                    free_at = Instant::now();
                    if measured {
                        tally.record(started, outcome);
                    }
                }
                tally
            })
        })
        .collect();
    let mut total = Tally::new();
    total.ended = measure_from;
    for caller in callers {
        total.merge(caller.await?);
    }
    if let Some(error) = &total.first_error {
        eprintln!("{} errors; the first: {error}", total.errors);
    }
    let seconds = total
        .ended
        .saturating_duration_since(measure_from)
        .as_secs_f64();
    let mut line = summary(args, seconds, &total);
    line["client"] = client.name().into();
    Ok(line)
}

/// The caller a run uses: `--client`, or by default the lean one in
/// plaintext and tonic's over TLS (the lean one speaks plaintext only).
/// End to end always uses tonic's.
fn caller_kind(args: &Args) -> Result<Client, Box<dyn std::error::Error>> {
    let tls = args.tls_ca.is_some();
    match (args.client, args.rpc) {
        (_, Rpc::EndToEnd) | (Some(Client::Tonic), _) => Ok(Client::Tonic),
        (None, _) if tls => Ok(Client::Tonic),
        (None | Some(Client::Lean), _) if !tls => Ok(Client::Lean),
        _ => Err(
            "the lean client speaks plaintext only: with --tls-ca, leave out --client lean".into(),
        ),
    }
}

/// What a run sends, built once: the SubmitJob request (and its gRPC
/// frame, for the lean caller).
struct Request {
    submit: proto::SubmitJobRequest,
    submit_frame: bytes::Bytes,
    empty_frame: bytes::Bytes,
}

impl Request {
    fn new(args: &Args) -> Self {
        let submit = submit_request(args);
        Self {
            submit_frame: lean::frame(&submit),
            submit,
            empty_frame: lean::frame(&proto::ListBackendsRequest {}),
        }
    }
}

/// One caller's connection: tonic's client, or the lean one with the URI of
/// the run's method.
enum Caller {
    Tonic(ArvakServiceClient<Channel>),
    Lean(LeanConnection, http::Uri),
}

impl Caller {
    /// One call of `rpc` (`job_id` for status); the answer is decoded and
    /// dropped.
    async fn call(&mut self, rpc: Rpc, request: &Request, job_id: &str) -> Result<(), String> {
        let status = || proto::GetJobStatusRequest {
            job_id: job_id.to_owned(),
        };
        match self {
            Caller::Tonic(client) => {
                let answer = match rpc {
                    Rpc::ListBackends => client
                        .list_backends(proto::ListBackendsRequest {})
                        .await
                        .map(drop),
                    Rpc::Submit => client.submit_job(request.submit.clone()).await.map(drop),
                    Rpc::Status => client.get_job_status(status()).await.map(drop),
                    Rpc::EndToEnd => unreachable!("end to end has its own loop"),
                };
                answer.map_err(|status| status.to_string())
            }
            Caller::Lean(connection, uri) => match rpc {
                Rpc::ListBackends => connection
                    .unary::<proto::ListBackendsResponse>(uri, request.empty_frame.clone())
                    .await
                    .map(drop),
                Rpc::Submit => connection
                    .unary::<proto::SubmitJobResponse>(uri, request.submit_frame.clone())
                    .await
                    .map(drop),
                Rpc::Status => connection
                    .unary::<proto::GetJobStatusResponse>(uri, lean::frame(&status()))
                    .await
                    .map(drop),
                Rpc::EndToEnd => unreachable!("end to end has its own loop"),
            },
        }
    }
}

/// Takes one call from the shared budget; `None` when it is spent.
fn take_one(budget: &AtomicU64) -> Option<u64> {
    budget
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
            left.checked_sub(1)
        })
        .ok()
}

/// The TLS client `--tls-ca` asks for, if any.
fn tls_client(args: &Args) -> Result<Option<tls_client::TlsClient>, Box<dyn std::error::Error>> {
    let Some(ca) = &args.tls_ca else {
        return Ok(None);
    };
    let read = |path: &PathBuf| {
        std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let ca = read(ca)?;
    let identity = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some((read(cert)?, read(key)?)),
        _ => None,
    };
    let first = args.addrs()[0];
    let host = first.rsplit_once(':').map_or(first, |(host, _)| host);
    let domain = match &args.tls_domain {
        Some(domain) => domain.as_str(),
        None => host.trim_start_matches('[').trim_end_matches(']'),
    };
    let identity = identity.as_ref().map(|(cert, key)| tls_client::Identity {
        cert_pem: cert,
        key_pem: key,
    });
    Ok(Some(tls_client::TlsClient::new(&ca, identity, domain)?))
}

fn submit_request(args: &Args) -> proto::SubmitJobRequest {
    proto::SubmitJobRequest {
        circuit: Some(proto::CircuitPayload {
            format: Some(proto::circuit_payload::Format::Qasm3(BELL.into())),
        }),
        backend_id: args.backend.clone(),
        shots: args.shots,
        ..Default::default()
    }
}

/// Submits the jobs a `status` run asks about.
async fn prefill(
    args: &Args,
    client: &ArvakServiceClient<Channel>,
) -> Result<Vec<String>, tonic::Status> {
    let mut ids = Vec::with_capacity(STATUS_JOBS);
    for _ in 0..STATUS_JOBS {
        let response = client.clone().submit_job(submit_request(args)).await?;
        ids.push(response.into_inner().job_id);
    }
    Ok(ids)
}

/// Submits `--jobs` jobs from all callers at once, then waits until each has
/// ended. Errors (refused submissions, failed jobs) are counted.
async fn end_to_end(
    args: &Args,
    clients: Vec<ArvakServiceClient<Channel>>,
) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let start = Instant::now();
    let taken = Arc::new(AtomicUsize::new(0));
    let submitters: Vec<_> = clients
        .iter()
        .cloned()
        .map(|mut client| {
            let (taken, jobs, request) = (taken.clone(), args.jobs, submit_request(args));
            tokio::spawn(async move {
                let mut submitted = Vec::new();
                let mut refused = Tally::new();
                while taken.fetch_add(1, Ordering::Relaxed) < jobs {
                    let started = Instant::now();
                    match client.submit_job(request.clone()).await {
                        Ok(response) => submitted.push((response.into_inner().job_id, started)),
                        Err(status) => refused.record(started, Err(status.to_string())),
                    }
                }
                (submitted, refused)
            })
        })
        .collect();
    let mut submitted = Vec::with_capacity(args.jobs);
    let mut total = Tally::new();
    total.ended = start;
    for submitter in submitters {
        let (jobs, refused) = submitter.await?;
        submitted.extend(jobs);
        total.errors += refused.errors;
        total.first_error = total.first_error.or(refused.first_error);
    }
    // Submission order is roughly the order in which jobs run.
    submitted.sort_by_key(|(_, at)| *at);
    let submit_seconds = start.elapsed().as_secs_f64();

    let deadline = start + Duration::from_secs_f64(args.timeout);
    let (ended, unfinished) = match args.wait {
        Wait::Watch => watch(submitted, &clients, deadline).await,
        Wait::Poll => poll(submitted, &clients, deadline).await,
    };
    let mut completed = 0u64;
    for (job_id, submitted, seen, state) in ended {
        total
            .latencies_us
            .saturating_record(seen.duration_since(submitted).as_micros() as u64);
        total.requests += 1;
        total.ended = total.ended.max(seen);
        if state == JobState::Completed {
            completed += 1;
        } else {
            total.errors += 1;
            total
                .first_error
                .get_or_insert_with(|| format!("job {job_id} ended {state:?}"));
        }
    }
    if unfinished > 0 {
        eprintln!("{unfinished} jobs had not ended after {}s", args.timeout);
        total.errors += unfinished as u64;
    }
    if let Some(error) = &total.first_error {
        eprintln!("{} errors; the first: {error}", total.errors);
    }
    let seconds = total.ended.saturating_duration_since(start).as_secs_f64();
    let mut line = summary(args, seconds, &total);
    // Only completed jobs count towards the rate.
    line["jobs"] = args.jobs.into();
    line["completed"] = completed.into();
    line["rps"] = rate(completed, seconds).into();
    line["submit_s"] = round3(submit_seconds).into();
    line["wait"] = args.wait.name().into();
    Ok(line)
}

/// A job that ended: its id, when it was submitted, when it was seen ended,
/// and how it ended.
type Ended = (String, Instant, Instant, JobState);

/// Waits with one WatchJob stream per job, a few times `--concurrency` open
/// at once, oldest jobs first. Returns the ended jobs and how many did not.
async fn watch(
    jobs: Vec<(String, Instant)>,
    clients: &[ArvakServiceClient<Channel>],
    deadline: Instant,
) -> (Vec<Ended>, usize) {
    let total = jobs.len();
    let open = clients.len() * 4;
    let ended: Vec<Ended> = futures::stream::iter(jobs.into_iter().enumerate())
        .map(|(i, (job_id, submitted))| {
            let mut client = clients[i % clients.len()].clone();
            async move {
                let request = proto::WatchJobRequest {
                    job_id: job_id.clone(),
                };
                let wait = async {
                    let mut updates = client.watch_job(request).await.ok()?.into_inner();
                    while let Ok(Some(update)) = updates.message().await {
                        let state = update.state();
                        if is_terminal(state) {
                            return Some((job_id, submitted, Instant::now(), state));
                        }
                    }
                    None
                };
                tokio::time::timeout_at(deadline.into(), wait)
                    .await
                    .ok()
                    .flatten()
            }
        })
        .buffer_unordered(open)
        .filter_map(|ended| async move { ended })
        .collect()
        .await;
    let unfinished = total - ended.len();
    (ended, unfinished)
}

/// Waits by polling GetJobStatus for every job not yet ended, round after
/// round. Heavier on the server than `watch`: it reads each pending job from
/// the store every round.
async fn poll(
    jobs: Vec<(String, Instant)>,
    clients: &[ArvakServiceClient<Channel>],
    deadline: Instant,
) -> (Vec<Ended>, usize) {
    let mut pending = jobs;
    let mut ended = Vec::with_capacity(pending.len());
    let mut round = 0;
    while !pending.is_empty() && Instant::now() < deadline {
        let polls: Vec<_> = futures::stream::iter(pending.into_iter().enumerate())
            .map(|(i, (job_id, submitted))| {
                let mut client = clients[(i + round) % clients.len()].clone();
                async move {
                    let request = proto::GetJobStatusRequest {
                        job_id: job_id.clone(),
                    };
                    let state = match client.get_job_status(request).await {
                        Ok(response) => response.into_inner().job.map(|job| job.state()),
                        Err(_) => None,
                    };
                    (job_id, submitted, state)
                }
            })
            .buffer_unordered(clients.len())
            .collect()
            .await;
        pending = Vec::new();
        for (job_id, submitted, state) in polls {
            match state {
                Some(state) if is_terminal(state) => {
                    ended.push((job_id, submitted, Instant::now(), state));
                }
                _ => pending.push((job_id, submitted)),
            }
        }
        round += 1;
        if !pending.is_empty() {
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }
    let unfinished = pending.len();
    (ended, unfinished)
}

fn is_terminal(state: JobState) -> bool {
    matches!(
        state,
        JobState::Completed | JobState::Failed | JobState::Canceled | JobState::ResultExpired
    )
}

fn summary(args: &Args, seconds: f64, total: &Tally) -> serde_json::Value {
    let ms = |q: f64| round3(total.latencies_us.value_at_quantile(q) as f64 / 1000.0);
    serde_json::json!({
        "label": args.label,
        "rpc": args.rpc.name(),
        "tls": args.tls_ca.is_some(),
        "concurrency": args.concurrency,
        // Calls per second offered (`--rate`); null for a closed loop.
        "offered_rps": args.rate,
        "duration_s": round3(seconds),
        "requests": total.requests,
        "errors": total.errors,
        // Answered without error, per second.
        "rps": rate(total.requests - total.errors, seconds),
        "p50_ms": ms(0.50),
        "p90_ms": ms(0.90),
        "p99_ms": ms(0.99),
        "max_ms": round3(total.latencies_us.max() as f64 / 1000.0),
    })
}

fn rate(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        (count as f64 / seconds * 10.0).round() / 10.0
    } else {
        0.0
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
