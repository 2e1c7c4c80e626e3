//! The audit trail: an append-only record of who did what. Adapters write
//! it to a file of JSON lines or to a table; recording never fails the
//! request (an adapter that cannot write logs an error).

use crate::domain::UnixMillis;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    AuthenticationSucceeded,
    AuthenticationFailed,
    AuthorizationDenied,
    JobSubmitted,
    JobCanceled,
    PolicyReloaded,
    CertificateReloaded,
}

impl AuditAction {
    pub const ALL: [AuditAction; 7] = [
        AuditAction::AuthenticationSucceeded,
        AuditAction::AuthenticationFailed,
        AuditAction::AuthorizationDenied,
        AuditAction::JobSubmitted,
        AuditAction::JobCanceled,
        AuditAction::PolicyReloaded,
        AuditAction::CertificateReloaded,
    ];

    /// The action `as_str` names, for trails read back from a table.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::AuthenticationSucceeded => "authentication_succeeded",
            AuditAction::AuthenticationFailed => "authentication_failed",
            AuditAction::AuthorizationDenied => "authorization_denied",
            AuditAction::JobSubmitted => "job_submitted",
            AuditAction::JobCanceled => "job_canceled",
            AuditAction::PolicyReloaded => "policy_reloaded",
            AuditAction::CertificateReloaded => "certificate_reloaded",
        }
    }
}

/// One line of the audit trail. Never holds a secret: messages say what was
/// wrong with a credential, not what it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub at: UnixMillis,
    pub action: AuditAction,
    /// The caller, when known (empty for a failed authentication).
    pub client_id: String,
    /// The RPC (`SubmitJob`) or, for reloads, the subsystem (`policies`).
    pub method: String,
    pub peer: Option<String>,
    pub request_id: Option<String>,
    /// `ok`, `denied`, `failed`, `refused`.
    pub outcome: String,
    /// What it concerned or why it was refused: a job id, a limit's name.
    pub detail: String,
}

#[cfg_attr(test, mockall::automock)]
pub trait AuditLog: Send + Sync {
    fn record(&self, event: AuditEvent);
}

/// Records nothing (tests and builds where the trail is switched off).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAudit;

impl AuditLog for NoAudit {
    fn record(&self, _: AuditEvent) {}
}
