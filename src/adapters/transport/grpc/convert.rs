//! Conversions between arvak.v1 messages and the domain.

use crate::domain::{CircuitFormat, CircuitSource, Error, JobResult, JobState, Priority, Result};
use crate::ports::{BackendStatus, JobView, SubmitCommand};
use crate::proto;

pub fn circuit(payload: Option<proto::CircuitPayload>) -> Option<CircuitSource> {
    let (format, text) = match payload?.format? {
        proto::circuit_payload::Format::Qasm3(text) => (CircuitFormat::OpenQasm, text),
        proto::circuit_payload::Format::ArvakIrJson(text) => (CircuitFormat::ArvakIrJson, text),
    };
    Some(CircuitSource {
        format,
        text: text.into(),
    })
}

pub fn priority(value: i32) -> Result<Priority> {
    match proto::JobPriority::try_from(value) {
        Ok(proto::JobPriority::Unspecified | proto::JobPriority::Normal) => Ok(Priority::Normal),
        Ok(proto::JobPriority::Low) => Ok(Priority::Low),
        Ok(proto::JobPriority::High) => Ok(Priority::High),
        Err(_) => Err(Error::invalid_argument(format!(
            "priority {value} is not a JobPriority value"
        ))),
    }
}

fn priority_to_proto(priority: Priority) -> proto::JobPriority {
    match priority {
        Priority::Low => proto::JobPriority::Low,
        Priority::Normal => proto::JobPriority::Normal,
        Priority::High => proto::JobPriority::High,
    }
}

pub fn state_to_proto(state: JobState) -> proto::JobState {
    match state {
        JobState::Queued => proto::JobState::Queued,
        JobState::Running => proto::JobState::Running,
        JobState::Completed => proto::JobState::Completed,
        JobState::Failed => proto::JobState::Failed,
        JobState::Canceled => proto::JobState::Canceled,
        JobState::ResultExpired => proto::JobState::ResultExpired,
    }
}

/// A state filter: UNSPECIFIED means any state.
pub fn state_filter(value: i32) -> Result<Option<JobState>> {
    Ok(Some(match proto::JobState::try_from(value) {
        Ok(proto::JobState::Unspecified) => return Ok(None),
        Ok(proto::JobState::Queued) => JobState::Queued,
        Ok(proto::JobState::Running) => JobState::Running,
        Ok(proto::JobState::Completed) => JobState::Completed,
        Ok(proto::JobState::Failed) => JobState::Failed,
        Ok(proto::JobState::Canceled) => JobState::Canceled,
        Ok(proto::JobState::ResultExpired) => JobState::ResultExpired,
        Err(_) => {
            return Err(Error::invalid_argument(format!(
                "state {value} is not a JobState value"
            )));
        }
    }))
}

/// The fields every submission message shares.
pub struct SubmitFields {
    pub circuit: Option<proto::CircuitPayload>,
    pub backend_id: String,
    pub shots: u32,
    pub optimization_level: u32,
    pub priority: i32,
    pub idempotency_key: String,
    pub tags: std::collections::HashMap<String, String>,
    pub seed: Option<u64>,
}

impl SubmitFields {
    pub fn into_command(self) -> Result<SubmitCommand> {
        Ok(SubmitCommand {
            circuit: circuit(self.circuit),
            backend_id: self.backend_id,
            shots: self.shots,
            optimization_level: self.optimization_level,
            priority: priority(self.priority)?,
            idempotency_key: self.idempotency_key,
            tags: self.tags.into_iter().collect(),
            seed: self.seed,
        })
    }
}

pub fn job(view: JobView) -> proto::Job {
    let JobView {
        job,
        queue_position,
    } = view;
    proto::Job {
        job_id: job.id.to_string(),
        state: state_to_proto(job.state).into(),
        submitted_at: job.submitted_at.as_secs(),
        started_at: job.started_at.map_or(0, |t| t.as_secs()),
        completed_at: job.completed_at.map_or(0, |t| t.as_secs()),
        backend_id: job.backend_id.to_string(),
        shots: job.shots.get(),
        error_message: if job.state == JobState::Failed || job.state == JobState::Canceled {
            job.error_message.unwrap_or_default()
        } else {
            String::new()
        },
        priority: priority_to_proto(job.priority).into(),
        tags: job
            .tags
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        queue_position: queue_position.unwrap_or(0),
        attempts: job.attempts,
    }
}

pub fn result(job_id: String, result: JobResult) -> proto::JobResult {
    proto::JobResult {
        job_id,
        counts: result.counts.into_iter().collect(),
        shots: result.shots,
        execution_time_ms: result.execution_time_ms,
        metadata_json: result.metadata_json,
    }
}

pub fn backend(status: BackendStatus) -> proto::BackendInfo {
    let caps = status.capabilities;
    proto::BackendInfo {
        backend_id: caps.id.to_string(),
        name: caps.name,
        is_available: status.is_available,
        max_qubits: caps.max_qubits,
        max_shots: caps.max_shots,
        description: caps.description,
        supported_gates: caps.supported_gates,
        topology_json: caps.topology_json,
    }
}
