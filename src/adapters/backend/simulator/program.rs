//! Optimised steps lowered to what the executor runs: runs of kernels
//! between measurements, resets and conditioned instructions.
//!
//! Within a run, two execution strategies cut passes over memory at every
//! optimisation level, level 0 included: consecutive diagonal kernels are
//! batched into one pass, and consecutive kernels on qubits below
//! `BLOCK_QUBITS` run chunk by chunk in cache. Neither adds, drops or
//! reorders a non-commuting gate, so level 0 still applies the circuit's
//! gates as given (its `gates_after` equals `gates_before`); states agree
//! with gate-by-gate application to rounding (see the reference tests).

use super::complex::C64;
use super::gates::{
    BLOCK_QUBITS, DiagPart, Kernel, kernel_for, kernel_for_matrix1, kernel_for_matrix2,
};
use super::kernels::TABLE_LOW_BITS;
use super::optimize::{Step, Unitary, optimize};
use crate::domain::circuit::{Circuit, Condition};

/// Most qubits one batched diagonal table spans (1024 entries, in L1).
const MAX_TABLE_QUBITS: u32 = 10;

#[derive(Debug, Clone, PartialEq)]
pub enum Instr {
    Kernels(Vec<Kernel>),
    Measure {
        qubit: u32,
        clbit: u32,
    },
    Reset {
        qubit: u32,
    },
    If {
        condition: Condition,
        instr: Box<Instr>,
    },
}

/// A circuit ready to run.
#[derive(Debug, Clone)]
pub struct Program {
    pub num_qubits: u32,
    pub instrs: Vec<Instr>,
    /// Gate instructions in the circuit as submitted.
    pub gates_before: usize,
    /// Unitary steps after optimisation (fused matrices count one each).
    pub gates_after: usize,
}

impl Program {
    pub fn compile(circuit: &Circuit, level: u8) -> Self {
        let steps = optimize(circuit, level);
        let n = circuit.num_qubits();
        let gates_after = steps.iter().map(Step::gate_count).sum();
        let mut instrs = Vec::new();
        let mut run = Vec::new();
        for step in steps {
            if let Step::Unitary(u) = &step {
                run.extend(lower_unitary(u));
                continue;
            }
            if !run.is_empty() {
                instrs.push(Instr::Kernels(block_low(
                    batch_diagonals(std::mem::take(&mut run)),
                    n,
                )));
            }
            if let Some(instr) = lower(step) {
                instrs.push(instr);
            }
        }
        if !run.is_empty() {
            instrs.push(Instr::Kernels(block_low(batch_diagonals(run), n)));
        }
        Self {
            num_qubits: circuit.num_qubits(),
            instrs,
            gates_before: circuit.gate_count(),
            gates_after,
        }
    }
}

fn lower_unitary(u: &Unitary) -> Option<Kernel> {
    match u {
        Unitary::Gate { gate, qubits } => kernel_for(gate, qubits),
        Unitary::Fused1 { qubit, m } => Some(kernel_for_matrix1(*qubit, *m)),
        Unitary::Fused2 { qubits, m } => Some(kernel_for_matrix2(qubits[0], qubits[1], **m)),
    }
}

fn lower(step: Step) -> Option<Instr> {
    Some(match step {
        Step::Unitary(u) => Instr::Kernels(lower_unitary(&u).into_iter().collect()),
        Step::Measure { qubit, clbit } => Instr::Measure { qubit, clbit },
        Step::Reset { qubit } => Instr::Reset { qubit },
        Step::Barrier => return None,
        Step::If { condition, step } => Instr::If {
            condition,
            instr: Box::new(lower(*step)?),
        },
    })
}

