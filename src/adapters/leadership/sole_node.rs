//! A node that runs alone: with an in-process queue no other node can share
//! its work, so it leads, in one term, for as long as it runs.

use async_trait::async_trait;

use crate::ports::{ClusterView, LeaderTerm, Leadership};

#[derive(Debug, Clone)]
pub struct SoleNode {
    node: String,
}

impl SoleNode {
    pub fn new(node: String) -> Self {
        Self { node }
    }
}

#[async_trait]
impl Leadership for SoleNode {
    fn term(&self) -> Option<LeaderTerm> {
        Some(LeaderTerm(1))
    }

    fn view(&self) -> ClusterView {
        ClusterView {
            node: self.node.clone(),
            leader: Some(self.node.clone()),
            nodes: 1,
        }
    }

    /// Nobody to hand over to.
    async fn step_down(&self) {}
}
