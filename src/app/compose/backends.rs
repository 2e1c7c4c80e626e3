//! Backends: one adapter per named section of `backends`, chosen by its
//! `type`, plus any the caller built itself.

use std::sync::Arc;

use super::super::backends::BackendRegistry;
use super::super::config::{BackendSection, Config};
#[allow(unused_imports)]
use super::missing_feature;
#[cfg(any(feature = "backend-iqm", feature = "backend-ibm"))]
use crate::adapters::backend::remote::{RemoteBackend, RemoteSettings};
use crate::domain::{BackendId, Error, Result};
use crate::ports::QuantumBackend;

/// The adapter types a section may name.
const TYPES: &str = "simulator, iqm, ibm";

pub(super) fn registry(
    config: &Config,
    extra: Vec<Arc<dyn QuantumBackend>>,
) -> Result<BackendRegistry> {
    let mut registry = BackendRegistry::new();
    for (name, section) in config.backends.enabled() {
        let id = BackendId::parse(name)
            .map_err(|e| Error::invalid_argument(format!("configuration backends.{name}: {e}")))?;
        let backend = match section.kind(name) {
            "simulator" => simulator(id, section)?,
            "iqm" => iqm(id, section)?,
            "ibm" => ibm(id, section)?,
            other => {
                return Err(Error::invalid_argument(format!(
                    "configuration backends.{name}.type: unknown backend type '{other}'; \
                     the types are {TYPES}"
                )));
            }
        };
        registry.register(backend)?;
    }
    for backend in extra {
        registry.register(backend)?;
    }
    Ok(registry)
}

#[allow(unused_variables)]
fn simulator(id: BackendId, section: &BackendSection) -> Result<Arc<dyn QuantumBackend>> {
    #[cfg(feature = "backend-simulator")]
    {
        use crate::adapters::backend::simulator::{SimulatorBackend, SimulatorConfig};
        let settings: SimulatorConfig = section.settings(id.as_str())?;
        Ok(Arc::new(SimulatorBackend::open(id, settings)?))
    }
    #[cfg(not(feature = "backend-simulator"))]
    Err(missing_feature(
        &format!("backend '{id}' (type simulator)"),
        "backend-simulator",
    ))
}

#[allow(unused_variables)]
fn iqm(id: BackendId, section: &BackendSection) -> Result<Arc<dyn QuantumBackend>> {
    #[cfg(feature = "backend-iqm")]
    {
        use crate::adapters::backend::iqm::{IqmApi, IqmConfig};
        let (remote, settings) = remote_settings(&id, section)?;
        let config: IqmConfig = settings.settings(id.as_str())?;
        let api = Arc::new(IqmApi::new(id.as_str(), config)?);
        Ok(Arc::new(RemoteBackend::start(id, api, remote)))
    }
    #[cfg(not(feature = "backend-iqm"))]
    Err(missing_feature(
        &format!("backend '{id}' (type iqm)"),
        "backend-iqm",
    ))
}

#[allow(unused_variables)]
fn ibm(id: BackendId, section: &BackendSection) -> Result<Arc<dyn QuantumBackend>> {
    #[cfg(feature = "backend-ibm")]
    {
        use crate::adapters::backend::ibm::{IbmApi, IbmConfig};
        let (remote, settings) = remote_settings(&id, section)?;
        let config: IbmConfig = settings.settings(id.as_str())?;
        let api = Arc::new(IbmApi::new(id.as_str(), config)?);
        Ok(Arc::new(RemoteBackend::start(id, api, remote)))
    }
    #[cfg(not(feature = "backend-ibm"))]
    Err(missing_feature(
        &format!("backend '{id}' (type ibm)"),
        "backend-ibm",
    ))
}

/// Splits a QPU section into the settings every QPU backend has and the
/// vendor's own.
#[cfg(any(feature = "backend-iqm", feature = "backend-ibm"))]
fn remote_settings(
    id: &BackendId,
    section: &BackendSection,
) -> Result<(RemoteSettings, BackendSection)> {
    let mut vendor = section.clone();
    let remote = RemoteSettings::take_from(
        &mut vendor.settings,
        &format!("configuration backends.{id}"),
    )?;
    Ok((remote, vendor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_with(id: &str, section: serde_json::Value) -> Config {
        let mut config = Config::default();
        let section = serde_json::from_value(section).unwrap();
        config.backends.sections.insert(id.to_owned(), section);
        config
    }

    fn refusal(config: &Config) -> String {
        registry(config, Vec::new())
            .err()
            .expect("refused")
            .message()
            .to_owned()
    }

    #[test]
    fn a_qpu_type_names_its_feature_or_its_missing_settings() {
        for (kind, feature, built) in [
            ("iqm", "backend-iqm", cfg!(feature = "backend-iqm")),
            ("ibm", "backend-ibm", cfg!(feature = "backend-ibm")),
        ] {
            let message = refusal(&config_with("qpu", serde_json::json!({ "type": kind })));
            if built {
                // Built in: its own settings are read, and they are missing.
                assert!(message.contains("backends.qpu"), "{message}");
                let names_what = ["missing field `url`", "backends.qpu.backend"];
                assert!(names_what.iter().any(|m| message.contains(m)), "{message}");
            } else {
                assert!(message.contains("backend 'qpu'"), "{message}");
                assert!(message.contains(feature), "{message}");
            }
        }
    }

    #[test]
    fn an_unknown_type_or_a_bad_id_is_refused_by_name() {
        let message = refusal(&config_with("toaster", serde_json::json!({})));
        assert!(
            message.contains("backends.toaster.type") && message.contains("'toaster'"),
            "{message}"
        );
        assert!(message.contains("simulator, iqm, ibm"), "{message}");
        let message = refusal(&config_with(
            "has space",
            serde_json::json!({ "type": "simulator" }),
        ));
        assert!(message.contains("backends.has space"), "{message}");
    }

    #[test]
    fn a_disabled_section_is_not_served() {
        let config = config_with(
            "qpu",
            serde_json::json!({ "type": "iqm", "enabled": false }),
        );
        let registry = registry(&config, Vec::new()).unwrap();
        assert!(registry.get("qpu").is_err());
    }

    #[cfg(feature = "backend-simulator")]
    #[test]
    fn a_simulator_section_is_checked_by_the_simulator() {
        let message = refusal(&config_with(
            "sim2",
            serde_json::json!({ "type": "simulator", "max_shot": 5 }),
        ));
        assert!(
            message.contains("backends.sim2") && message.contains("max_shot"),
            "{message}"
        );
    }
}
