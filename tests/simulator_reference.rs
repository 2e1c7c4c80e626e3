//! The simulator's final states against an independent reference: full
//! 2^n × 2^n matrices built from textbook gate definitions (first listed
//! qubit most significant in the local matrix, as in textbooks), multiplied
//! onto |0…0⟩. Random circuits use every gate, at every optimisation level
//! and on both sides of the parallel threshold.
#![cfg(feature = "backend-simulator")]

use std::f64::consts::PI;

use arvak_grpc::adapters::backend::simulator::{C64, SimulatorConfig, final_state};
use arvak_grpc::domain::OptimizationLevel;
use arvak_grpc::domain::circuit::{Circuit, CircuitBuilder, Gate, Instruction, Operation};

type Matrix = Vec<Vec<C64>>;

fn c(re: f64, im: f64) -> C64 {
    C64::new(re, im)
}

fn cis(t: f64) -> C64 {
    c(t.cos(), t.sin())
}

fn mat(rows: &[&[C64]]) -> Matrix {
    rows.iter().map(|r| r.to_vec()).collect()
}

fn identity(d: usize) -> Matrix {
    (0..d)
        .map(|r| {
            (0..d)
                .map(|k| if r == k { c(1.0, 0.0) } else { c(0.0, 0.0) })
                .collect()
        })
        .collect()
}

fn scale(m: &Matrix, f: C64) -> Matrix {
    m.iter()
        .map(|r| r.iter().map(|x| *x * f).collect())
        .collect()
}

fn add(a: &Matrix, b: &Matrix) -> Matrix {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.iter().zip(y).map(|(p, q)| *p + *q).collect())
        .collect()
}

/// Kronecker product a ⊗ b.
fn kron(a: &Matrix, b: &Matrix) -> Matrix {
    let (n, m) = (a.len(), b.len());
    (0..n * m)
        .map(|r| {
            (0..n * m)
                .map(|k| a[r / m][k / m] * b[r % m][k % m])
                .collect()
        })
        .collect()
}

/// |0⟩⟨0| ⊗ I + |1⟩⟨1| ⊗ U: the control is the most significant qubit.
fn controlled(u: &Matrix) -> Matrix {
    let p0 = mat(&[&[c(1.0, 0.0), c(0.0, 0.0)], &[c(0.0, 0.0), c(0.0, 0.0)]]);
    let p1 = mat(&[&[c(0.0, 0.0), c(0.0, 0.0)], &[c(0.0, 0.0), c(1.0, 0.0)]]);
    add(&kron(&p0, &identity(u.len())), &kron(&p1, u))
}

fn pauli_x() -> Matrix {
    mat(&[&[c(0.0, 0.0), c(1.0, 0.0)], &[c(1.0, 0.0), c(0.0, 0.0)]])
}

fn pauli_y() -> Matrix {
    mat(&[&[c(0.0, 0.0), c(0.0, -1.0)], &[c(0.0, 1.0), c(0.0, 0.0)]])
}

fn pauli_z() -> Matrix {
    mat(&[&[c(1.0, 0.0), c(0.0, 0.0)], &[c(0.0, 0.0), c(-1.0, 0.0)]])
}

/// exp(-iθ/2 · P) = cos(θ/2) I − i sin(θ/2) P.
fn rotation(p: &Matrix, theta: f64) -> Matrix {
    add(
        &scale(&identity(2), c((theta / 2.0).cos(), 0.0)),
        &scale(p, c(0.0, -(theta / 2.0).sin())),
    )
}

fn phase(l: f64) -> Matrix {
    mat(&[&[c(1.0, 0.0), c(0.0, 0.0)], &[c(0.0, 0.0), cis(l)]])
}

/// Qiskit's U(θ, φ, λ).
fn u3(t: f64, p: f64, l: f64) -> Matrix {
    let (s, co) = ((t / 2.0).sin(), (t / 2.0).cos());
    mat(&[
        &[c(co, 0.0), cis(l) * c(-s, 0.0)],
        &[cis(p) * c(s, 0.0), cis(p + l) * c(co, 0.0)],
    ])
}

