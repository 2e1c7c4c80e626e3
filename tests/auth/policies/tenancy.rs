//! Tenant isolation under policies: another client's job is NOT_FOUND on
//! every call that names a job, exactly like a missing one; an admin sees,
//! lists and cancels every client's jobs.

use arvak_grpc::proto;
use tonic::{Code, Status};

use super::{as_client, listed, policed_app, submit_bell, wait_done};
use crate::api_keys::{audit_path, create_key};
use crate::common::{api_key, assert_code, audit_lines, status};
use crate::support::TestApp;

const POLICIES: &str = r#"
default:
  operations: "*"
  backends: "*"
clients:
  ops:
    operations: "*"
    admin: true
"#;

/// Every call that names a job, as `key`: the status codes, in order
/// status, result, stream, watch, cancel.
async fn codes_for(app: &mut TestApp, key: &str, job_id: &str) -> Vec<Code> {
    let id = || job_id.to_owned();
    let code = |outcome: Result<(), Status>| outcome.err().map_or(Code::Ok, |s| s.code());
    let mut codes = Vec::new();
    let request = as_client(key, proto::GetJobStatusRequest { job_id: id() });
    codes.push(code(app.client.get_job_status(request).await.map(drop)));
    let request = as_client(key, proto::GetJobResultRequest { job_id: id() });
    codes.push(code(app.client.get_job_result(request).await.map(drop)));
    let request = as_client(
        key,
        proto::StreamResultsRequest {
            job_id: id(),
            chunk_size: 0,
        },
    );
    codes.push(code(app.client.stream_results(request).await.map(drop)));
    let request = as_client(key, proto::WatchJobRequest { job_id: id() });
    codes.push(code(app.client.watch_job(request).await.map(drop)));
    let request = as_client(key, proto::CancelJobRequest { job_id: id() });
    codes.push(code(app.client.cancel_job(request).await.map(drop)));
    codes
}

#[tokio::test]
async fn another_clients_job_is_not_found_everywhere_and_an_admin_sees_all() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, config) = policed_app(dir.path(), POLICIES).await;
    let alice = create_key(&config, "alice").await;
    let bob = create_key(&config, "bob").await;
    let ops = create_key(&config, "ops").await;
    let job = submit_bell(&mut app, &alice).await.unwrap();
    wait_done(&mut app, &alice, &job).await;

    let missing = uuid::Uuid::now_v7().to_string();
    assert_eq!(codes_for(&mut app, &bob, &job).await, [Code::NotFound; 5]);
    assert_eq!(
        codes_for(&mut app, &bob, &missing).await,
        [Code::NotFound; 5]
    );
    let foreign = assert_code(status(&mut app, &job, api_key(&bob)).await, Code::NotFound);
    assert_eq!(foreign.message(), format!("job '{job}' not found"));
    assert!(listed(&mut app, &bob).await.unwrap().is_empty());

    assert_eq!(
        codes_for(&mut app, &ops, &job).await,
        [Code::Ok; 5],
        "an admin sees all"
    );
    let bobs = submit_bell(&mut app, &bob).await.unwrap();
    let mut everything = listed(&mut app, &ops).await.unwrap();
    everything.sort();
    let mut expected = vec![job.clone(), bobs.clone()];
    expected.sort();
    assert_eq!(everything, expected);
    assert_eq!(
        listed(&mut app, &alice).await.unwrap(),
        std::slice::from_ref(&job)
    );

    app.backend.hold();
    let queued = submit_bell(&mut app, &bob).await.unwrap();
    let cancel = as_client(
        &ops,
        proto::CancelJobRequest {
            job_id: queued.clone(),
        },
    );
    let reply = app.client.cancel_job(cancel).await.unwrap().into_inner();
    assert!(reply.success, "{}", reply.message);
    app.backend.release();
    app.shut_down().await.unwrap();

    let lines = audit_lines(&audit_path(dir.path()));
    let canceled: Vec<_> = lines
        .iter()
        .filter(|l| l["action"] == "job_canceled")
        .collect();
    assert_eq!(canceled.len(), 1, "{lines:?}");
    assert_eq!(canceled[0]["client_id"], "ops");
    assert_eq!(canceled[0]["detail"], queued.as_str());
    assert_eq!(canceled[0]["method"], "CancelJob");
    // The call's own request id and the peer's address, as for authentication.
    assert_eq!(canceled[0]["request_id"].as_str().map(str::len), Some(36));
    assert!(
        canceled[0]["peer"]
            .as_str()
            .is_some_and(|peer| peer.starts_with("127.0.0.1:")),
        "{:?}",
        canceled[0]
    );
    let submitted: Vec<_> = lines
        .iter()
        .filter(|l| l["action"] == "job_submitted")
        .map(|l| l["detail"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(submitted, [job, bobs, queued]);
}
