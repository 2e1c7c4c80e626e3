//! Circuit optimisation by level. Every pass keeps the state the circuit
//! prepares (global phase included), and none moves a gate across a
//! measurement, reset, barrier or conditioned instruction: those are fences
//! that end every run of gates.
//!
//! - 1: cancels adjacent inverse pairs (h h, cx cx, s sdg, …) and merges
//!   adjacent rotations on the same qubits (rz rz, cp cp, …);
//! - 2: also fuses each run of one-qubit gates into one 2×2 matrix;
//! - 3: also fuses gates on the same two qubits into one 4×4 matrix.

use super::complex::C64;
use super::matrices::{expand_1q, matrix_1q, matrix_2q, mul2, mul4, swap_qubit_order};
use crate::domain::circuit::{Circuit, Condition, Gate, Operation};

/// A unitary step: a standard gate or a fused matrix.
#[derive(Debug, Clone, PartialEq)]
pub enum Unitary {
    Gate { gate: Gate, qubits: Vec<u32> },
    Fused1 { qubit: u32, m: [C64; 4] },
    Fused2 { qubits: [u32; 2], m: Box<[C64; 16]> },
}

/// One step of a program, after optimisation.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Unitary(Unitary),
    Measure {
        qubit: u32,
        clbit: u32,
    },
    Reset {
        qubit: u32,
    },
    Barrier,
    If {
        condition: Condition,
        step: Box<Step>,
    },
}

impl Step {
    fn fence(&self) -> bool {
        !matches!(self, Step::Unitary(_))
    }

    /// Unitary steps, conditioned ones included.
    pub fn gate_count(&self) -> usize {
        match self {
            Step::Unitary(_) => 1,
            Step::If { step, .. } => step.gate_count(),
            _ => 0,
        }
    }
}

fn lower(operation: &Operation) -> Step {
    match operation {
        Operation::Gate { gate, qubits } => Step::Unitary(Unitary::Gate {
            gate: *gate,
            qubits: qubits.clone(),
        }),
        Operation::Measure { qubit, clbit } => Step::Measure {
            qubit: *qubit,
            clbit: *clbit,
        },
        Operation::Reset { qubit } => Step::Reset { qubit: *qubit },
        Operation::Barrier { .. } => Step::Barrier,
    }
}

/// The circuit's steps after optimisation at `level` (0 to 3).
pub fn optimize(circuit: &Circuit, level: u8) -> Vec<Step> {
    let steps: Vec<Step> = circuit
        .instructions()
        .iter()
        .map(|i| match i.condition {
            None => lower(&i.operation),
            Some(condition) => Step::If {
                condition,
                step: Box::new(lower(&i.operation)),
            },
        })
        .collect();
    let n = circuit.num_qubits() as usize;
    let mut steps = if level >= 1 {
        cancel_and_merge(steps, n)
    } else {
        steps
    };
    if level >= 2 {
        steps = fuse_1q(steps, n);
    }
    if level >= 3 {
        steps = fuse_2q(steps, n);
    }
    steps
}

enum Combined {
    Cancel,
    Replace(Gate),
    Keep,
}

/// What `prev` then `next` on the same qubits (in the same order) become.
fn combine(prev: Gate, next: Gate) -> Combined {
    use Gate::*;
    let merged = |g: Gate, angle: f64| {
        if angle == 0.0 {
            Combined::Cancel
        } else {
            Combined::Replace(g)
        }
    };
    match (prev, next) {
        (X, X)
        | (Y, Y)
        | (Z, Z)
        | (H, H)
        | (Cx, Cx)
        | (Cy, Cy)
        | (Cz, Cz)
        | (Ch, Ch)
        | (Swap, Swap) => Combined::Cancel,
        (Ccx, Ccx)
        | (Cswap, Cswap)
        | (S, Sdg)
        | (Sdg, S)
        | (T, Tdg)
        | (Tdg, T)
        | (Sx, Sxdg)
        | (Sxdg, Sx) => Combined::Cancel,
        (S, S) | (Sdg, Sdg) => Combined::Replace(Z),
        (T, T) => Combined::Replace(S),
        (Tdg, Tdg) => Combined::Replace(Sdg),
        (Rx(a), Rx(b)) => merged(Rx(a + b), a + b),
        (Ry(a), Ry(b)) => merged(Ry(a + b), a + b),
        (Rz(a), Rz(b)) => merged(Rz(a + b), a + b),
        (P(a), P(b)) => merged(P(a + b), a + b),
        (Crx(a), Crx(b)) => merged(Crx(a + b), a + b),
        (Cry(a), Cry(b)) => merged(Cry(a + b), a + b),
        (Crz(a), Crz(b)) => merged(Crz(a + b), a + b),
        (Cp(a), Cp(b)) => merged(Cp(a + b), a + b),
        _ => Combined::Keep,
    }
}