/// The gate's matrix over its qubits, first qubit most significant.
fn local_matrix(gate: Gate) -> Matrix {
    let h = 1.0 / 2f64.sqrt();
    let hadamard = mat(&[&[c(h, 0.0), c(h, 0.0)], &[c(h, 0.0), c(-h, 0.0)]]);
    let swap = {
        let mut m = identity(4);
        m[1] = vec![c(0.0, 0.0), c(0.0, 0.0), c(1.0, 0.0), c(0.0, 0.0)];
        m[2] = vec![c(0.0, 0.0), c(1.0, 0.0), c(0.0, 0.0), c(0.0, 0.0)];
        m
    };
    // √X = H·S·H.
    let sx = mat(&[&[c(0.5, 0.5), c(0.5, -0.5)], &[c(0.5, -0.5), c(0.5, 0.5)]]);
    let sxdg = mat(&[&[c(0.5, -0.5), c(0.5, 0.5)], &[c(0.5, 0.5), c(0.5, -0.5)]]);
    match gate {
        Gate::Id => identity(2),
        Gate::X => pauli_x(),
        Gate::Y => pauli_y(),
        Gate::Z => pauli_z(),
        Gate::H => hadamard,
        Gate::S => phase(PI / 2.0),
        Gate::Sdg => phase(-PI / 2.0),
        Gate::T => phase(PI / 4.0),
        Gate::Tdg => phase(-PI / 4.0),
        Gate::Sx => sx,
        Gate::Sxdg => sxdg,
        Gate::Rx(t) => rotation(&pauli_x(), t),
        Gate::Ry(t) => rotation(&pauli_y(), t),
        Gate::Rz(t) => rotation(&pauli_z(), t),
        Gate::P(l) => phase(l),
        Gate::U(t, p, l) => u3(t, p, l),
        Gate::GPhase(g) => vec![vec![cis(g)]],
        Gate::Cx => controlled(&pauli_x()),
        Gate::Cy => controlled(&pauli_y()),
        Gate::Cz => controlled(&pauli_z()),
        Gate::Ch => controlled(&local_matrix(Gate::H)),
        Gate::Swap => swap,
        Gate::Cp(l) => controlled(&phase(l)),
        Gate::Crx(t) => controlled(&rotation(&pauli_x(), t)),
        Gate::Cry(t) => controlled(&rotation(&pauli_y(), t)),
        Gate::Crz(t) => controlled(&rotation(&pauli_z(), t)),
        Gate::Cu(t, p, l, g) => controlled(&scale(&u3(t, p, l), cis(g))),
        Gate::Ccx => controlled(&controlled(&pauli_x())),
        Gate::Cswap => controlled(&swap),
        // exp(−iθ/2 · (cos φ X + sin φ Y)), IQM's definition.
        Gate::Prx(t, p) => rotation(
            &add(
                &scale(&pauli_x(), c(p.cos(), 0.0)),
                &scale(&pauli_y(), c(p.sin(), 0.0)),
            ),
            t,
        ),
        // Qiskit's 1/√2 (IX − XY), its left factor on the second qubit
        // (here the less significant one).
        Gate::Ecr => scale(
            &add(
                &kron(&pauli_x(), &identity(2)),
                &scale(&kron(&pauli_y(), &pauli_x()), c(-1.0, 0.0)),
            ),
            c(h, 0.0),
        ),
    }
}

/// The gate as a full 2^n × 2^n matrix: entry (r, k) is the local entry
/// when r and k agree on every qubit the gate does not touch.
fn full_matrix(gate: Gate, qubits: &[u32], n: u32) -> Matrix {
    let local = local_matrix(gate);
    let k = qubits.len();
    let touched: usize = qubits.iter().map(|q| 1usize << q).sum();
    let local_index =
        |i: usize| (0..k).fold(0, |acc, j| acc | ((i >> qubits[j]) & 1) << (k - 1 - j));
    let dim = 1usize << n;
    (0..dim)
        .map(|r| {
            (0..dim)
                .map(|col| {
                    if r & !touched == col & !touched {
                        local[local_index(r)][local_index(col)]
                    } else {
                        c(0.0, 0.0)
                    }
                })
                .collect()
        })
        .collect()
}

