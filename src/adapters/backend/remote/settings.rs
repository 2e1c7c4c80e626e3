//! The settings every QPU backend section has besides its vendor's own:
//! how often to poll, when the breaker opens, how often the device is read.

use std::time::Duration;

use serde::Deserialize;

use crate::domain::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemoteSettings {
    /// First pause between two status polls of a vendor job, in ms; it
    /// grows by half each poll up to `poll_max_secs`.
    pub poll_ms: u64,
    pub poll_max_secs: u64,
    /// Consecutive failures to reach the vendor that mark the backend
    /// unavailable.
    pub breaker_failures: u32,
    /// Pause before a probe tries an unavailable backend again, in seconds.
    pub breaker_open_secs: u64,
    /// How often the device's description is read again, in seconds.
    pub device_refresh_secs: u64,
    /// Seed of the transpiler's layout search, so a job's circuit is
    /// transpiled the same way each time.
    pub transpile_seed: u64,
}

impl Default for RemoteSettings {
    fn default() -> Self {
        Self {
            poll_ms: 1_000,
            poll_max_secs: 30,
            breaker_failures: 5,
            breaker_open_secs: 30,
            device_refresh_secs: 300,
            transpile_seed: 7,
        }
    }
}

impl RemoteSettings {
    /// The keys these settings use, so they can be taken out of a backend
    /// section before the vendor's own settings are read from the rest.
    const KEYS: [&'static str; 6] = [
        "poll_ms",
        "poll_max_secs",
        "breaker_failures",
        "breaker_open_secs",
        "device_refresh_secs",
        "transpile_seed",
    ];

    /// Takes these settings out of `section` (named `setting` in errors),
    /// leaving the vendor's own.
    pub fn take_from(
        section: &mut serde_json::Map<String, serde_json::Value>,
        setting: &str,
    ) -> Result<Self> {
        let mine: serde_json::Map<_, _> = Self::KEYS
            .iter()
            .filter_map(|key| Some(((*key).to_owned(), section.remove(*key)?)))
            .collect();
        serde_json::from_value(serde_json::Value::Object(mine))
            .map_err(|e| Error::invalid_argument(format!("{setting}: {e}")))
    }

    pub fn poll_first(&self) -> Duration {
        Duration::from_millis(self.poll_ms.max(1))
    }

    pub fn poll_max(&self) -> Duration {
        Duration::from_secs(self.poll_max_secs).max(self.poll_first())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn its_keys_are_taken_and_the_vendors_are_left() {
        let mut section = serde_json::json!({
            "url": "https://example", "poll_ms": 50, "breaker_failures": 2
        })
        .as_object()
        .unwrap()
        .clone();
        let settings = RemoteSettings::take_from(&mut section, "backends.g").unwrap();
        assert_eq!(settings.poll_ms, 50);
        assert_eq!(settings.breaker_failures, 2);
        assert_eq!(settings.device_refresh_secs, 300);
        assert_eq!(section.keys().collect::<Vec<_>>(), ["url"]);
        let mut bad = serde_json::json!({ "poll_ms": "soon" })
            .as_object()
            .unwrap()
            .clone();
        let err = RemoteSettings::take_from(&mut bad, "backends.g").unwrap_err();
        assert!(err.message().contains("backends.g"), "{err}");
    }
}
