//! A device as the service publishes it: what `BackendInfo` says, and the
//! target the transpiler maps circuits onto.

use std::sync::Arc;

use super::vendor::Device;
use crate::domain::circuit::Gate;
use crate::domain::transpile::Target;
use crate::domain::{BackendCapabilities, BackendId, DynamicCircuits, Result};

/// A device read from its vendor.
#[derive(Debug)]
pub struct Described {
    pub device: Device,
    pub target: Target,
    pub capabilities: Arc<BackendCapabilities>,
}

impl Described {
    pub fn new(id: &BackendId, vendor: &str, device: Device) -> Result<Self> {
        let target = Target::new(device.num_qubits, device.edges.clone(), device.basis)?;
        let capabilities = Arc::new(BackendCapabilities {
            id: id.clone(),
            name: format!("{vendor} {}", device.name),
            description: format!(
                "{vendor} quantum computer '{}', {} qubits; circuits are transpiled to its \
                 native gates ({}) and coupling map",
                device.name,
                device.num_qubits,
                device.basis.gate_names().join(", ")
            ),
            max_qubits: device.num_qubits,
            max_shots: device.max_shots,
            // Every gate the front-ends accept: the transpiler maps them.
            supported_gates: Gate::NAMES.iter().map(|g| (*g).to_owned()).collect(),
            topology_json: topology_json(vendor, &device),
            dynamic: DynamicCircuits {
                mid_circuit_measurement: device.mid_circuit_measurement,
                reset: device.reset,
                conditions: false,
            },
        });
        Ok(Self {
            device,
            target,
            capabilities,
        })
    }

    /// What a backend publishes before its vendor has described the device:
    /// no qubits, so every submission is told to try again later.
    pub fn unknown(id: &BackendId, vendor: &str) -> Arc<BackendCapabilities> {
        Arc::new(BackendCapabilities {
            id: id.clone(),
            name: format!("{vendor} {id}"),
            description: format!("{vendor} quantum computer, not described yet"),
            max_qubits: 0,
            max_shots: 0,
            supported_gates: Vec::new(),
            topology_json: serde_json::json!({ "kind": "unknown" }).to_string(),
            dynamic: DynamicCircuits::ALL,
        })
    }
}

/// The coupling map for clients that route circuits themselves (Qiskit's
/// `coupling_map` form: pairs of physical qubits), with the device's native
/// gates.
fn topology_json(vendor: &str, device: &Device) -> String {
    serde_json::json!({
        "kind": "coupling-map",
        "vendor": vendor,
        "device": device.name,
        "num_qubits": device.num_qubits,
        "coupling_map": device.edges,
        "directed": !device.basis.two_qubit_gate_is_symmetric(),
        "native_gates": device.native_gates,
        "basis_gates": device.basis.gate_names(),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::transpile::Basis;

    #[test]
    fn the_published_description_follows_the_device() {
        let device = Device {
            name: "garnet".into(),
            num_qubits: 3,
            edges: vec![(0, 1), (1, 2)],
            basis: Basis::PrxCz,
            native_gates: vec!["prx".into(), "cz".into(), "measure".into()],
            online: true,
            max_shots: 100_000,
            mid_circuit_measurement: false,
            reset: false,
        };
        let id = BackendId::parse("garnet").unwrap();
        let described = Described::new(&id, "IQM", device).unwrap();
        let caps = &described.capabilities;
        assert_eq!((caps.max_qubits, caps.max_shots), (3, 100_000));
        assert!(caps.supported_gates.iter().any(|g| g == "ccx"));
        assert!(!caps.dynamic.mid_circuit_measurement);
        let topology: serde_json::Value = serde_json::from_str(&caps.topology_json).unwrap();
        assert_eq!(
            topology["coupling_map"],
            serde_json::json!([[0, 1], [1, 2]])
        );
        assert_eq!(topology["native_gates"][0], "prx");
        assert_eq!(topology["directed"], false);
        assert!(described.target.allows(2, 1));
    }
}
