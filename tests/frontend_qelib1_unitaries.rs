//! The qelib1.inc gates that OpenQASM 2 programs get by inlining (c3x, c4x,
//! rzz, ...) must be the gates their names promise. A tiny state-vector
//! simulator computes the unitary each one expands to and compares it with
//! the textbook matrix, up to a global phase.

use std::f64::consts::PI;

use arvak_grpc::adapters::circuit::parse_qasm;
use arvak_grpc::domain::circuit::{Gate, Operation};

#[derive(Debug, Clone, Copy, PartialEq)]
struct C(f64, f64);

impl C {
    fn mul(self, o: C) -> C {
        C(self.0 * o.0 - self.1 * o.1, self.0 * o.1 + self.1 * o.0)
    }
    fn add(self, o: C) -> C {
        C(self.0 + o.0, self.1 + o.1)
    }
    fn expi(a: f64) -> C {
        C(a.cos(), a.sin())
    }
    fn conj(self) -> C {
        C(self.0, -self.1)
    }
    fn abs(self) -> f64 {
        self.0.hypot(self.1)
    }
}

type M2 = [[C; 2]; 2];

fn u(t: f64, p: f64, l: f64) -> M2 {
    let (c, s) = ((t / 2.0).cos(), (t / 2.0).sin());
    [
        [C(c, 0.0), C::expi(l).mul(C(-s, 0.0))],
        [C::expi(p).mul(C(s, 0.0)), C::expi(p + l).mul(C(c, 0.0))],
    ]
}

/// The single-qubit matrix a gate applies to its last qubit; the others are
/// controls.
fn matrix(gate: Gate) -> M2 {
    let h = std::f64::consts::FRAC_1_SQRT_2;
    match gate {
        Gate::H => [[C(h, 0.0), C(h, 0.0)], [C(h, 0.0), C(-h, 0.0)]],
        Gate::X | Gate::Cx | Gate::Ccx => u(PI, 0.0, PI),
        Gate::P(l) | Gate::Cp(l) => u(0.0, 0.0, l),
        Gate::U(t, p, l) => u(t, p, l),
        other => panic!("the simulator does not know {other:?}"),
    }
}

/// Applies the circuit to basis state `input` and returns the state.
fn run(ops: &[Operation], n: u32, input: usize) -> Vec<C> {
    let mut psi = vec![C(0.0, 0.0); 1 << n];
    psi[input] = C(1.0, 0.0);
    for op in ops {
        let Operation::Gate { gate, qubits } = op else {
            panic!("{op:?}")
        };
        let (target, controls) = qubits.split_last().unwrap();
        let m = matrix(*gate);
        let tbit = 1usize << target;
        let cmask: usize = controls.iter().map(|c| 1usize << c).sum();
        for i in 0..psi.len() {
            if i & tbit == 0 && i & cmask == cmask {
                let (a, b) = (psi[i], psi[i | tbit]);
                psi[i] = m[0][0].mul(a).add(m[0][1].mul(b));
                psi[i | tbit] = m[1][0].mul(a).add(m[1][1].mul(b));
            }
        }
    }
    psi
}

/// Columns of the unitary of `call` on `n` qubits, as inlined in OpenQASM 2.
fn unitary(call: &str, n: u32) -> Vec<Vec<C>> {
    let c = parse_qasm(&format!(
        "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[{n}];\n{call}"
    ))
    .unwrap();
    let ops: Vec<Operation> = c
        .instructions()
        .iter()
        .map(|i| i.operation.clone())
        .collect();
    (0..1usize << n).map(|input| run(&ops, n, input)).collect()
}

/// Asserts `got` equals `want(column, row)` up to one global phase.
fn assert_equal_up_to_phase(name: &str, got: &[Vec<C>], want: impl Fn(usize, usize) -> C) {
    let (col, row) = (0..got.len())
        .flat_map(|c| (0..got.len()).map(move |r| (c, r)))
        .find(|&(c, r)| want(c, r).abs() > 0.1)
        .unwrap();
    // phase = got / want at a non-zero entry
    let w = want(col, row);
    let g = got[col][row];
    let phase = g.mul(w.conj()).mul(C(1.0 / (w.abs() * w.abs()), 0.0));
    for (c, column) in got.iter().enumerate() {
        for (r, value) in column.iter().enumerate() {
            let expected = phase.mul(want(c, r));
            let diff = C(value.0 - expected.0, value.1 - expected.1).abs();
            assert!(
                diff < 1e-9,
                "{name}: entry ({r}, {c}) is {value:?}, expected {expected:?}"
            );
        }
    }
}