fn reference_state(circuit: &Circuit) -> Vec<C64> {
    let n = circuit.num_qubits();
    let mut state = vec![c(0.0, 0.0); 1 << n];
    state[0] = c(1.0, 0.0);
    for instruction in circuit.instructions() {
        let Operation::Gate { gate, qubits } = &instruction.operation else {
            continue;
        };
        let m = full_matrix(*gate, qubits, n);
        state = m
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&state)
                    .fold(c(0.0, 0.0), |s, (a, b)| s + *a * *b)
            })
            .collect();
    }
    state
}

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn angle(&mut self) -> f64 {
        // Some exact multiples of π/4 too, which make fused matrices exactly
        // diagonal or the identity.
        if self.below(4) == 0 {
            (self.below(9) as f64 - 4.0) * PI / 4.0
        } else {
            (self.below(1 << 20) as f64 / (1 << 20) as f64 - 0.5) * 4.0 * PI
        }
    }
}

fn all_gates(r: &mut Lcg) -> Vec<Gate> {
    let names = Gate::NAMES;
    names
        .iter()
        .map(|name| {
            let arity = (0..=4)
                .find(|k| Gate::from_name(name, &vec![0.0; *k]).is_some())
                .unwrap();
            let params: Vec<f64> = (0..arity).map(|_| r.angle()).collect();
            Gate::from_name(name, &params).unwrap()
        })
        .collect()
}

fn random_circuit(n: u32, depth: usize, seed: u64) -> Circuit {
    let mut r = Lcg(seed);
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", n).unwrap();
    let mut pushed = 0;
    while pushed < depth {
        let gates = all_gates(&mut r);
        let gate = gates[r.below(gates.len() as u64) as usize];
        if gate.num_qubits() > n as usize {
            continue;
        }
        let mut qubits: Vec<u32> = Vec::new();
        while qubits.len() < gate.num_qubits() {
            let q = r.below(u64::from(n)) as u32;
            if !qubits.contains(&q) {
                qubits.push(q);
            }
        }
        // Repeat gates now and then, so inverse pairs and merges happen.
        let repeat = if r.below(3) == 0 { 2 } else { 1 };
        for _ in 0..repeat {
            b.push(Instruction {
                operation: Operation::Gate {
                    gate,
                    qubits: qubits.clone(),
                },
                condition: None,
            })
            .unwrap();
        }
        if r.below(5) == 0 {
            let inverse = match gate {
                Gate::S => Some(Gate::Sdg),
                Gate::T => Some(Gate::Tdg),
                Gate::Sx => Some(Gate::Sxdg),
                Gate::Rz(a) => Some(Gate::Rz(-a)),
                Gate::Cp(a) => Some(Gate::Cp(-a)),
                _ => None,
            };
            if let Some(inv) = inverse {
                b.push(Instruction {
                    operation: Operation::Gate {
                        gate: inv,
                        qubits: qubits.clone(),
                    },
                    condition: None,
                })
                .unwrap();
            }
        }
        if r.below(10) == 0 && !qubits.is_empty() {
            b.push(Instruction {
                operation: Operation::Barrier {
                    qubits: vec![qubits[0]],
                },
                condition: None,
            })
            .unwrap();
        }
        pushed += 1;
    }
    b.build()
}

fn assert_close(got: &[C64], want: &[C64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            g.dist(*w) < 1e-10,
            "{what}: amplitude {i}: got {g:?}, want {w:?}"
        );
    }
}

fn level(l: u32) -> OptimizationLevel {
    OptimizationLevel::parse(l).unwrap()
}

#[test]
fn every_gate_alone_matches_its_textbook_matrix() {
    let mut r = Lcg(1);
    for gate in all_gates(&mut r) {
        let n = 3;
        let mut b = CircuitBuilder::new();
        b.add_qreg("q", n).unwrap();
        // A non-trivial input state first.
        for (q, t) in [(0, 0.3), (1, 1.1), (2, 2.3)] {
            b.push(Instruction {
                operation: Operation::Gate {
                    gate: Gate::U(t, t / 2.0, t / 3.0),
                    qubits: vec![q],
                },
                condition: None,
            })
            .unwrap();
        }
        let qubits: Vec<u32> = [2, 0, 1][..gate.num_qubits()].to_vec();
        b.push(Instruction {
            operation: Operation::Gate { gate, qubits },
            condition: None,
        })
        .unwrap();
        let circuit = b.build();
        let got = final_state(&circuit, level(0), &SimulatorConfig::default()).unwrap();
        assert_close(&got, &reference_state(&circuit), gate.name());
    }
}

