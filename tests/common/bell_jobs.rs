//! Bell jobs as the crash and cluster tests submit them, and waiting for an
//! acknowledged one to complete with its whole result.

use std::time::{Duration, Instant};

use arvak_grpc::proto::{self, JobState, arvak_service_client::ArvakServiceClient};
use tonic::transport::Channel;

pub const SHOTS: u32 = 10;

/// A Bell job of `SHOTS` shots on the simulator.
pub fn bell_job() -> proto::SubmitJobRequest {
    proto::SubmitJobRequest {
        circuit: Some(proto::CircuitPayload {
            format: Some(proto::circuit_payload::Format::Qasm3(
                "OPENQASM 3.0; qubit[2] q; h q[0]; cx q[0], q[1];".into(),
            )),
        }),
        backend_id: "simulator".into(),
        shots: SHOTS,
        ..Default::default()
    }
}

/// The acknowledged job `id` once COMPLETED, asked through `client`; it
/// may wait or run meanwhile, but must not end otherwise, nor be missing,
/// nor still be unfinished at `by` (`after` names the fault, for the
/// message).
pub async fn completed(
    client: &mut ArvakServiceClient<Channel>,
    id: &str,
    by: Instant,
    after: &str,
) -> proto::Job {
    loop {
        let job = client
            .get_job_status(proto::GetJobStatusRequest {
                job_id: id.to_owned(),
            })
            .await
            .unwrap_or_else(|e| panic!("acknowledged job {id} is missing: {e}"))
            .into_inner()
            .job
            .unwrap();
        if job.state() == JobState::Completed {
            return job;
        }
        assert!(
            matches!(job.state(), JobState::Queued | JobState::Running),
            "job {id} ended {:?}: {}",
            job.state(),
            job.error_message
        );
        assert!(Instant::now() < by, "job {id} did not finish after {after}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Fails unless the result of `id` holds all its shots.
pub async fn assert_whole_result(client: &mut ArvakServiceClient<Channel>, id: &str) {
    let result = client
        .get_job_result(proto::GetJobResultRequest {
            job_id: id.to_owned(),
        })
        .await
        .unwrap();
    let counts = result.into_inner().result.unwrap().counts;
    assert_eq!(
        counts.values().sum::<u64>(),
        u64::from(SHOTS),
        "job {id} has its whole result"
    );
}
