//! Authorization in the job use cases: each check with mocked ports, what
//! is recorded in the audit trail, and what must not be asked at all.

use std::collections::{BTreeSet, HashMap};

use super::*;
use crate::domain::{Grant, Operation, Policy, PolicySet, Quotas};

/// Everyone gets `policy` (it is the default entry of a policies file).
fn everyone(policy: Policy) -> PolicySet {
    PolicySet::new(HashMap::new(), Vec::new(), HashMap::new(), policy)
}

/// May call `operations` on backend `sim`, within `quotas`.
fn granted(operations: &[Operation], quotas: Quotas) -> Policy {
    Policy {
        operations: Grant::Only(operations.iter().copied().collect()),
        backends: Grant::Only(BTreeSet::from([BackendId::parse("sim").unwrap()])),
        quotas,
        admin: false,
    }
}

fn submitting(quotas: Quotas) -> Policy {
    granted(&[Operation::SubmitJob, Operation::SubmitBatch], quotas)
}

/// Expects exactly one audit line of `action` with this method and detail.
fn audit_once(mocks: &mut Mocks, action: AuditAction, method: &'static str, detail: &str) {
    let detail = detail.to_owned();
    mocks.audit = MockAuditLog::new();
    mocks
        .audit
        .expect_record()
        .withf(move |e| {
            e.action == action
                && e.method == method
                && e.client_id == "alice"
                && e.detail.contains(&detail)
        })
        .times(1)
        .return_const(());
}

#[tokio::test]
async fn a_call_not_granted_is_refused_before_any_store_lookup_and_audited() {
    let mut mocks = Mocks::new();
    mocks.policies = everyone(submitting(Quotas::default()));
    audit_once(
        &mut mocks,
        AuditAction::AuthorizationDenied,
        "GetJobStatus",
        "operations",
    );
    // No store expectation: a lookup would panic the mock.
    let id = JobId::from_uuid(uuid::Uuid::now_v7()).to_string();
    let err = mocks.service().status(&alice(), &id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert_eq!(err.message(), "client 'alice' may not call GetJobStatus");
}

#[tokio::test]
async fn every_use_case_asks_for_its_own_operation() {
    let service = {
        let mut mocks = Mocks::new();
        mocks.policies = everyone(Policy::deny_all());
        mocks.service()
    };
    let id = JobId::from_uuid(uuid::Uuid::now_v7()).to_string();
    let who = alice();
    let refusals = [
        (service.submit(&who, command()).await.err(), "SubmitJob"),
        (
            service
                .submit_batch(&who, "sim", vec![command()])
                .await
                .err(),
            "SubmitBatch",
        ),
        (service.status(&who, &id).await.err(), "GetJobStatus"),
        (service.result(&who, &id).await.err(), "GetJobResult"),
        (
            service.stream_results(&who, &id, 0).await.err(),
            "StreamResults",
        ),
        (service.watch(&who, &id).await.err(), "WatchJob"),
        (service.cancel(&who, &id).await.err(), "CancelJob"),
        (
            service.list(&who, ListJobsCommand::default()).await.err(),
            "ListJobs",
        ),
        (
            service.authorize(&who, Operation::ListBackends).err(),
            "ListBackends",
        ),
        (
            service
                .submit_stream(
                    who.clone(),
                    futures::stream::empty::<Result<BatchSubmission>>(),
                )
                .err(),
            "SubmitBatchStream",
        ),
    ];
    for (refusal, rpc) in refusals {
        let err = refusal.unwrap_or_else(|| panic!("{rpc} was allowed"));
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{rpc}: {err}");
        assert!(err.message().ends_with(rpc), "{rpc}: {err}");
    }
}

#[tokio::test]
async fn a_backend_not_granted_is_refused_before_the_circuit_is_parsed() {
    let mut mocks = Mocks::new();
    let mut policy = submitting(Quotas::default());
    policy.backends = Grant::none();
    mocks.policies = everyone(policy);
    mocks.frontend = MockCircuitFrontend::new();
    mocks.frontend.expect_parse().never();
    audit_once(
        &mut mocks,
        AuditAction::AuthorizationDenied,
        "SubmitJob",
        "backends",
    );
    let err = refusal(mocks).await;
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert_eq!(err.message(), "client 'alice' may not use backend 'sim'");
}

#[tokio::test]
async fn shots_qubits_and_high_priority_over_the_clients_quotas_store_nothing() {
    let quotas = Quotas {
        max_shots_per_job: Some(50),
        max_qubits: Some(1),
        ..Quotas::default()
    };
    let cases = [
        (
            SubmitCommand {
                shots: 100,
                ..command()
            },
            ErrorKind::InvalidArgument,
            "shots 100 is over this client's max_shots_per_job 50",
        ),
        (
            SubmitCommand {
                shots: 50,
                ..command()
            },
            ErrorKind::InvalidArgument,
            "circuit uses 2 qubits, over this client's max_qubits 1",
        ),
        (
            SubmitCommand {
                priority: Priority::High,
                ..command()
            },
            ErrorKind::PermissionDenied,
            "may not submit HIGH priority jobs",
        ),
    ];
    for (cmd, kind, text) in cases {
        let mut mocks = Mocks::new();
        mocks.policies = everyone(submitting(quotas));
        let err = mocks.service().submit(&alice(), cmd).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        assert!(err.message().contains(text), "{err}");
    }
}

#[tokio::test]
async fn a_batch_counts_against_max_queued_jobs_by_its_size() {
    let quotas = Quotas {
        max_queued_jobs: Some(5),
        ..Quotas::default()
    };
    let mut mocks = Mocks::new();
    mocks.policies = everyone(submitting(quotas));
    mocks
        .store
        .expect_count_queued()
        .with(eq(ClientId::parse("alice").unwrap()))
        .returning(|_| Ok(3));
    audit_once(
        &mut mocks,
        AuditAction::AuthorizationDenied,
        "SubmitBatch",
        "max_queued_jobs",
    );
    let batch = vec![command(), command(), command()];
    let err = mocks
        .service()
        .submit_batch(&alice(), "sim", batch)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceExhausted);
    assert!(err.message().contains("max_queued_jobs is 5"), "{err}");
}

