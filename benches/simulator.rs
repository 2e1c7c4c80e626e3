//! Speed and memory of the simulator backend, side by side with Qiskit Aer
//! when `python3 -c "import qiskit_aer"` works.
//!
//! `cargo bench --bench simulator [-- --repeats N --only NAME --no-aer --no-rss]`
//!
//! Times GHZ-24, QFT-20, QFT-24 and a random 20-qubit depth-20 circuit at
//! 1000 shots (median of N runs, wall time of `QuantumBackend::run`) at
//! optimisation levels 0 and 3, writes the same circuits as OpenQASM 2 for
//! `bench/aer_bench.py`, and prints a table. Then it runs a 26-qubit circuit
//! in a child process and reports that process's peak RSS (VmHWM).

use std::f64::consts::PI;
use std::fmt::Write as _;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use arvak_grpc::adapters::backend::simulator::{SimulatorBackend, SimulatorConfig};
use arvak_grpc::domain::circuit::{Circuit, CircuitBuilder, Gate, Instruction, Operation};
use arvak_grpc::domain::{JobId, OptimizationLevel, Shots};
use arvak_grpc::ports::{QuantumBackend, RunRequest};

const SHOTS: u32 = 1000;

/// A circuit built twice at once: for us, and as OpenQASM 2 for Aer.
struct Both {
    builder: CircuitBuilder,
    qasm: String,
}

impl Both {
    fn new(n: u32) -> Self {
        let mut builder = CircuitBuilder::new();
        builder.add_qreg("q", n).unwrap();
        let qasm = format!("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[{n}];\ncreg c[{n}];\n");
        Self { builder, qasm }
    }

    fn gate(&mut self, gate: Gate, qubits: &[u32]) {
        let name = match gate {
            Gate::Cp(_) => "cu1",
            Gate::U(..) => "u3",
            other => other.name(),
        };
        let params = gate.params();
        let params = if params.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = params.iter().map(|p| format!("{p:.17}")).collect();
            format!("({})", list.join(","))
        };
        let args: Vec<String> = qubits.iter().map(|q| format!("q[{q}]")).collect();
        writeln!(self.qasm, "{name}{params} {};", args.join(",")).unwrap();
        let operation = Operation::Gate {
            gate,
            qubits: qubits.to_vec(),
        };
        self.builder
            .push(Instruction {
                operation,
                condition: None,
            })
            .unwrap();
    }

    /// Measures every qubit at the end (our side measures implicitly, into
    /// the same bit order).
    fn finish(mut self) -> (Circuit, String) {
        self.qasm.push_str("measure q -> c;\n");
        (self.builder.build().with_implicit_measurement(), self.qasm)
    }
}

fn ghz(n: u32) -> (Circuit, String) {
    let mut c = Both::new(n);
    c.gate(Gate::H, &[0]);
    for q in 0..n - 1 {
        c.gate(Gate::Cx, &[q, q + 1]);
    }
    c.finish()
}

fn qft(n: u32) -> (Circuit, String) {
    let mut c = Both::new(n);
    // A non-trivial input: X on every third qubit.
    for q in (0..n).step_by(3) {
        c.gate(Gate::X, &[q]);
    }
    for j in (0..n).rev() {
        c.gate(Gate::H, &[j]);
        for k in (0..j).rev() {
            c.gate(Gate::Cp(PI / 2f64.powi((j - k) as i32)), &[k, j]);
        }
    }
    for q in 0..n / 2 {
        c.gate(Gate::Swap, &[q, n - 1 - q]);
    }
    c.finish()
}

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn angle(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0 * 2.0 * PI
    }
}

/// Like qiskit's `random_circuit`: each layer pairs the qubits at random;
/// each pair gets a random two-qubit gate or a random one-qubit gate each.
fn random(n: u32, depth: u32, seed: u64) -> (Circuit, String) {
    let mut r = Lcg(seed);
    let mut c = Both::new(n);
    for _ in 0..depth {
        let mut order: Vec<u32> = (0..n).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, (r.next() % (i as u64 + 1)) as usize);
        }
        for pair in order.chunks(2) {
            if pair.len() == 2 && r.next().is_multiple_of(2) {
                let gate = match r.next() % 4 {
                    0 => Gate::Cx,
                    1 => Gate::Cz,
                    2 => Gate::Cp(r.angle()),
                    _ => Gate::Swap,
                };
                c.gate(gate, pair);
                continue;
            }
            for q in pair {
                let gate = match r.next() % 8 {
                    0 => Gate::H,
                    1 => Gate::X,
                    2 => Gate::S,
                    3 => Gate::T,
                    4 => Gate::Rx(r.angle()),
                    5 => Gate::Ry(r.angle()),
                    6 => Gate::Rz(r.angle()),
                    _ => Gate::U(r.angle(), r.angle(), r.angle()),
                };
                c.gate(gate, &[*q]);
            }
        }
    }
    c.finish()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

