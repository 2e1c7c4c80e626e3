//! Lowers every gate to one-qubit unitaries and `cz`, the one two-qubit gate
//! the rest of the transpiler knows; the device's own two-qubit gate is only
//! chosen when the circuit is written out.

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4};
use std::ops::Range;

use super::unitary::{C, Mat2};
use crate::domain::circuit::{Circuit, Condition, Gate, Operation};

/// One step of a circuit on wires (virtual qubits before routing, physical
/// qubits after).
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    One {
        q: u32,
        m: Mat2,
    },
    Cz {
        a: u32,
        b: u32,
    },
    /// Only routing inserts these; they are expanded into `cz` afterwards.
    Swap {
        a: u32,
        b: u32,
    },
    /// Only written for devices whose two-qubit gate is `ecr`, last.
    Ecr {
        a: u32,
        b: u32,
    },
    Measure {
        q: u32,
        clbit: u32,
    },
    Reset {
        q: u32,
    },
    Barrier {
        qubits: Vec<u32>,
    },
}

impl Op {
    pub fn wires(&self) -> Vec<u32> {
        match self {
            Op::One { q, .. } | Op::Measure { q, .. } | Op::Reset { q } => vec![*q],
            Op::Cz { a, b } | Op::Swap { a, b } | Op::Ecr { a, b } => vec![*a, *b],
            Op::Barrier { qubits } => qubits.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub op: Op,
    pub condition: Option<Condition>,
}

/// How many `cz` the steps hold: the two-qubit gates a device runs.
pub fn cz_count(steps: &[Step]) -> usize {
    steps
        .iter()
        .filter(|s| matches!(s.op, Op::Cz { .. }))
        .count()
}

/// A lowered circuit: its steps on wires, and which wire holds input qubit
/// `v` at the end (a `swap` without condition only exchanges two labels).
#[derive(Debug, Clone)]
pub struct Lowered {
    pub steps: Vec<Step>,
    /// The steps each input instruction became, in order: contiguous, and
    /// empty instructions (a global phase, a relabelling swap) left out.
    pub spans: Vec<Range<usize>>,
    pub final_wire: Vec<u32>,
}

/// A controlled gate closer than this to the identity, in average gate
/// infidelity, is dropped: Qiskit's rule (`RemoveIdentityEquivalent`, which
/// its optimisation level 3 runs first, at approximation degree 1). The
/// QFT's controlled phases by π/2^k fall below it from k = 21 on (angles
/// under 2.6e-6), and each would cost two `cz` and routing.
const NEGLIGIBLE_INFIDELITY: f64 = 1e-12;

/// 1 − the average gate fidelity of controlled-`u` with the identity, up
/// to a global phase: 1 − (1 + d·|tr G|²/d²)/(1 + d) with d = 4 and
/// tr G = 2 + tr u.
pub fn controlled_infidelity(u: &Mat2) -> f64 {
    let trace = C::new(2.0, 0.0) + u.0[0][0] + u.0[1][1];
    let process_fidelity = trace.abs().powi(2) / 16.0;
    4.0 * (1.0 - process_fidelity) / 5.0
}

/// `cz(a, b)` = post·`ecr(a, b)`·pre, with (first qubit, second qubit)
/// factors: `ecr` and `cz` are equivalent up to these one-qubit gates, and
/// `cz` is symmetric, so either direction of `ecr` serves.
pub fn ecr_frame() -> ([Mat2; 2], [Mat2; 2]) {
    let (rz, sx) = (Mat2::rz, Mat2::sx);
    let pre = [rz(-FRAC_PI_2), rz(FRAC_PI_2) * sx()];
    let post = [Mat2::x(), rz(FRAC_PI_2) * sx() * rz(FRAC_PI_2)];
    (pre, post)
}

pub fn lower(circuit: &Circuit) -> Lowered {
    let mut out = Emitter {
        steps: Vec::with_capacity(circuit.instructions().len() * 3),
        condition: None,
    };
    let mut wire: Vec<u32> = (0..circuit.num_qubits()).collect();
    let mut spans = Vec::with_capacity(circuit.instructions().len());
    for instruction in circuit.instructions() {
        let start = out.steps.len();
        out.condition = instruction.condition;
        match &instruction.operation {
            Operation::Gate { gate, qubits } => {
                let q: Vec<u32> = qubits.iter().map(|v| wire[*v as usize]).collect();
                if *gate == Gate::Swap && instruction.condition.is_none() {
                    wire.swap(qubits[0] as usize, qubits[1] as usize);
                } else {
                    out.gate(gate, &q);
                }
            }
            Operation::Measure { qubit, clbit } => out.push(Op::Measure {
                q: wire[*qubit as usize],
                clbit: *clbit,
            }),
            Operation::Reset { qubit } => out.push(Op::Reset {
                q: wire[*qubit as usize],
            }),
            Operation::Barrier { qubits } => out.push(Op::Barrier {
                qubits: qubits.iter().map(|v| wire[*v as usize]).collect(),
            }),
        }
        if out.steps.len() > start {
            spans.push(start..out.steps.len());
        }
    }
    Lowered {
        steps: out.steps,
        spans,
        final_wire: wire,
    }
}

struct Emitter {
    steps: Vec<Step>,
    condition: Option<Condition>,
}

impl Emitter {
    fn push(&mut self, op: Op) {
        self.steps.push(Step {
            op,
            condition: self.condition,
        });
    }

    fn one(&mut self, q: u32, m: Mat2) {
        self.push(Op::One { q, m });
    }

    fn cz(&mut self, a: u32, b: u32) {
        self.push(Op::Cz { a, b });
    }

    fn cx(&mut self, c: u32, t: u32) {
        self.one(t, Mat2::h());
        self.cz(c, t);
        self.one(t, Mat2::h());
    }

    fn gate(&mut self, gate: &Gate, q: &[u32]) {
        if let Some(m) = Mat2::of_gate(gate) {
            self.one(q[0], m);
            return;
        }
        match *gate {
            Gate::GPhase(_) => {}
            Gate::Cz => self.cz(q[0], q[1]),
            Gate::Cx => self.cx(q[0], q[1]),
            Gate::Cy => {
                self.one(q[1], Mat2::phase(-FRAC_PI_2));
                self.cx(q[0], q[1]);
                self.one(q[1], Mat2::phase(FRAC_PI_2));
            }
            // H = RY(π/4)·Z·RY(−π/4), so one cz does.
            Gate::Ch => {
                self.one(q[1], Mat2::ry(-FRAC_PI_4));
                self.cz(q[0], q[1]);
                self.one(q[1], Mat2::ry(FRAC_PI_4));
            }
            Gate::Swap => {
                self.cx(q[0], q[1]);
                self.cx(q[1], q[0]);
                self.cx(q[0], q[1]);
            }
            Gate::Cp(a) => self.controlled(q[0], q[1], Mat2::phase(a)),
            Gate::Crx(a) => self.controlled(q[0], q[1], Mat2::rx(a)),
            Gate::Cry(a) => self.controlled(q[0], q[1], Mat2::ry(a)),
            Gate::Crz(a) => self.controlled(q[0], q[1], Mat2::rz(a)),
            Gate::Cu(t, p, l, g) => {
                let u = Mat2::u(t, p, l);
                let k = C::cis(g);
                let m = Mat2([
                    [u.0[0][0] * k, u.0[0][1] * k],
                    [u.0[1][0] * k, u.0[1][1] * k],
                ]);
                self.controlled(q[0], q[1], m);
            }
            Gate::Ecr => {
                let (pre, post) = ecr_frame();
                // ecr = post†·cz·pre†.
                self.one(q[0], pre[0].dagger());
                self.one(q[1], pre[1].dagger());
                self.cz(q[0], q[1]);
                self.one(q[0], post[0].dagger());
                self.one(q[1], post[1].dagger());
            }
            Gate::Ccx => self.ccx(q[0], q[1], q[2]),
            Gate::Cswap => {
                self.cx(q[2], q[1]);
                self.ccx(q[0], q[1], q[2]);
                self.cx(q[2], q[1]);
            }
            // Every one-qubit gate was handled by `Mat2::of_gate` above.
            _ => unreachable!("gate {} has no lowering", gate.name()),
        }
    }

    /// Controlled-U with two cz: U = e^{iα}·A·X·B·X·C with A·B·C = I
    /// (Barenco et al. 1995, lemma 5.1).
    fn controlled(&mut self, c: u32, t: u32, u: Mat2) {
        // Controlled-(e^{iα}·I) is a phase on the control alone, as is, to
        // within 1e-9, a controlled rotation by a vanishing angle (the QFT's
        // far pairs).
        if u.is_identity_up_to_phase() {
            self.one(c, Mat2::phase(u.0[0][0].arg()));
            return;
        }
        if controlled_infidelity(&u) < NEGLIGIBLE_INFIDELITY {
            return;
        }
        let (theta, phi, lambda) = u.zyz();
        let v = Mat2::rz(phi) * Mat2::ry(theta) * Mat2::rz(lambda);
        let (i, j) = if u.0[0][0].abs() >= u.0[1][0].abs() {
            (0, 0)
        } else {
            (1, 0)
        };
        let alpha = u.0[i][j].arg() - v.0[i][j].arg();
        let a = Mat2::rz(phi) * Mat2::ry(theta / 2.0);
        let b = Mat2::ry(-theta / 2.0) * Mat2::rz(-(lambda + phi) / 2.0);
        let cc = Mat2::rz((lambda - phi) / 2.0);
        self.one(t, cc);
        self.cx(c, t);
        self.one(t, b);
        self.cx(c, t);
        self.one(t, a);
        self.one(c, Mat2::phase(alpha));
    }

    /// Toffoli with six cx (Nielsen & Chuang, figure 4.9).
    fn ccx(&mut self, a: u32, b: u32, c: u32) {
        let (t, tdg) = (Mat2::phase(FRAC_PI_4), Mat2::phase(-FRAC_PI_4));
        self.one(c, Mat2::h());
        self.cx(b, c);
        self.one(c, tdg);
        self.cx(a, c);
        self.one(c, t);
        self.cx(b, c);
        self.one(c, tdg);
        self.cx(a, c);
        self.one(b, t);
        self.one(c, t);
        self.one(c, Mat2::h());
        self.cx(a, b);
        self.one(a, t);
        self.one(b, tdg);
        self.cx(a, b);
    }
}
