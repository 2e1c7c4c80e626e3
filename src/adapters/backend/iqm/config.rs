//! Settings of an IQM backend (`backends.<id>` with `kind: iqm`).

use std::path::PathBuf;

use serde::Deserialize;

/// Most shots the IQM Server takes for one job unless configured otherwise.
pub const DEFAULT_MAX_SHOTS: u32 = 100_000;
const DEFAULT_TIMEOUT_SECS: u64 = 30;

#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IqmConfig {
    /// The IQM Server root, e.g. `https://resonance.iqm.tech` (no `/api`).
    pub url: String,
    /// The quantum computer's alias, e.g. `garnet`.
    pub quantum_computer: String,
    /// The API token; also set by `ARVAK_BACKENDS_<ID>_TOKEN`.
    #[serde(default)]
    pub token: Option<String>,
    /// A file holding the token, read again whenever it changes.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Time allowed for each HTTP request.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Most shots one job may ask for.
    #[serde(default = "default_max_shots")]
    pub max_shots: u32,
}

fn default_timeout_secs() -> u64 {
    DEFAULT_TIMEOUT_SECS
}

fn default_max_shots() -> u32 {
    DEFAULT_MAX_SHOTS
}

impl IqmConfig {
    /// A configuration with defaults, for code and tests that build one.
    pub fn new(url: impl Into<String>, quantum_computer: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            quantum_computer: quantum_computer.into(),
            token: None,
            token_file: None,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            max_shots: DEFAULT_MAX_SHOTS,
        }
    }
}

// Written by hand so that an inline token never reaches a log line.
impl std::fmt::Debug for IqmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IqmConfig")
            .field("url", &self.url)
            .field("quantum_computer", &self.quantum_computer)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("token_file", &self.token_file)
            .field("timeout_secs", &self.timeout_secs)
            .field("max_shots", &self.max_shots)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_what_is_left_out_and_unknown_keys_are_refused() {
        let config: IqmConfig = serde_yaml::from_str(
            "url: https://resonance.iqm.tech\nquantum_computer: garnet\ntoken: t0k\n",
        )
        .unwrap();
        assert_eq!(config.timeout_secs, 30);
        assert_eq!(config.max_shots, DEFAULT_MAX_SHOTS);
        assert!(!format!("{config:?}").contains("t0k"));
        let unknown = serde_yaml::from_str::<IqmConfig>(
            "url: https://x\nquantum_computer: garnet\napi_key: k\n",
        );
        assert!(unknown.is_err());
    }
}
