//! The policies file: YAML read into a [`PolicySet`]. Every name is checked
//! (operations, backend ids, client ids and patterns, quota keys), so a
//! typo is refused with its place rather than granting nothing silently.
//!
//! `deploy/policies.example.yaml` shows every key, with comments.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;

use crate::domain::{
    BackendId, ClientId, ClientPattern, Error, Grant, Operation, Policy, PolicySet, Quotas, Result,
};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    /// Unset: an unmatched client may do nothing.
    #[serde(default)]
    default: Option<Entry>,
    #[serde(default)]
    clients: BTreeMap<String, Entry>,
    #[serde(default)]
    roles: BTreeMap<String, Entry>,
}

/// One entry; whatever it leaves out is not granted (quotas: unlimited).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Entry {
    operations: Names,
    backends: Names,
    quotas: QuotasEntry,
    admin: bool,
}

/// `"*"` or a list of names.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Names {
    Star(String),
    List(Vec<String>),
}

impl Default for Names {
    fn default() -> Self {
        Names::List(Vec::new())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct QuotasEntry {
    max_queued_jobs: Option<u64>,
    rate_limit_per_minute: Option<u32>,
    max_shots_per_job: Option<u32>,
    max_qubits: Option<u32>,
    allow_high_priority: bool,
}

fn grant<T: Ord + Clone>(names: Names, parse: impl Fn(&str) -> Result<T>) -> Result<Grant<T>> {
    match names {
        Names::Star(star) if star == "*" => Ok(Grant::All),
        Names::Star(other) => Err(Error::invalid_argument(format!(
            "'{other}' is neither \"*\" nor a list"
        ))),
        Names::List(list) if list.iter().any(|name| name == "*") => Ok(Grant::All),
        Names::List(list) => list
            .iter()
            .map(|name| parse(name))
            .collect::<Result<_>>()
            .map(Grant::Only),
    }
}

fn policy(entry: Entry, place: &str) -> Result<Policy> {
    let within = |e: Error| e.context(place);
    if entry.quotas.rate_limit_per_minute == Some(0) {
        return Err(within(Error::invalid_argument(
            "quotas.rate_limit_per_minute must be at least 1 (leave it out for no limit)",
        )));
    }
    let quotas = entry.quotas;
    Ok(Policy {
        operations: grant(entry.operations, Operation::parse)
            .map_err(|e| within(e.context("operations")))?,
        backends: grant(entry.backends, BackendId::parse)
            .map_err(|e| within(e.context("backends")))?,
        quotas: Quotas {
            max_queued_jobs: quotas.max_queued_jobs,
            rate_limit_per_minute: quotas.rate_limit_per_minute,
            max_shots_per_job: quotas.max_shots_per_job,
            max_qubits: quotas.max_qubits,
            allow_high_priority: quotas.allow_high_priority,
        },
        admin: entry.admin,
    })
}

/// The policies in `text`; `path` names the file in errors.
pub fn parse_policies(text: &str, path: &Path) -> Result<PolicySet> {
    let in_file = |e: Error| e.context(format_args!("policies file {}", path.display()));
    // An empty file is far more often one caught half-written than a wish
    // to refuse everyone; `{}` says the latter.
    if text
        .lines()
        .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'))
    {
        return Err(in_file(Error::invalid_argument(
            "the file is empty; write `{}` to grant nothing to anyone",
        )));
    }
    let file: PolicyFile =
        serde_yaml::from_str(text).map_err(|e| in_file(Error::invalid_argument(e.to_string())))?;
    let default = match file.default {
        Some(entry) => policy(entry, "default").map_err(in_file)?,
        None => Policy::deny_all(),
    };
    let mut clients = HashMap::new();
    let mut patterns = Vec::new();
    for (key, entry) in file.clients {
        let place = format!("clients.{key}");
        let policy = policy(entry, &place).map_err(in_file)?;
        if key.contains('*') {
            let pattern = ClientPattern::parse(&key).map_err(|e| in_file(e.context(&place)))?;
            patterns.push((pattern, policy));
        } else {
            let client = ClientId::parse(&key).map_err(|e| in_file(e.context(&place)))?;
            clients.insert(client, policy);
        }
    }
    let mut roles = HashMap::new();
    for (name, entry) in file.roles {
        let place = format!("roles.{name}");
        roles.insert(name, policy(entry, &place).map_err(in_file)?);
    }
    Ok(PolicySet::new(clients, patterns, roles, default))
}

/// Reads and parses the file.
pub fn read_policies(path: &Path) -> Result<(PolicySet, u64)> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::unavailable(format!(
            "cannot read the policies file {}: {e}",
            path.display()
        ))
    })?;
    Ok((parse_policies(&text, path)?, fingerprint(text.as_bytes())))
}

