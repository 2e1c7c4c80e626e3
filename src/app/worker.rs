//! The worker pool: claims jobs with a lease, runs them on their backend,
//! records the outcome under the claim's fencing token, and publishes every
//! state change.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;

use super::backends::BackendRegistry;
use super::handoff::{LocalHandoff, Submitted, Work};
use crate::domain::circuit::Circuit;
use futures::StreamExt;

use crate::domain::{
    BackendId, Error, ErrorKind, Job, JobId, JobResult, JobState, Result, Transition,
};
use crate::ports::{
    CircuitFrontend, Claim, Clock, FailureReason, JobEvents, JobQueue, JobStore, QuantumBackend,
    RunRequest, SubmissionReport, Telemetry, Traces, WatchItem,
};

/// What the worker pool works through.
#[derive(Clone)]
pub struct WorkerPorts {
    pub store: Arc<dyn JobStore>,
    /// For a claim's lease (extend, ack, release).
    pub queue: Arc<dyn JobQueue>,
    /// Where claims come from: jobs handed over here, else the queue.
    pub handoff: Arc<LocalHandoff>,
    pub events: Arc<dyn JobEvents>,
    pub clock: Arc<dyn Clock>,
    /// Parses the stored text of a job not handed over with its circuit.
    pub frontend: Arc<dyn CircuitFrontend>,
    pub backends: Arc<BackendRegistry>,
    pub telemetry: Arc<dyn Telemetry>,
    pub traces: Arc<dyn Traces>,
}

impl WorkerPorts {
    async fn publish(&self, job: &Job) {
        super::jobs::publish(&*self.events, &*self.clock, job).await;
    }
}

/// How the pool works.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Jobs run at once on this node.
    pub count: usize,
    pub lease: Duration,
    pub max_attempts: u32,
    /// How long one claim call waits for work before looking again.
    pub claim_wait: Duration,
    /// Longest run per backend; a backend not named here uses `job_timeout`.
    pub job_timeouts: HashMap<BackendId, Duration>,
    /// `None` never times out.
    pub job_timeout: Option<Duration>,
    /// Stop a run when its job is canceled through another node (the
    /// queue is shared); on a node alone the cancel stops it directly.
    pub follow_cancels: bool,
}

/// Pause before giving a job back after the store failed.
const STORE_RETRY_PAUSE: Duration = Duration::from_millis(500);

/// How often a worker with no available backend looks again.
const UNAVAILABLE_RECHECK: Duration = Duration::from_secs(1);

pub struct WorkerPool {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl WorkerPool {
    pub fn start(ports: WorkerPorts, settings: WorkerSettings) -> Self {
        let (stop, _) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let worker = Arc::new(Worker { ports, settings });
        for _ in 0..worker.settings.count.max(1) {
            let worker = worker.clone();
            let stop = stop.subscribe();
            tasks.spawn(async move { worker.run(stop).await });
        }
        Self { stop, tasks }
    }

    /// Stops claiming and waits up to `timeout` for running jobs to finish.
    /// Returns how many workers were still busy when time ran out; their jobs
    /// stay RUNNING in the store and go back to the queue when their lease ends.
    pub async fn drain(mut self, timeout: Duration) -> usize {
        let _ = self.stop.send(true);
        let all_done = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(timeout, all_done).await.is_ok() {
            return 0;
        }
        let busy = self.tasks.len();
        self.tasks.abort_all();
        busy
    }
}

/// How long a run of a job that other nodes may cancel goes before the
/// store is asked whether it was canceled before its events were followed.
const STORE_CANCEL_CHECK: Duration = Duration::from_millis(200);

struct Worker {
    ports: WorkerPorts,
    settings: WorkerSettings,
}

impl Worker {
    async fn run(&self, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            // A backend that cannot take work now (a QPU whose breaker is
            // open) keeps its jobs QUEUED rather than failing them.
            let backends = self.available_backends().await;
            if backends.is_empty() {
                tokio::select! {
                    biased;
                    _ = stop.changed() => break,
                    () = tokio::time::sleep(self.settings.claim_wait.min(UNAVAILABLE_RECHECK)) => continue,
                }
            }
            let claimed = tokio::select! {
                biased;
                _ = stop.changed() => break,
                claimed = self.ports.handoff.claim(&backends, self.settings.lease, self.settings.claim_wait) => claimed,
            };
            match claimed {
                Ok(Some(work)) => self.process(work).await,
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "could not claim work; retrying shortly");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    }

    /// The backends that accept work now.
    async fn available_backends(&self) -> Vec<BackendId> {
        let mut available = Vec::new();
        for backend in self.ports.backends.all() {
            if backend.is_available().await {
                available.push(backend.capabilities().id.clone());
            }
        }
        available
    }

