//! The load generator's lean caller (`benches/load/lean.rs`) against the real
//! server: what the throughput figures come from must be real calls that
//! get real answers, and an error must be counted as one.

#[path = "../../benches/load/lean.rs"]
mod lean;

use arvak_grpc::proto;
use lean::{LeanConnection, frame, unframe};

use crate::support::{bell_request, spawn_app};

#[tokio::test]
async fn the_lean_caller_lists_submits_and_reads_back() {
    let app = spawn_app().await;
    let mut lean = LeanConnection::connect(&app.addr.to_string())
        .await
        .unwrap();

    let uri = lean.method_uri("ListBackends").unwrap();
    let backends: proto::ListBackendsResponse = lean
        .unary(&uri, frame(&proto::ListBackendsRequest {}))
        .await
        .unwrap();
    assert!(
        backends
            .backends
            .iter()
            .any(|b| b.backend_id == "test-backend"),
        "{backends:?}"
    );

    let uri = lean.method_uri("SubmitJob").unwrap();
    let submitted: proto::SubmitJobResponse =
        lean.unary(&uri, frame(&bell_request())).await.unwrap();
    assert!(!submitted.job_id.is_empty());

    let uri = lean.method_uri("GetJobStatus").unwrap();
    let request = proto::GetJobStatusRequest {
        job_id: submitted.job_id.clone(),
    };
    let status: proto::GetJobStatusResponse = lean.unary(&uri, frame(&request)).await.unwrap();
    assert_eq!(status.job.unwrap().job_id, submitted.job_id);
}

#[tokio::test]
async fn an_error_answer_is_an_error_with_its_code_and_message() {
    let app = spawn_app().await;
    let mut lean = LeanConnection::connect(&app.addr.to_string())
        .await
        .unwrap();
    let uri = lean.method_uri("GetJobStatus").unwrap();
    let request = proto::GetJobStatusRequest {
        job_id: "0196a8f4-0000-7000-8000-000000000000".into(),
    };
    let error = lean
        .unary::<proto::GetJobStatusResponse>(&uri, frame(&request))
        .await
        .unwrap_err();
    // NOT_FOUND is 5.
    assert!(error.starts_with("grpc-status 5: "), "{error}");
    assert!(error.contains("job"), "{error}");

    let mut refused = bell_request();
    refused.backend_id = "no-such-backend".into();
    let uri = lean.method_uri("SubmitJob").unwrap();
    let error = lean
        .unary::<proto::SubmitJobResponse>(&uri, frame(&refused))
        .await
        .unwrap_err();
    assert!(error.contains("no-such-backend"), "{error}");
}

#[test]
fn a_framed_message_reads_back() {
    let request = proto::GetJobStatusRequest {
        job_id: "0192-abc".into(),
    };
    let framed = frame(&request);
    assert_eq!(framed[0], 0, "not compressed");
    assert_eq!(
        u32::from_be_bytes(framed[1..5].try_into().unwrap()) as usize,
        framed.len() - 5
    );
    assert_eq!(
        unframe::<proto::GetJobStatusRequest>(&framed).unwrap(),
        request
    );
}

#[test]
fn a_truncated_frame_is_an_error() {
    let framed = frame(&proto::GetJobStatusRequest {
        job_id: "0192-abc".into(),
    });
    let error = unframe::<proto::GetJobStatusRequest>(&framed[..framed.len() - 1]).unwrap_err();
    assert!(error.contains("malformed gRPC frame"), "{error}");
    let error = unframe::<proto::GetJobStatusRequest>(&framed[..3]).unwrap_err();
    assert!(error.contains("no gRPC frame"), "{error}");
}
