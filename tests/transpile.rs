//! The transpiler against the simulator: a transpiled circuit, with its
//! layout undone, must leave the same state as the source (up to a global
//! phase) and measure the same distribution over classical bits, using only
//! the device's gates on the device's pairs.

#[path = "transpile_support/corpus.rs"]
mod corpus;

use arvak_grpc::adapters::backend::simulator::{C64, SimulatorConfig, final_state};
use arvak_grpc::domain::OptimizationLevel;
use arvak_grpc::domain::circuit::{Circuit, CircuitBuilder, Gate, Instruction, Operation};
use arvak_grpc::domain::transpile::{
    Basis, Target, TranspileOptions, Transpiled, topology, transpile,
};
use proptest::prelude::*;

fn state(circuit: &Circuit) -> Vec<C64> {
    let level = OptimizationLevel::parse(0).unwrap();
    final_state(circuit, level, &SimulatorConfig::default()).unwrap()
}

/// Only the basis' gates, every two-qubit gate on an allowed pair, the
/// source's classical bits and result bits.
fn check_structure(source: &Circuit, out: &Transpiled, target: &Target) {
    let c = &out.circuit;
    assert_eq!(c.num_qubits(), target.num_qubits());
    assert_eq!(c.num_clbits(), source.num_clbits());
    assert_eq!(c.cregs(), source.cregs());
    assert_eq!(c.output_clbits(), source.output_clbits());
    let names = target.basis().gate_names();
    for instruction in c.instructions() {
        if let Operation::Gate { gate, qubits } = &instruction.operation {
            assert!(
                names.contains(&gate.name()),
                "{} not in {names:?}",
                gate.name()
            );
            if let [a, b] = qubits[..] {
                assert!(target.allows(a, b), "{} on ({a}, {b})", gate.name());
            }
        }
    }
    let nv = source.num_qubits() as usize;
    for layout in [&out.initial_layout, &out.final_layout] {
        assert_eq!(layout.len(), nv);
        let mut seen = layout.clone();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), nv, "layout is not one-to-one: {layout:?}");
        assert!(layout.iter().all(|&p| p < target.num_qubits()));
    }
}

/// The source's final state placed on the physical qubits of `final_layout`,
/// every other qubit |0⟩.
fn placed(want: &[C64], nv: u32, np: u32, final_layout: &[u32]) -> Vec<C64> {
    let mut out = vec![C64::ZERO; 1usize << np];
    for (i, amp) in want.iter().enumerate() {
        let j = (0..nv)
            .filter(|v| i >> v & 1 == 1)
            .fold(0usize, |j, v| j | 1 << final_layout[v as usize]);
        out[j] = *amp;
    }
    out
}

fn assert_same_up_to_phase(want: &[C64], got: &[C64], what: &str) {
    assert_eq!(want.len(), got.len());
    let overlap = want
        .iter()
        .zip(got)
        .fold(C64::ZERO, |acc, (w, g)| acc + C64::new(w.re, -w.im) * *g);
    let fidelity = (overlap.re * overlap.re + overlap.im * overlap.im).sqrt();
    assert!(
        (fidelity - 1.0).abs() < 1e-8,
        "{what}: |<want|got>| = {fidelity}"
    );
}

fn options() -> TranspileOptions {
    TranspileOptions {
        layout_trials: 4,
        ..TranspileOptions::default()
    }
}

/// Transpiles `circuit` (gates only) and checks its state and structure.
fn check_equivalent(circuit: &Circuit, target: &Target, what: &str) -> Transpiled {
    let out = transpile(circuit, target, &options()).unwrap_or_else(|e| panic!("{what}: {e}"));
    check_structure(circuit, &out, target);
    let want = placed(
        &state(circuit),
        circuit.num_qubits(),
        target.num_qubits(),
        &out.final_layout,
    );
    assert_same_up_to_phase(&want, &state(&out.circuit), what);
    out
}

fn directed(edges: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    // Mixed directions, as on a real Eagle.
    edges
        .into_iter()
        .enumerate()
        .map(|(i, (a, b))| if i % 2 == 0 { (a, b) } else { (b, a) })
        .collect()
}

