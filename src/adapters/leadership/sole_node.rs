//! A node that runs alone: with an in-process queue no other node can share
//! its work, so it leads, in one term, for as long as it runs.

use crate::ports::{LeaderTerm, Leadership};

#[derive(Debug, Clone, Copy, Default)]
pub struct SoleNode;

impl Leadership for SoleNode {
    fn term(&self) -> Option<LeaderTerm> {
        Some(LeaderTerm(1))
    }
}
