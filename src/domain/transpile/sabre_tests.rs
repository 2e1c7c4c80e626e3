use std::f64::consts::PI;

use super::*;
use crate::domain::circuit::Gate;
use crate::domain::transpile::consolidate::consolidate_blocks;
use crate::domain::transpile::lower::{cz_count, lower};
use crate::domain::transpile::optimize::{expand_swaps, fuse_and_cancel};
use crate::domain::transpile::test_circuits::circuit_of;
use crate::domain::transpile::{Basis, Target};

fn lowered(n: u32, gates: &[(Gate, &[u32])]) -> (Vec<Step>, Dag) {
    let lowered = lower(&circuit_of(n, gates));
    let dag = Dag::new(&lowered.steps, &lowered.spans, n as usize, 0);
    (lowered.steps, dag)
}

fn line(n: u32) -> Device {
    let edges = (1..n).map(|q| (q - 1, q)).collect();
    Device::new(&Target::new(n, edges, Basis::PrxCz).unwrap())
}

fn cz_after_clean_up(steps: Vec<Step>, n: usize) -> usize {
    let steps = fuse_and_cancel(expand_swaps(steps, n), n);
    cz_count(&fuse_and_cancel(consolidate_blocks(steps, n), n))
}

#[test]
fn a_swap_merges_with_a_controlled_phase_that_commutes_up_to_it() {
    // On the line 0-1-2-3: cp(0,1) and cp(1,2) run at once; cp(0,3) needs
    // two swaps. Swapping 0 and 1 first brings it closer as much as
    // swapping 2 and 3, but merges with cp(0,1), which commutes past
    // cp(1,2): three cz for both. Then one plain swap and cp(0,3):
    // 3 + 2 + 3 + 2 = 10 cz, against 12 with no merge.
    let gates: &[(Gate, &[u32])] = &[
        (Gate::Cp(PI / 2.0), &[0, 1]),
        (Gate::Cp(PI / 4.0), &[1, 2]),
        (Gate::Cp(PI / 8.0), &[0, 3]),
    ];
    let (steps, dag) = lowered(4, gates);
    let device = line(4);
    for seed in 0..8 {
        let mut layout = Layout::from_p2v((0..4).collect());
        let mut rng = Rng::new(seed);
        let routed = route(&dag, &device, &mut layout, &mut rng, Some(&steps));
        assert_eq!(routed.swaps, 2, "seed {seed}");
        assert_eq!(cz_after_clean_up(routed.steps, 4), 10, "seed {seed}");
    }
}

#[test]
fn only_front_gates_first_on_both_their_qubits_are_aimed_at() {
    // All diagonal, so all in the front at once, in this order.
    let gates: &[(Gate, &[u32])] = &[
        (Gate::Cz, &[0, 3]),
        (Gate::Cz, &[0, 5]),
        (Gate::Cz, &[1, 5]),
        (Gate::Cz, &[2, 4]),
    ];
    let (_, dag) = lowered(6, gates);
    let front: Vec<u32> = vec![3, 1, 0, 2];
    let mut scratch = vec![u32::MAX; 6];
    let (aimed, rest) = aim(&dag, &front, &mut scratch);
    // cz(0,5) comes after cz(0,3) on qubit 0; cz(1,5) after cz(0,5) on 5.
    assert_eq!(aimed, vec![0, 3]);
    assert_eq!(rest, vec![(0, 5), (1, 5)]);
    assert!(scratch.iter().all(|&x| x == u32::MAX));
}
