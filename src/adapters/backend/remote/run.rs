//! One job on a QPU: transpile it for the device, submit it (or reattach to
//! the vendor job an earlier run recorded), follow its status with backoff,
//! and read its counts. Transient failures to reach the vendor never fail a
//! job that the vendor holds: polling goes on until the job timeout.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::backend::{Inner, cancel_vendor_job};
use super::breaker::is_outage;
use super::vendor::VendorStatus;
use crate::domain::circuit::{Circuit, Counts};
use crate::domain::transpile::{Target, TranspileOptions, Transpiled, transpile};
use crate::domain::{Error, ErrorKind, JobId, JobResult, Result};
use crate::ports::RunRequest;

/// The runs of this backend, by job, so that a cancel finds its vendor job.
#[derive(Default)]
pub struct Runs(Mutex<HashMap<JobId, Arc<RunControl>>>);

impl Runs {
    pub fn get(&self, job: JobId) -> Option<Arc<RunControl>> {
        self.lock().get(&job).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<JobId, Arc<RunControl>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What a run and a cancel of it share.
pub struct RunControl {
    vendor_job: Mutex<Option<String>>,
    cancel: watch::Sender<bool>,
    cancel_sent: std::sync::atomic::AtomicBool,
}

impl RunControl {
    fn new() -> Self {
        Self {
            vendor_job: Mutex::new(None),
            cancel: watch::Sender::new(false),
            cancel_sent: false.into(),
        }
    }

    pub fn vendor_job(&self) -> Option<String> {
        self.vendor_job
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_vendor_job(&self, id: &str) {
        *self.vendor_job.lock().unwrap_or_else(|e| e.into_inner()) = Some(id.to_owned());
    }

    pub fn request_cancel(&self) {
        self.cancel.send_replace(true);
    }

    fn cancel_requested(&self) -> bool {
        *self.cancel.borrow()
    }

    pub fn cancel_sent(&self) {
        self.cancel_sent
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    fn was_cancel_sent(&self) -> bool {
        self.cancel_sent.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Resolves once a cancel was asked for.
    async fn cancelled(&self) {
        let mut seen = self.cancel.subscribe();
        let _ = seen.wait_for(|asked| *asked).await;
    }
}

/// Registers a run; forgets it when the run ends, but not when the run is
/// dropped halfway (a job timeout), so the cancel that follows still finds
/// the vendor job.
struct Registered<'a> {
    runs: &'a Runs,
    job: JobId,
    control: Arc<RunControl>,
    ended: bool,
}

impl<'a> Registered<'a> {
    fn new(runs: &'a Runs, job: JobId) -> Self {
        let control = Arc::new(RunControl::new());
        runs.lock().insert(job, control.clone());
        Self {
            runs,
            job,
            control,
            ended: false,
        }
    }
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        if self.ended {
            let mut runs = self.runs.lock();
            if runs
                .get(&self.job)
                .is_some_and(|c| Arc::ptr_eq(c, &self.control))
            {
                runs.remove(&self.job);
            }
        }
    }
}

pub(super) async fn run(inner: &Arc<Inner>, request: RunRequest) -> Result<JobResult> {
    let vendor = inner.api.vendor();
    let described = inner.described().ok_or_else(|| {
        Error::unavailable(format!(
            "backend '{}': {vendor} has not described the device yet",
            inner.id
        ))
    })?;
    if inner.breaker.is_open() {
        return Err(Error::unavailable(format!(
            "backend '{}': {vendor} cannot be reached",
            inner.id
        )));
    }
    // The device may have changed since the job was accepted.
    described
        .capabilities
        .check_fits(&request.circuit, request.shots)?;
    let mut registered = Registered::new(&inner.runs, request.job_id);
    let control = registered.control.clone();
    let outcome = run_registered(inner, &request, &described.target, &control).await;
    registered.ended = true;
    outcome
}

async fn run_registered(
    inner: &Inner,
    request: &RunRequest,
    target: &Target,
    control: &RunControl,
) -> Result<JobResult> {
    let started = Instant::now();
    let circuit = request.circuit.clone();
    let options = TranspileOptions {
        seed: inner.settings.transpile_seed,
        ..TranspileOptions::default()
    };
    let target_owned = target.clone();
    let transpiled =
        tokio::task::spawn_blocking(move || transpile(&circuit, &target_owned, &options))
            .await
            .map_err(|e| Error::internal(format!("transpiling stopped: {e}")))??;
    let transpile_ms = started.elapsed().as_millis();
    let vendor_job = match &request.backend_job_id {
        Some(id) => {
            tracing::info!(job_id = %request.job_id, vendor_job = %id, "reattaching to the vendor job");
            id.clone()
        }
        None => {
            let id = submit(inner, &transpiled.circuit, request.shots.get(), control).await?;
            if let Some(report) = &request.on_submitted {
                report.submitted(id.clone());
            }
            id
        }
    };
    control.set_vendor_job(&vendor_job);
    if control.cancel_requested() && !control.was_cancel_sent() {
        let _ = cancel_vendor_job(inner, control, &vendor_job).await;
    }
    let submitted_at = Instant::now();
    let outcome = follow(inner, control, &vendor_job).await;
    inner.forget_position(&vendor_job);
    let vendor = inner.api.vendor();
    match outcome? {
        VendorStatus::Completed => {
            let counts = read_counts(inner, &vendor_job, &transpiled.circuit).await?;
            Ok(JobResult {
                shots: request.shots.get(),
                counts,
                execution_time_ms: u64::try_from(submitted_at.elapsed().as_millis())
                    .unwrap_or(u64::MAX),
                metadata_json: metadata(vendor, &vendor_job, &transpiled, transpile_ms),
            })
        }
        VendorStatus::Failed { reason } => Err(Error::failed_precondition(format!(
            "{vendor} job {vendor_job} failed: {reason}"
        ))),
        _ if control.cancel_requested() => Err(canceled()),
        _ => Err(Error::failed_precondition(format!(
            "{vendor} cancelled job {vendor_job}"
        ))),
    }
}

fn canceled() -> Error {
    Error::canceled("canceled by client")
}

/// Submits, waiting out 429s; an outage comes back as Unavailable so that
/// the job waits in our queue.
async fn submit(
    inner: &Inner,
    circuit: &Circuit,
    shots: u32,
    control: &RunControl,
) -> Result<String> {
    loop {
        let sent = tokio::select! {
            () = control.cancelled() => return Err(canceled()),
            sent = inner.api.submit(circuit, shots) => sent,
        };
        inner.breaker.record(&sent);
        match sent {
            Ok(id) => return Ok(id),
            Err(e) if e.kind() == ErrorKind::ResourceExhausted => {
                let pause = e.retry_after().unwrap_or(inner.settings.poll_first());
                tokio::select! {
                    () = control.cancelled() => return Err(canceled()),
                    () = tokio::time::sleep(pause) => {}
                }
            }
            Err(e) if is_outage(e.kind()) => {
                return Err(Error::unavailable(format!(
                    "backend '{}': submitting failed: {}",
                    inner.id,
                    e.message()
                )));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Polls until the vendor job ends (or a cancel of ours was sent), with a
/// pause that grows while nothing changes and is reset by a change.
async fn follow(inner: &Inner, control: &RunControl, vendor_job: &str) -> Result<VendorStatus> {
    let (first, max) = (inner.settings.poll_first(), inner.settings.poll_max());
    let mut pause = first;
    let mut last: Option<VendorStatus> = None;
    loop {
        tokio::select! {
            () = control.cancelled(), if !control.was_cancel_sent() => {
                return Err(canceled());
            }
            () = tokio::time::sleep(pause) => {}
        }
        let polled = inner.api.status(vendor_job).await;
        inner.breaker.record(&polled);
        match polled {
            Ok(status) if status.is_final() => return Ok(status),
            Ok(status) => {
                if let VendorStatus::Waiting { queue_position } = &status {
                    inner.saw_position(vendor_job, *queue_position);
                }
                pause = if last.as_ref() == Some(&status) {
                    grow(pause, max)
                } else {
                    first
                };
                last = Some(status);
            }
            Err(e) if e.kind() == ErrorKind::ResourceExhausted => {
                pause = e.retry_after().unwrap_or(pause).max(pause);
            }
            Err(e) if is_outage(e.kind()) => {
                tracing::warn!(vendor_job, error = %e, "could not poll the vendor job; trying again");
                pause = grow(pause, max);
            }
            Err(e) => {
                return Err(Error::failed_precondition(format!(
                    "lost track of {} job {vendor_job}: {}",
                    inner.api.vendor(),
                    e.message()
                )));
            }
        }
    }
}

fn grow(pause: Duration, max: Duration) -> Duration {
    (pause + pause / 2).min(max)
}

/// Reads the counts of a completed job, waiting out outages and 429s.
async fn read_counts(inner: &Inner, vendor_job: &str, circuit: &Circuit) -> Result<Counts> {
    let mut pause = inner.settings.poll_first();
    loop {
        let read = inner.api.counts(vendor_job, circuit).await;
        inner.breaker.record(&read);
        match read {
            Ok(counts) => return Ok(counts),
            Err(e) if e.kind() == ErrorKind::ResourceExhausted || is_outage(e.kind()) => {
                pause = e
                    .retry_after()
                    .unwrap_or(grow(pause, inner.settings.poll_max()));
                tokio::time::sleep(pause).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// What the result records of where and how the job ran.
fn metadata(vendor: &str, vendor_job: &str, transpiled: &Transpiled, transpile_ms: u128) -> String {
    let two_qubit_gates = transpiled
        .circuit
        .instructions()
        .iter()
        .filter(|i| {
            matches!(&i.operation, crate::domain::circuit::Operation::Gate { qubits, .. } if qubits.len() == 2)
        })
        .count();
    serde_json::json!({
        "vendor": vendor,
        "backend_job_id": vendor_job,
        "transpile": {
            "initial_layout": transpiled.initial_layout,
            "final_layout": transpiled.final_layout,
            "swaps_inserted": transpiled.swaps_inserted,
            "two_qubit_gates": two_qubit_gates,
            "milliseconds": transpile_ms,
        },
    })
    .to_string()
}
