//! What the operators' endpoints show (`ServiceStatus`): readiness, and the
//! queue and backend gauges read at scrape time.

use std::sync::Arc;

use async_trait::async_trait;

use super::backends::BackendRegistry;
use super::readiness::Readiness;
use crate::domain::{BackendId, Priority, Result};
use crate::ports::{ClusterView, JobQueue, Leadership, ServiceStatus};

pub struct StatusService {
    pub queue: Arc<dyn JobQueue>,
    pub backends: Arc<BackendRegistry>,
    pub readiness: Readiness,
    pub leadership: Arc<dyn Leadership>,
}

#[async_trait]
impl ServiceStatus for StatusService {
    fn not_ready(&self) -> Option<String> {
        self.readiness.reason()
    }

    async fn queue_depths(&self) -> Result<Vec<(BackendId, Priority, u64)>> {
        let mut depths = self.queue.depths().await?;
        // Every backend has a queue, also one whose jobs never had to wait
        // (they started at their submission).
        for backend in self.backends.ids() {
            if !depths.iter().any(|(listed, _, _)| *listed == backend) {
                depths.extend(Priority::ALL.into_iter().map(|p| (backend.clone(), p, 0)));
            }
        }
        Ok(depths)
    }

    fn cluster(&self) -> ClusterView {
        self.leadership.view()
    }

    async fn backend_availability(&self) -> Vec<(BackendId, bool)> {
        let statuses = self.backends.statuses().await;
        statuses
            .into_iter()
            .map(|status| (status.capabilities.id, status.is_available))
            .collect()
    }
}
