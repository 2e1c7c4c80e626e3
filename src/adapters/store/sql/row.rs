//! A job as a database row: plain strings and integers, the same for every
//! SQL store. Decoding checks everything, so a damaged row is an error about
//! that job, never a panic or a wrong answer.

use std::collections::BTreeMap;

use super::statements::JobUpdate;

use crate::domain::{
    BackendId, CircuitFormat, CircuitSource, ClientId, Error, FencingToken, IdempotencyKey, Job,
    JobId, JobResult, JobState, OptimizationLevel, Priority, Result, Shots, Tags, UnixMillis,
};

/// Every column of `jobs`, in table order.
pub const JOB_COLUMNS: &str = "id, client_id, backend_id, circuit_format, circuit_text, shots, \
     optimization_level, priority, tags, idempotency_key, seed, state, submitted_at, started_at, \
     completed_at, error_message, attempts, claim_token, backend_job_id, version, traceparent";

#[derive(Debug, Clone, PartialEq)]
pub struct JobRow {
    pub id: String,
    pub client_id: String,
    pub backend_id: String,
    pub circuit_format: String,
    pub circuit_text: String,
    pub shots: i64,
    pub optimization_level: i64,
    pub priority: i64,
    /// JSON object of tag → value.
    pub tags: String,
    pub idempotency_key: Option<String>,
    /// The u64 seed's bits, as databases have no unsigned 64-bit type.
    pub seed: Option<i64>,
    pub state: String,
    pub submitted_at: i64,
    pub started_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub error_message: Option<String>,
    pub attempts: i64,
    /// The u64 token's bits.
    pub claim_token: Option<i64>,
    pub backend_job_id: Option<String>,
    pub version: i64,
    pub traceparent: Option<String>,
}

fn format_name(format: CircuitFormat) -> &'static str {
    match format {
        CircuitFormat::OpenQasm => "openqasm",
        CircuitFormat::ArvakIrJson => "arvak_ir_json",
    }
}

fn priority_number(priority: Priority) -> i64 {
    match priority {
        Priority::Low => 0,
        Priority::Normal => 1,
        Priority::High => 2,
    }
}

impl JobRow {
    pub fn from_job(job: &Job) -> Self {
        let tags: BTreeMap<&str, &str> = job.tags.iter().collect();
        // The columns a transition changes are encoded in one place.
        let changed = JobUpdate::new(job, job.version as i64);
        Self {
            id: changed.id,
            client_id: job.client_id.to_string(),
            backend_id: job.backend_id.to_string(),
            circuit_format: format_name(job.circuit.format).to_owned(),
            circuit_text: job.circuit.text.to_string(),
            shots: i64::from(job.shots.get()),
            optimization_level: i64::from(job.optimization_level.get()),
            priority: priority_number(job.priority),
            tags: serde_json::to_string(&tags).unwrap_or_else(|_| "{}".to_owned()),
            idempotency_key: job.idempotency_key.as_ref().map(|k| k.as_str().to_owned()),
            seed: job.seed.map(|s| s as i64),
            state: changed.state,
            submitted_at: job.submitted_at.0,
            started_at: changed.started_at,
            completed_at: changed.completed_at,
            error_message: changed.error_message,
            attempts: changed.attempts,
            claim_token: changed.claim_token,
            backend_job_id: changed.backend_job_id,
            version: changed.version,
            traceparent: job.traceparent.clone(),
        }
    }

