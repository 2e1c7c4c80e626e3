use std::f64::consts::PI;

use super::*;
use crate::domain::transpile::layout::Rng;
use crate::domain::transpile::optimize::{expand_swaps, fuse_and_cancel};
use crate::domain::transpile::unitary::{C, Mat2};

fn step(op: Op) -> Step {
    Step {
        op,
        condition: None,
    }
}

/// Runs one-qubit gates, `cz` and swaps on a state over `n` wires
/// (amplitude i: bit q of i is wire q).
fn run(steps: &[Step], n: u32, seed: u64) -> Vec<C> {
    let mut rng = Rng::new(seed);
    let mut unit = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
    let mut state: Vec<C> = (0..1usize << n).map(|_| C::new(unit(), unit())).collect();
    for s in steps {
        match &s.op {
            Op::One { q, m } => {
                let bit = 1usize << q;
                for i in (0..state.len()).filter(|i| i & bit == 0) {
                    let (x, y) = (state[i], state[i | bit]);
                    state[i] = m.0[0][0] * x + m.0[0][1] * y;
                    state[i | bit] = m.0[1][0] * x + m.0[1][1] * y;
                }
            }
            Op::Cz { a, b } => {
                let mask = (1usize << a) | (1usize << b);
                for (i, amp) in state.iter_mut().enumerate() {
                    if i & mask == mask {
                        *amp = -*amp;
                    }
                }
            }
            Op::Swap { a, b } => {
                for i in 0..state.len() {
                    let (ba, bb) = (i >> a & 1, i >> b & 1);
                    if ba == 1 && bb == 0 {
                        let j = i ^ (1 << a) ^ (1 << b);
                        state.swap(i, j);
                    }
                }
            }
            Op::Barrier { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    state
}

fn same_up_to_phase(a: &[C], b: &[C]) -> bool {
    let norm = |v: &[C]| v.iter().map(|c| c.abs().powi(2)).sum::<f64>();
    let overlap = a
        .iter()
        .zip(b)
        .fold(C::ZERO, |acc, (x, y)| acc + x.conj() * *y);
    (overlap.abs() - (norm(a) * norm(b)).sqrt()).abs() < 1e-9
}

/// Checks `steps` and their consolidation act alike; returns the latter's
/// `cz` count.
fn consolidated_cz(steps: Vec<Step>, n: u32) -> usize {
    let out = fuse_and_cancel(consolidate_blocks(steps.clone(), n as usize), n as usize);
    for seed in 0..3 {
        assert!(same_up_to_phase(&run(&steps, n, seed), &run(&out, n, seed)));
    }
    cz_count(&out)
}

/// CP(θ) on (c, t) with two cz, as the lowering writes controlled gates.
fn cp(c: u32, t: u32, theta: f64) -> Vec<Step> {
    let h = |q| step(Op::One { q, m: Mat2::h() });
    vec![
        step(Op::One {
            q: t,
            m: Mat2::rz(theta / 2.0),
        }),
        h(t),
        step(Op::Cz { a: c, b: t }),
        h(t),
        step(Op::One {
            q: t,
            m: Mat2::rz(-theta / 2.0),
        }),
        h(t),
        step(Op::Cz { a: c, b: t }),
        h(t),
        step(Op::One {
            q: c,
            m: Mat2::phase(theta / 2.0),
        }),
    ]
}

#[test]
fn a_swap_next_to_a_controlled_phase_costs_three_cz() {
    for theta in [0.3, PI / 4.0, -2.0] {
        for swap_first in [false, true] {
            let mut steps = cp(0, 1, theta);
            let swap = step(Op::Swap { a: 1, b: 0 });
            if swap_first {
                steps.insert(0, swap);
            } else {
                steps.push(swap);
            }
            // Without merging the swap into a cz it costs three more.
            let plain: Vec<Step> = steps
                .iter()
                .flat_map(|s| expand_swaps(vec![s.clone()], 2))
                .collect();
            assert_eq!(cz_count(&plain), 5);
            assert_eq!(consolidated_cz(plain, 2), 3, "θ = {theta}");
            let merged = fuse_and_cancel(expand_swaps(steps, 2), 2);
            assert!(consolidated_cz(merged, 2) <= 3);
        }
    }
}

#[test]
fn blocks_stop_at_barriers_and_third_qubits() {
    // cz·RX·cz twice is exp(−iθ·X⊗Z) twice: two cz together, four apart.
    let half = |theta: f64| {
        vec![
            step(Op::Cz { a: 0, b: 1 }),
            step(Op::One {
                q: 0,
                m: Mat2::rx(theta),
            }),
            step(Op::Cz { a: 0, b: 1 }),
        ]
    };
    let together: Vec<Step> = half(0.4).into_iter().chain(half(0.7)).collect();
    assert_eq!(consolidated_cz(together, 3), 2);
    let mut barred = half(0.4);
    barred.push(step(Op::Barrier { qubits: vec![1] }));
    barred.extend(half(0.7));
    assert_eq!(consolidated_cz(barred, 3), 4);
    let mut third = half(0.4);
    third.push(step(Op::Cz { a: 1, b: 2 }));
    third.extend(half(0.7));
    assert_eq!(consolidated_cz(third, 3), 5);
}

#[test]
fn blocks_with_nothing_to_gain_are_kept() {
    let steps = cp(0, 1, 0.9);
    let out = consolidate_blocks(steps.clone(), 2);
    assert_eq!(out, steps);
}

#[test]
fn the_bound_counts_three_cz_for_a_swap_beside_a_controlled_phase() {
    let mut steps = cp(0, 1, 0.3);
    steps.push(step(Op::Swap { a: 0, b: 1 }));
    steps.extend(cp(1, 2, 0.7));
    // The swap as three plain cz: five on the pair, then two more.
    let plain: Vec<Step> = steps
        .iter()
        .flat_map(|s| expand_swaps(vec![s.clone()], 3))
        .collect();
    assert_eq!(cz_count(&plain), 7);
    assert_eq!(cz_bound(&plain, 3), 5);
    assert!(consolidated_cz(plain, 3) <= 5);
}
