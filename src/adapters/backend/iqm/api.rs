//! [`IqmApi`]: the IQM Server REST API (`/api/v1`) behind [`VendorApi`].
//! Each method makes one request (two for a rotated credential, see
//! [`IqmApi::authorised`]); retries and backoff belong to the caller.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use reqwest::{Method, RequestBuilder, Url};

use super::config::IqmConfig;
use super::device::{IqmDevice, from_dqa};
use super::serialise::{counts_from_iqm, to_iqm};
use super::status::vendor_status;
use super::wire::{
    DynamicQuantumArchitecture, JobData, MeasurementCounts, QuantumComputers, RunRequest,
};
use crate::adapters::backend::remote::http::{HttpClient, parse_url};
use crate::adapters::backend::remote::{Device, Secret, SecretReader, VendorApi, VendorStatus};
use crate::domain::circuit::{Circuit, Counts};
use crate::domain::{Error, ErrorKind, Result};

const VENDOR: &str = "IQM";
/// The name every submitted circuit carries (IQM requires one).
const CIRCUIT_NAME: &str = "arvak";

/// One configured IQM quantum computer.
#[derive(Debug)]
pub struct IqmApi {
    http: HttpClient,
    root: Url,
    quantum_computer: String,
    secret: SecretReader,
    max_shots: u32,
    /// The last device read, whose qubit names circuits are written with.
    device: Mutex<Option<Arc<IqmDevice>>>,
}

impl IqmApi {
    /// Checks `config` (section `backends.<backend_id>`) and builds the
    /// client; nothing is sent yet.
    pub fn new(backend_id: &str, config: IqmConfig) -> Result<Self> {
        let setting = |name: &str| format!("backends.{backend_id}.{name}");
        let root = parse_url(&config.url, &setting("url"))?;
        if root.cannot_be_a_base() {
            return Err(Error::invalid_argument(format!(
                "{}: '{}' cannot have API paths appended",
                setting("url"),
                config.url
            )));
        }
        if config.quantum_computer.trim().is_empty() {
            return Err(Error::invalid_argument(format!(
                "{} is empty; name the quantum computer, e.g. 'garnet'",
                setting("quantum_computer")
            )));
        }
        if config.timeout_secs == 0 || config.max_shots == 0 {
            return Err(Error::invalid_argument(format!(
                "{} and {} must be at least 1",
                setting("timeout_secs"),
                setting("max_shots")
            )));
        }
        let secret =
            SecretReader::from_settings(config.token, config.token_file, &setting("token"))?;
        Ok(Self {
            http: HttpClient::new(VENDOR, Duration::from_secs(config.timeout_secs))?,
            root,
            quantum_computer: config.quantum_computer.trim().to_owned(),
            secret,
            max_shots: config.max_shots,
            device: Mutex::new(None),
        })
    }

    /// `{url}/api/v1/<segments>`, each segment percent-encoded.
    fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.root.clone();
        url.path_segments_mut()
            .expect("checked in new: the URL can be a base")
            .pop_if_empty()
            .extend(["api", "v1"])
            .extend(segments);
        url
    }

    fn request(&self, method: Method, url: Url, token: &Secret) -> RequestBuilder {
        self.http
            .client()
            .request(method, url)
            .bearer_auth(token.expose())
            .header(reqwest::header::ACCEPT, "application/json")
    }

    /// Runs `call` with the current token. A refused credential is read
    /// again, and when it has changed since (a rotated token file) the
    /// request is sent once more with the new one; an unchanged credential
    /// would only be refused again.
    async fn authorised<T, F, Fut>(&self, call: F) -> Result<T>
    where
        F: Fn(Secret) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let token = self.secret.current()?;
        match call(token.clone()).await {
            Err(e) if e.kind() == ErrorKind::Unauthenticated => {
                let fresh = self.secret.current()?;
                if fresh == token {
                    return Err(e);
                }
                call(fresh).await
            }
            other => other,
        }
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: Url, what: &str) -> Result<T> {
        self.authorised(|token| {
            let request = self.request(Method::GET, url.clone(), &token);
            async move { self.http.json(request, what).await }
        })
        .await
    }

    async fn read_device(&self) -> Result<Arc<IqmDevice>> {
        let listed: QuantumComputers = self
            .get_json(
                self.endpoint(&["quantum-computers"]),
                "listing IQM quantum computers",
            )
            .await?;
        if !listed
            .quantum_computers
            .iter()
            .any(|qc| qc.alias == self.quantum_computer)
        {
            let aliases: Vec<&str> = listed
                .quantum_computers
                .iter()
                .map(|qc| qc.alias.as_str())
                .collect();
            return Err(Error::not_found(format!(
                "IQM has no quantum computer '{}' for this token; it offers {aliases:?}",
                self.quantum_computer
            )));
        }
        let url = self.endpoint(&[
            "calibration-sets",
            &self.quantum_computer,
            "default",
            "dynamic-quantum-architecture",
        ]);
        let dqa: DynamicQuantumArchitecture = self
            .get_json(url, "reading the IQM dynamic quantum architecture")
            .await?;
        let device = Arc::new(from_dqa(&self.quantum_computer, &dqa, self.max_shots)?);
        *self.device.lock().unwrap_or_else(|e| e.into_inner()) = Some(device.clone());
        Ok(device)
    }

    async fn known_device(&self) -> Result<Arc<IqmDevice>> {
        let cached = self
            .device
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match cached {
            Some(device) => Ok(device),
            None => self.read_device().await,
        }
    }
}

