use super::*;
use crate::domain::ids::{BackendId, ClientId};

pub(crate) fn queued_job() -> Job {
    let new = NewJob {
        client_id: ClientId::anonymous(),
        backend_id: BackendId::parse("simulator").unwrap(),
        circuit: CircuitSource {
            format: CircuitFormat::OpenQasm,
            text: "OPENQASM 3.0;".into(),
        },
        shots: Shots::parse(10).unwrap(),
        optimization_level: OptimizationLevel::default(),
        priority: Priority::Normal,
        tags: Tags::default(),
        idempotency_key: None,
        seed: None,
        traceparent: None,
    };
    Job::queued(
        JobId::from_uuid(uuid::Uuid::now_v7()),
        new,
        UnixMillis(1_000),
    )
}

/// A transition that leads to `target`, with the token the job holds.
fn transition_to(target: JobState, token: Option<FencingToken>) -> Transition {
    let at = UnixMillis(2_000);
    match target {
        JobState::Running => Transition::Start {
            token: FencingToken(token.map_or(1, |t| t.0 + 1)),
            at,
        },
        JobState::Completed => Transition::Complete {
            token: token.unwrap_or(FencingToken(0)),
            at,
            result: JobResult::default(),
        },
        JobState::Failed => Transition::Fail {
            token,
            at,
            message: "boom".into(),
        },
        JobState::Canceled => Transition::Cancel {
            at,
            message: "canceled".into(),
        },
        JobState::Queued => Transition::Requeue { token },
        JobState::ResultExpired => Transition::ExpireResult,
    }
}

/// Puts a fresh job into `state` along legal moves.
fn job_in(state: JobState) -> Job {
    let mut job = queued_job();
    let path: &[JobState] = match state {
        JobState::Queued => &[],
        JobState::Running => &[JobState::Running],
        JobState::Completed => &[JobState::Running, JobState::Completed],
        JobState::Failed => &[JobState::Running, JobState::Failed],
        JobState::Canceled => &[JobState::Canceled],
        JobState::ResultExpired => &[
            JobState::Running,
            JobState::Completed,
            JobState::ResultExpired,
        ],
    };
    for step in path {
        job.apply(&transition_to(*step, job.claim_token)).unwrap();
    }
    assert_eq!(job.state, state);
    job
}

#[test]
fn every_pair_of_states_is_allowed_or_refused_as_specified() {
    use JobState::*;
    let legal = [
        (Queued, Running),
        (Queued, Canceled),
        (Running, Completed),
        (Running, Failed),
        (Running, Canceled),
        (Running, Queued),
        (Completed, ResultExpired),
    ];
    for from in JobState::ALL {
        for to in JobState::ALL {
            let mut job = job_in(from);
            let before = job.clone();
            let outcome = job.apply(&transition_to(to, job.claim_token));
            if legal.contains(&(from, to)) {
                outcome.unwrap_or_else(|e| panic!("{from} -> {to} refused: {e}"));
                assert_eq!(job.state, to);
                assert_eq!(job.version, before.version + 1);
            } else {
                let err = outcome.expect_err(&format!("{from} -> {to} must be refused"));
                assert_eq!(err.kind(), crate::domain::ErrorKind::FailedPrecondition);
                assert!(err.message().contains(from.as_str()), "{err}");
                assert_eq!(job, before, "a refused transition changes nothing");
            }
        }
    }
}

#[test]
fn terminal_states() {
    use JobState::*;
    for s in [Completed, Failed, Canceled, ResultExpired] {
        assert!(s.is_terminal());
    }
    assert!(!Queued.is_terminal() && !Running.is_terminal());
}

#[test]
fn outcome_needs_the_current_token() {
    let mut job = job_in(JobState::Running);
    let held = job.claim_token.unwrap();
    let stale = FencingToken(held.0 - 1);
    let complete = |token| Transition::Complete {
        token,
        at: UnixMillis(5),
        result: JobResult::default(),
    };
    let err = job.apply(&complete(stale)).unwrap_err();
    assert_eq!(err.kind(), crate::domain::ErrorKind::Conflict);
    assert_eq!(job.state, JobState::Running);
    job.apply(&complete(held)).unwrap();
    assert_eq!(job.completed_at, Some(UnixMillis(5)));
}

#[test]
fn restart_after_lost_lease_counts_attempts_and_refuses_older_tokens() {
    let mut job = job_in(JobState::Running);
    let first = job.claim_token.unwrap();
    job.apply(&Transition::Requeue { token: Some(first) })
        .unwrap();
    assert_eq!(job.started_at, None);
    let err = job
        .apply(&Transition::Start {
            token: first,
            at: UnixMillis(3),
        })
        .unwrap_err();
    assert!(err.message().contains("newer claim"), "{err}");
    job.apply(&Transition::Start {
        token: FencingToken(first.0 + 1),
        at: UnixMillis(3),
    })
    .unwrap();
    assert_eq!(job.attempts, 2);
}

#[test]
fn a_job_given_back_untried_keeps_its_attempts_and_needs_the_current_token() {
    let mut job = job_in(JobState::Running);
    let held = job.claim_token.unwrap();
    let attempts = job.attempts;
    let stale = Transition::GiveBack {
        token: FencingToken(held.0 - 1),
    };
    assert_eq!(
        job.apply(&stale).unwrap_err().kind(),
        crate::domain::ErrorKind::Conflict
    );
    job.apply(&Transition::GiveBack { token: held }).unwrap();
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.started_at, None);
    assert_eq!(
        job.attempts,
        attempts - 1,
        "the untried start is not counted"
    );
}

#[test]
fn cancel_records_why_and_when() {
    let mut job = job_in(JobState::Queued);
    job.apply(&Transition::Cancel {
        at: UnixMillis(9),
        message: "canceled by client".into(),
    })
    .unwrap();
    assert_eq!(job.completed_at, Some(UnixMillis(9)));
    assert_eq!(job.error_message.as_deref(), Some("canceled by client"));
}

#[test]
fn state_names_round_trip() {
    for s in JobState::ALL {
        assert_eq!(JobState::parse(s.as_str()).unwrap(), s);
    }
}

#[test]
fn a_running_job_records_its_backend_job_and_keeps_it_when_requeued() {
    let mut job = job_in(JobState::Running);
    let token = job.claim_token.unwrap();
    let record = |token| Transition::RecordBackendJob {
        token,
        backend_job_id: "qpu-17".into(),
    };
    let stale = FencingToken(token.0 - 1);
    assert_eq!(
        job.apply(&record(stale)).unwrap_err().kind(),
        crate::domain::ErrorKind::Conflict
    );
    job.apply(&record(token)).unwrap();
    assert_eq!(
        (job.state, job.backend_job_id.as_deref()),
        (JobState::Running, Some("qpu-17"))
    );
    job.apply(&Transition::Requeue { token: Some(token) })
        .unwrap();
    assert_eq!(
        job.backend_job_id.as_deref(),
        Some("qpu-17"),
        "kept for reattaching"
    );
    let mut queued = job_in(JobState::Queued);
    let err = queued.apply(&record(FencingToken(1))).unwrap_err();
    assert!(err.message().contains("QUEUED"), "{err}");
}
