//! Submission: every check happens here, and a job is stored before its id
//! is handed out (write-ahead): QUEUED, or RUNNING when an idle worker
//! takes it at once (`start_at_once`).

use crate::domain::circuit::Circuit;
use crate::domain::{
    Error, IdempotencyKey, Identity, Job, JobId, NewJob, Operation, OptimizationLevel, Policy,
    QueueLimits, Result, Shots, Tags, UnixMillis,
};
use tracing::Instrument;

use crate::ports::{AuditAction, CreateOutcome, QueueEntry, SubmitCommand};

use super::JobService;
use super::run_to_end::run_to_end;

/// An id handed to the client, and whether this call created the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Admitted {
    pub id: JobId,
    pub created: bool,
}

impl JobService {
    /// Checks a submission and stores it; the returned id names a job whose
    /// circuit parsed and fits its backend.
    pub async fn submit(&self, identity: &Identity, command: SubmitCommand) -> Result<JobId> {
        let span = crate::context_span!(
            self.ports.traces,
            "submit",
            client_id = %identity.client_id,
            backend = %command.backend_id
        );
        async {
            let policy = self.authorize(identity, Operation::SubmitJob)?;
            let submitted = self
                .submit_one(identity, &policy, Operation::SubmitJob, command)
                .await?;
            Ok(submitted.id)
        }
        .instrument(span)
        .await
    }

    /// One job, for a caller already authorized to call `operation`.
    pub(super) async fn submit_one(
        &self,
        identity: &Identity,
        policy: &Policy,
        operation: Operation,
        command: SubmitCommand,
    ) -> Result<Admitted> {
        let now = self.ports.clock.now();
        let prepared = self.prepare(identity, policy, operation, command, now)?;
        self.check_quotas(identity, policy, operation, 1).await?;
        let admitted = self.admit(identity, operation, vec![prepared], now).await?;
        Ok(admitted[0])
    }

    /// Submits jobs for one backend, all or none: one bad job refuses the
    /// batch, naming its index, and the batch counts against the client's
    /// quotas by its size.
    #[tracing::instrument(skip_all, fields(client_id = %identity.client_id, backend = %backend_id, jobs = commands.len()))]
    pub async fn submit_batch(
        &self,
        identity: &Identity,
        backend_id: &str,
        commands: Vec<SubmitCommand>,
    ) -> Result<Vec<JobId>> {
        let policy = self.authorize(identity, Operation::SubmitBatch)?;
        self.ports.backends.get(backend_id)?;
        if commands.is_empty() {
            return Err(Error::invalid_argument(
                "jobs is empty: a batch needs at least one job",
            ));
        }
        let now = self.ports.clock.now();
        let jobs = commands
            .into_iter()
            .enumerate()
            .map(|(i, command)| {
                let command = SubmitCommand {
                    backend_id: backend_id.to_owned(),
                    ..command
                };
                self.prepare(identity, &policy, Operation::SubmitBatch, command, now)
                    .map_err(|e| e.context(format_args!("jobs[{i}]")))
            })
            .collect::<Result<Vec<_>>>()?;
        self.check_quotas(identity, &policy, Operation::SubmitBatch, jobs.len())
            .await?;
        let admitted = self
            .admit(identity, Operation::SubmitBatch, jobs, now)
            .await?;
        Ok(admitted.into_iter().map(|a| a.id).collect())
    }

    /// Validates everything a client sent, against the service's limits
    /// and the caller's policy, and builds the QUEUED job, with its circuit
    /// as parsed.
    fn prepare(
        &self,
        identity: &Identity,
        policy: &Policy,
        operation: Operation,
        command: SubmitCommand,
        now: UnixMillis,
    ) -> Result<(Job, Circuit)> {
        // The job's run is traced as a child of the submitting call, not of
        // this check.
        let traceparent = self.ports.traces.current();
        let _validate = crate::phase_span!(self.ports.traces, "validate").entered();
        let backend = self.ports.backends.get(&command.backend_id)?;
        let shots = Shots::parse(command.shots)?;
        // Permission before the circuit is even parsed.
        let client_id = &identity.client_id;
        let capabilities = backend.capabilities();
        let backend_id = &capabilities.id;
        let decision = policy.check_job(client_id, backend_id, shots, command.priority);
        self.enforce(identity, operation, decision)?;
        let optimization_level = OptimizationLevel::parse(command.optimization_level)?;
        let tags = Tags::parse(command.tags)?;
        let idempotency_key = match command.idempotency_key.as_str() {
            "" => None,
            key => Some(IdempotencyKey::parse(key)?),
        };
        let source = command.circuit.ok_or_else(|| {
            Error::invalid_argument(
                "circuit is missing: set circuit.qasm3 or circuit.arvak_ir_json",
            )
        })?;
        if source.text.trim().is_empty() {
            return Err(Error::invalid_argument("circuit is empty"));
        }
        let circuit = self
            .ports
            .frontend
            .parse(&source)?
            .with_implicit_measurement();
        self.enforce(
            identity,
            operation,
            policy.check_qubits(circuit.num_qubits()),
        )?;
        capabilities.check_fits(&circuit, shots)?;
        self.rules.job_limits.check(&circuit, shots)?;
        let new = NewJob {
            client_id: client_id.clone(),
            backend_id: capabilities.id.clone(),
            circuit: source,
            shots,
            optimization_level,
            priority: command.priority,
            tags,
            idempotency_key,
            seed: command.seed,
            traceparent,
        };
        let job = Job::queued(JobId::from_uuid(uuid::Uuid::now_v7()), new, now);
        Ok((job, circuit))
    }

