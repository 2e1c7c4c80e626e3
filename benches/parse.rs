//! Parse benchmark: a 10,000-gate OpenQASM 3 program in Qiskit's style, parsed
//! about 50 times; prints the median (target: under 10 ms in release). The
//! same circuit as Arvak IR JSON is timed too. Run: `cargo bench --bench parse`.

use std::time::{Duration, Instant};

use arvak_grpc::adapters::circuit::{StandardFrontend, to_ir_json};
use arvak_grpc::domain::{CircuitFormat, CircuitSource};
use arvak_grpc::ports::CircuitFrontend;

const GATES: usize = 10_000;
const RUNS: usize = 51;
const QUBITS: usize = 20;

/// Gates cycle through the kinds Qiskit writes, with 17-digit parameters.
fn program() -> String {
    let mut text =
        format!("OPENQASM 3.0;\ninclude \"stdgates.inc\";\nbit[{QUBITS}] c;\nqubit[{QUBITS}] q;\n");
    for i in 0..GATES {
        let (a, b) = (i % QUBITS, (i * 7 + 3) % QUBITS);
        let b = if a == b { (b + 1) % QUBITS } else { b };
        let line = match i % 6 {
            0 => format!("h q[{a}];\n"),
            1 => format!("cx q[{a}], q[{b}];\n"),
            2 => format!("rz({}) q[{a}];\n", 1.4900000000000002 + i as f64 * 1e-3),
            3 => format!(
                "U(pi/7, -pi/2 + {}, 3*pi/4) q[{a}];\n",
                i as f64 * 0.1234567
            ),
            4 => format!("cp(-3*pi/4) q[{a}], q[{b}];\n"),
            _ => format!("sx q[{a}];\n"),
        };
        text.push_str(&line);
    }
    for i in 0..QUBITS {
        text.push_str(&format!("c[{i}] = measure q[{i}];\n"));
    }
    text
}

fn median(format: CircuitFormat, text: &str) -> (Duration, Duration, Duration) {
    let source = CircuitSource {
        format,
        text: text.into(),
    };
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let circuit = StandardFrontend
                .parse(&source)
                .expect("the benchmark program parses");
            let elapsed = start.elapsed();
            assert_eq!(circuit.gate_count(), GATES);
            elapsed
        })
        .collect();
    times.sort();
    (times[RUNS / 2], times[0], times[RUNS - 1])
}

fn main() {
    let text = program();
    let (med, min, max) = median(CircuitFormat::OpenQasm, &text);
    println!(
        "parse OpenQASM 3, {GATES} gates ({} KiB): median {:.3} ms over {RUNS} runs (min {:.3} ms, max {:.3} ms)",
        text.len() / 1024,
        med.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
    // `parse qasm` (the binary run directly, e.g. under perf) skips the JSON part.
    if std::env::args().any(|a| a == "qasm") {
        return;
    }
    let source = CircuitSource {
        format: CircuitFormat::OpenQasm,
        text: text.into(),
    };
    let json = to_ir_json(&StandardFrontend.parse(&source).expect("parses"));
    let (med, min, max) = median(CircuitFormat::ArvakIrJson, &json);
    println!(
        "parse Arvak IR JSON, {GATES} gates ({} KiB): median {:.3} ms over {RUNS} runs (min {:.3} ms, max {:.3} ms)",
        json.len() / 1024,
        med.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
}
