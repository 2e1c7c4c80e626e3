//! The backends this node serves, by id.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::domain::{BackendId, Error, Result, ids::printable};
use crate::ports::{BackendStatus, QuantumBackend};

#[derive(Clone, Default)]
pub struct BackendRegistry {
    backends: BTreeMap<BackendId, Arc<dyn QuantumBackend>>,
}

impl BackendRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a backend; a second one with the same id is a configuration error.
    pub fn register(&mut self, backend: Arc<dyn QuantumBackend>) -> Result<()> {
        let id = backend.capabilities().id.clone();
        if self.backends.contains_key(&id) {
            return Err(Error::invalid_argument(format!(
                "backend '{id}' is registered twice"
            )));
        }
        self.backends.insert(id, backend);
        Ok(())
    }

    /// Looks a backend up by the id a client sent.
    pub fn get(&self, id: &str) -> Result<&Arc<dyn QuantumBackend>> {
        BackendId::parse(id)
            .ok()
            .and_then(|id| self.backends.get(&id))
            .ok_or_else(|| {
                if id.is_empty() {
                    Error::invalid_argument("backend_id is empty")
                } else {
                    Error::not_found(format!("backend '{}' not found", printable(id)))
                }
            })
    }

    pub fn ids(&self) -> Vec<BackendId> {
        self.backends.keys().cloned().collect()
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<dyn QuantumBackend>> {
        self.backends.values()
    }

    pub fn is_empty(&self) -> bool {
        self.backends.is_empty()
    }
}

impl BackendRegistry {
    pub async fn status(&self, id: &str) -> Result<BackendStatus> {
        let backend = self.get(id)?;
        Ok(BackendStatus {
            capabilities: (*backend.capabilities()).clone(),
            is_available: backend.is_available().await,
        })
    }

    pub async fn statuses(&self) -> Vec<BackendStatus> {
        let mut out = Vec::with_capacity(self.backends.len());
        for backend in self.backends.values() {
            out.push(BackendStatus {
                capabilities: (*backend.capabilities()).clone(),
                is_available: backend.is_available().await,
            });
        }
        out
    }
}
