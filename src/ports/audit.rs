//! The audit trail: an append-only record of who did what. Adapters write
//! it to a file of JSON lines or to a table; recording never fails the
//! request (an adapter that cannot write logs an error).

use async_trait::async_trait;
use serde_json::json;

use crate::domain::{Result, UnixMillis};

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

impl AuditEvent {
    /// The event as one JSON line (without the newline), as the audit file
    /// holds it and `audit list` prints it:
    /// `{"time":"2026-11-24T03:00:00.123Z","action":"authentication_failed",
    /// "client_id":"","method":"SubmitJob","peer":"10.0.0.5:51234",
    /// "request_id":"…","outcome":"failed","detail":"…"}`.
    pub fn json_line(&self) -> String {
        json!({
            "time": rfc3339(self.at),
            "action": self.action.as_str(),
            "client_id": self.client_id,
            "method": self.method,
            "peer": self.peer,
            "request_id": self.request_id,
            "outcome": self.outcome,
            "detail": self.detail,
        })
        .to_string()
    }
}

/// RFC 3339 in UTC with milliseconds (days to a civil date after Howard
/// Hinnant's `civil_from_days`).
fn rfc3339(at: UnixMillis) -> String {
    let millis = at.0.rem_euclid(1000);
    let seconds = at.0.div_euclid(1000);
    let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
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

/// Where a queued audit trail's events end up (a file, a table). `write`
/// returns once the batch is stored (in the file's page cache, or committed).
#[async_trait]
pub trait AuditSink: Send + 'static {
    /// Names the destination in error logs (a path, "the audit_events table").
    fn name(&self) -> String;
    async fn write(&mut self, events: &[AuditEvent]) -> std::result::Result<(), String>;
}

/// Waits until everything recorded so far has reached the trail's
/// destinations (at shutdown).
#[async_trait]
pub trait AuditFlusher: Send + Sync {
    async fn flush(&self);
}

/// An audit trail kept in a database table (the SQL storage's
/// `audit_events`): written through a sink, read back by `audit list`.
#[async_trait]
pub trait AuditTable: Send + Sync {
    /// A writer for the queue in front of the table.
    fn sink(&self) -> Box<dyn AuditSink>;

    /// The newest `limit` events (of one client when given), oldest first.
    async fn recent(&self, limit: u32, client_id: Option<&str>) -> Result<Vec<AuditEvent>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc_with_milliseconds() {
        assert_eq!(rfc3339(UnixMillis(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(UnixMillis(951_782_400_123)),
            "2000-02-29T00:00:00.123Z"
        );
        assert_eq!(
            rfc3339(UnixMillis(1_795_489_199_999)),
            "2026-11-24T02:59:59.999Z"
        );
    }
}
