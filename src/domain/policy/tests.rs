use std::collections::{BTreeSet, HashMap};

use super::*;
use crate::domain::{ClientId, ErrorKind, Identity, Priority, Shots};

fn client(id: &str) -> ClientId {
    ClientId::parse(id).unwrap()
}

fn backend(id: &str) -> BackendId {
    BackendId::parse(id).unwrap()
}

fn only<T: Ord>(items: impl IntoIterator<Item = T>) -> Grant<T> {
    Grant::Only(items.into_iter().collect::<BTreeSet<T>>())
}

/// A policy that may submit to `sim` with these quotas.
fn submitter(quotas: Quotas) -> Policy {
    Policy {
        operations: only([Operation::SubmitJob]),
        backends: only([backend("sim")]),
        quotas,
        admin: false,
    }
}

fn shots(n: u32) -> Shots {
    Shots::parse(n).unwrap()
}

fn caller(id: &str, groups: &[&str]) -> Identity {
    Identity {
        client_id: client(id),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ..Identity::anonymous()
    }
}

#[test]
fn operations_parse_by_their_rpc_name_and_typos_are_refused() {
    for op in Operation::ALL {
        assert_eq!(Operation::parse(op.as_str()).unwrap(), op);
    }
    let err = Operation::parse("SubmitJobs").unwrap_err();
    assert!(
        err.message().contains("'SubmitJobs'") && err.message().contains("ListJobs"),
        "{err}"
    );
}

#[test]
fn a_call_not_granted_is_permission_denied_naming_client_and_rpc() {
    let policy = submitter(Quotas::default());
    policy
        .authorize_call(&client("alice"), Operation::SubmitJob)
        .unwrap();
    let denial = policy
        .authorize_call(&client("alice"), Operation::CancelJob)
        .unwrap_err();
    assert_eq!(denial.rule, "operations");
    assert_eq!(denial.error.kind(), ErrorKind::PermissionDenied);
    assert_eq!(
        denial.error.message(),
        "client 'alice' may not call CancelJob"
    );
    Policy::allow_all()
        .authorize_call(&client("alice"), Operation::CancelJob)
        .unwrap();
    assert!(
        Policy::deny_all()
            .authorize_call(&client("alice"), Operation::ListBackends)
            .is_err()
    );
}

#[test]
fn each_submission_rule_refuses_with_its_kind_and_names_its_limit() {
    let policy = submitter(Quotas {
        max_queued_jobs: Some(5),
        rate_limit_per_minute: None,
        max_shots_per_job: Some(1000),
        max_qubits: Some(10),
        allow_high_priority: false,
    });
    let alice = client("alice");
    policy
        .check_job(&alice, &backend("sim"), shots(1000), Priority::Normal)
        .unwrap();
    policy.check_qubits(10).unwrap();
    policy.check_queued(&alice, 4, 1).unwrap();

    let cases = [
        (
            policy.check_job(&alice, &backend("qpu"), shots(1), Priority::Normal),
            ErrorKind::PermissionDenied,
            "backends",
            "client 'alice' may not use backend 'qpu'",
        ),
        (
            policy.check_job(&alice, &backend("sim"), shots(1), Priority::High),
            ErrorKind::PermissionDenied,
            "allow_high_priority",
            "HIGH priority",
        ),
        (
            policy.check_job(&alice, &backend("sim"), shots(5000), Priority::Low),
            ErrorKind::InvalidArgument,
            "max_shots_per_job",
            "shots 5000 is over this client's max_shots_per_job 1000",
        ),
        (
            policy.check_qubits(11),
            ErrorKind::InvalidArgument,
            "max_qubits",
            "11 qubits, over this client's max_qubits 10",
        ),
        (
            policy.check_queued(&alice, 5, 1),
            ErrorKind::ResourceExhausted,
            "max_queued_jobs",
            "its max_queued_jobs is 5",
        ),
        (
            policy.check_queued(&alice, 0, 6),
            ErrorKind::ResourceExhausted,
            "max_queued_jobs",
            "asks for 6 more",
        ),
    ];
    for (outcome, kind, rule, text) in cases {
        let denial = outcome.unwrap_err();
        assert_eq!((denial.error.kind(), denial.rule), (kind, rule));
        assert!(denial.error.message().contains(text), "{}", denial.error);
    }
}

#[test]
fn no_quota_means_no_limit() {
    let policy = Policy::allow_all();
    let alice = client("alice");
    policy
        .check_job(&alice, &backend("any"), shots(u32::MAX), Priority::High)
        .unwrap();
    policy.check_qubits(u32::MAX).unwrap();
    policy.check_queued(&alice, u64::MAX, u64::MAX).unwrap();
}

