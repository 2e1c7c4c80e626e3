//! Every policy entry, and which applies to a caller.
//!
//! Resolution: an entry for the exact client id wins; otherwise the longest
//! matching wildcard pattern (ties: fewer `*`, then alphabetical order, so
//! the choice never depends on file order); otherwise the default. A caller
//! with groups (JWT `groups`) also gets every role of that name: the union
//! of its entry and those roles' policies. Grants only ever add; each quota
//! is the most generous of the values the entries set (one that none sets
//! stays unlimited), so a role's limit also binds a client whose entry
//! never mentions that limit.

use std::collections::HashMap;

use super::Policy;
use crate::domain::error::{Error, Result};
use crate::domain::identity::Identity;
use crate::domain::ids::{ClientId, printable};

/// The JWT group that makes a caller an admin when policies are configured.
pub const ADMIN_GROUP: &str = "admin";

/// A client id pattern with `*` standing for any run of characters
/// (`team-*`, `*-ci`, `lab-*-ci`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPattern(String);

impl ClientPattern {
    /// Text with at least one `*`; the rest as a client id allows.
    pub fn parse(text: &str) -> Result<Self> {
        if !text.contains('*') {
            return Err(Error::invalid_argument(format!(
                "client pattern '{}' has no '*'",
                printable(text)
            )));
        }
        ClientId::parse(text)?;
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn matches(&self, client: &str) -> bool {
        let mut parts = self.0.split('*');
        let first = parts.next().unwrap_or_default();
        let Some(mut rest) = client.strip_prefix(first) else {
            return false;
        };
        let mut middle: Vec<&str> = parts.collect();
        let last = middle.pop().unwrap_or_default();
        for part in middle {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
        rest.ends_with(last)
    }

    /// Sorts the most specific pattern first: longest, then fewest `*`.
    fn specificity(&self) -> (std::cmp::Reverse<usize>, usize, &str) {
        let stars = self.0.matches('*').count();
        (std::cmp::Reverse(self.0.len()), stars, &self.0)
    }
}

/// All policies in force.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicySet {
    clients: HashMap<ClientId, Policy>,
    /// Most specific first.
    patterns: Vec<(ClientPattern, Policy)>,
    roles: HashMap<String, Policy>,
    default: Policy,
    /// Whether the group `admin` makes a caller an admin. Off without a
    /// policies file, so that nothing changes for JWT users then.
    admin_group: bool,
}

impl PolicySet {
    pub fn new(
        clients: HashMap<ClientId, Policy>,
        mut patterns: Vec<(ClientPattern, Policy)>,
        roles: HashMap<String, Policy>,
        default: Policy,
    ) -> Self {
        patterns.sort_by(|(a, _), (b, _)| a.specificity().cmp(&b.specificity()));
        Self {
            clients,
            patterns,
            roles,
            default,
            admin_group: true,
        }
    }

    /// No policies configured: every caller may do everything, without
    /// quotas, and sees only its own jobs.
    pub fn allow_all() -> Self {
        Self {
            clients: HashMap::new(),
            patterns: Vec::new(),
            roles: HashMap::new(),
            default: Policy::allow_all(),
            admin_group: false,
        }
    }

    /// The entry for `client` alone: exact, else longest pattern, else
    /// the default.
    pub fn entry_for(&self, client: &ClientId) -> &Policy {
        if let Some(policy) = self.clients.get(client) {
            return policy;
        }
        self.patterns
            .iter()
            .find(|(pattern, _)| pattern.matches(client.as_str()))
            .map_or(&self.default, |(_, policy)| policy)
    }

    /// What `identity` may do: its entry, with its groups' roles added.
    pub fn policy_for(&self, identity: &Identity) -> Policy {
        let entry = self.entry_for(&identity.client_id);
        let mut policy = identity
            .groups
            .iter()
            .filter_map(|group| self.roles.get(group))
            .fold(entry.clone(), |policy, role| policy.union(role));
        if self.admin_group && identity.groups.iter().any(|g| g == ADMIN_GROUP) {
            policy.admin = true;
        }
        policy
    }
}
