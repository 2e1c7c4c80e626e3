//! `backends`: one named section per backend the server serves. The name is
//! the backend id clients use; `type` says which adapter serves it, so one
//! server can serve several backends of one type:
//!
//! ```yaml
//! backends:
//!   simulator: { max_shots: 100000 }        # type defaults to the name
//!   small_sim: { type: simulator, max_shots: 1000, job_timeout_secs: 10 }
//! ```
//!
//! Each section's own settings are checked by its adapter (so this type
//! compiles in every build, whatever adapters it holds).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::super::compose::COMPILED;
use crate::domain::{BackendId, Error, Result};

/// Backend sections by id, in id order.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct BackendsConfig {
    pub sections: BTreeMap<String, BackendSection>,
}

impl Default for BackendsConfig {
    /// The simulator, as `simulator`, when this build holds it.
    fn default() -> Self {
        let simulator = BackendSection {
            enabled: COMPILED.simulator,
            ..BackendSection::default()
        };
        Self {
            sections: BTreeMap::from([("simulator".to_owned(), simulator)]),
        }
    }
}

impl BackendsConfig {
    /// The sections that are served, with their ids.
    pub fn enabled(&self) -> impl Iterator<Item = (&str, &BackendSection)> {
        self.sections
            .iter()
            .filter(|(_, section)| section.enabled)
            .map(|(id, section)| (id.as_str(), section))
    }

    /// The job timeouts of the served sections that set one (0 sets none).
    pub fn job_timeouts(&self) -> HashMap<BackendId, Duration> {
        self.enabled()
            .filter_map(|(id, section)| {
                let secs = section.job_timeout_secs.filter(|s| *s > 0)?;
                Some((BackendId::parse(id).ok()?, Duration::from_secs(secs)))
            })
            .collect()
    }

    /// The section named `id`, if any.
    pub fn get(&self, id: &str) -> Option<&BackendSection> {
        self.sections.get(id)
    }
}

/// One backend's section: whether it is served, which adapter serves it,
/// and that adapter's own settings.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct BackendSection {
    /// The adapter: `simulator`, `iqm` or `ibm`. Defaults to the section's
    /// name, so `backends.simulator: {…}` needs none.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// A section written with `enabled: false` is kept but not served.
    pub enabled: bool,
    /// Overrides `workers.job_timeout_secs` for this backend.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_timeout_secs: Option<u64>,
    #[serde(flatten)]
    pub settings: serde_json::Map<String, serde_json::Value>,
}

impl Default for BackendSection {
    fn default() -> Self {
        Self {
            kind: None,
            enabled: true,
            job_timeout_secs: None,
            settings: serde_json::Map::new(),
        }
    }
}

impl BackendSection {
    /// The adapter type this section names (its id when it names none).
    pub fn kind<'a>(&'a self, id: &'a str) -> &'a str {
        self.kind.as_deref().unwrap_or(id)
    }

    /// Deserialises the adapter's own settings type from this section,
    /// naming the section in any error.
    pub fn settings<T: serde::de::DeserializeOwned>(&self, id: &str) -> Result<T> {
        serde_json::from_value(serde_json::Value::Object(self.settings.clone()))
            .map_err(|e| Error::invalid_argument(format!("configuration backends.{id}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_served_section_keeps_its_own_job_timeout() {
        let sections: BackendsConfig = serde_json::from_value(serde_json::json!({
            "simulator": { "job_timeout_secs": 60 },
            "small_sim": { "type": "simulator", "job_timeout_secs": 5 },
            "no_limit": { "type": "simulator", "job_timeout_secs": 0 },
            "spare": { "type": "simulator", "enabled": false, "job_timeout_secs": 9 },
        }))
        .unwrap();
        let timeouts = sections.job_timeouts();
        let of = |id: &str| timeouts.get(&BackendId::parse(id).unwrap()).copied();
        assert_eq!(of("simulator"), Some(Duration::from_secs(60)));
        assert_eq!(of("small_sim"), Some(Duration::from_secs(5)));
        assert_eq!(
            of("no_limit"),
            None,
            "0 leaves workers.job_timeout_secs in force"
        );
        assert_eq!(of("spare"), None, "not served");
    }
}
