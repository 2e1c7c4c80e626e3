//! Who runs the duties a cluster needs done once, not on every node:
//! retention, and the reconciling pass that puts back in the queue what the
//! store says should be there. A node alone is always the leader.

use async_trait::async_trait;

/// One stretch of one node's leadership. Terms only grow, so a write made
/// under an older term can be told from one made under the current term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LeaderTerm(pub u64);

/// The cluster as this node last heard of it, for operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterView {
    /// This node's id.
    pub node: String,
    /// The node that leads, when one is known.
    pub leader: Option<String>,
    /// Nodes heard from recently, this one included.
    pub nodes: u64,
}

#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait Leadership: Send + Sync {
    /// The term this node leads in now, or `None` while another node leads
    /// (or none can be told to). Cheap: an adapter that must ask a server
    /// keeps its answer current in a task of its own.
    fn term(&self) -> Option<LeaderTerm>;

    /// Who leads and how many nodes there are, as last heard.
    fn view(&self) -> ClusterView;

    /// At shutdown: stops leading, so that another node takes over at once
    /// rather than when the lead would have lapsed.
    async fn step_down(&self);
}
