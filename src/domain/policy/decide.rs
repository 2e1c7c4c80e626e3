//! The decisions a [`Policy`] makes about one call or one submission. Each
//! refusal names the rule that refused, for the caller and the audit trail.

use super::{Operation, Policy};
use crate::domain::error::Error;
use crate::domain::ids::{BackendId, ClientId};
use crate::domain::values::{Priority, Shots};

/// A refusal by policy: the error the caller gets, and the name of the rule
/// (`operations`, `backends`, a quota's name) for the audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct Denial {
    pub rule: &'static str,
    pub error: Error,
}

impl From<Denial> for Error {
    fn from(denial: Denial) -> Self {
        denial.error
    }
}

type Decision = std::result::Result<(), Denial>;

fn permission_denied(rule: &'static str, message: String) -> Denial {
    Denial {
        rule,
        error: Error::new(crate::domain::ErrorKind::PermissionDenied, message),
    }
}

impl Policy {
    /// PERMISSION_DENIED unless the policy grants `operation`.
    pub fn authorize_call(&self, client: &ClientId, operation: Operation) -> Decision {
        if self.operations.allows(&operation) {
            return Ok(());
        }
        Err(permission_denied(
            "operations",
            format!("client '{client}' may not call {}", operation.as_str()),
        ))
    }

    /// What can be decided before the circuit is parsed: the backend is
    /// granted (PERMISSION_DENIED), HIGH priority is allowed
    /// (PERMISSION_DENIED), the shots are within the quota
    /// (INVALID_ARGUMENT).
    pub fn check_job(
        &self,
        client: &ClientId,
        backend: &BackendId,
        shots: Shots,
        priority: Priority,
    ) -> Decision {
        if !self.backends.allows(backend) {
            return Err(permission_denied(
                "backends",
                format!("client '{client}' may not use backend '{backend}'"),
            ));
        }
        if priority == Priority::High && !self.quotas.allow_high_priority {
            return Err(permission_denied(
                "allow_high_priority",
                format!(
                    "client '{client}' may not submit HIGH priority jobs (allow_high_priority is false)"
                ),
            ));
        }
        if let Some(max) = self.quotas.max_shots_per_job
            && shots.get() > max
        {
            return Err(Denial {
                rule: "max_shots_per_job",
                error: Error::invalid_argument(format!(
                    "shots {} is over this client's max_shots_per_job {max}",
                    shots.get()
                )),
            });
        }
        Ok(())
    }

    /// INVALID_ARGUMENT for a circuit wider than the quota.
    pub fn check_qubits(&self, qubits: u32) -> Decision {
        match self.quotas.max_qubits {
            Some(max) if qubits > max => Err(Denial {
                rule: "max_qubits",
                error: Error::invalid_argument(format!(
                    "circuit uses {qubits} qubits, over this client's max_qubits {max}"
                )),
            }),
            _ => Ok(()),
        }
    }

    /// RESOURCE_EXHAUSTED when `adding` more jobs would leave more than
    /// `max_queued_jobs` of the client's jobs waiting.
    pub fn check_queued(&self, client: &ClientId, queued_now: u64, adding: u64) -> Decision {
        match self.quotas.max_queued_jobs {
            Some(max) if queued_now.saturating_add(adding) > max => Err(Denial {
                rule: "max_queued_jobs",
                error: Error::resource_exhausted(format!(
                    "client '{client}' has {queued_now} jobs queued and asks for {adding} more; \
                     its max_queued_jobs is {max}"
                )),
            }),
            _ => Ok(()),
        }
    }
}