#[tokio::test]
async fn the_rate_limiter_gets_the_clients_rate_and_the_batch_size_and_refuses_whole() {
    let quotas = Quotas {
        rate_limit_per_minute: Some(60),
        ..Quotas::default()
    };
    let mut mocks = Mocks::new();
    mocks.policies = everyone(submitting(quotas));
    mocks
        .rate
        .expect_check()
        .withf(|client, per_minute, jobs| {
            client.as_str() == "alice" && *per_minute == 60 && *jobs == 2
        })
        .times(1)
        .returning(|_, _, _| Err(Error::resource_exhausted("over the rate")));
    audit_once(
        &mut mocks,
        AuditAction::AuthorizationDenied,
        "SubmitBatch",
        "rate_limit_per_minute",
    );
    let err = mocks
        .service()
        .submit_batch(&alice(), "sim", vec![command(), command()])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceExhausted);
}

#[tokio::test]
async fn a_rate_that_cannot_be_checked_is_unavailable_and_no_denial() {
    let quotas = Quotas {
        rate_limit_per_minute: Some(60),
        ..Quotas::default()
    };
    let mut mocks = Mocks::new();
    mocks.policies = everyone(submitting(quotas));
    mocks.rate.expect_check().times(1).returning(|_, _, _| {
        Err(Error::unavailable(
            "rate limits (Redis): connection refused",
        ))
    });
    mocks.audit = MockAuditLog::new();
    mocks.audit.expect_record().never();
    mocks.store.expect_create().never();
    let err = mocks
        .service()
        .submit(&alice(), command())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
}

