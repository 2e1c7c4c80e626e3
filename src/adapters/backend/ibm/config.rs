//! Settings of an IBM Quantum backend section.

use std::path::PathBuf;

use serde::Deserialize;

/// How to reach one IBM Quantum backend. `api_key` is also set by the
/// environment variable `ARVAK_BACKENDS_<ID>_API_KEY`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IbmConfig {
    /// The Qiskit Runtime API; paths below it start with `/v1/`.
    pub url: String,
    /// IBM Cloud IAM, which trades the API key for access tokens.
    pub iam_url: String,
    /// The device's name, such as `ibm_torino`.
    pub backend: String,
    /// The CRN of the Qiskit Runtime service instance, sent with every call.
    pub service_crn: String,
    /// The IBM Cloud API key (or `api_key_file`: exactly one of them).
    pub api_key: Option<String>,
    /// A file holding the API key, read again when it changes.
    pub api_key_file: Option<PathBuf>,
    /// Longest wait for one HTTP call, in seconds.
    pub timeout_secs: u64,
}

pub const DEFAULT_URL: &str = "https://quantum.cloud.ibm.com/api";
pub const DEFAULT_IAM_URL: &str = "https://iam.cloud.ibm.com";
const DEFAULT_TIMEOUT_SECS: u64 = 30;

impl Default for IbmConfig {
    fn default() -> Self {
        Self {
            url: DEFAULT_URL.to_owned(),
            iam_url: DEFAULT_IAM_URL.to_owned(),
            backend: String::new(),
            service_crn: String::new(),
            api_key: None,
            api_key_file: None,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
        }
    }
}

/// Shows everything but the API key.
impl std::fmt::Debug for IbmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IbmConfig")
            .field("url", &self.url)
            .field("iam_url", &self.iam_url)
            .field("backend", &self.backend)
            .field("service_crn", &self.service_crn)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("api_key_file", &self.api_key_file)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_what_is_not_given_and_unknown_settings_are_refused() {
        let config: IbmConfig = serde_json::from_value(serde_json::json!({
            "backend": "ibm_torino",
            "service_crn": "crn:v1:x",
            "api_key": "k",
        }))
        .unwrap();
        assert_eq!(config.url, DEFAULT_URL);
        assert_eq!(config.iam_url, DEFAULT_IAM_URL);
        assert_eq!(config.timeout_secs, 30);
        let unknown = serde_json::from_value::<IbmConfig>(serde_json::json!({ "token": "t" }));
        assert!(unknown.unwrap_err().to_string().contains("token"));
    }

    #[test]
    fn debug_hides_the_api_key() {
        let config = IbmConfig {
            api_key: Some("s3cr3t-key".into()),
            ..IbmConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cr3t-key"), "{shown}");
        assert!(shown.contains("***"));
    }
}
