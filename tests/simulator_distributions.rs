//! Measured distributions of textbook circuits, run through the backend.
//! Each is judged by a per-outcome Hoeffding bound with a Bonferroni
//! correction, so a correct simulator fails a check with probability below
//! 1e-8; outcomes of probability zero must never appear.
#![cfg(feature = "backend-simulator")]

use std::f64::consts::PI;
use std::sync::Arc;

use arvak_grpc::adapters::backend::simulator::{SimulatorBackend, SimulatorConfig};
use arvak_grpc::domain::circuit::{
    Circuit, CircuitBuilder, Condition, Counts, Gate, Instruction, Operation,
};
use arvak_grpc::domain::{JobId, OptimizationLevel, Shots};
use arvak_grpc::ports::{QuantumBackend, RunRequest};

const SHOTS: u32 = 20_000;

fn gate(b: &mut CircuitBuilder, gate: Gate, qubits: &[u32]) {
    let operation = Operation::Gate {
        gate,
        qubits: qubits.to_vec(),
    };
    b.push(Instruction {
        operation,
        condition: None,
    })
    .unwrap();
}

fn measure(b: &mut CircuitBuilder, qubit: u32, clbit: u32) {
    b.push(Instruction {
        operation: Operation::Measure { qubit, clbit },
        condition: None,
    })
    .unwrap();
}

fn reset(b: &mut CircuitBuilder, qubit: u32) {
    b.push(Instruction {
        operation: Operation::Reset { qubit },
        condition: None,
    })
    .unwrap();
}

fn gate_if(b: &mut CircuitBuilder, condition: Condition, g: Gate, qubits: &[u32]) {
    let operation = Operation::Gate {
        gate: g,
        qubits: qubits.to_vec(),
    };
    b.push(Instruction {
        operation,
        condition: Some(condition),
    })
    .unwrap();
}

fn measure_all(b: &mut CircuitBuilder, n: u32) {
    b.add_creg("c", n).unwrap();
    for q in 0..n {
        measure(b, q, q);
    }
}

async fn run_with(backend: &SimulatorBackend, circuit: Circuit, level: u32, seed: u64) -> Counts {
    let request = RunRequest {
        job_id: JobId::from_uuid(uuid::Uuid::now_v7()),
        circuit: Arc::new(circuit.with_implicit_measurement()),
        shots: Shots::parse(SHOTS).unwrap(),
        optimization_level: OptimizationLevel::parse(level).unwrap(),
        seed: Some(seed),
        backend_job_id: None,
        on_submitted: None,
    };
    let result = backend.run(request).await.unwrap();
    assert_eq!(result.shots, SHOTS);
    result.counts
}

/// Runs at every optimisation level and checks each distribution.
async fn check(circuit: Circuit, expected: &[(&str, f64)]) {
    let backend = SimulatorBackend::new(SimulatorConfig::default());
    for level in 0..=3 {
        let counts = run_with(&backend, circuit.clone(), level, 1000 + u64::from(level)).await;
        assert_distribution(&counts, expected, &format!("level {level}"));
    }
}

fn assert_distribution(counts: &Counts, expected: &[(&str, f64)], what: &str) {
    let total: u64 = counts.values().sum();
    assert_eq!(total, u64::from(SHOTS), "{what}: {counts:?}");
    for key in counts.keys() {
        assert!(
            expected.iter().any(|(k, p)| k == key && *p > 0.0),
            "{what}: outcome {key} has probability 0 but appeared: {counts:?}"
        );
    }
    let n = f64::from(SHOTS);
    // P(some |k/n − p| ≥ t) ≤ m · 2·exp(−2 n t²) = 1e-8.
    let m = expected.len() as f64;
    let t = ((2.0 * m / 1e-8).ln() / (2.0 * n)).sqrt();
    for (key, p) in expected {
        let freq = counts.get(*key).copied().unwrap_or(0) as f64 / n;
        assert!(
            (freq - p).abs() < t,
            "{what}: outcome {key}: frequency {freq}, probability {p} (±{t}): {counts:?}"
        );
    }
}

