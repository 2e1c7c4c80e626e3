//! The policies in force from a file, replaced when the file changes.
//!
//! Polling, as for the TLS files (see `adapters::transport::tls::reload`): every
//! interval the file is read and its content hashed; a new content that
//! parses replaces the policies for every call that starts afterwards (a
//! call keeps the snapshot it started with). A broken file is refused with
//! an error in the log and the audit trail, the previous policies stay,
//! and it is tried again once its content changes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::watch;

use super::policies::{fingerprint, read_policies};
use crate::domain::{PolicySet, Result, UnixMillis};
use crate::ports::{AuditAction, AuditEvent, AuditLog, Clock, Policies};
use crate::support::polling::every_until_stopped;

pub struct PolicyFile {
    path: PathBuf,
    current: RwLock<Arc<PolicySet>>,
    /// Fingerprint of the content the first policies were read from.
    loaded: u64,
}

impl PolicyFile {
    /// Reads the file; a missing or broken one stops the start.
    pub fn load(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let (set, loaded) = read_policies(&path)?;
        Ok(Self {
            path,
            current: RwLock::new(Arc::new(set)),
            loaded,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks the file every `interval` until `stop` turns true, recording
    /// each reload (`ok` or `refused`) in the audit trail.
    pub async fn keep_current(
        self: Arc<Self>,
        interval: Duration,
        audit: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
        stop: watch::Receiver<bool>,
    ) {
        let mut seen = self.loaded;
        every_until_stopped(interval, stop, || {
            if let Some(outcome) = self.reload_if_changed(&mut seen) {
                audit.record(reload_event(&self.path, clock.now(), outcome));
            }
        })
        .await;
    }

    /// None when the content is as last seen. A broken file is reported
    /// once, not at every tick, until it changes again.
    pub fn reload_if_changed(&self, seen: &mut u64) -> Option<Result<()>> {
        let outcome = read_policies(&self.path);
        let now_seen = match &outcome {
            Ok((_, content)) => *content,
            Err(e) => fingerprint(e.message().as_bytes()),
        };
        if now_seen == *seen {
            return None;
        }
        *seen = now_seen;
        match outcome {
            Ok((set, _)) => {
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(set);
                tracing::info!(file = %self.path.display(), "policies reloaded");
                Some(Ok(()))
            }
            Err(e) => {
                tracing::error!(error = %e, "new policies refused; the previous policies stay in force");
                Some(Err(e))
            }
        }
    }
}

impl Policies for PolicyFile {
    fn current(&self) -> Arc<PolicySet> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn reload_event(path: &Path, at: UnixMillis, outcome: Result<()>) -> AuditEvent {
    let (outcome, detail) = match outcome {
        Ok(()) => ("ok", path.display().to_string()),
        Err(e) => ("refused", e.message().to_owned()),
    };
    AuditEvent {
        at,
        action: AuditAction::PolicyReloaded,
        client_id: String::new(),
        method: "policies".to_owned(),
        peer: None,
        request_id: None,
        outcome: outcome.to_owned(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientId, Identity, Operation};

    fn may_submit(file: &PolicyFile) -> bool {
        let alice = Identity {
            client_id: ClientId::parse("alice").unwrap(),
            ..Identity::anonymous()
        };
        file.current()
            .policy_for(&alice)
            .operations
            .allows(&Operation::SubmitJob)
    }

    #[test]
    fn a_good_change_replaces_the_policies_and_a_broken_one_is_refused_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policies.yaml");
        std::fs::write(&path, "default: { operations: [ListBackends] }\n").unwrap();
        let file = PolicyFile::load(&path).unwrap();
        let mut seen = file.loaded;
        assert!(!may_submit(&file));
        assert!(file.reload_if_changed(&mut seen).is_none(), "unchanged");

        std::fs::write(&path, "default: { operations: [SubmitJob] }\n").unwrap();
        assert!(matches!(file.reload_if_changed(&mut seen), Some(Ok(()))));
        assert!(may_submit(&file));

        std::fs::write(&path, "default: { operations: [SubmitJobz] }\n").unwrap();
        let refused = file.reload_if_changed(&mut seen).unwrap().unwrap_err();
        assert!(refused.message().contains("SubmitJobz"), "{refused}");
        assert!(may_submit(&file), "the previous policies stay");
        assert!(file.reload_if_changed(&mut seen).is_none(), "reported once");

        std::fs::remove_file(&path).unwrap();
        assert!(matches!(file.reload_if_changed(&mut seen), Some(Err(_))));
        assert!(may_submit(&file), "a vanished file changes nothing");
    }

    #[test]
    fn a_missing_or_broken_file_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policies.yaml");
        assert!(PolicyFile::load(&path).is_err());
        std::fs::write(&path, "clients: [").unwrap();
        assert!(PolicyFile::load(&path).is_err());
    }

    #[test]
    fn reloads_are_audited_with_their_outcome() {
        let event = reload_event(Path::new("/p.yaml"), UnixMillis(5), Ok(()));
        assert_eq!(
            (event.action, event.outcome.as_str(), event.detail.as_str()),
            (AuditAction::PolicyReloaded, "ok", "/p.yaml")
        );
        let refused = crate::domain::Error::invalid_argument("bad");
        let event = reload_event(Path::new("/p.yaml"), UnixMillis(5), Err(refused));
        assert_eq!(
            (event.outcome.as_str(), event.detail.as_str()),
            ("refused", "bad")
        );
    }
}
