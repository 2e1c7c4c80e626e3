//! SABRE layout and routing (Li, Ding, Xie, ASPLOS 2019): gates run as soon
//! as their qubits are adjacent; otherwise the swap that most shortens the
//! front layer's distances, with a lookahead over the gates that follow and
//! a decay that spreads swaps over qubits, is inserted. Routing the circuit
//! forwards and backwards from a random start settles on an initial layout.
//!
//! The DAG lets commuting gates run in any order ([`Dag`]), so the front
//! layer may hold many more gates than the circuit has qubits; only those
//! that come first on both their qubits are aimed at, the others count as
//! lookahead. A swap that merges with the gate just routed on its pair
//! ([`MergeMarks`]) is preferred.

use super::dag::Dag;
use super::device::Device;
use super::layout::{Layout, Rng};
use super::lower::{Op, Step};
use super::merge::{Merge, MergeMarks};

/// Weight of the extended set against the front layer. Above SABRE's 0.5,
/// since the extended set starts with gates that are ready already (the
/// front layer's commuting rest): over the bench's six QFT cases 0.65 left
/// 5 % fewer `cz` than 0.5, 3 % fewer than 0.8 and 4 % fewer than 1.0, with
/// the random circuits about even.
const LOOKAHEAD_WEIGHT: f64 = 0.65;
/// How many two-qubit gates past the front layer the lookahead sees.
const EXTENDED_SET_SIZE: usize = 20;
const DECAY_INCREMENT: f64 = 0.001;
const DECAY_RESET_INTERVAL: usize = 5;
/// A swap of two qubits that just met in a gate merges with it (SWAP·CZ
/// takes two `cz`, SWAP·CP three, as many as a swap alone), so when it also
/// brings the front layer closer its score is scaled by this.
const MERGE_DISCOUNT: f64 = 0.5;

/// What one routing pass produced.
pub struct Routed {
    pub steps: Vec<Step>,
    pub swaps: usize,
}

/// Routes `dag` from `layout` (left at the final layout). With `steps`
/// (the ones the DAG was built from), writes them out on physical qubits
/// with the swaps inserted.
pub fn route(
    dag: &Dag,
    device: &Device,
    layout: &mut Layout,
    rng: &mut Rng,
    steps: Option<&[Step]>,
) -> Routed {
    let n = dag.len();
    let mut indeg = dag.indeg.clone();
    let mut ready: Vec<u32> = (0..n as u32).filter(|&i| indeg[i as usize] == 0).collect();
    ready.reverse();
    let mut front: Vec<u32> = Vec::new();
    let mut out: Vec<Option<Step>> =
        Vec::with_capacity(if steps.is_some() { n + n / 2 } else { 0 });
    // Where each node's steps start in `out`, so a merge may move them.
    let mut placed: Vec<u32> = vec![0; if steps.is_some() { n } else { 0 }];
    let mut decay = vec![1.0f64; device.num_qubits()];
    let mut swaps = 0usize;
    let mut since_progress = 0usize;
    let mut extended: Vec<(u32, u32)> = Vec::new();
    let mut extended_stale = true;
    let mut aimed: Vec<u32> = Vec::new();
    let mut remaining = vec![u32::MAX; n];
    let mut first_on = vec![u32::MAX; layout.v2p.len()];
    let mut merges = MergeMarks::new(device.num_qubits());
    let stall_limit = 10 * device.num_qubits().max(10);

    loop {
        let mut progressed = false;
        loop {
            while let Some(i) = ready.pop() {
                if let Some((a, b)) = dag.pairs[i as usize]
                    && device.dist(layout.v2p[a as usize], layout.v2p[b as usize]) != 1
                {
                    front.push(i);
                    continue;
                }
                merges.executed(i, dag, layout);
                if let Some(steps) = steps {
                    placed[i as usize] = out.len() as u32;
                    write_node(i, dag, layout, steps, &mut out);
                }
                release_successors(i, dag, &mut indeg, &mut ready);
                progressed = true;
            }
            let before = front.len();
            front.retain(|&i| {
                let (a, b) = dag.pairs[i as usize].expect("front holds two-qubit steps");
                if device.dist(layout.v2p[a as usize], layout.v2p[b as usize]) == 1 {
                    ready.push(i);
                    false
                } else {
                    true
                }
            });
            if front.len() == before && ready.is_empty() {
                break;
            }
        }
        if front.is_empty() {
            break;
        }
        if progressed {
            decay.iter_mut().for_each(|d| *d = 1.0);
            since_progress = 0;
            extended_stale = true;
        }
        if extended_stale {
            // The front's other gates first, then what follows the front.
            (aimed, extended) = aim(dag, &front, &mut first_on);
            if extended.len() < EXTENDED_SET_SIZE {
                extended.extend(extended_set(dag, &front, &indeg, &mut remaining));
            }
            extended.truncate(EXTENDED_SET_SIZE);
            extended_stale = false;
        }
        let (a, b) = if since_progress > stall_limit {
            // A release valve: bring the closest front gate together along a
            // shortest path, so routing always ends.
            release_swap(dag, &front, device, layout)
        } else {
            best_swap(
                dag,
                &aimed,
                &extended,
                device,
                layout,
                Marks {
                    decay: &decay,
                    merges: &merges,
                },
                rng,
            )
        };
        if steps.is_some()
            && let Some(Merge::Commuted(g)) = merges.merge(a, b)
        {
            // The gate commutes with all that followed it on the pair: it
            // moves up to the swap, which then merges with it.
            let start = placed[g as usize] as usize;
            let span = &dag.spans[g as usize];
            let moved: Vec<Option<Step>> = out[start..start + span.len()]
                .iter_mut()
                .map(Option::take)
                .collect();
            out.extend(moved);
        }
        layout.swap_physical(a, b);
        merges.swapped(a, b);
        if steps.is_some() {
            out.push(Some(Step {
                op: Op::Swap { a, b },
                condition: None,
            }));
        }
        swaps += 1;
        since_progress += 1;
        decay[a as usize] += DECAY_INCREMENT;
        decay[b as usize] += DECAY_INCREMENT;
        if swaps.is_multiple_of(DECAY_RESET_INTERVAL) {
            decay.iter_mut().for_each(|d| *d = 1.0);
        }
    }
    Routed {
        steps: out.into_iter().flatten().collect(),
        swaps,
    }
}

