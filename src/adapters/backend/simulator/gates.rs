//! Gates as kernels, for execution.
//!
//! [`Kernel`] is what the executor runs: each standard gate is lowered to the
//! cheapest kernel that expresses it (a phase on a bit pattern, a
//! permutation, a diagonal, or a dense matrix with controls).

use std::f64::consts::FRAC_PI_4;

use rayon::prelude::*;

use super::complex::C64;
use super::kernels;
use super::matrices::{controlled_target, matrix_1q, matrix_2q};
use crate::domain::circuit::Gate;

/// One executable step on the state vector.
#[derive(Debug, Clone, PartialEq)]
pub enum Kernel {
    /// Multiplies every amplitude (a global phase).
    Global(C64),
    /// Multiplies the amplitudes with every bit of `mask` set.
    Phase { mask: usize, phase: C64 },
    /// diag(d0, d1) on `target` where every bit of `controls` is set.
    Diag1 {
        target: u32,
        controls: usize,
        d: [C64; 2],
    },
    /// A dense 2×2 matrix on `target` where every bit of `controls` is set.
    Matrix1 {
        target: u32,
        controls: usize,
        m: [C64; 4],
    },
    /// X on `target` where every bit of `controls` is set.
    Flip { target: u32, controls: usize },
    /// Exchanges two qubits where every bit of `controls` is set.
    Swap { q0: u32, q1: u32, controls: usize },
    /// A dense 4×4 matrix, index `bit(q0) + 2·bit(q1)`.
    Matrix2 { q0: u32, q1: u32, m: Box<[C64; 16]> },
    /// A diagonal given as the product of tables over a few qubits each
    /// (see `kernels::diag_tables`): many commuting diagonal gates in one
    /// pass over memory.
    DiagTable { parts: Vec<DiagPart> },
    /// Kernels on qubits below [`BLOCK_QUBITS`] only, run chunk by chunk so
    /// that each chunk stays in cache through all of them: one pass over
    /// memory instead of one per kernel.
    Block(Vec<Kernel>),
}

/// One factor of a [`Kernel::DiagTable`]: amplitude `i` is multiplied by
/// `table[j]` where bit `b` of `j` is bit `qubits[b]` of `i`.
#[derive(Debug, Clone, PartialEq)]
pub struct DiagPart {
    pub qubits: Vec<u32>,
    pub table: Vec<C64>,
}

impl DiagPart {
    /// The table index for basis state `i`.
    pub fn index(&self, i: usize) -> usize {
        self.qubits
            .iter()
            .enumerate()
            .fold(0, |j, (b, q)| j | ((i >> q) & 1) << b)
    }
}

/// Qubits of one cache block: 2^14 amplitudes are 256 KiB.
pub const BLOCK_QUBITS: u32 = 14;

impl Kernel {
    pub fn apply(&self, amps: &mut [C64], parallel: bool) {
        match self {
            Kernel::Global(f) => kernels::scale(amps, *f, parallel),
            Kernel::Phase { mask, phase } => kernels::phase(amps, *mask, *phase, parallel),
            Kernel::Diag1 {
                target,
                controls,
                d,
            } => kernels::diag1(amps, *target, *controls, *d, parallel),
            Kernel::Matrix1 {
                target,
                controls,
                m,
            } => kernels::matrix1(amps, *target, *controls, *m, parallel),
            Kernel::Flip { target, controls } => kernels::flip(amps, *target, *controls, parallel),
            Kernel::Swap { q0, q1, controls } => kernels::swap(amps, *q0, *q1, *controls, parallel),
            Kernel::Matrix2 { q0, q1, m } => kernels::matrix2(amps, *q0, *q1, m, parallel),
            Kernel::DiagTable { parts } => kernels::diag_tables(amps, parts, parallel),
            Kernel::Block(inner) => {
                let chunk = 1usize << BLOCK_QUBITS;
                let run = |c: &mut [C64]| inner.iter().for_each(|k| k.apply(c, false));
                if amps.len() <= chunk {
                    inner.iter().for_each(|k| k.apply(amps, parallel));
                } else if parallel {
                    amps.par_chunks_mut(chunk).for_each(run);
                } else {
                    amps.chunks_mut(chunk).for_each(run);
                }
            }
        }
    }

    /// Every qubit the kernel reads or writes, as a bit mask.
    pub fn qubit_mask(&self) -> usize {
        match self {
            Kernel::Global(_) => 0,
            Kernel::Phase { mask, .. } => *mask,
            Kernel::Diag1 {
                target, controls, ..
            }
            | Kernel::Matrix1 {
                target, controls, ..
            }
            | Kernel::Flip { target, controls } => controls | 1 << target,
            Kernel::Swap { q0, q1, controls } => controls | 1 << q0 | 1 << q1,
            Kernel::Matrix2 { q0, q1, .. } => 1 << q0 | 1 << q1,
            Kernel::DiagTable { parts } => parts
                .iter()
                .flat_map(|p| &p.qubits)
                .fold(0, |m, q| m | 1 << q),
            Kernel::Block(inner) => inner.iter().fold(0, |m, k| m | k.qubit_mask()),
        }
    }