/// On states larger than a cache block, groups each run of consecutive
/// kernels that touch only qubits below `BLOCK_QUBITS` into one block.
fn block_low(kernels: Vec<Kernel>, num_qubits: u32) -> Vec<Kernel> {
    if num_qubits <= BLOCK_QUBITS {
        return kernels;
    }
    let mut out = Vec::with_capacity(kernels.len());
    let mut group: Vec<Kernel> = Vec::new();
    let close = |group: &mut Vec<Kernel>, out: &mut Vec<Kernel>| match group.len() {
        0 => {}
        1 => out.append(group),
        _ => out.push(Kernel::Block(std::mem::take(group))),
    };
    // Trailing swaps stay out of blocks: before terminal measurements they
    // become a relabelling of the measured qubits (see `execute`).
    let tail = kernels
        .iter()
        .rposition(|k| !matches!(k, Kernel::Swap { controls: 0, .. }))
        .map_or(0, |last| last + 1);
    for (k, kernel) in kernels.into_iter().enumerate() {
        if k < tail && kernel.qubit_mask() >> BLOCK_QUBITS == 0 {
            group.push(kernel);
        } else {
            close(&mut group, &mut out);
            out.push(kernel);
        }
    }
    close(&mut group, &mut out);
    out
}

/// Most factors one batched diagonal pass multiplies per amplitude.
const MAX_PARTS: usize = 6;

/// The share of the state's cache lines a kernel reads and writes: a phase
/// on a bit pattern above the cache line skips the rest.
fn traffic(kernel: &Kernel) -> f64 {
    let beyond_line = |mask: usize| 0.5f64.powi((mask >> 2).count_ones() as i32);
    match kernel {
        Kernel::Phase { mask, .. } => beyond_line(*mask),
        Kernel::Diag1 { controls, .. } => beyond_line(*controls),
        _ => 1.0,
    }
}

/// Replaces each run of consecutive diagonal kernels by one pass over a
/// product of tables of at most `MAX_TABLE_QUBITS` qubits each, when the
/// run would otherwise move more memory than that one pass.
fn batch_diagonals(kernels: Vec<Kernel>) -> Vec<Kernel> {
    let mut out = Vec::with_capacity(kernels.len());
    let mut batch = Batch::default();
    for kernel in kernels {
        if kernel.diagonal_entry(0).is_none() {
            batch.flush(&mut out);
            out.push(kernel);
            continue;
        }
        if let Err(kernel) = batch.add(kernel) {
            batch.flush(&mut out);
            batch
                .add(kernel)
                .expect("an empty batch takes any diagonal of few qubits");
        }
    }
    batch.flush(&mut out);
    out
}

/// Diagonal kernels grouped (first fit) into at most `MAX_PARTS` groups of
/// at most `MAX_TABLE_QUBITS` qubits, each group with its qubit mask.
#[derive(Default)]
struct Batch {
    groups: Vec<(usize, Vec<Kernel>)>,
    traffic: f64,
}

impl Batch {
    fn add(&mut self, kernel: Kernel) -> Result<(), Kernel> {
        let mask = kernel.qubit_mask();
        if mask.count_ones() > MAX_TABLE_QUBITS {
            return Err(kernel);
        }
        // Kernels on a qubit of the low byte share groups only with each
        // other, so that the other groups give one factor per run of 256
        // amplitudes (see `kernels::diag_tables`).
        let low = |m: usize| m & ((1 << TABLE_LOW_BITS) - 1) != 0;
        let fit = self
            .groups
            .iter()
            .position(|(m, _)| low(*m) == low(mask) && (m | mask).count_ones() <= MAX_TABLE_QUBITS);
        self.traffic += traffic(&kernel);
        match fit {
            Some(g) => {
                self.groups[g].0 |= mask;
                self.groups[g].1.push(kernel);
            }
            None if self.groups.len() < MAX_PARTS => self.groups.push((mask, vec![kernel])),
            None => {
                self.traffic -= traffic(&kernel);
                return Err(kernel);
            }
        }
        Ok(())
    }