#[test]
fn patterns_match_any_run_of_characters_where_the_star_is() {
    let team = ClientPattern::parse("team-*").unwrap();
    assert!(team.matches("team-a") && team.matches("team-"));
    assert!(!team.matches("steam-a") && !team.matches("team"));
    let ci = ClientPattern::parse("*-ci").unwrap();
    assert!(ci.matches("team-a-ci") && !ci.matches("team-ci-x"));
    let middle = ClientPattern::parse("lab-*-ci").unwrap();
    assert!(middle.matches("lab-x-ci") && middle.matches("lab--ci"));
    assert!(
        !middle.matches("lab-ci"),
        "prefix and suffix may not overlap"
    );
    assert!(ClientPattern::parse("*").unwrap().matches("anyone"));
    assert!(
        ClientPattern::parse("alice").is_err(),
        "a pattern needs a '*'"
    );
    assert!(ClientPattern::parse("team *").is_err());
}

/// Entries told apart by their shot quota.
fn tagged(shots: u32) -> Policy {
    submitter(Quotas {
        max_shots_per_job: Some(shots),
        ..Quotas::default()
    })
}

fn resolution_set() -> PolicySet {
    let clients = HashMap::from([(client("team-a-ci"), tagged(1))]);
    let patterns = vec![
        (ClientPattern::parse("*-ci").unwrap(), tagged(2)),
        (ClientPattern::parse("team-*").unwrap(), tagged(3)),
        (ClientPattern::parse("team-b*").unwrap(), tagged(4)),
        (ClientPattern::parse("t*am-b*").unwrap(), tagged(5)),
    ];
    PolicySet::new(clients, patterns, HashMap::new(), tagged(9))
}

fn resolved_shots(set: &PolicySet, id: &str) -> Option<u32> {
    set.entry_for(&client(id)).quotas.max_shots_per_job
}

#[test]
fn exact_id_beats_patterns_the_longest_pattern_wins_and_the_default_is_last() {
    let set = resolution_set();
    assert_eq!(
        resolved_shots(&set, "team-a-ci"),
        Some(1),
        "exact beats all"
    );
    assert_eq!(
        resolved_shots(&set, "team-x-ci"),
        Some(3),
        "team-* is longer"
    );
    assert_eq!(resolved_shots(&set, "ops-ci"), Some(2));
    assert_eq!(resolved_shots(&set, "team-b1"), Some(4), "7 characters");
    assert_eq!(
        resolved_shots(&set, "team-b-ci"),
        Some(4),
        "team-b* and t*am-b* are equally long; fewer stars wins"
    );
    assert_eq!(resolved_shots(&set, "alice"), Some(9), "the default");
}

#[test]
fn roles_add_their_grants_and_the_most_generous_quotas() {
    let mut roles = HashMap::new();
    roles.insert(
        "physics".to_owned(),
        Policy {
            operations: only([Operation::ListJobs]),
            backends: only([backend("qpu")]),
            quotas: Quotas {
                max_queued_jobs: Some(10),
                rate_limit_per_minute: None,
                max_shots_per_job: Some(500),
                max_qubits: Some(20),
                allow_high_priority: true,
            },
            admin: false,
        },
    );
    let base = submitter(Quotas {
        max_queued_jobs: Some(50),
        rate_limit_per_minute: Some(60),
        max_shots_per_job: Some(1000),
        max_qubits: Some(5),
        allow_high_priority: false,
    });
    let set = PolicySet::new(HashMap::new(), Vec::new(), roles, base.clone());
    let plain = set.policy_for(&caller("alice", &["unknown-group"]));
    assert_eq!(plain, base, "groups without a role change nothing");
    let member = set.policy_for(&caller("alice", &["physics"]));
    assert!(member.operations.allows(&Operation::SubmitJob));
    assert!(member.operations.allows(&Operation::ListJobs));
    assert!(member.backends.allows(&backend("sim")) && member.backends.allows(&backend("qpu")));
    assert_eq!(
        member.quotas,
        Quotas {
            max_queued_jobs: Some(50),
            rate_limit_per_minute: Some(60),
            max_shots_per_job: Some(1000),
            max_qubits: Some(20),
            allow_high_priority: true,
        },
        "the larger of the limits set; a limit one entry leaves out is kept; allowed over not"
    );
    let unlimited = Policy::allow_all().union(&submitter(Quotas {
        max_qubits: Some(3),
        ..Quotas::default()
    }));
    assert_eq!(
        unlimited.quotas.max_qubits,
        Some(3),
        "left out says nothing"
    );
    assert!(!member.admin);
}

#[test]
fn admins_come_from_the_admin_group_or_an_entry_but_never_without_policies() {
    let boss = Policy {
        admin: true,
        ..Policy::deny_all()
    };
    let set = PolicySet::new(
        HashMap::from([(client("boss"), boss)]),
        Vec::new(),
        HashMap::new(),
        Policy::allow_all(),
    );
    assert!(set.policy_for(&caller("boss", &[])).admin);
    assert!(set.policy_for(&caller("alice", &["admin"])).admin);
    assert!(!set.policy_for(&caller("alice", &["admins"])).admin);
    let open = PolicySet::allow_all();
    let anyone = open.policy_for(&caller("alice", &["admin"]));
    assert!(!anyone.admin, "no policies file: today's tenancy holds");
    assert_eq!(anyone.operations, Grant::All);
}
