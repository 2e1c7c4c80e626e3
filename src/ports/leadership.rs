//! Who runs the duties a cluster needs done once, not on every node:
//! retention, and the reconciling pass that puts back in the queue what the
//! store says should be there. A node alone is always the leader.

/// One stretch of one node's leadership. Terms only grow, so a write made
/// under an older term can be told from one made under the current term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LeaderTerm(pub u64);

#[cfg_attr(test, mockall::automock)]
pub trait Leadership: Send + Sync {
    /// The term this node leads in now, or `None` while another node leads
    /// (or none can be told to). Cheap: an adapter that must ask a server
    /// keeps its answer current in a task of its own.
    fn term(&self) -> Option<LeaderTerm>;
}
