//! A leader's standing in the store. Leading in Redis (a term) is not enough
//! to write as leader: a leader paused past its lease still believes it
//! leads until it next looks. So for each term a node leads in, it opens a
//! new epoch in the store before its first duty, and every leader-only
//! write carries that epoch; the store refuses one whose epoch a later
//! leader has replaced.

use std::sync::Arc;

use tokio::sync::Mutex;

use crate::domain::{Error, Result};
use crate::ports::{JobStore, LeaderEpoch, LeaderTerm, Leadership};

pub struct LeaderOffice {
    leadership: Arc<dyn Leadership>,
    store: Arc<dyn JobStore>,
    /// The term this node last led in, and the epoch opened for it.
    held: Mutex<Option<(LeaderTerm, LeaderEpoch)>>,
}

/// Leave to run a duty: the epoch its writes carry, while the term it was
/// given in lasts.
pub struct Mandate {
    pub epoch: LeaderEpoch,
    term: LeaderTerm,
    leadership: Arc<dyn Leadership>,
    /// The epoch was opened for this mandate: this node has just begun to lead.
    pub fresh: bool,
}

impl Mandate {
    /// Whether this node still leads in the term the mandate was given in.
    /// A duty asks between steps and stops when it no longer does; the
    /// store refuses whatever a step writes after a new leader has opened
    /// its epoch.
    pub fn holds(&self) -> bool {
        self.leadership.term() == Some(self.term)
    }

    /// `holds` as a step's precondition: Conflict once this node has
    /// stopped leading.
    pub fn check(&self) -> Result<()> {
        if self.holds() {
            return Ok(());
        }
        Err(Error::conflict(
            "this node stopped leading during the pass; the new leader goes on with it",
        ))
    }
}

impl LeaderOffice {
    pub fn new(leadership: Arc<dyn Leadership>, store: Arc<dyn JobStore>) -> Self {
        Self {
            leadership,
            store,
            held: Mutex::new(None),
        }
    }

    /// A mandate for a duty, or `None` while this node does not lead. The
    /// first call in a new term opens the term's epoch in the store.
    pub async fn mandate(&self) -> Result<Option<Mandate>> {
        let Some(term) = self.leadership.term() else {
            return Ok(None);
        };
        // Held across the store call: two callers in one new term open one
        // epoch, not two (the second would refuse the first's writes).
        let mut held = self.held.lock().await;
        let (epoch, fresh) = match *held {
            Some((led, epoch)) if led == term => (epoch, false),
            _ => {
                let epoch = self.store.open_leader_epoch().await?;
                tracing::info!(
                    term = term.0,
                    epoch = epoch.0,
                    "leading: opened a leader epoch in the store"
                );
                *held = Some((term, epoch));
                (epoch, true)
            }
        };
        Ok(Some(Mandate {
            epoch,
            term,
            leadership: self.leadership.clone(),
            fresh,
        }))
    }
}

#[cfg(test)]
impl Mandate {
    /// A lone node's mandate over `store`, for unit tests.
    pub(crate) async fn sole(store: Arc<dyn JobStore>) -> Mandate {
        let leadership = Arc::new(crate::adapters::leadership::SoleNode::new("solo".into()));
        LeaderOffice::new(leadership, store)
            .mandate()
            .await
            .unwrap()
            .expect("a lone node leads")
    }
}

/// A leadership that always answers `term` (`None`: another node leads),
/// for unit tests.
#[cfg(test)]
pub(crate) fn fixed_leadership(term: Option<LeaderTerm>) -> Arc<dyn Leadership> {
    let mut leadership = crate::ports::MockLeadership::new();
    leadership.expect_term().return_const(term);
    Arc::new(leadership)
}

#[cfg(test)]
mod tests;
