//! The `Authenticator` the transport calls: picks the method by the
//! credential the caller presents (mTLS certificate, then bearer token, then
//! API key), admits or refuses callers with none, refuses locked-out
//! addresses without checking anything, and writes the audit trail.

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::time::Instant;

use super::lockout::FailureLockout;
use crate::domain::{AuthMethod, Error, Identity, Result};
use crate::ports::{
    AuditAction, AuditEvent, AuditLog, Authenticator, Clock, Credentials, Verified, Verifier,
};

/// The configured methods; `None` where a method is off.
#[derive(Default, Clone)]
pub struct Verifiers {
    pub mtls: Option<Arc<dyn Verifier>>,
    pub jwt: Option<Arc<dyn Verifier>>,
    pub api_key: Option<Arc<dyn Verifier>>,
}

pub struct AuthChain {
    verifiers: Verifiers,
    admit_anonymous: bool,
    lockout: FailureLockout,
    audit: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
}

impl AuthChain {
    pub fn new(
        verifiers: Verifiers,
        admit_anonymous: bool,
        lockout: FailureLockout,
        audit: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            verifiers,
            admit_anonymous,
            lockout,
            audit,
            clock,
        }
    }

    /// "a client certificate (mTLS), ..." for the configured methods.
    fn accepted(&self) -> String {
        let names = [
            (self.verifiers.mtls.is_some(), "a client certificate (mTLS)"),
            (self.verifiers.jwt.is_some(), "authorization: Bearer <JWT>"),
            (self.verifiers.api_key.is_some(), "x-api-key"),
        ];
        let accepted: Vec<&str> = names
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect();
        if accepted.is_empty() {
            "none".to_owned()
        } else {
            accepted.join(", ")
        }
    }

    fn not_accepted(&self, what: &str) -> Error {
        Error::unauthenticated(format!(
            "{what} not accepted by this server; it accepts: {}",
            self.accepted()
        ))
    }

    /// The first credential present decides; a bad one is never retried as
    /// another method or as anonymous.
    async fn decide(&self, credentials: &Credentials) -> (AuthMethod, Result<Verified>) {
        // A certificate is transport-level: without mTLS identity it is ignored.
        if credentials.client_certificates.is_some()
            && let Some(mtls) = &self.verifiers.mtls
        {
            return (AuthMethod::Mtls, mtls.verify(credentials).await);
        }
        if credentials.bearer_token.is_some() {
            return match &self.verifiers.jwt {
                Some(jwt) => (AuthMethod::Jwt, jwt.verify(credentials).await),
                None => (AuthMethod::Jwt, Err(self.not_accepted("bearer tokens are"))),
            };
        }
        if credentials.api_key.is_some() {
            return match &self.verifiers.api_key {
                Some(keys) => (AuthMethod::ApiKey, keys.verify(credentials).await),
                None => (AuthMethod::ApiKey, Err(self.not_accepted("API keys are"))),
            };
        }
        let outcome = if self.admit_anonymous {
            Ok(Verified {
                identity: Identity::anonymous(),
                fresh: false,
            })
        } else {
            Err(Error::unauthenticated(format!(
                "no credentials; this server accepts: {}",
                self.accepted()
            )))
        };
        (AuthMethod::Anonymous, outcome)
    }

    fn record(&self, credentials: &Credentials, action: AuditAction, fields: [String; 3]) {
        let [client_id, outcome, detail] = fields;
        self.audit.record(AuditEvent {
            at: self.clock.now(),
            action,
            client_id,
            method: credentials.rpc.to_owned(),
            peer: credentials.peer(),
            request_id: credentials.request_id.clone(),
            outcome,
            detail,
        });
    }

    fn refuse_locked(&self, ip: IpAddr) -> Option<Error> {
        let wait = self.lockout.locked(ip, Instant::now())?;
        let wait_secs = wait.as_secs().max(1);
        let message = format!(
            "too many failed authentications from this address; try again in {wait_secs} s"
        );
        Some(Error::resource_exhausted(message).with_retry_after(wait))
    }
}

#[async_trait]
impl Authenticator for AuthChain {
    async fn authenticate(&self, credentials: &Credentials) -> Result<Identity> {
        let ip = credentials.peer_address.map(|address| address.ip());
        // Refusals during a lock-out are not audited one by one: the line
        // that started it covers them, and a flood cannot fill the disk.
        if let Some(ip) = ip
            && let Some(refusal) = self.refuse_locked(ip)
        {
            return Err(refusal);
        }
        let (method, outcome) = self.decide(credentials).await;
        match outcome {
            Ok(verified) => {
                if verified.fresh {
                    let identity = &verified.identity;
                    let detail = format!("{} {}", method.as_str(), identity.subject);
                    let fields = [identity.client_id.to_string(), "ok".into(), detail];
                    self.record(credentials, AuditAction::AuthenticationSucceeded, fields);
                }
                Ok(verified.identity)
            }
            Err(error) => {
                let detail = format!("{}: {}", method.as_str(), error.message());
                let fields = [String::new(), "failed".into(), detail];
                self.record(credentials, AuditAction::AuthenticationFailed, fields);
                // Only a credential that was checked counts: a caller that
                // sends none costs nothing and guesses nothing.
                if method != AuthMethod::Anonymous
                    && let Some(ip) = ip
                    && self.lockout.record_failure(ip, Instant::now())
                {
                    tracing::warn!(peer = %ip, "too many failed authentications: address locked out");
                    let detail = "address locked out after repeated failures".to_owned();
                    let fields = [String::new(), "refused".into(), detail];
                    self.record(credentials, AuditAction::AuthenticationFailed, fields);
                }
                Err(error)
            }
        }
    }
}

/// Every caller is `anonymous`: no method is configured.
pub struct AnonymousOnly;

#[async_trait]
impl Authenticator for AnonymousOnly {
    async fn authenticate(&self, _: &Credentials) -> Result<Identity> {
        Ok(Identity::anonymous())
    }
}

#[cfg(test)]
mod tests;
