//! Checks of the lowering, the swap merges and the whole pipeline against
//! matrices and states computed here, independently of the transpiler.

use std::f64::consts::{FRAC_1_SQRT_2, PI};

use super::lower::{self, Op, Step, cz_count, ecr_frame, lower};
use super::optimize::{expand_swaps, fuse_and_cancel};
use super::test_circuits::circuit_of;
use super::unitary::{C, Mat2};
use super::*;
use crate::domain::circuit::{CircuitBuilder, Gate, Instruction, Operation};

type Mat4 = [[C; 4]; 4];

/// A state over `n` qubits, amplitude `i` for the basis state whose bit `q`
/// is qubit `q`.
fn random_state(n: u32, seed: u64) -> Vec<C> {
    let mut rng = layout::Rng::new(seed);
    let mut unit = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
    let v: Vec<C> = (0..1usize << n).map(|_| C::new(unit(), unit())).collect();
    let norm = v.iter().map(|c| c.abs().powi(2)).sum::<f64>().sqrt();
    v.into_iter().map(|c| c.scale(1.0 / norm)).collect()
}

fn apply_one(state: &mut [C], q: u32, m: &Mat2) {
    let bit = 1usize << q;
    for i in 0..state.len() {
        if i & bit == 0 {
            let (x, y) = (state[i], state[i | bit]);
            state[i] = m.0[0][0] * x + m.0[0][1] * y;
            state[i | bit] = m.0[1][0] * x + m.0[1][1] * y;
        }
    }
}

/// A two-qubit matrix in the order index = bit(a) + 2·bit(b).
fn apply_two(state: &mut [C], a: u32, b: u32, m: &Mat4) {
    let (ba, bb) = (1usize << a, 1usize << b);
    for i in 0..state.len() {
        if i & (ba | bb) == 0 {
            let idx = [i, i | ba, i | bb, i | ba | bb];
            let old = idx.map(|j| state[j]);
            for (r, &j) in idx.iter().enumerate() {
                state[j] = (0..4).fold(C::ZERO, |acc, c| acc + m[r][c] * old[c]);
            }
        }
    }
}

fn diag(d: [C; 4]) -> Mat4 {
    let mut m = [[C::ZERO; 4]; 4];
    for i in 0..4 {
        m[i][i] = d[i];
    }
    m
}

/// Controlled-`u` with the control on the first qubit.
fn controlled(u: Mat2) -> Mat4 {
    let mut m = diag([C::ONE, C::ZERO, C::ONE, C::ZERO]);
    m[1][1] = u.0[0][0];
    m[1][3] = u.0[0][1];
    m[3][1] = u.0[1][0];
    m[3][3] = u.0[1][1];
    m
}

fn swap_matrix() -> Mat4 {
    let mut m = diag([C::ONE, C::ZERO, C::ZERO, C::ONE]);
    m[1][2] = C::ONE;
    m[2][1] = C::ONE;
    m
}

/// Qiskit's ECR matrix, 1/√2·[[0,1,0,i],[1,0,−i,0],[0,i,0,1],[−i,0,1,0]].
fn ecr_matrix() -> Mat4 {
    let (o, h, i) = (
        C::ZERO,
        C::new(FRAC_1_SQRT_2, 0.0),
        C::new(0.0, FRAC_1_SQRT_2),
    );
    [[o, h, o, i], [h, o, -i, o], [o, i, o, h], [-i, o, h, o]]
}

fn cz_matrix() -> Mat4 {
    diag([C::ONE, C::ONE, C::ONE, -C::ONE])
}