    /// Rebuilds the job, naming the column and the job when a value is not
    /// one this service writes.
    pub fn into_job(self) -> Result<Job> {
        let id_text = self.id.clone();
        let bad = |column: &str, why: String| {
            Error::internal(format!(
                "stored job {id_text} has an unreadable {column}: {why}"
            ))
        };
        let id = uuid::Uuid::try_parse(&self.id)
            .map(JobId::from_uuid)
            .map_err(|e| bad("id", e.to_string()))?;
        let format = match self.circuit_format.as_str() {
            "openqasm" => CircuitFormat::OpenQasm,
            "arvak_ir_json" => CircuitFormat::ArvakIrJson,
            other => return Err(bad("circuit_format", format!("'{other}'"))),
        };
        let small = |column: &str, value: i64| {
            u32::try_from(value).map_err(|_| bad(column, format!("{value} is out of range")))
        };
        let tags: BTreeMap<String, String> =
            serde_json::from_str(&self.tags).map_err(|e| bad("tags", e.to_string()))?;
        Ok(Job {
            id,
            client_id: ClientId::parse(&self.client_id)
                .map_err(|e| bad("client_id", e.to_string()))?,
            backend_id: BackendId::parse(&self.backend_id)
                .map_err(|e| bad("backend_id", e.to_string()))?,
            circuit: CircuitSource {
                format,
                text: self.circuit_text.into(),
            },
            shots: Shots::parse(small("shots", self.shots)?)
                .map_err(|e| bad("shots", e.to_string()))?,
            optimization_level: OptimizationLevel::parse(small(
                "optimization_level",
                self.optimization_level,
            )?)
            .map_err(|e| bad("optimization_level", e.to_string()))?,
            priority: match self.priority {
                0 => Priority::Low,
                1 => Priority::Normal,
                2 => Priority::High,
                other => return Err(bad("priority", other.to_string())),
            },
            tags: Tags::parse(tags).map_err(|e| bad("tags", e.to_string()))?,
            idempotency_key: self
                .idempotency_key
                .map(|k| IdempotencyKey::parse(&k))
                .transpose()
                .map_err(|e| bad("idempotency_key", e.to_string()))?,
            seed: self.seed.map(|s| s as u64),
            traceparent: self.traceparent,
            state: JobState::parse(&self.state).map_err(|e| bad("state", e.to_string()))?,
            submitted_at: UnixMillis(self.submitted_at),
            started_at: self.started_at.map(UnixMillis),
            completed_at: self.completed_at.map(UnixMillis),
            error_message: self.error_message,
            attempts: small("attempts", self.attempts)?,
            claim_token: self.claim_token.map(|t| FencingToken(t as u64)),
            backend_job_id: self.backend_job_id,
            version: u64::try_from(self.version)
                .map_err(|_| bad("version", self.version.to_string()))?,
        })
    }
}

/// Counts as stored: a JSON object, which keeps them readable with any SQL
/// client.
pub fn encode_counts(result: &JobResult) -> Vec<u8> {
    serde_json::to_vec(&result.counts).unwrap_or_else(|_| b"{}".to_vec())
}

pub fn decode_result(
    job_id: &str,
    counts: &[u8],
    shots: i64,
    execution_time_ms: i64,
    metadata_json: String,
) -> Result<JobResult> {
    let bad = |what: &str| {
        Error::internal(format!(
            "stored result of job {job_id} has an unreadable {what}"
        ))
    };
    Ok(JobResult {
        counts: serde_json::from_slice(counts).map_err(|_| bad("counts"))?,
        shots: u32::try_from(shots).map_err(|_| bad("shots"))?,
        execution_time_ms: u64::try_from(execution_time_ms)
            .map_err(|_| bad("execution_time_ms"))?,
        metadata_json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::job::tests::queued_job;

    #[test]
    fn a_job_survives_the_round_trip_through_a_row() {
        let mut job = queued_job();
        job.tags = Tags::parse([("team".to_string(), "q \"quoted\"".to_string())]).unwrap();
        job.seed = Some(u64::MAX);
        job.claim_token = Some(FencingToken(u64::MAX - 1));
        job.idempotency_key = Some(IdempotencyKey::parse("k-1").unwrap());
        job.priority = Priority::High;
        assert_eq!(JobRow::from_job(&job).into_job().unwrap(), job);
    }

    #[test]
    fn a_damaged_row_names_the_job_and_the_column() {
        let job = queued_job();
        let mut row = JobRow::from_job(&job);
        row.state = "EXPLODED".into();
        let err = row.into_job().unwrap_err();
        assert!(
            err.message().contains(&job.id.to_string()) && err.message().contains("state"),
            "{err}"
        );
        let mut row = JobRow::from_job(&job);
        row.shots = -5;
        assert!(row.into_job().unwrap_err().message().contains("shots"));
        let mut row = JobRow::from_job(&job);
        row.tags = "not json".into();
        assert!(row.into_job().unwrap_err().message().contains("tags"));
    }

    #[test]
    fn counts_round_trip() {
        let result = JobResult {
            counts: [("0101".to_string(), 7u64)].into_iter().collect(),
            shots: 7,
            execution_time_ms: 3,
            metadata_json: "{}".into(),
        };
        let back = decode_result("x", &encode_counts(&result), 7, 3, "{}".into()).unwrap();
        assert_eq!(back, result);
        assert!(decode_result("x", b"[", 7, 3, String::new()).is_err());
    }
}