/// The front gates to aim at: those that come first (in circuit order) on
/// both their qubits; and the pairs of the others, in circuit order, the
/// start of the lookahead. Aiming at the whole front blurs the choice when
/// commuting gates fill it: QFT-54 on Eagle took three times the `cz`.
/// `first_on` is scratch, one entry per wire, all `u32::MAX` on entry and
/// on return.
fn aim(dag: &Dag, front: &[u32], first_on: &mut [u32]) -> (Vec<u32>, Vec<(u32, u32)>) {
    let mut sorted = front.to_vec();
    sorted.sort_unstable();
    let pair = |i: u32| dag.pairs[i as usize].expect("front holds two-qubit steps");
    for &i in sorted.iter().rev() {
        let (a, b) = pair(i);
        first_on[a as usize] = i;
        first_on[b as usize] = i;
    }
    let (mut aimed, mut rest) = (Vec::new(), Vec::new());
    for &i in &sorted {
        let (a, b) = pair(i);
        if first_on[a as usize] == i && first_on[b as usize] == i {
            aimed.push(i);
        } else {
            rest.push((a, b));
        }
    }
    for &i in &sorted {
        let (a, b) = pair(i);
        first_on[a as usize] = u32::MAX;
        first_on[b as usize] = u32::MAX;
    }
    (aimed, rest)
}

/// Writes node `i`'s steps on the physical qubits of `layout`.
fn write_node(i: u32, dag: &Dag, layout: &Layout, steps: &[Step], out: &mut Vec<Option<Step>>) {
    let span = &dag.spans[i as usize];
    for step in &steps[span.start as usize..span.end as usize] {
        let p = |v: &u32| layout.v2p[*v as usize];
        let op = match &step.op {
            Op::One { q, m } => Op::One { q: p(q), m: *m },
            Op::Cz { a, b } => Op::Cz { a: p(a), b: p(b) },
            Op::Swap { a, b } => Op::Swap { a: p(a), b: p(b) },
            Op::Ecr { a, b } => Op::Ecr { a: p(a), b: p(b) },
            Op::Measure { q, clbit } => Op::Measure {
                q: p(q),
                clbit: *clbit,
            },
            Op::Reset { q } => Op::Reset { q: p(q) },
            Op::Barrier { qubits } => Op::Barrier {
                qubits: qubits.iter().map(p).collect(),
            },
        };
        out.push(Some(Step {
            op,
            condition: step.condition,
        }));
    }
}

fn release_successors(i: u32, dag: &Dag, indeg: &mut [u32], ready: &mut Vec<u32>) {
    for &s in &dag.succs[i as usize] {
        indeg[s as usize] -= 1;
        if indeg[s as usize] == 0 {
            ready.push(s);
        }
    }
}

/// The first two-qubit steps after the front layer, breadth first.
/// `remaining` is scratch, one entry per step, all `u32::MAX` on entry and
/// on return.
fn extended_set(dag: &Dag, front: &[u32], indeg: &[u32], remaining: &mut [u32]) -> Vec<(u32, u32)> {
    let mut found: Vec<(u32, u32)> = Vec::with_capacity(EXTENDED_SET_SIZE);
    let mut touched: Vec<u32> = Vec::new();
    let mut queue: std::collections::VecDeque<u32> = front.iter().copied().collect();
    'search: while let Some(i) = queue.pop_front() {
        for &s in &dag.succs[i as usize] {
            let left = &mut remaining[s as usize];
            if *left == u32::MAX {
                *left = indeg[s as usize];
                touched.push(s);
            }
            *left -= 1;
            if *left == 0 {
                if let Some(pair) = dag.pairs[s as usize] {
                    found.push(pair);
                    if found.len() >= EXTENDED_SET_SIZE {
                        break 'search;
                    }
                }
                queue.push_back(s);
            }
        }
    }
    for s in touched {
        remaining[s as usize] = u32::MAX;
    }
    found
}

