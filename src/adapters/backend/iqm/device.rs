//! The device as IQM's dynamic quantum architecture (DQA) describes it:
//! its qubits numbered 0.. in the DQA's order, and the `cz` loci between
//! two qubits as the coupling map.

use std::collections::{BTreeSet, HashMap};

use super::wire::DynamicQuantumArchitecture;
use crate::adapters::backend::remote::Device;
use crate::domain::transpile::Basis;
use crate::domain::{Error, Result};

/// What the DQA says, with the qubit names kept to serialise circuits.
#[derive(Debug, Clone, PartialEq)]
pub struct IqmDevice {
    pub device: Device,
    /// `qubit_names[i]` is physical qubit `i`.
    pub qubit_names: Vec<String>,
}

pub fn from_dqa(name: &str, dqa: &DynamicQuantumArchitecture, max_shots: u32) -> Result<IqmDevice> {
    let index: HashMap<&str, u32> = dqa
        .qubits
        .iter()
        .enumerate()
        .map(|(i, q)| (q.as_str(), i as u32))
        .collect();
    // `cz` is symmetric: one edge per unordered pair. Loci that include a
    // computational resonator (star architectures) join no two qubits
    // directly and are left out.
    let mut edges = BTreeSet::new();
    if let Some(cz) = dqa.gates.get("cz") {
        for locus in cz.implementations.values().flat_map(|i| &i.loci) {
            if let [a, b] = locus.as_slice()
                && let (Some(&a), Some(&b)) = (index.get(a.as_str()), index.get(b.as_str()))
                && a != b
            {
                edges.insert((a.min(b), a.max(b)));
            }
        }
    }
    let native_gates: Vec<String> = dqa.gates.keys().cloned().collect();
    let basis = Basis::from_native_names(&native_gates).ok_or_else(|| {
        Error::failed_precondition(format!(
            "IQM quantum computer '{name}' offers {native_gates:?}, not the prx and cz this server translates to"
        ))
    })?;
    let device = Device {
        name: name.to_owned(),
        num_qubits: dqa.qubits.len() as u32,
        edges: edges.into_iter().collect(),
        basis,
        native_gates,
        // The DQA is read from the current default calibration set: a
        // device that answers with one is taking jobs.
        online: true,
        max_shots,
        // IQM's circuit format (iqm-client `Instruction` docs) has no reset
        // instruction, and a measurement "must be the last operation on each
        // qubit"; the serialiser refuses both.
        mid_circuit_measurement: false,
        reset: false,
    };
    Ok(IqmDevice {
        device,
        qubit_names: dqa.qubits.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dqa(json: serde_json::Value) -> DynamicQuantumArchitecture {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn qubits_are_numbered_in_dqa_order_and_cz_loci_become_edges() {
        let dqa = dqa(serde_json::json!({
            "calibration_set_id": "cd4dd889-b88b-4370-ba01-eb8262ad9c53",
            "qubits": ["QB1", "QB2", "QB3", "QB4"],
            "computational_resonators": [],
            "gates": {
                "prx": {"implementations": {"drag_gaussian": {"loci": [["QB1"], ["QB2"], ["QB3"], ["QB4"]]}},
                        "default_implementation": "drag_gaussian", "override_default_implementation": {}},
                "cz": {"implementations": {"tgss": {"loci": [["QB1", "QB2"], ["QB3", "QB2"]]},
                                           "crf": {"loci": [["QB2", "QB1"], ["QB4", "QB1"]]}},
                       "default_implementation": "tgss", "override_default_implementation": {}},
                "measure": {"implementations": {"constant": {"loci": [["QB1"], ["QB2"], ["QB3"], ["QB4"]]}},
                            "default_implementation": "constant", "override_default_implementation": {}}
            }
        }));
        let got = from_dqa("garnet", &dqa, 1000).unwrap();
        assert_eq!(got.device.num_qubits, 4);
        assert_eq!(got.device.edges, vec![(0, 1), (0, 3), (1, 2)]);
        assert_eq!(got.device.basis, Basis::PrxCz);
        assert_eq!(got.device.native_gates, vec!["cz", "measure", "prx"]);
        assert_eq!(got.qubit_names, vec!["QB1", "QB2", "QB3", "QB4"]);
        assert!(!got.device.mid_circuit_measurement && !got.device.reset);
    }

    #[test]
    fn resonator_loci_are_no_edges_and_a_foreign_basis_is_refused() {
        let star = dqa(serde_json::json!({
            "qubits": ["QB1", "QB2"],
            "gates": {
                "prx": {"implementations": {"d": {"loci": [["QB1"], ["QB2"]]}}},
                "cz": {"implementations": {"tgss": {"loci": [["QB1", "COMP_R"], ["QB2", "COMP_R"]]}}}
            }
        }));
        assert!(from_dqa("deneb", &star, 1).unwrap().device.edges.is_empty());
        let foreign = dqa(
            serde_json::json!({"qubits": ["QB1"], "gates": {"measure": {"implementations": {}}}}),
        );
        let err = from_dqa("x", &foreign, 1).unwrap_err();
        assert!(err.message().contains("prx and cz"), "{}", err.message());
    }
}
