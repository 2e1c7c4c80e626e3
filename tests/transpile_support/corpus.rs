//! Circuits the transpiler is tested and benchmarked on: QFT, GHZ and
//! seeded random circuits, and an OpenQASM 3 writer for them.

#![allow(dead_code)]

use std::f64::consts::PI;
use std::fmt::Write as _;

use arvak_grpc::domain::circuit::{Circuit, CircuitBuilder, Gate, Instruction, Operation};

pub fn gate(b: &mut CircuitBuilder, gate: Gate, qubits: &[u32]) {
    b.push(Instruction {
        operation: Operation::Gate {
            gate,
            qubits: qubits.to_vec(),
        },
        condition: None,
    })
    .expect("valid gate");
}

fn builder(n: u32) -> CircuitBuilder {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", n).expect("qubits");
    b
}

/// The textbook QFT, with the final swaps that reverse the qubit order.
pub fn qft(n: u32) -> Circuit {
    let mut b = builder(n);
    for i in (0..n).rev() {
        gate(&mut b, Gate::H, &[i]);
        for j in (0..i).rev() {
            gate(&mut b, Gate::Cp(PI / 2f64.powi((i - j) as i32)), &[j, i]);
        }
    }
    for i in 0..n / 2 {
        gate(&mut b, Gate::Swap, &[i, n - 1 - i]);
    }
    b.build()
}

/// H on qubit 0, then a chain of cx.
pub fn ghz(n: u32) -> Circuit {
    let mut b = builder(n);
    gate(&mut b, Gate::H, &[0]);
    for i in 1..n {
        gate(&mut b, Gate::Cx, &[i - 1, i]);
    }
    b.build()
}

/// A small seeded generator, so circuits are the same on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n)) as u32
    }

    pub fn angle(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 * PI - PI
    }

    /// `k` distinct qubits below `n`.
    pub fn qubits(&mut self, n: u32, k: usize) -> Vec<u32> {
        let mut out = Vec::with_capacity(k);
        while out.len() < k {
            let q = self.below(n);
            if !out.contains(&q) {
                out.push(q);
            }
        }
        out
    }
}

/// A gate by name with random parameters.
pub fn random_gate(name: &str, rng: &mut Rng) -> Gate {
    (0..=4)
        .find_map(|k| {
            let params: Vec<f64> = (0..k).map(|_| rng.angle()).collect();
            Gate::from_name(name, &params)
        })
        .expect("every standard gate has an arity")
}

/// `depth` layers over `n` qubits of gates drawn from `names`.
pub fn random(n: u32, depth: u32, names: &[&str], seed: u64) -> Circuit {
    let mut rng = Rng(seed);
    let mut b = builder(n);
    for _ in 0..depth * n.div_ceil(2) {
        let name = names[rng.below(names.len() as u32) as usize];
        let g = random_gate(name, &mut rng);
        if g.num_qubits() as u32 > n {
            continue;
        }
        let qubits = rng.qubits(n, g.num_qubits());
        gate(&mut b, g, &qubits);
    }
    b.build()
}

/// The benchmark's random circuits: one-qubit rotations, cx and cz.
pub const BENCH_RANDOM_GATES: [&str; 7] = ["h", "rz", "sx", "ry", "cx", "cx", "cz"];

/// OpenQASM 3 for circuits of gates only, one instruction a line.
pub fn to_qasm3(circuit: &Circuit) -> String {
    let mut s = String::from("OPENQASM 3.0;\ninclude \"stdgates.inc\";\n");
    writeln!(s, "qubit[{}] q;", circuit.num_qubits()).unwrap();
    for instruction in circuit.instructions() {
        if let Operation::Gate { gate, qubits } = &instruction.operation {
            let params = gate.params();
            let name = gate.name();
            if params.is_empty() {
                write!(s, "{name} ").unwrap();
            } else {
                let p: Vec<String> = params.iter().map(|p| format!("{p:e}")).collect();
                write!(s, "{name}({}) ", p.join(", ")).unwrap();
            }
            let q: Vec<String> = qubits.iter().map(|q| format!("q[{q}]")).collect();
            writeln!(s, "{};", q.join(", ")).unwrap();
        }
    }
    s
}