#[tokio::test]
async fn without_quotas_neither_the_queued_count_nor_the_rate_is_asked() {
    let mut mocks = Mocks::new();
    mocks.policies = everyone(submitting(Quotas::default()));
    mocks.store.expect_count_queued().never();
    mocks.rate.expect_check().never();
    mocks
        .store
        .expect_create()
        .returning(|jobs, _| Ok(vec![CreateOutcome::Created; jobs.len()]));
    mocks.queue.expect_offer().returning(|_| Ok(()));
    mocks.service().submit(&alice(), command()).await.unwrap();
}

#[tokio::test]
async fn a_submission_and_a_cancellation_are_audited_with_the_job_id() {
    let mut mocks = Mocks::new();
    mocks
        .store
        .expect_create()
        .returning(|jobs, _| Ok(vec![CreateOutcome::Created; jobs.len()]));
    mocks.queue.expect_offer().returning(|_| Ok(()));
    let recorded = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = recorded.clone();
    mocks.audit = MockAuditLog::new();
    mocks
        .audit
        .expect_record()
        .returning(move |e| sink.lock().unwrap().push(e));
    let id = mocks.service().submit(&alice(), command()).await.unwrap();

    let job = stored_job("alice", JobState::Queued);
    let mut mocks = Mocks::new().holding(&job);
    mocks.queue.expect_remove().returning(|_| Ok(true));
    let mut canceled = job.clone();
    canceled.state = JobState::Canceled;
    mocks
        .store
        .expect_apply()
        .returning(move |_, _| Ok(canceled.clone()));
    let sink = recorded.clone();
    mocks.audit = MockAuditLog::new();
    mocks
        .audit
        .expect_record()
        .returning(move |e| sink.lock().unwrap().push(e));
    mocks
        .service()
        .cancel(&alice(), &job.id.to_string())
        .await
        .unwrap();

    let lines = recorded.lock().unwrap();
    let seen: Vec<(AuditAction, &str, String)> = lines
        .iter()
        .map(|e| (e.action, e.method.as_str(), e.detail.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (AuditAction::JobSubmitted, "SubmitJob", id.to_string()),
            (AuditAction::JobCanceled, "CancelJob", job.id.to_string()),
        ]
    );
}

fn admin() -> Identity {
    Identity {
        groups: vec!["admin".into()],
        ..alice()
    }
}

#[tokio::test]
async fn an_admin_reads_and_cancels_any_job_and_lists_every_clients() {
    let bobs = stored_job("bob", JobState::Completed);
    let mut mocks = Mocks::new().holding(&bobs);
    mocks.policies = everyone(Policy::allow_all());
    mocks.store.expect_apply().never();
    mocks
        .store
        .expect_list()
        .withf(|q| q.client_id.is_none())
        .times(1)
        .returning(|_| Ok(JobPage::default()));
    let service = mocks.service();
    let id = bobs.id.to_string();
    assert_eq!(service.status(&admin(), &id).await.unwrap().job.id, bobs.id);
    let reply = service.cancel(&admin(), &id).await.unwrap();
    assert!(
        reply.message.contains("already COMPLETED"),
        "{}",
        reply.message
    );
    service
        .list(&admin(), ListJobsCommand::default())
        .await
        .unwrap();
    let err = service.status(&alice(), &id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "not an admin: {err}");
}

#[tokio::test]
async fn without_a_policies_file_the_admin_group_sees_only_its_own_jobs() {
    let bobs = stored_job("bob", JobState::Queued);
    let mut mocks = Mocks::new().holding(&bobs);
    mocks
        .store
        .expect_list()
        .withf(|q| q.client_id.as_ref().map(|c| c.as_str()) == Some("alice"))
        .returning(|_| Ok(JobPage::default()));
    let service = mocks.service();
    let err = service
        .status(&admin(), &bobs.id.to_string())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    service
        .list(&admin(), ListJobsCommand::default())
        .await
        .unwrap();
}
