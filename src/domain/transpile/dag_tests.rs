use std::f64::consts::PI;

use super::*;
use crate::domain::circuit::Gate;
use crate::domain::transpile::lower::lower;
use crate::domain::transpile::test_circuits::circuit_of;

fn dag_of(n: u32, gates: &[(Gate, &[u32])]) -> Dag {
    let lowered = lower(&circuit_of(n, gates));
    Dag::new(&lowered.steps, &lowered.spans, n as usize, 0)
}

/// The nodes that may run first.
fn ready(dag: &Dag) -> Vec<u32> {
    (0..dag.len() as u32)
        .filter(|&i| dag.indeg[i as usize] == 0)
        .collect()
}

#[test]
fn a_controlled_phase_is_one_node_asking_for_adjacency_once() {
    let dag = dag_of(2, &[(Gate::Cp(0.3), &[0, 1])]);
    assert_eq!(dag.len(), 1);
    assert_eq!(dag.pairs[0], Some((0, 1)));
    assert!(dag.diagonal[0] && dag.mergeable[0]);
    // Two cz and the one-qubit gates around them.
    assert!(dag.spans[0].len() > 2);
}

#[test]
fn commuting_controlled_phases_enter_the_front_layer_together() {
    // All three share qubits, and all are diagonal.
    let gates: &[(Gate, &[u32])] = &[
        (Gate::Cp(PI / 2.0), &[0, 1]),
        (Gate::Cp(PI / 4.0), &[0, 2]),
        (Gate::Cz, &[1, 2]),
    ];
    assert_eq!(ready(&dag_of(3, gates)), vec![0, 1, 2]);
}

#[test]
fn a_non_diagonal_gate_between_orders_them() {
    let gates: &[(Gate, &[u32])] = &[
        (Gate::Cp(PI / 2.0), &[0, 1]),
        (Gate::H, &[0]),
        (Gate::Cp(PI / 4.0), &[0, 2]),
        (Gate::Cp(PI / 8.0), &[1, 2]),
    ];
    let dag = dag_of(3, gates);
    // cp(0,1) and cp(1,2) commute; the Hadamard waits for cp(0,1), and
    // cp(0,2) for the Hadamard.
    assert_eq!(ready(&dag), vec![0, 3]);
    assert_eq!(dag.succs[0], vec![1]);
    assert_eq!(dag.succs[1], vec![2]);
    // The Hadamard ends the run on qubit 0: it waits for every diagonal
    // gate before it there.
    let later = dag_of(
        3,
        &[
            (Gate::Cp(PI / 2.0), &[0, 1]),
            (Gate::Cp(PI / 4.0), &[0, 2]),
            (Gate::H, &[0]),
        ],
    );
    assert_eq!(later.indeg[2], 2);
}

#[test]
fn gates_that_are_not_diagonal_keep_their_order() {
    let gates: &[(Gate, &[u32])] = &[(Gate::Cx, &[0, 1]), (Gate::Cx, &[0, 2])];
    let dag = dag_of(3, gates);
    assert!(!dag.diagonal[0]);
    assert_eq!(ready(&dag), vec![0]);
    // Reversed, the order turns around.
    assert_eq!(ready(&dag.reversed()), vec![1]);
}

#[test]
fn gates_on_three_qubits_are_routed_step_by_step() {
    let dag = dag_of(3, &[(Gate::Ccx, &[0, 1, 2])]);
    let cz = dag.pairs.iter().filter(|p| p.is_some()).count();
    assert_eq!(cz, 6);
    assert!(dag.spans.iter().all(|s| s.len() == 1));
}
