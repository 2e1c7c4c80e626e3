//! The transpiler's speed and two-qubit gate count, to set beside Qiskit's
//! `transpile(..., optimization_level=3)` on the very same circuits.
//!
//! `cargo bench --bench transpile [-- --repeats N]`, with
//! `TRANSPILE_BENCH_DIR=DIR` to also write each case (circuit as OpenQASM 3,
//! coupling map, basis, our figures) for `bench/transpile_vs_qiskit.py DIR`,
//! and `TRANSPILE_BENCH_ONLY=qft` to run only the circuits whose name starts
//! so.
//!
//! QFT, GHZ and a seeded random circuit (one-qubit rotations, cx, cz) on
//! square lattices with prx+cz (IQM-like, 20 and 54 qubits), an Eagle
//! heavy-hex with directed ecr (127) and a Heron r2 heavy-hex with cz (156).

#[path = "../tests/transpile_support/corpus.rs"]
mod corpus;

use std::fmt::Write as _;
use std::time::Instant;

use arvak_grpc::domain::circuit::{Circuit, Operation};
use arvak_grpc::domain::transpile::{Basis, Target, TranspileOptions, topology, transpile};

struct Device {
    name: &'static str,
    target: Target,
    /// Qiskit's names for the basis (`r` is its name for prx).
    qiskit_basis: &'static [&'static str],
}

fn devices() -> Vec<Device> {
    let (eagle_n, eagle_edges) = topology::eagle();
    // Mixed directions, as on a real Eagle.
    let eagle_edges: Vec<(u32, u32)> = eagle_edges
        .into_iter()
        .enumerate()
        .map(|(i, (a, b))| if i % 2 == 0 { (a, b) } else { (b, a) })
        .collect();
    let (heron_n, heron_edges) = topology::heron_r2();
    vec![
        Device {
            name: "iqm-grid-20",
            target: Target::new(20, topology::grid(4, 5), Basis::PrxCz).unwrap(),
            qiskit_basis: &["r", "cz"],
        },
        Device {
            name: "iqm-grid-54",
            target: Target::new(54, topology::grid(6, 9), Basis::PrxCz).unwrap(),
            qiskit_basis: &["r", "cz"],
        },
        Device {
            name: "eagle-127-ecr",
            target: Target::new(eagle_n, eagle_edges, Basis::EcrRzSxX).unwrap(),
            qiskit_basis: &["ecr", "rz", "sx", "x"],
        },
        Device {
            name: "heron-156-cz",
            target: Target::new(heron_n, heron_edges, Basis::CzRzSxX).unwrap(),
            qiskit_basis: &["cz", "rz", "sx", "x"],
        },
    ]
}

fn circuits_for(num_qubits: u32) -> Vec<(String, Circuit)> {
    let sizes: &[u32] = match num_qubits {
        20 => &[20],
        54 => &[54],
        _ => &[54, 127],
    };
    let mut out = Vec::new();
    for &n in sizes {
        out.push((format!("qft-{n}"), corpus::qft(n)));
        out.push((format!("ghz-{n}"), corpus::ghz(n)));
        let random = corpus::random(n, 10, &corpus::BENCH_RANDOM_GATES, 42 + u64::from(n));
        out.push((format!("random-{n}"), random));
    }
    out
}

fn two_qubit_gates(circuit: &Circuit) -> usize {
    circuit
        .instructions()
        .iter()
        .filter(|i| matches!(&i.operation, Operation::Gate { qubits, .. } if qubits.len() == 2))
        .count()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let repeats: usize = args
        .iter()
        .position(|a| a == "--repeats")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let dir = std::env::var("TRANSPILE_BENCH_DIR").ok();
    if let Some(dir) = &dir {
        std::fs::create_dir_all(dir).expect("bench directory");
    }
    let only = std::env::var("TRANSPILE_BENCH_ONLY").unwrap_or_default();
    let options = TranspileOptions::default();
    println!(
        "{:<12} {:<14} {:>6} {:>9} {:>7}",
        "circuit", "device", "2q", "median ms", "swaps"
    );
    let mut manifest = Vec::new();
    for device in devices() {
        let circuits = circuits_for(device.target.num_qubits());
        for (name, circuit) in circuits.into_iter().filter(|(n, _)| n.starts_with(&only)) {
            let mut times = Vec::with_capacity(repeats);
            let mut result = None;
            for _ in 0..repeats {
                let start = Instant::now();
                let out = transpile(&circuit, &device.target, &options).expect("transpiles");
                times.push(start.elapsed().as_secs_f64() * 1e3);
                result = Some(out);
            }
            times.sort_by(f64::total_cmp);
            let median = times[times.len() / 2];
            let out = result.expect("at least one run");
            let count = two_qubit_gates(&out.circuit);
            println!(
                "{name:<12} {:<14} {count:>6} {median:>9.2} {:>7}",
                device.name, out.swaps_inserted
            );
            if let Some(dir) = &dir {
                let case = format!("{name}__{}", device.name);
                std::fs::write(format!("{dir}/{case}.qasm"), corpus::to_qasm3(&circuit))
                    .expect("write circuit");
                manifest.push(case_json(&case, &name, &device, count, median));
            }
        }
    }
    if let Some(dir) = &dir {
        let body = format!("[\n{}\n]\n", manifest.join(",\n"));
        std::fs::write(format!("{dir}/cases.json"), body).expect("write manifest");
        println!("wrote {} cases to {dir}", manifest.len());
    }
}

fn case_json(case: &str, circuit: &str, device: &Device, count: usize, median: f64) -> String {
    let t = &device.target;
    let mut edges = String::new();
    for (i, (a, b)) in t.edges().iter().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        write!(edges, "{sep}[{a},{b}]").unwrap();
        if t.basis().two_qubit_gate_is_symmetric() {
            write!(edges, ",[{b},{a}]").unwrap();
        }
    }
    let basis: Vec<String> = device
        .qiskit_basis
        .iter()
        .map(|b| format!("\"{b}\""))
        .collect();
    format!(
        "{{\"case\":\"{case}\",\"circuit\":\"{circuit}\",\"device\":\"{}\",\"num_qubits\":{},\
         \"basis\":[{}],\"edges\":[{edges}],\"ours_2q\":{count},\"ours_ms\":{median:.3}}}",
        device.name,
        t.num_qubits(),
        basis.join(",")
    )
}
