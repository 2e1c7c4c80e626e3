//! Authorization over the real server: API keys tell the clients apart, a
//! policies file says what each may do.

mod grants;
mod quotas;
mod reload;
#[cfg(feature = "auth-jwt")]
mod roles;
mod streamed;
mod tenancy;

use std::path::{Path, PathBuf};

use arvak_grpc::app::config::Config;
use arvak_grpc::proto;
use tonic::{Request, Status};

use crate::api_keys::keyed_config;
use crate::common::{api_key, with_header};
use crate::support::{TestApp, bell_request, is_terminal};

pub fn policies_path(dir: &Path) -> PathBuf {
    dir.join("policies.yaml")
}

/// API keys in `dir`, and the policies `yaml` in a file there that the
/// server checks for changes every second.
pub fn policed_config(dir: &Path, yaml: &str) -> Config {
    std::fs::write(policies_path(dir), yaml).unwrap();
    let mut config = keyed_config(dir);
    config.policies.file = Some(policies_path(dir));
    config.policies.reload_interval_secs = 1;
    config
}

/// The server with `policed_config`.
pub async fn policed_app(dir: &Path, yaml: &str) -> (TestApp, Config) {
    let config = policed_config(dir, yaml);
    (crate::serve::serve(config.clone()).await, config)
}

/// `message` sent with API key `key`.
pub fn as_client<T>(key: &str, message: T) -> Request<T> {
    with_header(message, api_key(key))
}

/// Submits `request` with `key`; the job id.
pub async fn submit_as(
    app: &mut TestApp,
    key: &str,
    request: proto::SubmitJobRequest,
) -> Result<String, Status> {
    let reply = app.client.submit_job(as_client(key, request)).await?;
    Ok(reply.into_inner().job_id)
}

/// BELL on the test backend, one shot, with `key`.
pub async fn submit_bell(app: &mut TestApp, key: &str) -> Result<String, Status> {
    submit_as(app, key, bell_request()).await
}

/// The ids of the jobs ListJobs shows to `key`.
pub async fn listed(app: &mut TestApp, key: &str) -> Result<Vec<String>, Status> {
    let request = as_client(key, proto::ListJobsRequest::default());
    let jobs = app.client.list_jobs(request).await?.into_inner().jobs;
    Ok(jobs.into_iter().map(|job| job.job_id).collect())
}

/// Polls, as `key`, until the job has ended.
pub async fn wait_done(app: &mut TestApp, key: &str, job_id: &str) {
    for _ in 0..1000 {
        let request = as_client(
            key,
            proto::GetJobStatusRequest {
                job_id: job_id.into(),
            },
        );
        let job = app
            .client
            .get_job_status(request)
            .await
            .unwrap()
            .into_inner()
            .job
            .unwrap();
        if is_terminal(job.state()) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("job {job_id} did not end within 10 s");
}
