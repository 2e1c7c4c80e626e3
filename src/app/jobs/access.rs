//! Authorization in the job use cases: the caller's policy for the call,
//! refusals recorded in the audit trail with the rule that refused, and
//! the quotas a submission counts against (queued jobs, rate).

use crate::domain::{Denial, ErrorKind, Identity, Operation, Policy, Result};
use crate::ports::{AuditAction, AuditEvent};

use super::JobService;

impl JobService {
    /// The caller's policy, once it may call `operation`; PERMISSION_DENIED
    /// (and an audit line) otherwise.
    pub fn authorize(&self, identity: &Identity, operation: Operation) -> Result<Policy> {
        let policy = self.ports.policies.current().policy_for(identity);
        self.enforce(
            identity,
            operation,
            policy.authorize_call(&identity.client_id, operation),
        )?;
        Ok(policy)
    }

    /// Passes a policy decision on as an error, recording a refusal.
    pub(super) fn enforce(
        &self,
        identity: &Identity,
        operation: Operation,
        decision: std::result::Result<(), Denial>,
    ) -> Result<()> {
        decision.map_err(|denial| {
            self.audit(
                identity,
                operation,
                AuditAction::AuthorizationDenied,
                "denied",
                denial.rule,
            );
            denial.error
        })
    }

    /// Counts `jobs` new jobs against the client's `max_queued_jobs` and
    /// `rate_limit_per_minute`, all or none. The store is only asked when a
    /// queue quota is set.
    pub(super) async fn check_quotas(
        &self,
        identity: &Identity,
        policy: &Policy,
        operation: Operation,
        jobs: usize,
    ) -> Result<()> {
        let client = &identity.client_id;
        let adding = jobs as u64;
        if policy.quotas.max_queued_jobs.is_some() {
            let queued = self.ports.store.count_queued(client.clone()).await?;
            self.enforce(
                identity,
                operation,
                policy.check_queued(client, queued, adding),
            )?;
        }
        if let Some(per_minute) = policy.quotas.rate_limit_per_minute {
            let jobs = u32::try_from(jobs).unwrap_or(u32::MAX);
            match self
                .ports
                .rate_limiter
                .check(client, per_minute, jobs)
                .await
            {
                Ok(()) => {}
                Err(error) if error.kind() == ErrorKind::ResourceExhausted => {
                    let denial = Denial {
                        rule: "rate_limit_per_minute",
                        error,
                    };
                    self.enforce(identity, operation, Err(denial))?;
                }
                // Not a denial: the allowance could not be checked.
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// One line of the audit trail about this caller's call.
    pub(super) fn audit(
        &self,
        identity: &Identity,
        operation: Operation,
        action: AuditAction,
        outcome: &str,
        detail: impl Into<String>,
    ) {
        let origin = crate::ports::current_call_origin();
        self.ports.audit.record(AuditEvent {
            at: self.ports.clock.now(),
            action,
            client_id: identity.client_id.to_string(),
            method: operation.as_str().to_owned(),
            peer: origin.peer.map(|peer| peer.to_string()),
            request_id: origin.request_id,
            outcome: outcome.to_owned(),
            detail: detail.into(),
        });
    }
}
