//! [`RemoteBackend`]: a QPU reached through its vendor's API, as a
//! [`QuantumBackend`]. The device is read at start and again every few
//! minutes (and as the probe that closes the breaker); runs are in `run`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::breaker::Breaker;
use super::described::Described;
use super::run::{RunControl, Runs};
use super::settings::RemoteSettings;
use super::vendor::{VendorApi, VendorStatus};
use crate::domain::{BackendCapabilities, BackendId, Error, JobId, JobResult, Result};
use crate::ports::{CancelOutcome, QuantumBackend, RunRequest};

/// How often the device task looks whether a read or a probe is due.
const DEVICE_TICK: Duration = Duration::from_secs(1);
/// How long a vendor's queue position, read for a status call, is reused.
const POSITION_FRESH: Duration = Duration::from_secs(5);

pub struct RemoteBackend {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub id: BackendId,
    pub api: Arc<dyn VendorApi>,
    pub settings: RemoteSettings,
    pub breaker: Breaker,
    described: RwLock<Option<Arc<Described>>>,
    unknown: Arc<BackendCapabilities>,
    pub runs: Runs,
    /// Queue positions of vendor jobs, as last read, by vendor job id.
    positions: Mutex<HashMap<String, (Option<u32>, Instant)>>,
}

impl RemoteBackend {
    /// Serves `api` as backend `id`, reading the device in the background
    /// (a vendor that cannot be reached at start does not stop the server;
    /// the backend is unavailable until it answers). Needs a Tokio runtime.
    pub fn start(id: BackendId, api: Arc<dyn VendorApi>, settings: RemoteSettings) -> Self {
        let breaker = Breaker::new(
            settings.breaker_failures,
            Duration::from_secs(settings.breaker_open_secs),
        );
        let inner = Arc::new(Inner {
            unknown: Described::unknown(&id, api.vendor()),
            id,
            api,
            settings,
            breaker,
            described: RwLock::new(None),
            runs: Runs::default(),
            positions: Mutex::new(HashMap::new()),
        });
        tokio::spawn(keep_described(Arc::downgrade(&inner)));
        Self { inner }
    }

    /// Reads the device now; for start-up and tests.
    pub async fn describe(&self) -> Result<()> {
        self.inner.describe().await
    }
}

impl Inner {
    pub fn described(&self) -> Option<Arc<Described>> {
        self.described
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    async fn describe(&self) -> Result<()> {
        let read = self.api.device().await;
        self.breaker.record(&read);
        let described = Described::new(&self.id, self.api.vendor(), read?)?;
        if self.described().is_none() {
            tracing::info!(backend = %self.id, qubits = described.device.num_qubits, online = described.device.online, "QPU described");
        }
        *self.described.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(described));
        Ok(())
    }

    /// Notes a vendor job's queue position as a poll saw it. Shown 1-based,
    /// as our own queue counts: a vendor that says 0 for "next" shows 1.
    pub fn saw_position(&self, vendor_job: &str, position: Option<u32>) {
        let position = position.map(|p| p.max(1));
        let mut positions = self.positions.lock().unwrap_or_else(|e| e.into_inner());
        positions.insert(vendor_job.to_owned(), (position, Instant::now()));
    }

    pub fn forget_position(&self, vendor_job: &str) {
        let mut positions = self.positions.lock().unwrap_or_else(|e| e.into_inner());
        positions.remove(vendor_job);
    }

    fn fresh_position(&self, vendor_job: &str) -> Option<Option<u32>> {
        let positions = self.positions.lock().unwrap_or_else(|e| e.into_inner());
        let (position, at) = positions.get(vendor_job)?;
        (at.elapsed() < POSITION_FRESH).then_some(*position)
    }
}

/// Reads the device at start, every `device_refresh_secs`, and as the probe
/// of an open breaker; ends when the backend is dropped.
async fn keep_described(inner: Weak<Inner>) {
    let mut last_read: Option<Instant> = None;
    loop {
        let Some(inner) = inner.upgrade() else { return };
        let refresh = Duration::from_secs(inner.settings.device_refresh_secs);
        let due = inner.described().is_none()
            || inner.breaker.probe_due()
            || last_read.is_none_or(|at| at.elapsed() >= refresh);
        if due {
            last_read = Some(Instant::now());
            if let Err(e) = inner.describe().await {
                tracing::warn!(backend = %inner.id, error = %e, "could not read the QPU's description");
            }
        }
        drop(inner);
        tokio::time::sleep(DEVICE_TICK).await;
    }
}

#[async_trait]
impl QuantumBackend for RemoteBackend {
    fn capabilities(&self) -> Arc<BackendCapabilities> {
        match self.inner.described() {
            Some(described) => described.capabilities.clone(),
            None => self.inner.unknown.clone(),
        }
    }

    async fn is_available(&self) -> bool {
        let online = self.inner.described().is_some_and(|d| d.device.online);
        online && !self.inner.breaker.is_open()
    }

    async fn run(&self, request: RunRequest) -> Result<JobResult> {
        super::run::run(&self.inner, request).await
    }

    async fn cancel(&self, job_id: JobId) -> Result<CancelOutcome> {
        let Some(control) = self.inner.runs.get(job_id) else {
            return Ok(CancelOutcome::NotRunning);
        };
        control.request_cancel();
        if let Some(vendor_job) = control.vendor_job() {
            cancel_vendor_job(&self.inner, &control, &vendor_job).await?;
        }
        Ok(CancelOutcome::Stopped)
    }

    async fn queue_position(&self, backend_job_id: &str) -> Option<u32> {
        if let Some(position) = self.inner.fresh_position(backend_job_id) {
            return position;
        }
        if self.inner.breaker.is_open() {
            return None;
        }
        let position = match self.inner.api.status(backend_job_id).await {
            Ok(VendorStatus::Waiting { queue_position }) => queue_position,
            _ => None,
        };
        self.inner.saw_position(backend_job_id, position);
        self.inner.fresh_position(backend_job_id).flatten()
    }
}

/// Forwards a cancel to the vendor; the run stops once it notices.
pub(super) async fn cancel_vendor_job(
    inner: &Inner,
    control: &RunControl,
    vendor_job: &str,
) -> Result<()> {
    let sent = inner.api.cancel(vendor_job).await;
    inner.breaker.record(&sent);
    sent.map_err(|e| {
        Error::new(
            e.kind(),
            format!(
                "could not cancel {} job {vendor_job}: {}",
                inner.api.vendor(),
                e.message()
            ),
        )
    })?;
    control.cancel_sent();
    Ok(())
}