    /// Refuses the whole submission when it would overfill the queue.
    async fn check_capacity(&self, jobs: &[Job]) -> Result<()> {
        let limits = self.rules.queue_limits;
        let Some(first) = jobs.first() else {
            return Ok(());
        };
        if limits == QueueLimits::default() {
            return Ok(());
        }
        // A submission (single or batch) is for one backend. Only the
        // counts a limit needs are asked for: with a shared queue each is a
        // round trip.
        let backend = first.backend_id.clone();
        let waiting_total = match limits.total {
            Some(_) => self.ports.queue.waiting(None).await?,
            None => 0,
        };
        let waiting_backend = match limits.per_backend {
            Some(_) => self.ports.queue.waiting(Some(backend.clone())).await?,
            None => 0,
        };
        limits.check(&backend, waiting_total, waiting_backend, jobs.len() as u64)
    }

    /// Starts the jobs on idle workers where it can, stores them, and
    /// queues the others.
    async fn admit(
        &self,
        identity: &Identity,
        operation: Operation,
        prepared: Vec<(Job, Circuit)>,
        now: UnixMillis,
    ) -> Result<Vec<Admitted>> {
        let (jobs, circuits): (Vec<Job>, Vec<Circuit>) = prepared.into_iter().unzip();
        self.check_capacity(&jobs).await?;
        // From the first lease on, what follows must happen even if the
        // caller stops waiting: a lease taken must be handed over or ended,
        // and a job stored must be queued.
        let (service, identity) = (self.clone(), identity.clone());
        run_to_end(async move {
            service
                .store_and_queue(&identity, operation, jobs, circuits, now)
                .await
        })
        .await
    }

    /// `admit` from its first lease on.
    async fn store_and_queue(
        &self,
        identity: &Identity,
        operation: Operation,
        mut jobs: Vec<Job>,
        circuits: Vec<Circuit>,
        now: UnixMillis,
    ) -> Result<Vec<Admitted>> {
        let window = i64::try_from(self.rules.idempotency_window.as_millis()).unwrap_or(i64::MAX);
        let dedup_since = now.plus_millis(-window);
        let started = self.start_on_idle_workers(&mut jobs, circuits, now).await;
        let entries: Vec<QueueEntry> = jobs.iter().map(queue_entry).collect();
        let backend = entries.first().map(|entry| entry.backend_id.clone());
        let stored = self
            .ports
            .store
            .create(jobs, dedup_since)
            .instrument(crate::phase_span!(
                self.ports.traces,
                "store",
                jobs = entries.len()
            ))
            .await;
        let outcomes = match stored {
            Ok(outcomes) => outcomes,
            Err(e) => {
                self.drop_starts(&started).await;
                return Err(e);
            }
        };
        let handed: Vec<bool> = started.iter().map(Option::is_some).collect();
        self.settle_starts(started, &outcomes).await;
        let mut admitted = Vec::with_capacity(outcomes.len());
        let mut fresh = Vec::with_capacity(outcomes.len());
        for ((entry, outcome), handed) in entries.into_iter().zip(outcomes).zip(handed) {
            match outcome {
                CreateOutcome::Created => {
                    let id = entry.job_id.to_string();
                    self.audit(identity, operation, AuditAction::JobSubmitted, "ok", id);
                    admitted.push(Admitted {
                        id: entry.job_id,
                        created: true,
                    });
                    if !handed {
                        fresh.push(entry);
                    }
                }
                CreateOutcome::Existing(id) => admitted.push(Admitted { id, created: false }),
            }
        }
        // A submission (single or batch) is for one backend.
        let created = admitted.iter().filter(|a| a.created).count() as u64;
        if created > 0
            && let Some(backend) = &backend
        {
            self.ports.telemetry.jobs_submitted(backend, created);
        }
        if !fresh.is_empty()
            && let Err(e) = self.ports.queue.offer(fresh).await
        {
            // The jobs are stored, so nothing is lost: the store is the truth, and
            // the reconciling pass (at start-up and on the leader) offers every
            // QUEUED job the queue lacks.
            tracing::error!(client_id = %identity.client_id, error = %e, "stored jobs could not be queued yet");
        }
        Ok(admitted)
    }
}

pub fn queue_entry(job: &Job) -> QueueEntry {
    QueueEntry {
        job_id: job.id,
        backend_id: job.backend_id.clone(),
        client_id: job.client_id.clone(),
        priority: job.priority,
        submitted_at: job.submitted_at,
    }
}
