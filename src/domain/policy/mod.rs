//! Authorization rules: which calls a client may make, on which backends,
//! within which quotas. Pure decisions over plain data; the policies file
//! adapter builds these values and the job use cases ask them.
//!
//! - [`Operation`]: the RPCs a policy grants by name;
//! - [`Policy`]: one client's grants and quotas, and its decisions;
//! - [`PolicySet`](set::PolicySet): every entry, and which applies to a caller.

mod decide;
mod set;

use std::collections::BTreeSet;

use super::error::{Error, Result};
use super::ids::{BackendId, printable};

pub use decide::Denial;
pub use set::{ClientPattern, PolicySet};

/// An `arvak.v1` call, as policies name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    SubmitJob,
    SubmitBatch,
    SubmitBatchStream,
    GetJobStatus,
    GetJobResult,
    StreamResults,
    WatchJob,
    CancelJob,
    ListJobs,
    ListBackends,
    GetBackendInfo,
}

impl Operation {
    pub const ALL: [Operation; 11] = [
        Operation::SubmitJob,
        Operation::SubmitBatch,
        Operation::SubmitBatchStream,
        Operation::GetJobStatus,
        Operation::GetJobResult,
        Operation::StreamResults,
        Operation::WatchJob,
        Operation::CancelJob,
        Operation::ListJobs,
        Operation::ListBackends,
        Operation::GetBackendInfo,
    ];

    /// The RPC's name in the proto (`SubmitJob`).
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::SubmitJob => "SubmitJob",
            Operation::SubmitBatch => "SubmitBatch",
            Operation::SubmitBatchStream => "SubmitBatchStream",
            Operation::GetJobStatus => "GetJobStatus",
            Operation::GetJobResult => "GetJobResult",
            Operation::StreamResults => "StreamResults",
            Operation::WatchJob => "WatchJob",
            Operation::CancelJob => "CancelJob",
            Operation::ListJobs => "ListJobs",
            Operation::ListBackends => "ListBackends",
            Operation::GetBackendInfo => "GetBackendInfo",
        }
    }

    /// A name from a policies file; a typo is refused rather than granting
    /// nothing silently.
    pub fn parse(text: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|op| op.as_str() == text)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|op| op.as_str()).collect();
                Error::invalid_argument(format!(
                    "unknown operation '{}'; the operations are {}",
                    printable(text),
                    known.join(", ")
                ))
            })
    }
}

/// What a policy grants of one kind: everything (`"*"`), or only the named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant<T: Ord> {
    All,
    Only(BTreeSet<T>),
}

impl<T: Ord + Clone> Grant<T> {
    pub fn none() -> Self {
        Grant::Only(BTreeSet::new())
    }

    pub fn allows(&self, item: &T) -> bool {
        match self {
            Grant::All => true,
            Grant::Only(items) => items.contains(item),
        }
    }

    /// Everything either grants.
    pub fn union(&self, other: &Self) -> Self {
        match (self, other) {
            (Grant::Only(a), Grant::Only(b)) => Grant::Only(a.union(b).cloned().collect()),
            _ => Grant::All,
        }
    }
}

/// Limits on one client; `None` is unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Quotas {
    /// Jobs of this client that may wait at once.
    pub max_queued_jobs: Option<u64>,
    /// Jobs this client may submit per minute (GCRA: a burst of this many,
    /// then one every 60/N seconds).
    pub rate_limit_per_minute: Option<u32>,
    pub max_shots_per_job: Option<u32>,
    /// Qubits of one job's circuit.
    pub max_qubits: Option<u32>,
    /// Whether jobs may ask for HIGH priority.
    pub allow_high_priority: bool,
}

impl Quotas {
    /// No limit at all, HIGH priority allowed (no policies configured).
    pub fn unlimited() -> Self {
        Self {
            allow_high_priority: true,
            ..Self::default()
        }
    }

    /// Quotas of several entries together: each limit is the most generous
    /// of the values the entries set, and unlimited only when none sets it
    /// (an entry that leaves a limit out says nothing about it, so a role's
    /// limit is not lost to an entry that never mentions it).
    pub fn most_generous(&self, other: &Self) -> Self {
        Self {
            max_queued_jobs: larger(self.max_queued_jobs, other.max_queued_jobs),
            rate_limit_per_minute: larger(self.rate_limit_per_minute, other.rate_limit_per_minute),
            max_shots_per_job: larger(self.max_shots_per_job, other.max_shots_per_job),
            max_qubits: larger(self.max_qubits, other.max_qubits),
            allow_high_priority: self.allow_high_priority || other.allow_high_priority,
        }
    }
}

/// The larger of the limits that are set.
fn larger<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// What one caller may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The RPCs it may call.
    pub operations: Grant<Operation>,
    /// The backends it may submit to.
    pub backends: Grant<BackendId>,
    pub quotas: Quotas,
    /// Sees and cancels every client's jobs, and lists them all.
    pub admin: bool,
}

impl Policy {
    /// Everything, without limits (no policies configured): today's
    /// behaviour before authorization existed. Not an admin.
    pub fn allow_all() -> Self {
        Self {
            operations: Grant::All,
            backends: Grant::All,
            quotas: Quotas::unlimited(),
            admin: false,
        }
    }

    /// Nothing at all: what an unmatched client gets from a policies file
    /// without a `default` entry.
    pub fn deny_all() -> Self {
        Self {
            operations: Grant::none(),
            backends: Grant::none(),
            quotas: Quotas::default(),
            admin: false,
        }
    }

    /// The union of two policies: every grant of either, the more generous
    /// of each quota that either sets, admin if either is.
    pub fn union(&self, other: &Self) -> Self {
        Self {
            operations: self.operations.union(&other.operations),
            backends: self.backends.union(&other.backends),
            quotas: self.quotas.most_generous(&other.quotas),
            admin: self.admin || other.admin,
        }
    }
}

#[cfg(test)]
mod tests;
