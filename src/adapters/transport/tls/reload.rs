//! The TLS configuration in force, and the watcher that replaces it when
//! the files on disk change.
//!
//! The watcher polls: every `reload_interval` it reads the files and compares
//! a fingerprint of their content with the last one it acted on. Polling
//! sees every way files get replaced (editors that write in place or rename,
//! `mv` of a new file over the old, Kubernetes secrets that swap a symlinked
//! directory), where file-system events (`notify`) are easy to miss for
//! renames and symlink swaps; reading three small files every few seconds
//! costs nothing. Comparing content rather than modification times also
//! catches two writes within one timestamp tick.
//!
//! Each change builds a whole new `ServerConfig` (certificate, key and
//! client CA together); new handshakes take the configuration in force when
//! they start, and connections already open keep the session they have.

use std::future::Future;
use std::sync::Arc;

use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::TlsSettings;
use super::incoming::{self, TlsConnection};
use super::server_config::TlsFiles;
use crate::domain::{Error, Result};
use crate::ports::{AuditAction, AuditEvent, AuditLog, Clock};
use crate::support::polling::every_until_stopped;

/// The TLS side of the gRPC port. Clones share the configuration in force.
#[derive(Clone)]
pub struct ServerTls {
    inner: Arc<Inner>,
}

struct Inner {
    settings: TlsSettings,
    current: watch::Sender<Arc<ServerConfig>>,
    /// Fingerprint of the files the first configuration was made from.
    loaded: u64,
}

impl ServerTls {
    /// Reads and checks the files; any problem is an error naming the file.
    pub fn load(settings: TlsSettings) -> Result<Self> {
        if settings.require_client_cert && settings.client_ca_path.is_none() {
            return Err(Error::invalid_argument(
                "tls: require_client_cert needs client_ca_path, the CA bundle client certificates are checked against",
            ));
        }
        let files = TlsFiles::read(&settings)?;
        let config = files.server_config(&settings)?;
        Ok(Self {
            inner: Arc::new(Inner {
                loaded: files.fingerprint(),
                current: watch::Sender::new(config),
                settings,
            }),
        })
    }

    pub fn settings(&self) -> &TlsSettings {
        &self.inner.settings
    }

    /// The configuration new handshakes use now.
    pub fn current(&self) -> Arc<ServerConfig> {
        self.inner.current.borrow().clone()
    }

    /// Changes whenever a new configuration takes over.
    pub fn subscribe(&self) -> watch::Receiver<Arc<ServerConfig>> {
        self.inner.current.subscribe()
    }

    /// Accepts on `listener` and yields connections whose handshake finished.
    pub fn incoming(
        &self,
        listener: TcpListener,
    ) -> impl futures::Stream<Item = std::result::Result<TlsConnection, std::convert::Infallible>> + use<>
    {
        incoming::accept(listener, self.clone())
    }

    /// Watches the files until `stop` turns true, replacing the configuration
    /// when they change to a good set and keeping it when they change to a
    /// broken one. Each attempt is logged and recorded in the audit trail.
    pub fn keep_current(
        &self,
        audit: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
        stop: watch::Receiver<bool>,
    ) -> impl Future<Output = ()> + Send + 'static {
        let tls = self.clone();
        async move {
            let mut seen = tls.inner.loaded;
            let interval = tls.inner.settings.reload_interval;
            every_until_stopped(interval, stop, || {
                if let Some(outcome) = tls.reload_if_changed(&mut seen) {
                    audit.record(reload_event(&tls.inner.settings, clock.now(), outcome));
                }
            })
            .await;
        }
    }

    /// None when the files are as last seen. A broken set is reported once,
    /// not at every tick, until the files change again.
    fn reload_if_changed(&self, seen: &mut u64) -> Option<Result<()>> {
        let settings = &self.inner.settings;
        let (fingerprint, files) = match TlsFiles::read(settings) {
            Ok(files) => (files.fingerprint(), Ok(files)),
            Err(e) => (fingerprint_of_error(&e), Err(e)),
        };
        if fingerprint == *seen {
            return None;
        }
        *seen = fingerprint;
        match files.and_then(|files| files.server_config(settings)) {
            Ok(config) => {
                self.inner.current.send_replace(config);
                tracing::info!(cert = %settings.cert_path.display(), "TLS certificate reloaded");
                Some(Ok(()))
            }
            Err(e) => {
                tracing::error!(
                    error = %e,
                    "new TLS files refused; the previous certificate stays in service"
                );
                Some(Err(e))
            }
        }
    }
}

/// A missing or unreadable file stays "seen" until the error changes.
fn fingerprint_of_error(error: &Error) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    error.message().hash(&mut hasher);
    hasher.finish()
}

fn reload_event(
    settings: &TlsSettings,
    at: crate::domain::UnixMillis,
    outcome: Result<()>,
) -> AuditEvent {
    let (outcome, detail) = match outcome {
        Ok(()) => ("ok", settings.cert_path.display().to_string()),
        Err(e) => ("refused", e.message().to_owned()),
    };
    AuditEvent {
        at,
        action: AuditAction::CertificateReloaded,
        client_id: String::new(),
        method: "tls".to_owned(),
        peer: None,
        request_id: None,
        outcome: outcome.to_owned(),
        detail,
    }
}