fn run_steps(state: &mut [C], steps: &[Step]) {
    for step in steps {
        assert!(step.condition.is_none());
        match &step.op {
            Op::One { q, m } => apply_one(state, *q, m),
            Op::Cz { a, b } => apply_two(state, *a, *b, &cz_matrix()),
            Op::Ecr { a, b } => apply_two(state, *a, *b, &ecr_matrix()),
            Op::Swap { a, b } => apply_two(state, *a, *b, &swap_matrix()),
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// Whether `a` = e^{iγ}·`b` for some γ.
fn same_up_to_phase(a: &[C], b: &[C]) -> bool {
    let overlap = a
        .iter()
        .zip(b)
        .fold(C::ZERO, |acc, (x, y)| acc + x.conj() * *y);
    (overlap.abs() - 1.0).abs() < 1e-9
}

/// The reference action of a standard gate, from matrices written here.
fn reference(state: &mut [C], gate: &Gate, q: &[u32]) {
    if let Some(m) = Mat2::of_gate(gate) {
        return apply_one(state, q[0], &m);
    }
    let cu = |u: Mat2| controlled(u);
    let m = match *gate {
        Gate::Cx => cu(Mat2::x()),
        Gate::Cy => cu(Mat2([
            [C::ZERO, C::new(0.0, -1.0)],
            [C::new(0.0, 1.0), C::ZERO],
        ])),
        Gate::Cz => cz_matrix(),
        Gate::Ch => cu(Mat2::h()),
        Gate::Swap => swap_matrix(),
        Gate::Cp(a) => cu(Mat2::phase(a)),
        Gate::Crx(a) => cu(Mat2::rx(a)),
        Gate::Cry(a) => cu(Mat2::ry(a)),
        Gate::Crz(a) => cu(Mat2::rz(a)),
        Gate::Cu(t, p, l, g) => {
            let u = Mat2::u(t, p, l);
            let k = C::cis(g);
            cu(Mat2([
                [u.0[0][0] * k, u.0[0][1] * k],
                [u.0[1][0] * k, u.0[1][1] * k],
            ]))
        }
        Gate::Ecr => ecr_matrix(),
        Gate::Ccx => {
            // Toffoli: flip the target where both controls are set.
            let (a, b, c) = (1usize << q[0], 1usize << q[1], 1usize << q[2]);
            for i in 0..state.len() {
                if i & a != 0 && i & b != 0 && i & c == 0 {
                    state.swap(i, i | c);
                }
            }
            return;
        }
        Gate::Cswap => {
            let (c, a, b) = (1usize << q[0], 1usize << q[1], 1usize << q[2]);
            for i in 0..state.len() {
                if i & c != 0 && i & a != 0 && i & b == 0 {
                    state.swap(i, (i & !a) | b);
                }
            }
            return;
        }
        Gate::GPhase(_) => return,
        _ => unreachable!(),
    };
    apply_two(state, q[0], q[1], &m)
}

fn sample_gate(name: &str) -> Gate {
    let params = [0.7, -1.9, 2.3, 0.4];
    (0..=4)
        .find_map(|n| Gate::from_name(name, &params[..n]))
        .expect("every name has an arity")
}

/// `gate` alone on three qubits.
fn one_gate_circuit(gate: Gate, qubits: &[u32]) -> Circuit {
    circuit_of(3, &[(gate, qubits)])
}

#[test]
fn every_gate_lowers_to_its_own_unitary() {
    for name in Gate::NAMES {
        let gate = sample_gate(name);
        let qubits: Vec<u32> = [2, 0, 1][..gate.num_qubits()].to_vec();
        let lowered = lower(&one_gate_circuit(gate, &qubits));
        let mut want = random_state(3, 7);
        let mut got = want.clone();
        reference(&mut want, &gate, &qubits);
        run_steps(&mut got, &lowered.steps);
        // An unconditioned swap only relabels: undo it on the lowered state.
        if gate == Gate::Swap {
            assert!(lowered.steps.is_empty());
            assert_eq!(lowered.final_wire, vec![2, 1, 0]);
            apply_two(&mut got, 2, 0, &swap_matrix());
        }
        assert!(same_up_to_phase(&want, &got), "{name}");
        let cz = cz_count(&lowered.steps);
        let most = match name {
            "cx" | "cy" | "cz" | "ch" | "ecr" => 1,
            "cp" | "crx" | "cry" | "crz" | "cu" => 2,
            "ccx" => 6,
            "cswap" => 8,
            _ => 0,
        };
        assert!(cz <= most, "{name} uses {cz} cz");
    }
}

#[test]
fn controlled_rotations_qiskit_counts_as_identity_are_dropped() {
    let cz_of = |gate: Gate| cz_count(&lower(&one_gate_circuit(gate, &[0, 1])).steps);
    // Qiskit drops cp(θ) from θ < 2.58e-6: the QFT's π/2^21 goes, π/2^20
    // stays.
    let (dropped, kept) = (PI / 2f64.powi(21), PI / 2f64.powi(20));
    assert_eq!(cz_of(Gate::Cp(dropped)), 0);
    assert_eq!(cz_of(Gate::Cp(kept)), 2);
    assert_eq!(cz_of(Gate::Crz(dropped)), 0);
    assert_eq!(cz_of(Gate::Crz(kept * 2.0)), 2);
    // For small θ, 1 − F̄ of cp(θ) is 3θ²/20.
    let u = Mat2::phase(kept);
    let want = 3.0 * kept * kept / 20.0;
    assert!((lower::controlled_infidelity(&u) - want).abs() < 1e-3 * want);
}

#[test]
fn the_ecr_frame_makes_cz() {
    let (pre, post) = ecr_frame();
    for (a, b) in [(0, 1), (1, 0)] {
        let mut want = random_state(2, 3);
        let mut got = want.clone();
        apply_two(&mut want, a, b, &cz_matrix());
        apply_one(&mut got, a, &pre[0]);
        apply_one(&mut got, b, &pre[1]);
        apply_two(&mut got, a, b, &ecr_matrix());
        apply_one(&mut got, a, &post[0]);
        apply_one(&mut got, b, &post[1]);
        assert!(same_up_to_phase(&want, &got));
    }
}

fn step(op: Op) -> Step {
    Step {
        op,
        condition: None,
    }
}

#[test]
fn a_swap_next_to_a_cz_costs_two_cz_in_all() {
    let between = [
        step(Op::One {
            q: 0,
            m: Mat2::rx(0.3),
        }),
        step(Op::One { q: 2, m: Mat2::h() }),
        step(Op::One {
            q: 1,
            m: Mat2::u(0.2, 0.5, 1.0),
        }),
    ];
    let cz = step(Op::Cz { a: 0, b: 1 });
    let swap = step(Op::Swap { a: 1, b: 0 });
    for cz_first in [true, false] {
        let mut steps = vec![if cz_first { cz.clone() } else { swap.clone() }];
        steps.extend(between.iter().cloned());
        steps.push(if cz_first { swap.clone() } else { cz.clone() });
        let mut want = random_state(3, 11);
        let mut got = want.clone();
        run_steps(&mut want, &steps);
        let expanded = fuse_and_cancel(expand_swaps(steps, 3), 3);
        run_steps(&mut got, &expanded);
        assert!(same_up_to_phase(&want, &got), "cz first: {cz_first}");
        assert_eq!(cz_count(&expanded), 2, "cz first: {cz_first}");
    }
}

#[test]
fn cz_pairs_cancel_and_lone_swaps_take_three_cz() {
    let steps = vec![
        step(Op::Cz { a: 0, b: 1 }),
        step(Op::One { q: 1, m: Mat2::h() }),
        step(Op::One { q: 1, m: Mat2::h() }),
        step(Op::Cz { a: 1, b: 0 }),
        step(Op::One { q: 2, m: Mat2::x() }),
    ];
    let out = fuse_and_cancel(steps, 3);
    assert_eq!(out.len(), 1);
    let swap = expand_swaps(vec![step(Op::Swap { a: 0, b: 2 })], 3);
    let mut want = random_state(3, 5);
    let mut got = want.clone();
    apply_two(&mut want, 0, 2, &swap_matrix());
    run_steps(&mut got, &swap);
    assert!(same_up_to_phase(&want, &got));
    assert_eq!(cz_count(&swap), 3);
}

#[test]
fn too_small_or_disconnected_devices_are_refused() {
    let c = one_gate_circuit(Gate::Cx, &[0, 2]);
    let small = Target::new(2, vec![(0, 1)], Basis::CzRzSxX).unwrap();
    let err = transpile(&c, &small, &TranspileOptions::default()).unwrap_err();
    assert!(err.to_string().contains("more than the device"), "{err}");
    let split = Target::new(3, vec![], Basis::CzRzSxX).unwrap();
    let err = transpile(&c, &split, &TranspileOptions::default()).unwrap_err();
    assert!(err.to_string().contains("connected"), "{err}");
    // Without two-qubit gates, no coupling is needed.
    let c = one_gate_circuit(Gate::H, &[2]);
    assert!(transpile(&c, &split, &TranspileOptions::default()).is_ok());
}

#[test]
fn a_perfect_layout_is_found_when_one_exists() {
    use super::device::Device;
    use super::layout::perfect_layout;
    let grid = Target::new(20, topology::grid(4, 5), Basis::PrxCz).unwrap();
    let device = Device::new(&grid);
    let component = device.largest_component();
    // A chain through all 20 qubits: a Hamiltonian path of the grid.
    let chain: Vec<(u32, u32)> = (1..20).map(|i| (i - 1, i)).collect();
    let placed = perfect_layout(&chain, &[true; 20], &component, &device).expect("a snake");
    for (a, b) in chain {
        let (pa, pb) = (placed[a as usize].unwrap(), placed[b as usize].unwrap());
        assert_eq!(device.dist(pa, pb), 1);
    }
    // A triangle never fits a bipartite grid.
    let triangle = [(0, 1), (1, 2), (2, 0)];
    assert!(perfect_layout(&triangle, &[true; 3], &component, &device).is_none());
}

#[test]
fn the_greedy_layout_keeps_a_chain_together_where_no_perfect_layout_exists() {
    use super::device::Device;
    use super::layout::{greedy_layout, perfect_layout};
    let (n, edges) = topology::eagle();
    let eagle = Target::new(n, edges, Basis::CzRzSxX).unwrap();
    let device = Device::new(&eagle);
    let component = device.largest_component();
    let chain: Vec<(u32, u32)> = (1..n).map(|i| (i - 1, i)).collect();
    let interacting = vec![true; n as usize];
    assert!(perfect_layout(&chain, &interacting, &component, &device).is_none());
    let placed = greedy_layout(&chain, &interacting, &component, &device);
    let stretch: u32 = chain
        .iter()
        .map(|&(a, b)| device.dist(placed[a as usize].unwrap(), placed[b as usize].unwrap()) - 1)
        .sum();
    // Each unit of stretch is a swap routing must add; a random placement
    // leaves hundreds.
    assert!(stretch < 60, "stretch {stretch}");
}

#[test]
fn conditions_stay_on_every_gate_they_guarded() {
    use crate::domain::circuit::Condition;
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 3).unwrap();
    b.add_creg("c", 2).unwrap();
    let condition = Some(Condition::RegisterEquals {
        first: 0,
        width: 2,
        value: 2,
    });
    let push = |b: &mut CircuitBuilder, operation, condition| {
        b.push(Instruction {
            operation,
            condition,
        })
        .unwrap()
    };
    push(&mut b, Operation::Measure { qubit: 0, clbit: 1 }, None);
    for (gate, qubits) in [
        (Gate::Cx, vec![0, 2]),
        (Gate::Swap, vec![1, 2]),
        (Gate::H, vec![1]),
    ] {
        push(&mut b, Operation::Gate { gate, qubits }, condition);
    }
    let circuit = b.build();
    let line = Target::new(3, topology::line(3), Basis::EcrRzSxX).unwrap();
    let out = transpile(&circuit, &line, &TranspileOptions::default()).unwrap();
    let guarded: Vec<_> = out
        .circuit
        .instructions()
        .iter()
        .filter(|i| i.condition.is_some())
        .collect();
    // cx and the conditioned swap (which cannot be a relabelling) each keep
    // their two-qubit gates under the condition, and nothing else gains one.
    let ecr = guarded
        .iter()
        .filter(|i| {
            matches!(
                i.operation,
                Operation::Gate {
                    gate: Gate::Ecr,
                    ..
                }
            )
        })
        .count();
    assert!(ecr >= 4, "{ecr} ecr under the condition");
    assert!(guarded.iter().all(|i| i.condition == condition));
    let unguarded_ecr = out
        .circuit
        .instructions()
        .iter()
        .filter(|i| i.condition.is_none())
        .filter(|i| {
            matches!(
                i.operation,
                Operation::Gate {
                    gate: Gate::Ecr,
                    ..
                }
            )
        })
        .count();
    // Only routing's swaps (if any) run unconditionally.
    assert_eq!(unguarded_ecr % 3, 0);
    assert!(
        out.circuit
            .instructions()
            .iter()
            .any(|i| matches!(i.operation, Operation::Measure { clbit: 1, .. }))
    );
}
