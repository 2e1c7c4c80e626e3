//! [`IbmApi`]: the Qiskit Runtime REST calls behind [`VendorApi`], one
//! attempt each (the runner owns retries), with the access token fetched
//! again once after a refusal.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::RequestBuilder;
use reqwest::header::{ACCEPT, HeaderValue};

use super::config::IbmConfig;
use super::iam::TokenSource;
use super::qasm::{register_names, write_program};
use super::results::{SamplerResult, counts};
use super::wire::{self, BackendStatus, Configuration, JobCreated, JobInfo, JobRequest};
use crate::adapters::backend::remote::http::{HttpClient, parse_url};
use crate::adapters::backend::remote::{Device, Secret, SecretReader, VendorApi, VendorStatus};
use crate::domain::circuit::{Circuit, Counts};
use crate::domain::{Error, ErrorKind, Result};

/// The dated API version sent as `IBM-API-Version`, the one
/// `qiskit-ibm-runtime` sends (`api/rest/base.py`, `_HEADER_API_VERSION`).
pub const API_VERSION: &str = "2025-05-01";

/// One IBM Quantum backend, reached through the Qiskit Runtime REST API.
#[derive(Debug)]
pub struct IbmApi {
    http: HttpClient,
    /// The API's base URL without a trailing slash; paths start `/v1/`.
    base: String,
    backend: String,
    service_crn: HeaderValue,
    tokens: TokenSource,
}

impl IbmApi {
    /// Checks the section `backends.<backend_id>` and builds the client;
    /// nothing is sent until the first call.
    pub fn new(backend_id: &str, config: IbmConfig) -> Result<Self> {
        let setting = |name: &str| format!("backends.{backend_id}.{name}");
        let base = parse_url(&config.url, &setting("url"))?;
        let iam = parse_url(&config.iam_url, &setting("iam_url"))?;
        if config.backend.is_empty() || !is_path_safe(&config.backend) {
            return Err(Error::invalid_argument(format!(
                "{}: give the device's name, such as ibm_torino (letters, digits, '_' and '-')",
                setting("backend")
            )));
        }
        let service_crn = HeaderValue::from_str(config.service_crn.trim())
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                Error::invalid_argument(format!(
                    "{}: give the CRN of the Qiskit Runtime service instance",
                    setting("service_crn")
                ))
            })?;
        if config.timeout_secs == 0 {
            return Err(Error::invalid_argument(format!(
                "{} must be at least 1",
                setting("timeout_secs")
            )));
        }
        let api_key =
            SecretReader::from_settings(config.api_key, config.api_key_file, &setting("api_key"))?;
        let http = HttpClient::new("IBM Quantum", Duration::from_secs(config.timeout_secs))?;
        let iam_base = iam.as_str().trim_end_matches('/');
        Ok(Self {
            tokens: TokenSource::new(http.clone(), iam_base, api_key),
            http,
            base: base.as_str().trim_end_matches('/').to_owned(),
            backend: config.backend,
            service_crn,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1/{path}", self.base)
    }

    /// The three headers every runtime call carries.
    fn authorised(&self, request: RequestBuilder, token: &Secret) -> RequestBuilder {
        request
            .bearer_auth(token.expose())
            .header("Service-CRN", self.service_crn.clone())
            .header("IBM-API-Version", API_VERSION)
            .header(ACCEPT, "application/json")
    }

    /// Runs `attempt` with the current token, and once more with a new one
    /// if the service refuses the first (it expired or was revoked early).
    async fn with_token<T, F, Fut>(&self, attempt: F) -> Result<T>
    where
        F: Fn(Secret) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let token = self.tokens.current().await?;
        match attempt(token.clone()).await {
            Err(e) if e.kind() == ErrorKind::Unauthenticated => {
                tracing::debug!(backend = %self.backend, "IBM Quantum refused the access token; fetching a new one");
                self.tokens.forget(&token).await;
                attempt(self.tokens.current().await?).await
            }
            other => other,
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str, what: &str) -> Result<T> {
        let url = self.url(path);
        self.with_token(|token| {
            let request = self.authorised(self.http.client().get(&url), &token);
            self.http.json(request, what)
        })
        .await
    }
}

#[async_trait]
impl VendorApi for IbmApi {
    fn vendor(&self) -> &'static str {
        "IBM Quantum"
    }

    async fn device(&self) -> Result<Device> {
        let name = &self.backend;
        let configuration_path = format!("backends/{name}/configuration");
        let status_path = format!("backends/{name}/status");
        let (configuration, status) = tokio::try_join!(
            self.get::<Configuration>(&configuration_path, "reading the backend's configuration"),
            self.get::<BackendStatus>(&status_path, "reading the backend's status"),
        )?;
        wire::device(name, configuration, &status)
    }

    async fn submit(&self, circuit: &Circuit, shots: u32) -> Result<String> {
        if !circuit.has_measurement() {
            return Err(Error::invalid_argument(
                "the IBM Quantum sampler needs a circuit that measures",
            ));
        }
        if shots == 0 {
            return Err(Error::invalid_argument("shots must be at least 1"));
        }
        let program = write_program(circuit)?;
        let body = JobRequest {
            program_id: "sampler",
            backend: &self.backend,
            params: wire::SamplerParams {
                pubs: [(program.as_str(), None, shots)],
                options: serde_json::Map::new(),
                version: 2,
                support_qiskit: false,
            },
        };
        let url = self.url("jobs");
        let created: JobCreated = self
            .with_token(|token| {
                let request = self.authorised(self.http.client().post(&url), &token);
                self.http.json(request.json(&body), "submitting the job")
            })
            .await?;
        if !is_path_safe(&created.id) {
            return Err(Error::internal(format!(
                "IBM Quantum answered the submission with job id '{}', which this server cannot use",
                created.id
            )));
        }
        Ok(created.id)
    }

    async fn status(&self, job: &str) -> Result<VendorStatus> {
        check_job_id(job)?;
        let info: JobInfo = self
            .get(&format!("jobs/{job}"), "reading the job's status")
            .await?;
        info.status()
    }

    async fn counts(&self, job: &str, circuit: &Circuit) -> Result<Counts> {
        check_job_id(job)?;
        let result: SamplerResult = self
            .get(&format!("jobs/{job}/results"), "reading the job's results")
            .await?;
        counts(&result, circuit, &register_names(circuit))
    }

    async fn cancel(&self, job: &str) -> Result<()> {
        check_job_id(job)?;
        let url = self.url(&format!("jobs/{job}/cancel"));
        let sent = self
            .with_token(|token| {
                let request = self.authorised(self.http.client().post(&url), &token);
                self.http.send(request, "cancelling the job")
            })
            .await;
        match sent {
            Ok(_) => Ok(()),
            // 409: the job is already in a final state.
            Err(e) if e.kind() == ErrorKind::FailedPrecondition => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Letters, digits, `_` and `-`: safe as one URL path segment.
fn is_path_safe(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 128
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn check_job_id(job: &str) -> Result<()> {
    if is_path_safe(job) {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "'{job}' is not an IBM Quantum job id"
        )))
    }
}