#[test]
fn random_circuits_match_the_reference_at_every_level() {
    let serial = SimulatorConfig {
        parallel_threshold_qubits: 64,
        ..SimulatorConfig::default()
    };
    let parallel = SimulatorConfig {
        parallel_threshold_qubits: 0,
        ..SimulatorConfig::default()
    };
    for seed in 0..40u64 {
        let n = 1 + (seed % 6) as u32;
        let circuit = random_circuit(n, 60, seed);
        let want = reference_state(&circuit);
        for l in 0..=3 {
            for (config, how) in [(&serial, "serial"), (&parallel, "parallel")] {
                let got = final_state(&circuit, level(l), config).unwrap();
                assert_close(
                    &got,
                    &want,
                    &format!("seed {seed}, {n} qubits, level {l}, {how}"),
                );
            }
        }
    }
}

#[test]
fn large_random_circuits_agree_across_the_parallel_threshold_and_levels() {
    let serial = SimulatorConfig {
        parallel_threshold_qubits: 64,
        ..SimulatorConfig::default()
    };
    let parallel = SimulatorConfig {
        parallel_threshold_qubits: 0,
        ..SimulatorConfig::default()
    };
    let circuit = random_circuit(15, 120, 99);
    let want = final_state(&circuit, level(0), &serial).unwrap();
    let norm: f64 = want.iter().map(|a| a.norm_sqr()).sum();
    assert!((norm - 1.0).abs() < 1e-10);
    for l in 0..=3 {
        let got = final_state(&circuit, level(l), &parallel).unwrap();
        assert_close(&got, &want, &format!("level {l}, parallel"));
    }
}

#[test]
fn circuits_with_measurement_have_no_final_state() {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 1).unwrap();
    b.add_creg("c", 1).unwrap();
    b.push(Instruction {
        operation: Operation::Measure { qubit: 0, clbit: 0 },
        condition: None,
    })
    .unwrap();
    assert!(final_state(&b.build(), level(0), &SimulatorConfig::default()).is_err());
}

/// Long runs of diagonal gates over many qubits are applied as one pass of
/// several tables; a barrier after every gate stops that batching, so the
/// two circuits must give the same state.
#[test]
fn batched_diagonals_over_many_qubits_match_gate_by_gate() {
    let n = 17;
    let build = |fenced: bool, r: &mut Lcg| {
        let mut b = CircuitBuilder::new();
        b.add_qreg("q", n).unwrap();
        let push = |b: &mut CircuitBuilder, gate: Gate, qubits: Vec<u32>| {
            b.push(Instruction {
                operation: Operation::Gate { gate, qubits },
                condition: None,
            })
            .unwrap();
            if fenced {
                b.push(Instruction {
                    operation: Operation::Barrier {
                        qubits: (0..n).collect(),
                    },
                    condition: None,
                })
                .unwrap();
            }
        };
        for q in 0..n {
            push(&mut b, Gate::H, vec![q]);
        }
        for round in 0..3 {
            for k in 0..40u32 {
                let a = r.below(u64::from(n)) as u32;
                let c = (a + 1 + r.below(u64::from(n) - 1) as u32) % n;
                let angle = r.angle();
                let gate = [
                    Gate::Cp(angle),
                    Gate::Crz(angle),
                    Gate::Rz(angle),
                    Gate::T,
                    Gate::Cz,
                    Gate::GPhase(angle),
                ][(k as usize + round) % 6];
                let qubits = match gate.num_qubits() {
                    0 => vec![],
                    1 => vec![a],
                    _ => vec![a, c],
                };
                push(&mut b, gate, qubits);
            }
            push(&mut b, Gate::Sx, vec![round as u32]);
            push(&mut b, Gate::H, vec![n - 1 - round as u32]);
        }
        b.build()
    };
    let batched = build(false, &mut Lcg(5));
    let fenced = build(true, &mut Lcg(5));
    for threshold in [0, 64] {
        let config = SimulatorConfig {
            parallel_threshold_qubits: threshold,
            ..SimulatorConfig::default()
        };
        let want = final_state(&fenced, level(0), &config).unwrap();
        for l in 0..=3 {
            let got = final_state(&batched, level(l), &config).unwrap();
            assert_close(&got, &want, &format!("level {l}, threshold {threshold}"));
        }
    }
}