    /// For a diagonal kernel, the factor it puts on basis state `i`.
    pub fn diagonal_entry(&self, i: usize) -> Option<C64> {
        let all = |mask: usize| i & mask == mask;
        Some(match self {
            Kernel::Global(f) => *f,
            Kernel::Phase { mask, phase } => {
                if all(*mask) {
                    *phase
                } else {
                    C64::ONE
                }
            }
            Kernel::Diag1 {
                target,
                controls,
                d,
            } => {
                if all(*controls) {
                    d[(i >> target) & 1]
                } else {
                    C64::ONE
                }
            }
            Kernel::DiagTable { parts } => {
                parts.iter().fold(C64::ONE, |f, p| f * p.table[p.index(i)])
            }
            _ => return None,
        })
    }
}

/// Lowers a standard gate on `qubits` to its kernel; `None` for `id`.
pub fn kernel_for(gate: &Gate, qubits: &[u32]) -> Option<Kernel> {
    let bit = |j: usize| 1usize << qubits[j];
    let phase = |mask: usize, phase: C64| Kernel::Phase { mask, phase };
    let one_q = |m: [C64; 4], controls: usize, target: u32| Kernel::Matrix1 {
        target,
        controls,
        m,
    };
    Some(match *gate {
        Gate::Id => return None,
        Gate::GPhase(a) => Kernel::Global(C64::cis(a)),
        Gate::X => Kernel::Flip {
            target: qubits[0],
            controls: 0,
        },
        Gate::Z => phase(bit(0), -C64::ONE),
        Gate::S => phase(bit(0), C64::I),
        Gate::Sdg => phase(bit(0), -C64::I),
        Gate::T => phase(bit(0), C64::cis(FRAC_PI_4)),
        Gate::Tdg => phase(bit(0), C64::cis(-FRAC_PI_4)),
        Gate::P(l) => phase(bit(0), C64::cis(l)),
        Gate::Rz(a) => Kernel::Diag1 {
            target: qubits[0],
            controls: 0,
            d: [C64::cis(-a / 2.0), C64::cis(a / 2.0)],
        },
        Gate::Y
        | Gate::H
        | Gate::Sx
        | Gate::Sxdg
        | Gate::Rx(_)
        | Gate::Ry(_)
        | Gate::U(..)
        | Gate::Prx(..) => one_q(matrix_1q(gate)?, 0, qubits[0]),
        Gate::Cx => Kernel::Flip {
            target: qubits[1],
            controls: bit(0),
        },
        Gate::Cz => phase(bit(0) | bit(1), -C64::ONE),
        Gate::Cp(l) => phase(bit(0) | bit(1), C64::cis(l)),
        Gate::Crz(a) => Kernel::Diag1 {
            target: qubits[1],
            controls: bit(0),
            d: [C64::cis(-a / 2.0), C64::cis(a / 2.0)],
        },
        Gate::Cy | Gate::Ch | Gate::Crx(_) | Gate::Cry(_) | Gate::Cu(..) => {
            one_q(controlled_target(gate)?, bit(0), qubits[1])
        }
        Gate::Swap => Kernel::Swap {
            q0: qubits[0],
            q1: qubits[1],
            controls: 0,
        },
        Gate::Ccx => Kernel::Flip {
            target: qubits[2],
            controls: bit(0) | bit(1),
        },
        Gate::Cswap => Kernel::Swap {
            q0: qubits[1],
            q1: qubits[2],
            controls: bit(0),
        },
        Gate::Ecr => Kernel::Matrix2 {
            q0: qubits[0],
            q1: qubits[1],
            m: Box::new(matrix_2q(gate)?),
        },
    })
}

/// The kernel for a fused 2×2 matrix: a diagonal when it is one.
pub fn kernel_for_matrix1(target: u32, m: [C64; 4]) -> Kernel {
    if m[1] == C64::ZERO && m[2] == C64::ZERO {
        Kernel::Diag1 {
            target,
            controls: 0,
            d: [m[0], m[3]],
        }
    } else {
        Kernel::Matrix1 {
            target,
            controls: 0,
            m,
        }
    }
}

/// The kernel for a fused 4×4 matrix: a diagonal table when it is one.
pub fn kernel_for_matrix2(q0: u32, q1: u32, m: [C64; 16]) -> Kernel {
    let diagonal = (0..16).all(|j| j % 5 == 0 || m[j] == C64::ZERO);
    if diagonal {
        Kernel::DiagTable {
            parts: vec![DiagPart {
                qubits: vec![q0, q1],
                table: vec![m[0], m[5], m[10], m[15]],
            }],
        }
    } else {
        Kernel::Matrix2 {
            q0,
            q1,
            m: Box::new(m),
        }
    }
}