fn one(yes: bool) -> C {
    C(if yes { 1.0 } else { 0.0 }, 0.0)
}

/// Multi-controlled X: controls are the low `n - 1` bits, the target the top one.
fn mcx(n: u32) -> impl Fn(usize, usize) -> C {
    move |col, row| {
        let controls = (1usize << (n - 1)) - 1;
        let target = 1usize << (n - 1);
        let image = if col & controls == controls {
            col ^ target
        } else {
            col
        };
        one(row == image)
    }
}

/// Controlled √X with control bit 0..n-1 all set and target the top bit.
fn mcsx(n: u32) -> impl Fn(usize, usize) -> C {
    move |col, row| {
        let controls = (1usize << (n - 1)) - 1;
        let target = 1usize << (n - 1);
        if col & controls != controls {
            return one(row == col);
        }
        if row & !target != col & !target {
            return C(0.0, 0.0);
        }
        let same = (row & target) == (col & target);
        if same { C(0.5, 0.5) } else { C(0.5, -0.5) }
    }
}

#[test]
fn multi_controlled_x_gates() {
    assert_equal_up_to_phase("ccx", &unitary("ccx q[0],q[1],q[2];", 3), mcx(3));
    assert_equal_up_to_phase("c3x", &unitary("c3x q[0],q[1],q[2],q[3];", 4), mcx(4));
    assert_equal_up_to_phase("c4x", &unitary("c4x q[0],q[1],q[2],q[3],q[4];", 5), mcx(5));
}

#[test]
fn controlled_square_roots_of_x() {
    assert_equal_up_to_phase("csx", &unitary("csx q[0],q[1];", 2), mcsx(2));
    assert_equal_up_to_phase(
        "c3sqrtx",
        &unitary("c3sqrtx q[0],q[1],q[2],q[3];", 4),
        mcsx(4),
    );
}

#[test]
fn relative_phase_toffolis_permute_like_toffolis() {
    for (name, call, n) in [
        ("rccx", "rccx q[0],q[1],q[2];", 3),
        ("rc3x", "rc3x q[0],q[1],q[2],q[3];", 4),
    ] {
        let got = unitary(call, n);
        let want = mcx(n);
        for (c, column) in got.iter().enumerate() {
            for (r, value) in column.iter().enumerate() {
                assert!(
                    (value.abs() - want(c, r).abs()).abs() < 1e-9,
                    "{name} ({r}, {c}): {value:?}"
                );
            }
        }
    }
}

#[test]
fn two_qubit_rotations() {
    let t = 0.7;
    // rzz(θ) = exp(-iθ/2 Z⊗Z)
    let rzz = |col: usize, row: usize| {
        let parity = (col & 1) ^ (col >> 1 & 1);
        if row != col {
            C(0.0, 0.0)
        } else {
            C::expi(if parity == 0 { -t / 2.0 } else { t / 2.0 })
        }
    };
    assert_equal_up_to_phase("rzz", &unitary("rzz(0.7) q[0],q[1];", 2), rzz);
    // rxx(θ) = cos(θ/2) I - i sin(θ/2) X⊗X
    let rxx = |col: usize, row: usize| {
        if row == col {
            C((t / 2.0).cos(), 0.0)
        } else if row == col ^ 3 {
            C(0.0, -(t / 2.0).sin())
        } else {
            C(0.0, 0.0)
        }
    };
    assert_equal_up_to_phase("rxx", &unitary("rxx(0.7) q[0],q[1];", 2), rxx);
    // u0 is an identity
    assert_equal_up_to_phase("u0", &unitary("u0(3) q[0];", 1), |c, r| one(c == r));
}

#[test]
fn inverse_modifier_undoes_a_definition() {
    let def = "gate g(a) x, y { u3(a, 0.3, 0.2) x; cx x, y; u1(a) y; h y; }\n";
    let got = unitary(
        &format!("{def}g(0.4) q[0],q[1];\ninv @ g(0.4) q[0],q[1];"),
        2,
    );
    assert_equal_up_to_phase("g then inv @ g", &got, |c, r| one(c == r));
    let once = unitary(&format!("{def}g(0.4) q[0],q[1];"), 2);
    let differs = once
        .iter()
        .enumerate()
        .any(|(c, col)| (col[c].abs() - 1.0).abs() > 1e-6);
    assert!(
        differs,
        "g alone is not the identity, so the test above means something"
    );
}