/// Identifies one content of the file (a change of content, not of time).
pub fn fingerprint(bytes: &[u8]) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ErrorKind, Identity};

    fn parse(text: &str) -> Result<PolicySet> {
        parse_policies(text, Path::new("p.yaml"))
    }

    fn who(id: &str) -> Identity {
        Identity {
            client_id: ClientId::parse(id).unwrap(),
            ..Identity::anonymous()
        }
    }

    /// The example shipped for operators.
    const EXAMPLE: &str = include_str!("../../../../deploy/policies.example.yaml");

    #[test]
    fn the_shipped_example_reads_as_its_comments_say() {
        let set = parse(EXAMPLE).unwrap();
        let simulator = BackendId::parse("simulator").unwrap();
        let qpu = BackendId::parse("iqm-garnet").unwrap();
        let alice = set.policy_for(&who("alice"));
        assert_eq!(alice.operations, Grant::All);
        assert!(alice.backends.allows(&simulator) && !alice.backends.allows(&qpu));
        assert_eq!(alice.quotas.max_queued_jobs, Some(100));
        assert_eq!(alice.quotas.rate_limit_per_minute, Some(60));
        assert!(alice.quotas.allow_high_priority);
        let team = set.policy_for(&who("team-q"));
        assert!(team.operations.allows(&Operation::CancelJob));
        assert!(!team.operations.allows(&Operation::StreamResults));
        assert!(!team.quotas.allow_high_priority, "not granted unless named");
        let ci = set.policy_for(&who("team-ci"));
        assert_eq!(
            ci.quotas.max_queued_jobs,
            Some(20),
            "team-* is longer than *-ci"
        );
        assert_eq!(
            set.policy_for(&who("nightly-ci")).quotas.max_shots_per_job,
            Some(1000)
        );
        let stranger = set.policy_for(&who("mallory"));
        assert!(stranger.operations.allows(&Operation::GetBackendInfo));
        assert!(!stranger.operations.allows(&Operation::SubmitJob));
        assert!(set.policy_for(&who("ops")).admin && !alice.admin);
        let mut physicist = who("mallory");
        physicist.groups = vec!["physics".into()];
        let physicist = set.policy_for(&physicist);
        assert!(physicist.operations.allows(&Operation::StreamResults));
        assert_eq!(physicist.quotas.max_qubits, Some(30));
    }

    #[test]
    fn without_a_default_an_unknown_client_may_do_nothing() {
        let set = parse("clients:\n  alice: { operations: \"*\" }\n").unwrap();
        assert_eq!(set.policy_for(&who("bob")), Policy::deny_all());
        assert_eq!(
            parse("{}").unwrap(),
            PolicySet::new(
                HashMap::new(),
                Vec::new(),
                HashMap::new(),
                Policy::deny_all()
            )
        );
        assert!(
            parse("# nothing yet\n")
                .unwrap_err()
                .message()
                .contains("empty")
        );
    }

    #[test]
    fn mistakes_are_refused_naming_the_file_and_the_place() {
        let cases = [
            (
                "clients:\n  alice: { operations: [SubmitJobs] }\n",
                "clients.alice",
            ),
            (
                "clients:\n  alice: { backends: [\"has space\"] }\n",
                "backends",
            ),
            (
                "clients:\n  alice: { quotas: { max_shots: 5 } }\n",
                "max_shots",
            ),
            ("clients:\n  alice: { operations: all }\n", "'all'"),
            (
                "default: { quotas: { rate_limit_per_minute: 0 } }\n",
                "at least 1",
            ),
            ("client:\n  alice: {}\n", "client"),
            ("clients: [", "p.yaml"),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
            assert!(err.message().contains("policies file p.yaml"), "{err}");
            assert!(err.message().contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn the_fingerprint_follows_the_content() {
        assert_eq!(fingerprint(b"a: 1"), fingerprint(b"a: 1"));
        assert_ne!(fingerprint(b"a: 1"), fingerprint(b"a: 2"));
    }
}