#[tokio::test]
async fn bell_state() {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 2).unwrap();
    gate(&mut b, Gate::H, &[0]);
    gate(&mut b, Gate::Cx, &[0, 1]);
    measure_all(&mut b, 2);
    check(b.build(), &[("00", 0.5), ("11", 0.5)]).await;
}

#[tokio::test]
async fn ghz_state_with_implicit_measurement() {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 5).unwrap();
    gate(&mut b, Gate::H, &[0]);
    for q in 0..4 {
        gate(&mut b, Gate::Cx, &[q, q + 1]);
    }
    check(b.build(), &[("00000", 0.5), ("11111", 0.5)]).await;
}

fn qft(b: &mut CircuitBuilder, n: u32, inverse: bool) {
    let mut ops: Vec<(Gate, Vec<u32>)> = Vec::new();
    for j in (0..n).rev() {
        ops.push((Gate::H, vec![j]));
        for k in (0..j).rev() {
            ops.push((Gate::Cp(PI / f64::from(1u32 << (j - k))), vec![k, j]));
        }
    }
    for q in 0..n / 2 {
        ops.push((Gate::Swap, vec![q, n - 1 - q]));
    }
    if inverse {
        ops.reverse();
        for (g, _) in &mut ops {
            if let Gate::Cp(a) = g {
                *g = Gate::Cp(-*a);
            }
        }
    }
    for (g, qubits) in ops {
        gate(b, g, &qubits);
    }
}

#[tokio::test]
async fn qft_of_a_basis_state_is_uniform_and_its_inverse_returns_it() {
    let n = 4;
    let prepare = |b: &mut CircuitBuilder| {
        b.add_qreg("q", n).unwrap();
        for q in [0, 1, 3] {
            gate(b, Gate::X, &[q]);
        }
    };
    let mut b = CircuitBuilder::new();
    prepare(&mut b);
    qft(&mut b, n, false);
    let keys: Vec<String> = (0..16).map(|i| format!("{i:04b}")).collect();
    let uniform: Vec<(&str, f64)> = keys.iter().map(|k| (k.as_str(), 1.0 / 16.0)).collect();
    check(b.build(), &uniform).await;

    let mut b = CircuitBuilder::new();
    prepare(&mut b);
    qft(&mut b, n, false);
    qft(&mut b, n, true);
    check(b.build(), &[("1011", 1.0)]).await;
}

fn ccz(b: &mut CircuitBuilder) {
    gate(b, Gate::H, &[2]);
    gate(b, Gate::Ccx, &[0, 1, 2]);
    gate(b, Gate::H, &[2]);
}

#[tokio::test]
async fn grover_two_qubits_finds_the_marked_state() {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 2).unwrap();
    for q in 0..2 {
        gate(&mut b, Gate::H, &[q]);
    }
    // Oracle marks |10⟩ (q1 = 1, q0 = 0).
    gate(&mut b, Gate::X, &[0]);
    gate(&mut b, Gate::Cz, &[0, 1]);
    gate(&mut b, Gate::X, &[0]);
    for g in [Gate::H, Gate::X] {
        for q in 0..2 {
            gate(&mut b, g, &[q]);
        }
    }
    gate(&mut b, Gate::Cz, &[0, 1]);
    for g in [Gate::X, Gate::H] {
        for q in 0..2 {
            gate(&mut b, g, &[q]);
        }
    }
    measure_all(&mut b, 2);
    check(b.build(), &[("10", 1.0)]).await;
}

#[tokio::test]
async fn grover_three_qubits_two_iterations() {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 3).unwrap();
    for q in 0..3 {
        gate(&mut b, Gate::H, &[q]);
    }
    for _ in 0..2 {
        // Oracle marks |101⟩.
        gate(&mut b, Gate::X, &[1]);
        ccz(&mut b);
        gate(&mut b, Gate::X, &[1]);
        for g in [Gate::H, Gate::X] {
            for q in 0..3 {
                gate(&mut b, g, &[q]);
            }
        }
        ccz(&mut b);
        for g in [Gate::X, Gate::H] {
            for q in 0..3 {
                gate(&mut b, g, &[q]);
            }
        }
    }
    measure_all(&mut b, 3);
    // sin²(5θ) with sin θ = 1/√8.
    let marked = (5.0 * (1.0 / 8f64.sqrt()).asin()).sin().powi(2);
    assert!((marked - 0.9453125).abs() < 1e-12);
    let other = (1.0 - marked) / 7.0;
    let keys: Vec<String> = (0..8).map(|i| format!("{i:03b}")).collect();
    let expected: Vec<(&str, f64)> = keys
        .iter()
        .map(|k| (k.as_str(), if k == "101" { marked } else { other }))
        .collect();
    check(b.build(), &expected).await;
}

