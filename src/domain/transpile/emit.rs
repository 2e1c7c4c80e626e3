//! Writes routed, optimised steps out as a [`Circuit`] in the device's basis:
//! `cz` as it is or as `ecr` in a direction the device allows, every fused
//! one-qubit unitary as the basis' shortest gate sequence.

use super::lower::{Op, Step, ecr_frame};
use super::optimize::fuse_and_cancel;
use super::synth::synthesize;
use super::target::{Basis, Target};
use crate::domain::circuit::{Circuit, CircuitBuilder, Gate, Instruction, Operation};
use crate::domain::error::{Error, Result};

/// Turns each `cz` into `ecr` plus one-qubit gates, which then fuse with
/// their neighbours.
pub fn cz_to_ecr(steps: Vec<Step>, target: &Target) -> Result<Vec<Step>> {
    let (pre, post) = ecr_frame();
    let mut out = Vec::with_capacity(steps.len() * 2);
    for step in steps {
        let Op::Cz { a, b } = step.op else {
            out.push(step);
            continue;
        };
        let (first, second) = if target.allows(a, b) {
            (a, b)
        } else if target.allows(b, a) {
            (b, a)
        } else {
            return Err(Error::internal(format!(
                "routing left a two-qubit gate on ({a}, {b}), which the device does not join"
            )));
        };
        let condition = step.condition;
        let mut push = |op| out.push(Step { op, condition });
        push(Op::One {
            q: first,
            m: pre[0],
        });
        push(Op::One {
            q: second,
            m: pre[1],
        });
        push(Op::Ecr {
            a: first,
            b: second,
        });
        push(Op::One {
            q: first,
            m: post[0],
        });
        push(Op::One {
            q: second,
            m: post[1],
        });
    }
    Ok(fuse_and_cancel(out, target.num_qubits() as usize))
}

/// The transpiled circuit over all of the device's qubits, with the
/// source's classical registers and result bits.
pub fn to_circuit(steps: &[Step], source: &Circuit, target: &Target) -> Result<Circuit> {
    let mut builder = CircuitBuilder::new();
    if target.num_qubits() > 0 {
        builder.add_qreg("q", target.num_qubits())?;
    }
    for creg in source.cregs() {
        builder.add_creg(&creg.name, creg.size)?;
    }
    let basis = target.basis();
    for step in steps {
        let mut push = |operation| {
            builder.push(Instruction {
                operation,
                condition: step.condition,
            })
        };
        match &step.op {
            Op::One { q, m } => {
                for gate in synthesize(m, basis) {
                    push(Operation::Gate {
                        gate,
                        qubits: vec![*q],
                    })?;
                }
            }
            Op::Cz { a, b } => {
                if basis == Basis::EcrRzSxX {
                    return Err(Error::internal("a cz was left for an ecr device"));
                }
                push(Operation::Gate {
                    gate: Gate::Cz,
                    qubits: vec![*a, *b],
                })?;
            }
            Op::Ecr { a, b } => push(Operation::Gate {
                gate: Gate::Ecr,
                qubits: vec![*a, *b],
            })?,
            Op::Swap { .. } => return Err(Error::internal("a swap was left unexpanded")),
            Op::Measure { q, clbit } => push(Operation::Measure {
                qubit: *q,
                clbit: *clbit,
            })?,
            Op::Reset { q } => push(Operation::Reset { qubit: *q })?,
            Op::Barrier { qubits } => push(Operation::Barrier {
                qubits: qubits.clone(),
            })?,
        }
    }
    builder.build().with_output_clbits(source.output_clbits())
}