/// Gates whose two qubits may be listed in either order.
fn symmetric(gate: Gate) -> bool {
    matches!(gate, Gate::Cz | Gate::Swap | Gate::Cp(_))
}

/// Level 1. Keeps, per qubit, the stack of output gates that touch it, so
/// that after a cancellation the gate before becomes adjacent again
/// (`h x x h` vanishes). Global phases are summed into one at the end.
fn cancel_and_merge(steps: Vec<Step>, num_qubits: usize) -> Vec<Step> {
    let mut out: Vec<Option<Step>> = Vec::with_capacity(steps.len());
    let mut stacks: Vec<Vec<usize>> = vec![Vec::new(); num_qubits];
    let mut global_phase = 0.0;
    for step in steps {
        let (gate, qubits) = match step {
            Step::Unitary(Unitary::Gate {
                gate: Gate::GPhase(a),
                ..
            }) => {
                global_phase += a;
                continue;
            }
            Step::Unitary(Unitary::Gate { gate: Gate::Id, .. }) => continue,
            Step::Unitary(Unitary::Gate { gate, qubits }) => (gate, qubits),
            fence => {
                stacks.iter_mut().for_each(Vec::clear);
                out.push(Some(fence));
                continue;
            }
        };
        let top = stacks[qubits[0] as usize].last().copied();
        let adjacent = top.filter(|t| qubits.iter().all(|q| stacks[*q as usize].last() == Some(t)));
        if let Some(idx) = adjacent
            && let Some(Step::Unitary(Unitary::Gate {
                gate: prev,
                qubits: prev_qubits,
            })) = &out[idx]
        {
            let same = *prev_qubits == qubits
                || (symmetric(gate)
                    && prev_qubits.len() == 2
                    && prev_qubits[0] == qubits[1]
                    && prev_qubits[1] == qubits[0]);
            if same {
                match combine(*prev, gate) {
                    Combined::Cancel => {
                        out[idx] = None;
                        for q in &qubits {
                            stacks[*q as usize].pop();
                        }
                        continue;
                    }
                    Combined::Replace(g) => {
                        let prev_qubits = prev_qubits.clone();
                        out[idx] = Some(Step::Unitary(Unitary::Gate {
                            gate: g,
                            qubits: prev_qubits,
                        }));
                        continue;
                    }
                    Combined::Keep => {}
                }
            }
        }
        for q in &qubits {
            stacks[*q as usize].push(out.len());
        }
        out.push(Some(Step::Unitary(Unitary::Gate { gate, qubits })));
    }
    let mut out: Vec<Step> = out.into_iter().flatten().collect();
    if global_phase != 0.0 {
        out.push(Step::Unitary(Unitary::Gate {
            gate: Gate::GPhase(global_phase),
            qubits: Vec::new(),
        }));
    }
    out
}

/// A one-qubit step's qubit and matrix.
fn as_1q(step: &Step) -> Option<(u32, [C64; 4])> {
    match step {
        Step::Unitary(Unitary::Gate { gate, qubits }) if qubits.len() == 1 => {
            Some((qubits[0], matrix_1q(gate)?))
        }
        Step::Unitary(Unitary::Fused1 { qubit, m }) => Some((*qubit, *m)),
        _ => None,
    }
}

fn near_identity(m: &[C64; 4]) -> bool {
    let id = [C64::ONE, C64::ZERO, C64::ZERO, C64::ONE];
    m.iter().zip(id).all(|(a, b)| a.dist(b) < 1e-14)
}