#[tokio::test]
async fn bernstein_vazirani_reads_the_secret() {
    let secret = [true, true, false, true]; // bit i of s, so s = "1011"
    let n = secret.len() as u32;
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", n + 1).unwrap();
    b.add_creg("c", n).unwrap();
    gate(&mut b, Gate::X, &[n]);
    for q in 0..=n {
        gate(&mut b, Gate::H, &[q]);
    }
    for (i, bit) in secret.iter().enumerate() {
        if *bit {
            gate(&mut b, Gate::Cx, &[i as u32, n]);
        }
    }
    for q in 0..n {
        gate(&mut b, Gate::H, &[q]);
        measure(&mut b, q, q);
    }
    check(b.build(), &[("1011", 1.0)]).await;
}

#[tokio::test]
async fn teleportation_with_mid_circuit_measurement_and_conditions() {
    let theta = 1.2;
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 3).unwrap();
    let m0 = b.add_creg("m0", 1).unwrap();
    let m1 = b.add_creg("m1", 1).unwrap();
    let out = b.add_creg("out", 1).unwrap();
    gate(&mut b, Gate::Ry(theta), &[0]);
    gate(&mut b, Gate::H, &[1]);
    gate(&mut b, Gate::Cx, &[1, 2]);
    gate(&mut b, Gate::Cx, &[0, 1]);
    gate(&mut b, Gate::H, &[0]);
    measure(&mut b, 0, m0);
    measure(&mut b, 1, m1);
    gate_if(
        &mut b,
        Condition::Bit {
            clbit: m1,
            value: true,
        },
        Gate::X,
        &[2],
    );
    gate_if(
        &mut b,
        Condition::RegisterEquals {
            first: m0,
            width: 1,
            value: 1,
        },
        Gate::Z,
        &[2],
    );
    measure(&mut b, 2, out);
    let one = (theta / 2.0).sin().powi(2);
    // Keys read out m1 m0 (last-declared register leftmost).
    let expected: Vec<(String, f64)> = (0..8)
        .map(|i| {
            let key = format!("{i:03b}");
            let p = if key.starts_with('1') { one } else { 1.0 - one };
            (key, p / 4.0)
        })
        .collect();
    let expected: Vec<(&str, f64)> = expected.iter().map(|(k, p)| (k.as_str(), *p)).collect();
    check(b.build(), &expected).await;
}

#[tokio::test]
async fn reset_returns_an_entangled_qubit_to_zero() {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 2).unwrap();
    b.add_creg("c", 2).unwrap();
    gate(&mut b, Gate::H, &[0]);
    gate(&mut b, Gate::Cx, &[0, 1]);
    reset(&mut b, 0);
    measure(&mut b, 0, 0);
    measure(&mut b, 1, 1);
    check(b.build(), &[("00", 0.5), ("10", 0.5)]).await;
}

#[tokio::test]
async fn measuring_again_after_a_gate_on_the_same_qubit() {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 1).unwrap();
    b.add_creg("c", 2).unwrap();
    gate(&mut b, Gate::H, &[0]);
    measure(&mut b, 0, 0);
    gate(&mut b, Gate::H, &[0]);
    measure(&mut b, 0, 1);
    check(
        b.build(),
        &[("00", 0.25), ("01", 0.25), ("10", 0.25), ("11", 0.25)],
    )
    .await;
}

