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
    /// Which dynamic-circuit features the backend can run.
    pub dynamic: DynamicCircuits,
}

/// What a backend can do beyond gates followed by final measurements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DynamicCircuits {
    /// A qubit may be used again after it was measured.
    pub mid_circuit_measurement: bool,
    pub reset: bool,
    /// Instructions may be guarded by `if (c == v)`.
    pub conditions: bool,
}

impl DynamicCircuits {
    /// Everything, as a simulator runs it.
    pub const ALL: Self = Self {
        mid_circuit_measurement: true,
        reset: true,
        conditions: true,
    };
}

impl BackendCapabilities {
    /// Checks that `circuit` with `shots` can run here; the message names the
    /// limit and the backend.
    pub fn check_fits(&self, circuit: &Circuit, shots: Shots) -> Result<()> {
        if self.max_qubits == 0 {
            return Err(Error::unavailable(format!(
                "backend '{}' has not described its device yet (it has not been reached); \
                 try again later",
                self.id
            )));
        }
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
        self.check_dynamic(circuit)
    }

    /// Refuses the dynamic-circuit features the backend lacks, naming the
    /// first instruction that needs one.
    fn check_dynamic(&self, circuit: &Circuit) -> Result<()> {
        let can = self.dynamic;
        if can == DynamicCircuits::ALL {
            return Ok(());
        }
        let refuse = |what: &str, index: usize| {
            Err(Error::invalid_argument(format!(
                "backend '{}' cannot run {what} (instruction {index}); it runs gates followed \
                 by measurements at the end",
                self.id
            )))
        };
        let mut measured = vec![false; circuit.num_qubits() as usize];
        for (index, instruction) in circuit.instructions().iter().enumerate() {
            if instruction.condition.is_some() && !can.conditions {
                return refuse("classically conditioned instructions", index);
            }
            let used_again = match &instruction.operation {
                Operation::Measure { qubit, .. } => {
                    std::mem::replace(&mut measured[*qubit as usize], true)
                }
                Operation::Reset { qubit } => {
                    if !can.reset {
                        return refuse("reset", index);
                    }
                    measured[*qubit as usize]
                }
                Operation::Gate { qubits, .. } => qubits.iter().any(|q| measured[*q as usize]),
                Operation::Barrier { .. } => false,
            };
            if used_again && !can.mid_circuit_measurement {
                return refuse("a qubit used after it was measured", index);
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
            dynamic: DynamicCircuits::ALL,
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

    #[test]
    fn a_device_not_yet_described_asks_to_try_later() {
        let unknown = BackendCapabilities {
            max_qubits: 0,
            ..caps()
        };
        let err = unknown
            .check_fits(&circuit(1, Gate::H), Shots::parse(1).unwrap())
            .unwrap_err();
        assert_eq!(err.kind(), crate::domain::ErrorKind::Unavailable);
        assert!(err.message().contains("not described"), "{err}");
    }

    fn measured_then(
        then: Operation,
        condition: Option<crate::domain::circuit::Condition>,
    ) -> Circuit {
        let mut b = CircuitBuilder::new();
        b.add_qreg("q", 2).unwrap();
        b.add_creg("c", 2).unwrap();
        let measure = Operation::Measure { qubit: 0, clbit: 0 };
        for (operation, condition) in [(measure, None), (then, condition)] {
            b.push(Instruction {
                operation,
                condition,
            })
            .unwrap();
        }
        b.build()
    }

    #[test]
    fn dynamic_features_a_backend_lacks_are_refused_by_name() {
        let static_only = BackendCapabilities {
            dynamic: DynamicCircuits {
                mid_circuit_measurement: false,
                reset: false,
                conditions: false,
            },
            ..caps()
        };
        let shots = Shots::parse(1).unwrap();
        let h_on = |q| Operation::Gate {
            gate: Gate::H,
            qubits: vec![q],
        };
        let refused = |c: &Circuit| static_only.check_fits(c, shots).unwrap_err().to_string();
        assert!(refused(&measured_then(h_on(0), None)).contains("after it was measured"));
        assert!(refused(&measured_then(Operation::Reset { qubit: 1 }, None)).contains("reset"));
        let bit = crate::domain::circuit::Condition::Bit {
            clbit: 0,
            value: true,
        };
        assert!(refused(&measured_then(h_on(1), Some(bit))).contains("conditioned"));
        // Another qubit after a measurement, and measuring twice into
        // different bits... the first is fine, the second reuses a qubit.
        static_only
            .check_fits(&measured_then(h_on(1), None), shots)
            .unwrap();
        let twice = measured_then(Operation::Measure { qubit: 0, clbit: 1 }, None);
        assert!(refused(&twice).contains("after it was measured"));
        caps().check_fits(&twice, shots).unwrap();
    }
}