    async fn process(&self, Work { claim, submitted }: Work) {
        let span = crate::context_span!(
            self.ports.traces,
            "job",
            job_id = %claim.job_id,
            backend = %claim.backend_id
        );
        let (stored, circuit) = match submitted {
            Some(Submitted { job, circuit }) => (Ok(Some(job)), Some(circuit)),
            None => (self.ports.store.get(claim.job_id).await, None),
        };
        let job = match stored {
            Ok(Some(job)) => job,
            Ok(None) => {
                tracing::warn!(parent: &span, job_id = %claim.job_id, "claimed job is not in the store; dropping the claim");
                return self.finish_claim(&claim).await;
            }
            Err(e) => {
                tracing::warn!(parent: &span, job_id = %claim.job_id, error = %e, "could not read the claimed job; it goes back to the queue");
                return self.give_back(&claim).await;
            }
        };
        // The run joins the trace of the call that submitted the job.
        if let Some(traceparent) = &job.traceparent {
            self.ports.traces.adopt(&span, traceparent);
        }
        self.process_job(job, claim, circuit).instrument(span).await
    }

    /// `parsed` is the job's circuit as its submission parsed it, when the
    /// job was handed over here.
    async fn process_job(&self, job: Job, claim: Claim, parsed: Option<Arc<Circuit>>) {
        match self.start(job, &claim).await {
            Ok(Some(job)) => {
                tracing::debug!(job_id = %job.id, attempt = job.attempts, "run started");
                let outcome = self
                    .execute(&job, &claim, parsed)
                    .instrument(crate::phase_span!(self.ports.traces, "run"))
                    .await;
                if let Err(e) = &outcome
                    && e.kind() == ErrorKind::Unavailable
                {
                    return self.wait_for_backend(job, &claim, e).await;
                }
                let reason = match &outcome {
                    Err(e) if e.kind() == ErrorKind::DeadlineExceeded => FailureReason::Timeout,
                    _ => FailureReason::Backend,
                };
                if self.record(job, &claim, outcome, reason).await {
                    self.finish_claim(&claim).await;
                } else {
                    self.give_back(&claim).await;
                }
            }
            Ok(None) => self.finish_claim(&claim).await,
            Err(e) => {
                tracing::warn!(job_id = %claim.job_id, error = %e, "could not start the job; it goes back to the queue");
                self.give_back(&claim).await;
            }
        }
    }

    /// The backend could not take the job (a QPU unreachable before it
    /// accepted the work): the job goes back to QUEUED under this claim,
    /// without the attempt counting, and waits there until the backend is
    /// available again.
    async fn wait_for_backend(&self, job: Job, claim: &Claim, why: &Error) {
        tracing::warn!(job_id = %job.id, error = %why, "backend unavailable; the job waits in the queue");
        let requeue = Transition::GiveBack { token: claim.token };
        match self.ports.store.apply_to(job, requeue).await {
            Ok(job) => self.publish(&job).await,
            Err(e) if is_lost_race(&e) => return self.finish_claim(claim).await,
            Err(e) => {
                tracing::warn!(job_id = %claim.job_id, error = %e, "could not requeue the job; its lease will end")
            }
        }
        self.give_back(claim).await;
    }

    /// Returns the job to the queue after a store failure, after a pause so
    /// that a store that is down is not asked again at once.
    async fn give_back(&self, claim: &Claim) {
        tokio::time::sleep(STORE_RETRY_PAUSE).await;
        if let Err(e) = self.ports.queue.release(claim).await {
            tracing::debug!(error = %e, "claim already gone when giving it back");
        }
    }