/// Level 2: each run of one-qubit gates on a qubit becomes one matrix,
/// emitted when something else touches the qubit (a lone gate stays as it
/// is, so it keeps its specialised kernel).
fn fuse_1q(steps: Vec<Step>, num_qubits: usize) -> Vec<Step> {
    let mut pending: Vec<Option<(Step, [C64; 4], usize)>> = vec![None; num_qubits];
    let mut out = Vec::with_capacity(steps.len());
    let flush = |slot: &mut Option<(Step, [C64; 4], usize)>, out: &mut Vec<Step>| {
        if let Some((first, m, count)) = slot.take() {
            if count == 1 {
                out.push(first);
            } else if !near_identity(&m) {
                let qubit = as_1q(&first).map(|(q, _)| q).unwrap_or_default();
                out.push(Step::Unitary(Unitary::Fused1 { qubit, m }));
            }
        }
    };
    for step in steps {
        if let Some((q, m)) = as_1q(&step) {
            let slot = &mut pending[q as usize];
            *slot = Some(match slot.take() {
                None => (step, m, 1),
                Some((first, acc, count)) => (first, mul2(&m, &acc), count + 1),
            });
            continue;
        }
        match &step {
            Step::Unitary(Unitary::Gate { qubits, .. }) => {
                for q in qubits {
                    flush(&mut pending[*q as usize], &mut out);
                }
            }
            Step::Unitary(Unitary::Fused2 { qubits, .. }) => {
                for q in qubits {
                    flush(&mut pending[*q as usize], &mut out);
                }
            }
            _ => pending.iter_mut().for_each(|slot| flush(slot, &mut out)),
        }
        out.push(step);
    }
    pending.iter_mut().for_each(|slot| flush(slot, &mut out));
    out
}

/// An open or closed two-qubit block of level 3.
struct Block {
    qubits: [u32; 2],
    m: [C64; 16],
    first: Step,
    count: usize,
}

enum Slot {
    Step(Step),
    Block(usize),
}

/// Level 3: gates on the same two qubits, with the one-qubit gates between
/// them, become one 4×4 matrix. A block opens at its first two-qubit gate and
/// takes every later gate on its qubits until another gate or a fence
/// touches one of them; the gates it takes move only past gates on other
/// qubits.
fn fuse_2q(steps: Vec<Step>, num_qubits: usize) -> Vec<Step> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut open: Vec<Option<usize>> = vec![None; num_qubits];
    let mut out: Vec<Slot> = Vec::with_capacity(steps.len());
    let close = |open: &mut Vec<Option<usize>>, blocks: &[Block], q: u32| {
        if let Some(b) = open[q as usize] {
            for bq in blocks[b].qubits {
                open[bq as usize] = None;
            }
        }
    };
    for step in steps {
        if let Some((q, m)) = as_1q(&step) {
            match open[q as usize] {
                Some(b) => {
                    let block = &mut blocks[b];
                    let pos = usize::from(block.qubits[1] == q);
                    block.m = mul4(&expand_1q(&m, pos), &block.m);
                    block.count += 1;
                }
                None => out.push(Slot::Step(step)),
            }
            continue;
        }
        let two = match &step {
            Step::Unitary(Unitary::Gate { gate, qubits }) if qubits.len() == 2 => {
                matrix_2q(gate).map(|m| ([qubits[0], qubits[1]], m))
            }
            Step::Unitary(Unitary::Fused2 { qubits, m }) => Some((*qubits, **m)),
            _ => None,
        };
        if let Some((qs, m)) = two {
            let (a, b) = (open[qs[0] as usize], open[qs[1] as usize]);
            if let (Some(x), Some(y)) = (a, b)
                && x == y
            {
                let block = &mut blocks[x];
                let m = if block.qubits == qs {
                    m
                } else {
                    swap_qubit_order(&m)
                };
                block.m = mul4(&m, &block.m);
                block.count += 1;
                continue;
            }
            close(&mut open, &blocks, qs[0]);
            close(&mut open, &blocks, qs[1]);
            open[qs[0] as usize] = Some(blocks.len());
            open[qs[1] as usize] = Some(blocks.len());
            out.push(Slot::Block(blocks.len()));
            blocks.push(Block {
                qubits: qs,
                m,
                first: step,
                count: 1,
            });
            continue;
        }
        match &step {
            Step::Unitary(Unitary::Gate { qubits, .. }) => {
                for q in qubits {
                    close(&mut open, &blocks, *q);
                }
            }
            s if s.fence() => open.iter_mut().for_each(|o| *o = None),
            _ => {}
        }
        out.push(Slot::Step(step));
    }
    let mut blocks: Vec<Option<Block>> = blocks.into_iter().map(Some).collect();
    out.into_iter()
        .filter_map(|slot| match slot {
            Slot::Step(step) => Some(step),
            Slot::Block(b) => {
                let block = blocks[b].take()?;
                Some(if block.count == 1 {
                    block.first
                } else {
                    Step::Unitary(Unitary::Fused2 {
                        qubits: block.qubits,
                        m: Box::new(block.m),
                    })
                })
            }
        })
        .collect()
}