#[tokio::test]
async fn partial_measurement_leaves_other_bits_zero() {
    let theta = 2.0;
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 3).unwrap();
    b.add_creg("c", 3).unwrap();
    gate(&mut b, Gate::Ry(theta), &[0]);
    gate(&mut b, Gate::H, &[1]);
    gate(&mut b, Gate::X, &[2]);
    // Only q0 → c1 and q2 → c2; c0 is never written.
    measure(&mut b, 0, 1);
    measure(&mut b, 2, 2);
    let one = (theta / 2.0).sin().powi(2);
    check(b.build(), &[("110", one), ("100", 1.0 - one)]).await;
}

#[tokio::test]
async fn several_registers_put_the_last_declared_leftmost() {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 3).unwrap();
    let a = b.add_creg("a", 2).unwrap();
    let second = b.add_creg("b", 1).unwrap();
    gate(&mut b, Gate::X, &[0]);
    gate(&mut b, Gate::H, &[1]);
    gate(&mut b, Gate::X, &[2]);
    measure(&mut b, 0, a);
    measure(&mut b, 1, a + 1);
    measure(&mut b, 2, second);
    // "b a": b = 1, a = (q1 q0).
    check(b.build(), &[("101", 0.5), ("111", 0.5)]).await;
}

#[tokio::test]
async fn swaps_just_before_measurement_move_the_measured_values() {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 4).unwrap();
    b.add_creg("c", 3).unwrap();
    gate(&mut b, Gate::X, &[0]);
    gate(&mut b, Gate::Ry(1.0), &[3]);
    gate(&mut b, Gate::Swap, &[0, 1]);
    gate(&mut b, Gate::Swap, &[1, 2]);
    gate(&mut b, Gate::Swap, &[3, 0]);
    // Now q2 = 1, q0 = ry(1.0)|0⟩, q1 = q3 = 0.
    measure(&mut b, 2, 0);
    measure(&mut b, 0, 1);
    measure(&mut b, 1, 2);
    let one = 0.5f64.sin().powi(2);
    check(b.build(), &[("011", one), ("001", 1.0 - one)]).await;
}

#[tokio::test]
async fn conditioned_reset_and_conditioned_measurement() {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 3).unwrap();
    let c = b.add_creg("c", 3).unwrap();
    gate(&mut b, Gate::X, &[1]);
    gate(&mut b, Gate::X, &[2]);
    gate(&mut b, Gate::H, &[0]);
    measure(&mut b, 0, c);
    let when = |value: u64| {
        Some(Condition::RegisterEquals {
            first: c,
            width: 3,
            value,
        })
    };
    b.push(Instruction {
        operation: Operation::Reset { qubit: 1 },
        condition: when(1),
    })
    .unwrap();
    measure(&mut b, 1, c + 1);
    // c is 0b010 here exactly when c0 was 0.
    let operation = Operation::Measure {
        qubit: 2,
        clbit: c + 2,
    };
    b.push(Instruction {
        operation,
        condition: when(0b010),
    })
    .unwrap();
    check(b.build(), &[("110", 0.5), ("001", 0.5)]).await;
}

#[tokio::test]
async fn trailing_swaps_on_a_state_larger_than_a_cache_block() {
    let n = 16;
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", n).unwrap();
    gate(&mut b, Gate::X, &[0]);
    gate(&mut b, Gate::X, &[3]);
    gate(&mut b, Gate::H, &[15]);
    gate(&mut b, Gate::Swap, &[0, 15]); // q15 = 1, q0 = H|0⟩
    gate(&mut b, Gate::Swap, &[3, 4]); // q4 = 1 (both below the block size)
    gate(&mut b, Gate::Swap, &[4, 5]); // q5 = 1
    // Implicit measurement of all 16 qubits, qubit 0 rightmost.
    let key = |q0: bool| {
        let mut bits = vec!['0'; n as usize];
        for q in [15usize, 5] {
            bits[n as usize - 1 - q] = '1';
        }
        if q0 {
            bits[n as usize - 1] = '1';
        }
        bits.into_iter().collect::<String>()
    };
    let (k0, k1) = (key(false), key(true));
    check(b.build(), &[(k0.as_str(), 0.5), (k1.as_str(), 0.5)]).await;
}