#[async_trait]
impl VendorApi for IqmApi {
    fn vendor(&self) -> &'static str {
        VENDOR
    }

    async fn device(&self) -> Result<Device> {
        Ok(self.read_device().await?.device.clone())
    }

    async fn submit(&self, circuit: &Circuit, shots: u32) -> Result<String> {
        if shots == 0 || shots > self.max_shots {
            return Err(Error::invalid_argument(format!(
                "IQM quantum computer '{}' takes 1 to {} shots, not {shots}",
                self.quantum_computer, self.max_shots
            )));
        }
        let device = self.known_device().await?;
        let body = RunRequest {
            circuits: vec![to_iqm(circuit, CIRCUIT_NAME, &device.qubit_names)?],
            calibration_set_id: None,
            qubit_mapping: None,
            shots,
            heralding_mode: "none",
            dd_mode: "disabled",
        };
        let mut url = self.endpoint(&["jobs", &self.quantum_computer, "circuit"]);
        // The shared FIFO queue, not a reserved timeslot.
        url.query_pairs_mut().append_pair("use_timeslot", "false");
        let job: JobData = self
            .authorised(|token| {
                let request = self.request(Method::POST, url.clone(), &token).json(&body);
                async move { self.http.json(request, "submitting a job to IQM").await }
            })
            .await?;
        Ok(job.id)
    }

    async fn status(&self, job: &str) -> Result<VendorStatus> {
        let data: JobData = self
            .get_json(self.endpoint(&["jobs", job]), "reading an IQM job's status")
            .await?;
        vendor_status(&data)
    }

    async fn counts(&self, job: &str, circuit: &Circuit) -> Result<Counts> {
        let url = self.endpoint(&["jobs", job, "artifacts", "measurement_counts"]);
        let batch: Vec<MeasurementCounts> = self
            .get_json(url, "reading an IQM job's measurement counts")
            .await?;
        counts_from_iqm(circuit, &batch)
    }

    async fn cancel(&self, job: &str) -> Result<()> {
        let url = self.endpoint(&["jobs", job, "cancel"]);
        let sent = self
            .authorised(|token| {
                let request = self.request(Method::POST, url.clone(), &token);
                async move { self.http.send(request, "cancelling an IQM job").await }
            })
            .await;
        match sent {
            Ok(_) => Ok(()),
            // A job that has already ended stays as it ended.
            Err(e) if e.kind() == ErrorKind::FailedPrecondition => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_sit_under_api_v1_with_segments_encoded() {
        let mut config = IqmConfig::new("https://resonance.iqm.tech/", "garnet");
        config.token = Some("t".into());
        let api = IqmApi::new("g", config).unwrap();
        assert_eq!(
            api.endpoint(&["jobs", "a/b", "cancel"]).as_str(),
            "https://resonance.iqm.tech/api/v1/jobs/a%2Fb/cancel"
        );
    }

    #[test]
    fn settings_are_checked_and_named() {
        let mut config = IqmConfig::new("http://iqm.example.com", "garnet");
        config.token = Some("t".into());
        let err = IqmApi::new("garnet", config).unwrap_err();
        assert!(
            err.message().contains("backends.garnet.url"),
            "{}",
            err.message()
        );
        let config = IqmConfig::new("https://iqm.example.com", "garnet");
        let err = IqmApi::new("garnet", config).unwrap_err();
        assert!(
            err.message().contains("backends.garnet.token"),
            "{}",
            err.message()
        );
        let mut config = IqmConfig::new("https://iqm.example.com", " ");
        config.token = Some("t".into());
        assert!(IqmApi::new("garnet", config).is_err());
    }
}