fn small_devices() -> Vec<(&'static str, Target)> {
    let (hh, hh_edges) = topology::heavy_hex(2, 5, false);
    vec![
        (
            "line",
            Target::new(5, topology::line(5), Basis::CzRzSxX).unwrap(),
        ),
        (
            "ring",
            Target::new(6, topology::ring(6), Basis::PrxCz).unwrap(),
        ),
        (
            "grid 2x3",
            Target::new(6, topology::grid(2, 3), Basis::PrxCz).unwrap(),
        ),
        (
            "heavy-hex",
            Target::new(hh, hh_edges, Basis::CzRzSxX).unwrap(),
        ),
        (
            "directed ecr",
            Target::new(6, directed(topology::grid(2, 3)), Basis::EcrRzSxX).unwrap(),
        ),
    ]
}

#[test]
fn every_gate_alone_survives_every_device() {
    let mut rng = corpus::Rng(3);
    for (device, target) in small_devices() {
        for name in Gate::NAMES {
            let mut b = CircuitBuilder::new();
            b.add_qreg("q", 4).unwrap();
            // A first layer makes the state general, so no gate hides.
            for q in 0..4 {
                corpus::gate(&mut b, Gate::U(rng.angle(), rng.angle(), rng.angle()), &[q]);
            }
            let g = corpus::random_gate(name, &mut rng);
            let qubits: Vec<u32> = [3, 0, 2][..g.num_qubits()].to_vec();
            corpus::gate(&mut b, g, &qubits);
            check_equivalent(&b.build(), &target, &format!("{name} on {device}"));
        }
    }
}

#[test]
fn qft_ghz_and_random_circuits_survive_every_device() {
    for (device, target) in small_devices() {
        let n = 5;
        check_equivalent(&corpus::qft(n), &target, &format!("qft on {device}"));
        let ghz = check_equivalent(&corpus::ghz(n), &target, &format!("ghz on {device}"));
        assert!(ghz.circuit.gate_count() > 0);
        for seed in 0..4 {
            let c = corpus::random(n, 6, &Gate::NAMES, seed);
            check_equivalent(&c, &target, &format!("random {seed} on {device}"));
        }
    }
}

/// Runs of diagonal gates (controlled phases, cz, rz, t) that the router
/// may reorder, between Hadamards that it may not.
#[test]
fn reordered_commuting_gates_keep_the_circuit() {
    let names = ["cp", "cp", "crz", "cz", "rz", "t", "h"];
    for (device, target) in small_devices() {
        let n = target.num_qubits().min(6);
        check_equivalent(&corpus::qft(n), &target, &format!("qft-{n} on {device}"));
        for seed in 0..6 {
            let c = corpus::random(n, 8, &names, 100 + seed);
            check_equivalent(&c, &target, &format!("diagonal {seed} on {device}"));
        }
    }
}

#[test]
fn a_ghz_chain_on_a_line_needs_no_swap() {
    let target = Target::new(8, topology::line(8), Basis::CzRzSxX).unwrap();
    let out = check_equivalent(&corpus::ghz(8), &target, "ghz on a line");
    assert_eq!(out.swaps_inserted, 0);
    let cz = out
        .circuit
        .instructions()
        .iter()
        .filter(|i| matches!(&i.operation, Operation::Gate { gate: Gate::Cz, .. }))
        .count();
    assert_eq!(cz, 7);
}

/// The exact distribution over the classical bits, each measured once: by
/// the deferred measurement principle, a measurement is a cx onto a fresh
/// qubit read at the end, wherever it stands (routing may still swap a
/// measured qubit along afterwards).
fn distribution(circuit: &Circuit) -> Vec<f64> {
    let (nq, nc) = (circuit.num_qubits(), circuit.num_clbits());
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", nq + nc).unwrap();
    let mut measured = vec![false; nc as usize];
    for instruction in circuit.instructions() {
        match instruction.operation {
            Operation::Measure { qubit, clbit } => {
                assert!(!std::mem::replace(&mut measured[clbit as usize], true));
                corpus::gate(&mut b, Gate::Cx, &[qubit, nq + clbit]);
            }
            _ => b.push(instruction.clone()).unwrap(),
        }
    }
    let amps = state(&b.build());
    let mut dist = vec![0.0; 1usize << nc];
    for (i, a) in amps.iter().enumerate() {
        dist[i >> nq] += a.re * a.re + a.im * a.im;
    }
    dist
}

