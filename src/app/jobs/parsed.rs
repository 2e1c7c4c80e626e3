//! Circuits parsed at submission, handed to the worker of this process that
//! runs the job, so that a job started at once is not parsed a second
//! time. The parse was a tenth of the instructions per SubmitJob
//! (callgrind, a Bell job), half of it the worker's. A worker that finds
//! nothing here (a queued job, another node's, or after a restart) parses
//! the stored text, so this is only ever a shortcut.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::domain::JobId;
use crate::domain::circuit::Circuit;

/// Most circuits kept. Entries are for jobs handed to an idle worker, so
/// there are at most about as many as workers; the bound only matters if
/// handed jobs stop reaching the workers, and then it keeps memory flat.
const MOST: usize = 4096;

/// Keyed by job ids the service made, so a fast seeded hasher is safe.
type Circuits = HashMap<JobId, Arc<Circuit>, foldhash::fast::RandomState>;

#[derive(Default)]
pub struct ParsedCircuits {
    circuits: Mutex<Circuits>,
}

impl ParsedCircuits {
    /// Keeps the circuit for the job's run, unless the bound is reached.
    pub fn keep(&self, id: JobId, circuit: Arc<Circuit>) {
        let mut circuits = self.lock();
        if circuits.len() < MOST {
            circuits.insert(id, circuit);
        }
    }

    /// The job's circuit, once: whoever takes it owns it.
    pub fn take(&self, id: JobId) -> Option<Arc<Circuit>> {
        self.lock().remove(&id)
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Circuits> {
        // A panic elsewhere cannot leave a map half-changed.
        self.circuits.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::circuit::CircuitBuilder;

    fn id(n: u128) -> JobId {
        JobId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn circuit(qubits: u32) -> Arc<Circuit> {
        let mut builder = CircuitBuilder::new();
        builder.add_qreg("q", qubits).unwrap();
        Arc::new(builder.build())
    }

    #[test]
    fn a_circuit_is_taken_once() {
        let parsed = ParsedCircuits::default();
        parsed.keep(id(1), circuit(2));
        assert!(parsed.take(id(2)).is_none());
        assert_eq!(parsed.take(id(1)).unwrap().num_qubits(), 2);
        assert!(parsed.take(id(1)).is_none());
        assert!(parsed.is_empty());
    }

    #[test]
    fn past_the_bound_nothing_more_is_kept() {
        let parsed = ParsedCircuits::default();
        let one = circuit(1);
        for n in 0..=MOST as u128 {
            parsed.keep(id(n), one.clone());
        }
        assert_eq!(parsed.len(), MOST);
        assert!(parsed.take(id(MOST as u128)).is_none());
    }
}