    /// Moves the claimed job to RUNNING under this claim's token. `None` when
    /// there is nothing to run (canceled, finished, or claimed again elsewhere).
    async fn start(&self, mut job: Job, claim: &Claim) -> Result<Option<Job>> {
        let store = &self.ports.store;
        if job.state == JobState::Running && job.claim_token == Some(claim.token) {
            // Stored RUNNING under this very claim at its submission.
            self.report_start(&job);
            return Ok(Some(job));
        }
        if job.state == JobState::Running {
            // An earlier claim's lease ended without an outcome.
            job = match store
                .apply(
                    job.id,
                    Transition::Requeue {
                        token: job.claim_token,
                    },
                )
                .await
            {
                Ok(job) => {
                    self.publish(&job).await;
                    job
                }
                Err(e) if is_lost_race(&e) => return Ok(None),
                Err(e) => return Err(e),
            };
        }
        if job.state != JobState::Queued {
            return Ok(None);
        }
        let start = Transition::Start {
            token: claim.token,
            at: self.ports.clock.now(),
        };
        let job = match store
            .apply(job.id, start)
            .instrument(crate::phase_span!(
                self.ports.traces,
                "store",
                transition = "start"
            ))
            .await
        {
            Ok(job) => job,
            Err(e) if is_lost_race(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        self.report_start(&job);
        self.publish(&job).await;
        if job.attempts > self.settings.max_attempts {
            let message = format!(
                "gave up after {} attempts: the workers running it stopped before finishing",
                self.settings.max_attempts
            );
            let gave_up = Err(Error::internal(message));
            if !self
                .record(job, claim, gave_up, FailureReason::MaxAttempts)
                .await
            {
                return Err(Error::unavailable("the job store did not take the failure"));
            }
            return Ok(None);
        }
        Ok(Some(job))
    }

    /// The queue wait of a job that started, as a span and a metric.
    fn report_start(&self, job: &Job) {
        if let Some(started_at) = job.started_at {
            let span = tracing::Span::current();
            let traces = &self.ports.traces;
            traces.record_past(&span, "queue_wait", job.submitted_at, started_at);
        }
        let waited = job
            .started_at
            .map_or(0, |start| start.0 - job.submitted_at.0);
        self.ports
            .telemetry
            .job_started(&job.backend_id, millis(waited));
    }

    /// Runs the job, renewing the lease while it runs. `parsed` is its
    /// circuit as the submission parsed it, when it was handed over here.
    async fn execute(
        &self,
        job: &Job,
        claim: &Claim,
        parsed: Option<Arc<Circuit>>,
    ) -> Result<JobResult> {
        let backend = self.ports.backends.get(job.backend_id.as_str())?.clone();
        let circuit = match parsed {
            Some(circuit) => circuit,
            None => Arc::new(
                self.ports
                    .frontend
                    .parse(&job.circuit)?
                    .with_implicit_measurement(),
            ),
        };
        let request = RunRequest {
            job_id: job.id,
            circuit,
            shots: job.shots,
            optimization_level: job.optimization_level,
            seed: job.seed,
            backend_job_id: job.backend_job_id.clone(),
            on_submitted: Some(self.record_submission(job, claim)),
        };
        let limit = self
            .settings
            .job_timeouts
            .get(&job.backend_id)
            .copied()
            .or(self.settings.job_timeout);
        let run = async {
            match limit {
                None => backend.run(request).await,
                Some(limit) => match tokio::time::timeout(limit, backend.run(request)).await {
                    Ok(outcome) => outcome,
                    Err(_) => {
                        // Stop the backend's work too, not only our waiting.
                        if let Err(e) = backend.cancel(job.id).await {
                            tracing::warn!(job_id = %job.id, error = %e, "could not stop a timed-out run");
                        }
                        Err(Error::new(
                            ErrorKind::DeadlineExceeded,
                            format!("timed out after {} s", limit.as_secs_f64()),
                        ))
                    }
                },
            }
        };
        tokio::select! {
            outcome = run => outcome,
            never = self.keep_lease(claim) => match never {},
            never = self.stop_when_canceled(job.id, &*backend) => match never {},
        }
    }

    /// Stops the backend's run of `job` once the job is CANCELED by a call
    /// to another node (told by its event, or seen in the store after
    /// events were lost); the run's outcome is then refused by the store.
    async fn stop_when_canceled(
        &self,
        job: JobId,
        backend: &dyn QuantumBackend,
    ) -> std::convert::Infallible {
        if self.settings.follow_cancels {
            let mut events = self.ports.events.subscribe_to(job);
            // A cancel before the subscription shows only in the store. It
            // is looked for once the run has lasted a moment: most
            // simulator runs are over by then and need no read.
            let mut canceled = tokio::select! {
                () = tokio::time::sleep(STORE_CANCEL_CHECK) => Some(self.is_canceled(job).await),
                item = events.next() => self.canceled_by(item, job).await,
            };
            while canceled == Some(false) {
                canceled = self.canceled_by(events.next().await, job).await;
            }
            if canceled == Some(true) {
                tracing::info!(job_id = %job, "canceled through another node; stopping the run");
                if let Err(e) = backend.cancel(job).await {
                    tracing::warn!(job_id = %job, error = %e, "could not stop a canceled run");
                }
            }
        }
        std::future::pending().await
    }

    /// Whether an event (or, after lost events, the store) says `job` was
    /// canceled; `None` once events end.
    async fn canceled_by(&self, item: Option<WatchItem>, job: JobId) -> Option<bool> {
        match item? {
            WatchItem::Event(event) => Some(event.state == JobState::Canceled),
            WatchItem::Lagged => Some(self.is_canceled(job).await),
        }
    }

    /// Reads the job in a task of its own: the run may end meanwhile, and a
    /// read abandoned halfway costs the store its connection.
    async fn is_canceled(&self, job: JobId) -> bool {
        let store = self.ports.store.clone();
        let read = tokio::spawn(async move { store.get(job).await });
        matches!(read.await, Ok(Ok(Some(stored))) if stored.state == JobState::Canceled)
    }

    /// Records the backend's own job id on the running job as soon as the
    /// backend reports it, under this claim's token.
    fn record_submission(&self, job: &Job, claim: &Claim) -> SubmissionReport {
        let ports = self.ports.clone();
        let (id, token) = (job.id, claim.token);
        SubmissionReport::new(move |backend_job_id| {
            let ports = ports.clone();
            tokio::spawn(async move {
                let transition = Transition::RecordBackendJob {
                    token,
                    backend_job_id,
                };
                match ports.store.apply(id, transition).await {
                    Ok(job) => {
                        tracing::debug!(job_id = %id, backend_job_id = ?job.backend_job_id, "backend job recorded")
                    }
                    Err(e) => {
                        tracing::warn!(job_id = %id, error = %e, "could not record the backend's job id")
                    }
                }
            });
        })
    }

    /// Extends the lease every third of its length; after losing it, waits
    /// forever (the run goes on, and fencing refuses its outcome).
    async fn keep_lease(&self, claim: &Claim) -> std::convert::Infallible {
        let every = self.settings.lease / 3;
        loop {
            tokio::time::sleep(every).await;
            if let Err(e) = self.ports.queue.extend(claim, self.settings.lease).await {
                tracing::warn!(job_id = %claim.job_id, error = %e, "lease lost while running; the outcome will not be recorded");
                return futures::future::pending().await;
            }
        }
    }

    /// Writes the run's outcome; false when the store could not be reached,
    /// so the job must stay in the queue (it will run again).
    /// `reason` labels a failure in the metrics.
    async fn record(
        &self,
        job: Job,
        claim: &Claim,
        outcome: Result<JobResult>,
        reason: FailureReason,
    ) -> bool {
        let at = self.ports.clock.now();
        let transition = match outcome {
            Ok(result) => Transition::Complete {
                token: claim.token,
                at,
                result,
            },
            Err(e) if e.kind() == ErrorKind::Canceled => Transition::Cancel {
                at,
                message: "canceled by client".to_owned(),
            },
            Err(e) => Transition::Fail {
                token: Some(claim.token),
                at,
                message: e.message().to_owned(),
            },
        };
        let (id, backend) = (job.id, job.backend_id.clone());
        // The job as its start left it: the store need not read it again.
        let stored = self
            .ports
            .store
            .apply_to(job, transition)
            .instrument(crate::phase_span!(
                self.ports.traces,
                "store",
                transition = "outcome"
            ))
            .await;
        match stored {
            Ok(job) => {
                tracing::debug!(job_id = %job.id, state = %job.state, "outcome recorded");
                self.report(&job, reason);
                self.publish(&job).await;
                true
            }
            Err(e) if is_lost_race(&e) => {
                tracing::info!(job_id = %id, reason = %e, "outcome not recorded: the job was canceled or claimed again");
                self.ports.telemetry.outcome_refused(&backend);
                true
            }
            Err(e) => {
                tracing::error!(job_id = %id, error = %e, "could not record the job's outcome; it will run again");
                false
            }
        }
    }

    /// Metrics for a job that just ended.
    fn report(&self, job: &Job, reason: FailureReason) {
        let telemetry = &self.ports.telemetry;
        match job.state {
            JobState::Completed => {
                let ran = job
                    .completed_at
                    .zip(job.started_at)
                    .map_or(0, |(end, start)| end.0 - start.0);
                telemetry.job_completed(&job.backend_id, millis(ran));
            }
            JobState::Failed => telemetry.job_failed(&job.backend_id, reason),
            JobState::Canceled => telemetry.job_canceled(&job.backend_id),
            _ => {}
        }
    }

    async fn finish_claim(&self, claim: &Claim) {
        if let Err(e) = self.ports.queue.ack(claim).await {
            tracing::debug!(error = %e, "claim already gone when acknowledging");
        }
    }

    async fn publish(&self, job: &Job) {
        self.ports.publish(job).await;
    }
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// Someone else moved the job first: the client canceled it, or a newer claim
/// holds it. Not an error of this worker.
fn is_lost_race(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Conflict | ErrorKind::FailedPrecondition
    )
}

#[cfg(test)]
mod tests;