    fn flush(&mut self, out: &mut Vec<Kernel>) {
        let groups = std::mem::take(&mut self.groups);
        let traffic = std::mem::take(&mut self.traffic);
        let count: usize = groups.iter().map(|g| g.1.len()).sum();
        if count <= 1 || traffic <= 1.0 {
            out.extend(groups.into_iter().flat_map(|g| g.1));
            return;
        }
        let parts = groups
            .into_iter()
            .map(|(mask, members)| {
                let qubits: Vec<u32> = (0..usize::BITS).filter(|q| mask >> q & 1 == 1).collect();
                let table = (0..1usize << qubits.len())
                    .map(|j| {
                        let i = qubits
                            .iter()
                            .enumerate()
                            .fold(0, |i, (b, q)| i | ((j >> b) & 1) << q);
                        members.iter().fold(C64::ONE, |acc, k| {
                            acc * k.diagonal_entry(i).unwrap_or(C64::ONE)
                        })
                    })
                    .collect();
                DiagPart { qubits, table }
            })
            .collect();
        out.push(Kernel::DiagTable { parts });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::circuit::{CircuitBuilder, Gate, Instruction, Operation};

    fn circuit(ops: &[(Gate, &[u32])], measure_between: Option<usize>) -> Circuit {
        let mut b = CircuitBuilder::new();
        b.add_qreg("q", 3).unwrap();
        b.add_creg("c", 1).unwrap();
        for (i, (gate, qubits)) in ops.iter().enumerate() {
            if measure_between == Some(i) {
                let operation = Operation::Measure { qubit: 0, clbit: 0 };
                b.push(Instruction {
                    operation,
                    condition: None,
                })
                .unwrap();
            }
            let operation = Operation::Gate {
                gate: *gate,
                qubits: qubits.to_vec(),
            };
            b.push(Instruction {
                operation,
                condition: None,
            })
            .unwrap();
        }
        b.build()
    }

    fn gates_after(c: &Circuit, level: u8) -> usize {
        Program::compile(c, level).gates_after
    }

    #[test]
    fn level_one_cancels_pairs_in_cascade_and_merges_rotations() {
        let c = circuit(
            &[
                (Gate::H, &[0]),
                (Gate::X, &[0]),
                (Gate::X, &[0]),
                (Gate::H, &[0]),
                (Gate::T, &[1]),
            ],
            None,
        );
        assert_eq!((gates_after(&c, 0), gates_after(&c, 1)), (5, 1));
        let c = circuit(
            &[
                (Gate::Cx, &[0, 1]),
                (Gate::Cx, &[0, 1]),
                (Gate::Cz, &[0, 1]),
                (Gate::Cz, &[1, 0]),
            ],
            None,
        );
        assert_eq!(gates_after(&c, 1), 0);
        let c = circuit(
            &[
                (Gate::Rz(0.5), &[2]),
                (Gate::Rz(0.25), &[2]),
                (Gate::Cp(1.0), &[0, 1]),
                (Gate::Cp(-1.0), &[0, 1]),
            ],
            None,
        );
        assert_eq!(gates_after(&c, 1), 1);
        // A cx in between, or on other qubits, keeps both.
        let c = circuit(&[(Gate::Cx, &[0, 1]), (Gate::Cx, &[1, 0])], None);
        assert_eq!(gates_after(&c, 1), 2);
    }

    #[test]
    fn nothing_moves_across_a_measurement() {
        let c = circuit(&[(Gate::H, &[1]), (Gate::H, &[1])], Some(1));
        assert_eq!(gates_after(&c, 3), 2);
    }

    #[test]
    fn level_two_fuses_one_qubit_runs_and_level_three_two_qubit_blocks() {
        let ops: &[(Gate, &[u32])] = &[
            (Gate::H, &[0]),
            (Gate::T, &[0]),
            (Gate::H, &[0]),
            (Gate::Cx, &[0, 1]),
            (Gate::Ry(0.3), &[1]),
            (Gate::Cx, &[1, 0]),
        ];
        let c = circuit(ops, None);
        assert_eq!(gates_after(&c, 1), 6);
        assert_eq!(gates_after(&c, 2), 4);
        assert_eq!(gates_after(&c, 3), 2);
    }

    #[test]
    fn a_long_diagonal_run_becomes_one_pass_of_several_tables() {
        let mut b = CircuitBuilder::new();
        b.add_qreg("q", 17).unwrap();
        for k in 1..17 {
            let operation = Operation::Gate {
                gate: Gate::Cp(0.1 * f64::from(k)),
                qubits: vec![0, k],
            };
            b.push(Instruction {
                operation,
                condition: None,
            })
            .unwrap();
        }
        let program = Program::compile(&b.build(), 0);
        let [Instr::Kernels(kernels)] = program.instrs.as_slice() else {
            panic!("{:?}", program.instrs)
        };
        let [Kernel::DiagTable { parts }] = kernels.as_slice() else {
            panic!("{kernels:?}")
        };
        assert_eq!(parts.len(), 2);
    }
}