async fn time_ours(
    backend: &SimulatorBackend,
    circuit: &Arc<Circuit>,
    level: u32,
    repeats: usize,
) -> f64 {
    let mut runs = Vec::new();
    for i in 0..repeats {
        let request = RunRequest {
            job_id: JobId::from_uuid(uuid::Uuid::now_v7()),
            circuit: circuit.clone(),
            shots: Shots::parse(SHOTS).unwrap(),
            optimization_level: OptimizationLevel::parse(level).unwrap(),
            seed: Some(i as u64),
            backend_job_id: None,
            on_submitted: None,
        };
        let start = Instant::now();
        let result = backend.run(request).await.unwrap();
        runs.push(start.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(result.counts.values().sum::<u64>(), u64::from(SHOTS));
    }
    median(runs)
}

fn aer_available() -> bool {
    Command::new("python3")
        .args(["-c", "import qiskit_aer"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs bench/aer_bench.py on the circuits; name → median ms.
fn time_aer(circuits: &[(&str, String)], repeats: usize) -> Option<serde_json::Value> {
    let dir = std::env::temp_dir().join(format!("arvak-sim-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let mut args = vec![
        concat!(env!("CARGO_MANIFEST_DIR"), "/bench/aer_bench.py").to_owned(),
        SHOTS.to_string(),
        repeats.to_string(),
    ];
    for (name, qasm) in circuits {
        let path = dir.join(format!("{name}.qasm"));
        std::fs::write(&path, qasm).ok()?;
        args.push(format!("{name}={}", path.display()));
    }
    let output = Command::new("python3").args(&args).output().ok()?;
    let _ = std::fs::remove_dir_all(&dir);
    if !output.status.success() {
        eprintln!(
            "aer_bench.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    serde_json::from_slice(&output.stdout).ok()
}

/// VmHWM of this process in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// In the child: runs a 26-qubit circuit and prints its peak RSS.
async fn rss_probe(n: u32) {
    let (circuit, _) = random(n, 4, 7);
    let backend = SimulatorBackend::new(SimulatorConfig::default());
    let ms = time_ours(&backend, &Arc::new(circuit), 0, 1).await;
    println!("{} {ms:.0}", peak_rss_kib().unwrap_or(0));
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--rss-probe") {
        rss_probe(args[i + 1].parse().unwrap()).await;
        return;
    }
    let repeats = args
        .iter()
        .position(|a| a == "--repeats")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(3);
    let with_aer = !args.iter().any(|a| a == "--no-aer") && aer_available();
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1).cloned());

    let circuits = [
        ("ghz_24", ghz(24)),
        ("qft_20", qft(20)),
        ("qft_24", qft(24)),
        ("random_20x20", random(20, 20, 2024)),
    ];
    let circuits: Vec<_> = circuits
        .into_iter()
        .filter(|(name, _)| only.as_deref().is_none_or(|o| o == *name))
        .collect();
    let backend = SimulatorBackend::new(SimulatorConfig::default());
    let mut ours = Vec::new();
    for (name, (circuit, _)) in &circuits {
        let circuit = Arc::new(circuit.clone());
        let level0 = time_ours(&backend, &circuit, 0, repeats).await;
        let level3 = time_ours(&backend, &circuit, 3, repeats).await;
        eprintln!("{name}: ours {level0:.1} ms (level 0), {level3:.1} ms (level 3)");
        ours.push((level0, level3));
    }
    let aer = if with_aer {
        let qasm: Vec<(&str, String)> =
            circuits.iter().map(|(n, (_, q))| (*n, q.clone())).collect();
        time_aer(&qasm, repeats)
    } else {
        eprintln!("qiskit_aer not importable (or --no-aer): Aer column skipped");
        None
    };

    println!(
        "\nmedian of {repeats} runs, {SHOTS} shots, {} threads",
        rayon::current_num_threads()
    );
    println!(
        "{:<14} {:>12} {:>12} {:>10} {:>10} {:>10}",
        "circuit", "ours L0 ms", "ours L3 ms", "Aer ms", "L0/Aer", "L3/Aer"
    );
    for ((name, _), (l0, l3)) in circuits.iter().zip(&ours) {
        let aer_ms = aer.as_ref().and_then(|a| a[*name]["median_ms"].as_f64());
        let cell =
            |x: Option<f64>, digits: usize| x.map_or("-".to_owned(), |v| format!("{v:.digits$}"));
        println!(
            "{:<14} {:>12.1} {:>12.1} {:>10} {:>10} {:>10}",
            name,
            l0,
            l3,
            cell(aer_ms, 1),
            cell(aer_ms.map(|a| l0 / a), 2),
            cell(aer_ms.map(|a| l3 / a), 2)
        );
    }

    if !args.iter().any(|a| a == "--no-rss") {
        let exe = std::env::current_exe().unwrap();
        let output = Command::new(exe)
            .args(["--rss-probe", "26"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        let mut fields = text.split_whitespace();
        let kib: u64 = fields.next().and_then(|f| f.parse().ok()).unwrap_or(0);
        let ms = fields.next().unwrap_or("?");
        println!(
            "\n26-qubit run (random depth 4, {SHOTS} shots, {ms} ms): peak RSS {:.3} GiB (state vector 1 GiB; goal ≤ 1.2 GiB)",
            kib as f64 / (1u64 << 20) as f64
        );
    }
}
