//! Circuits of plain gates for the transpiler's unit tests.

use crate::domain::circuit::{Circuit, CircuitBuilder, Gate, Instruction, Operation};

/// `n` qubits in one register, then `gates` in order, none conditioned.
pub(super) fn circuit_of(n: u32, gates: &[(Gate, &[u32])]) -> Circuit {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", n).unwrap();
    for (gate, qubits) in gates {
        b.push(Instruction {
            operation: Operation::Gate {
                gate: *gate,
                qubits: qubits.to_vec(),
            },
            condition: None,
        })
        .unwrap();
    }
    b.build()
}