/// Per physical qubit: its decay, and the qubit it last met in a cz.
#[derive(Clone, Copy)]
struct Marks<'a> {
    decay: &'a [f64],
    merges: &'a MergeMarks,
}

fn best_swap(
    dag: &Dag,
    front: &[u32],
    extended: &[(u32, u32)],
    device: &Device,
    layout: &Layout,
    marks: Marks,
    rng: &mut Rng,
) -> (u32, u32) {
    let mut candidates: Vec<(u32, u32)> = Vec::new();
    for &i in front {
        let (a, b) = dag.pairs[i as usize].expect("front holds two-qubit steps");
        for v in [a, b] {
            let p = layout.v2p[v as usize];
            for &q in device.neighbors(p) {
                candidates.push((p.min(q), p.max(q)));
            }
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    let front_pairs: Vec<(u32, u32)> = front
        .iter()
        .map(|&i| dag.pairs[i as usize].expect("two-qubit"))
        .collect();
    // Only the pairs a candidate's two qubits belong to change distance, so
    // each candidate is scored by its difference to the current sums.
    let dist = |a: u32, b: u32| device.dist(layout.v2p[a as usize], layout.v2p[b as usize]);
    let front_sum: u32 = front_pairs.iter().map(|&(a, b)| dist(a, b)).sum();
    let extended_sum: u32 = extended.iter().map(|&(a, b)| dist(a, b)).sum();
    let mut front_of = vec![u32::MAX; layout.v2p.len()];
    for (k, &(a, b)) in front_pairs.iter().enumerate() {
        front_of[a as usize] = k as u32;
        front_of[b as usize] = k as u32;
    }
    let base_front = front_sum as f64 / front_pairs.len().max(1) as f64;
    let mut best: Vec<(u32, u32)> = Vec::new();
    let mut best_score = f64::INFINITY;
    for &(x, y) in &candidates {
        let moved = |p: u32| {
            if p == x {
                y
            } else if p == y {
                x
            } else {
                p
            }
        };
        let change = |(a, b): (u32, u32)| -> i64 {
            let (pa, pb) = (layout.v2p[a as usize], layout.v2p[b as usize]);
            i64::from(device.dist(moved(pa), moved(pb))) - i64::from(device.dist(pa, pb))
        };
        let (vx, vy) = (layout.p2v[x as usize], layout.p2v[y as usize]);
        let (kx, ky) = (front_of[vx as usize], front_of[vy as usize]);
        let mut front_change = 0i64;
        if kx != u32::MAX {
            front_change += change(front_pairs[kx as usize]);
        }
        if ky != u32::MAX && ky != kx {
            front_change += change(front_pairs[ky as usize]);
        }
        let extended_change: i64 = extended
            .iter()
            .filter(|&&(a, b)| a == vx || a == vy || b == vx || b == vy)
            .map(|&pair| change(pair))
            .sum();
        let front_cost =
            (i64::from(front_sum) + front_change) as f64 / front_pairs.len().max(1) as f64;
        let extended_cost =
            (i64::from(extended_sum) + extended_change) as f64 / extended.len().max(1) as f64;
        let Marks { decay, merges } = marks;
        let mut score = decay[x as usize].max(decay[y as usize])
            * (front_cost + LOOKAHEAD_WEIGHT * extended_cost);
        if front_cost < base_front && merges.merge(x, y).is_some() {
            score *= MERGE_DISCOUNT;
        }
        if score < best_score - 1e-10 {
            best_score = score;
            best.clear();
            best.push((x, y));
        } else if score <= best_score + 1e-10 {
            best.push((x, y));
        }
    }
    best[rng.below(best.len())]
}

fn release_swap(dag: &Dag, front: &[u32], device: &Device, layout: &Layout) -> (u32, u32) {
    let (a, b) = front
        .iter()
        .map(|&i| dag.pairs[i as usize].expect("two-qubit"))
        .min_by_key(|&(a, b)| device.dist(layout.v2p[a as usize], layout.v2p[b as usize]))
        .expect("front is not empty");
    let (pa, pb) = (layout.v2p[a as usize], layout.v2p[b as usize]);
    let next = *device
        .neighbors(pa)
        .iter()
        .find(|&&q| device.dist(q, pb) < device.dist(pa, pb))
        .expect("the front gate's qubits share a component");
    (pa, next)
}

#[cfg(test)]
#[path = "sabre_tests.rs"]
mod tests;
