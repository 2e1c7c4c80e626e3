//! Service-wide limits on one job and on the queue, each refused with a
//! message that names the limit.

use super::circuit::Circuit;
use super::error::{Error, Result};
use super::ids::BackendId;
use super::values::Shots;

/// Most one job may ask for; `None` leaves it to the backend's own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobLimits {
    pub max_qubits: Option<u32>,
    pub max_gates: Option<u64>,
    pub max_shots: Option<u32>,
}

impl JobLimits {
    /// INVALID_ARGUMENT for a job over a limit.
    pub fn check(&self, circuit: &Circuit, shots: Shots) -> Result<()> {
        if let Some(max) = self.max_qubits
            && circuit.num_qubits() > max
        {
            return Err(Error::invalid_argument(format!(
                "circuit uses {} qubits; this service allows at most {max} per job (limits.max_qubits)",
                circuit.num_qubits()
            )));
        }
        let gates = circuit.gate_count() as u64;
        if let Some(max) = self.max_gates
            && gates > max
        {
            return Err(Error::invalid_argument(format!(
                "circuit has {gates} gates; this service allows at most {max} per job (limits.max_gates)"
            )));
        }
        if let Some(max) = self.max_shots
            && shots.get() > max
        {
            return Err(Error::invalid_argument(format!(
                "{} shots asked; this service allows at most {max} per job (limits.max_shots)",
                shots.get()
            )));
        }
        Ok(())
    }
}

/// How many jobs may wait, in all and per backend; `None` is unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueLimits {
    pub total: Option<u64>,
    pub per_backend: Option<u64>,
}

impl QueueLimits {
    /// RESOURCE_EXHAUSTED when adding `adding` jobs for `backend` would pass
    /// a limit, given how many wait now.
    pub fn check(
        &self,
        backend: &BackendId,
        waiting_total: u64,
        waiting_backend: u64,
        adding: u64,
    ) -> Result<()> {
        if let Some(max) = self.per_backend
            && waiting_backend + adding > max
        {
            return Err(Error::resource_exhausted(format!(
                "the queue of backend '{backend}' is full: {waiting_backend} jobs wait, {adding} more asked, \
                 the limit is {max} (limits.max_queued_jobs_per_backend)"
            )));
        }
        if let Some(max) = self.total
            && waiting_total + adding > max
        {
            return Err(Error::resource_exhausted(format!(
                "the queue is full: {waiting_total} jobs wait, {adding} more asked, the limit is {max} \
                 (limits.max_queued_jobs)"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ErrorKind;
    use crate::domain::circuit::{CircuitBuilder, Gate, Instruction, Operation};

    fn circuit(qubits: u32, gates: usize) -> Circuit {
        let mut b = CircuitBuilder::new();
        b.add_qreg("q", qubits).unwrap();
        for _ in 0..gates {
            let operation = Operation::Gate {
                gate: Gate::H,
                qubits: vec![0],
            };
            b.push(Instruction {
                operation,
                condition: None,
            })
            .unwrap();
        }
        b.build()
    }

    #[test]
    fn each_job_limit_names_itself() {
        let limits = JobLimits {
            max_qubits: Some(4),
            max_gates: Some(10),
            max_shots: Some(100),
        };
        let shots = Shots::parse(100).unwrap();
        limits.check(&circuit(4, 10), shots).unwrap();
        let err = limits.check(&circuit(5, 1), shots).unwrap_err();
        assert!(err.message().contains("limits.max_qubits"), "{err}");
        let err = limits.check(&circuit(1, 11), shots).unwrap_err();
        assert!(
            err.message().contains("11 gates") && err.message().contains("limits.max_gates"),
            "{err}"
        );
        let err = limits
            .check(&circuit(1, 1), Shots::parse(101).unwrap())
            .unwrap_err();
        assert!(err.message().contains("limits.max_shots"), "{err}");
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        JobLimits::default()
            .check(&circuit(30, 50), Shots::parse(u32::MAX).unwrap())
            .unwrap();
    }

    #[test]
    fn queue_limits_count_what_is_added() {
        let sim = BackendId::parse("sim").unwrap();
        let limits = QueueLimits {
            total: Some(10),
            per_backend: Some(5),
        };
        limits.check(&sim, 9, 4, 1).unwrap();
        let err = limits.check(&sim, 0, 4, 2).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResourceExhausted);
        assert!(
            err.message().contains("backend 'sim'") && err.message().contains("per_backend"),
            "{err}"
        );
        let err = limits.check(&sim, 9, 0, 2).unwrap_err();
        assert!(err.message().contains("limits.max_queued_jobs)"), "{err}");
        QueueLimits::default()
            .check(&sim, u64::MAX / 2, 7, 1)
            .unwrap();
    }
}
