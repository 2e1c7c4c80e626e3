//! What a backend declares it can do, and whether a circuit fits it.

use super::circuit::{Circuit, Operation};
use super::error::{Error, Result};
use super::ids::BackendId;
use super::values::Shots;

/// A backend's published description and limits.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendCapabilities {
    pub id: BackendId,
    /// Human-readable name.
    pub name: String,
    pub description: String,
    pub max_qubits: u32,
    pub max_shots: u32,
    /// Gate names the backend runs natively (see `Gate::NAMES`).
    pub supported_gates: Vec<String>,
    /// Coupling map as JSON, for clients that route circuits themselves.
    pub topology_json: String,
}

impl BackendCapabilities {
    /// Checks that `circuit` with `shots` can run here; the message names the
    /// limit and the backend.
    pub fn check_fits(&self, circuit: &Circuit, shots: Shots) -> Result<()> {
        if circuit.num_qubits() > self.max_qubits {
            return Err(Error::invalid_argument(format!(
                "circuit uses {} qubits but backend '{}' has at most {}",
                circuit.num_qubits(),
                self.id,
                self.max_qubits
            )));
        }
        if shots.get() > self.max_shots {
            return Err(Error::invalid_argument(format!(
                "{} shots asked but backend '{}' allows at most {}",
                shots.get(),
                self.id,
                self.max_shots
            )));
        }
        for instruction in circuit.instructions() {
            if let Operation::Gate { gate, .. } = &instruction.operation
                && !self.supported_gates.iter().any(|g| g == gate.name())
            {
                return Err(Error::invalid_argument(format!(
                    "gate '{}' is not supported by backend '{}'",
                    gate.name(),
                    self.id
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::circuit::{CircuitBuilder, Gate, Instruction};

    fn caps() -> BackendCapabilities {
        BackendCapabilities {
            id: BackendId::parse("tiny").unwrap(),
            name: "Tiny".into(),
            description: String::new(),
            max_qubits: 2,
            max_shots: 100,
            supported_gates: vec!["h".into()],
            topology_json: "{}".into(),
        }
    }

    fn circuit(qubits: u32, gate: Gate) -> Circuit {
        let mut b = CircuitBuilder::new();
        b.add_qreg("q", qubits).unwrap();
        let operation = Operation::Gate {
            gate,
            qubits: vec![0],
        };
        b.push(Instruction {
            operation,
            condition: None,
        })
        .unwrap();
        b.build()
    }

    #[test]
    fn each_limit_names_itself() {
        let shots = Shots::parse(10).unwrap();
        caps().check_fits(&circuit(2, Gate::H), shots).unwrap();
        let err = caps().check_fits(&circuit(3, Gate::H), shots).unwrap_err();
        assert!(
            err.message().contains("3 qubits") && err.message().contains("at most 2"),
            "{err}"
        );
        let err = caps()
            .check_fits(&circuit(1, Gate::H), Shots::parse(101).unwrap())
            .unwrap_err();
        assert!(err.message().contains("at most 100"), "{err}");
        let err = caps().check_fits(&circuit(1, Gate::X), shots).unwrap_err();
        assert!(err.message().contains("gate 'x'"), "{err}");
    }
}