#[test]
fn measurements_follow_the_layout_into_the_same_classical_bits() {
    for (device, target) in small_devices() {
        for seed in 0..3 {
            let body = corpus::random(4, 5, &Gate::NAMES, 100 + seed);
            let mut b = CircuitBuilder::new();
            b.add_qreg("q", 4).unwrap();
            b.add_creg("a", 2).unwrap();
            b.add_creg("c", 3).unwrap();
            for i in body.instructions() {
                b.push(i.clone()).unwrap();
            }
            // Qubits into scrambled bits; bit 4 stays 0.
            for (q, c) in [(0, 3), (1, 0), (2, 2), (3, 1)] {
                b.push(Instruction {
                    operation: Operation::Measure { qubit: q, clbit: c },
                    condition: None,
                })
                .unwrap();
            }
            let source = b.build().with_output_clbits(1..5).unwrap();
            let out = transpile(&source, &target, &options()).unwrap();
            check_structure(&source, &out, &target);
            let (want, got) = (distribution(&source), distribution(&out.circuit));
            for (k, (w, g)) in want.iter().zip(&got).enumerate() {
                assert!(
                    (w - g).abs() < 1e-9,
                    "{device} seed {seed} key {k}: {w} vs {g}"
                );
            }
        }
    }
}

/// A random connected coupling map: a random tree plus extra edges, each in
/// a random direction.
fn connected_map(n: u32, extra: &[(u32, u32)], parents: &[u32], flips: &[bool]) -> Vec<(u32, u32)> {
    let mut edges: Vec<(u32, u32)> = (1..n).map(|i| (parents[i as usize - 1] % i, i)).collect();
    for &(a, b) in extra {
        let (a, b) = (a % n, b % n);
        if a != b && !edges.contains(&(a, b)) && !edges.contains(&(b, a)) {
            edges.push((a, b));
        }
    }
    edges
        .into_iter()
        .zip(flips.iter().cycle())
        .map(|((a, b), &f)| if f { (b, a) } else { (a, b) })
        .collect()
}

fn basis_of(i: u8) -> Basis {
    [Basis::PrxCz, Basis::CzRzSxX, Basis::EcrRzSxX][i as usize % 3]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn small_random_circuits_stay_equivalent_on_random_maps(
        nv in 1u32..5,
        spare in 0u32..3,
        parents in proptest::collection::vec(any::<u32>(), 8),
        extra in proptest::collection::vec((0u32..8, 0u32..8), 0..4),
        flips in proptest::collection::vec(any::<bool>(), 1..12),
        basis in any::<u8>(),
        seed in any::<u64>(),
        depth in 1u32..8,
    ) {
        let np = nv + spare;
        let target = Target::new(np, connected_map(np, &extra, &parents, &flips), basis_of(basis)).unwrap();
        let circuit = corpus::random(nv, depth, &Gate::NAMES, seed);
        check_equivalent(&circuit, &target, "random");
    }

    #[test]
    fn larger_circuits_use_only_the_basis_on_allowed_pairs(
        nv in 2u32..24,
        spare in 0u32..10,
        parents in proptest::collection::vec(any::<u32>(), 40),
        extra in proptest::collection::vec((0u32..40, 0u32..40), 0..20),
        flips in proptest::collection::vec(any::<bool>(), 1..40),
        basis in any::<u8>(),
        seed in any::<u64>(),
    ) {
        let np = nv + spare;
        let target = Target::new(np, connected_map(np, &extra, &parents, &flips), basis_of(basis)).unwrap();
        let circuit = corpus::random(nv, 6, &Gate::NAMES, seed);
        let out = transpile(&circuit, &target, &options()).unwrap();
        check_structure(&circuit, &out, &target);
    }
}
