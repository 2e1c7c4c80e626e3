//! SABRE layout and routing (Li, Ding, Xie, ASPLOS 2019): gates run as soon
//! as their qubits are adjacent; otherwise the swap that most shortens the
//! front layer's distances, with a lookahead over the gates that follow and
//! a decay that spreads swaps over qubits, is inserted. Routing the circuit
//! forwards and backwards from a random start settles on an initial layout.

use super::device::Device;
use super::layout::{Layout, Rng};
use super::lower::{Op, Step};

/// Weight of the extended set against the front layer.
const LOOKAHEAD_WEIGHT: f64 = 0.5;
/// How many two-qubit gates past the front layer the lookahead sees.
const EXTENDED_SET_SIZE: usize = 20;
const DECAY_INCREMENT: f64 = 0.001;
const DECAY_RESET_INTERVAL: usize = 5;
/// A swap of two qubits that just met in a cz merges with it (two cz for
/// both instead of four), so when it also brings the front layer closer its
/// score is scaled by this.
const MERGE_DISCOUNT: f64 = 0.5;

/// A step as dependencies see it: the wires and classical bits it touches.
struct Node {
    wires: Vec<u32>,
    clbits: Vec<u32>,
    pair: Option<(u32, u32)>,
    one_qubit: bool,
}

/// Dependencies between steps: through shared wires and classical bits.
#[derive(Debug, Clone)]
pub struct Dag {
    /// The two wires of a step that needs them adjacent, if it does.
    pairs: Vec<Option<(u32, u32)>>,
    /// Whether a step is a one-qubit gate without condition, which a swap
    /// merge may move across.
    one_qubit: Vec<bool>,
    succs: Vec<Vec<u32>>,
    indeg: Vec<u32>,
}

impl Dag {
    /// From `steps`; with `only_two_qubit`, a DAG of just the `cz` steps, all
    /// layout search needs.
    pub fn new(steps: &[Step], num_wires: usize, num_clbits: usize, only_two_qubit: bool) -> Self {
        let mut nodes: Vec<Node> = Vec::new();
        for step in steps {
            let pair = match step.op {
                Op::Cz { a, b } | Op::Swap { a, b } => Some((a, b)),
                _ => None,
            };
            if only_two_qubit && pair.is_none() {
                continue;
            }
            let mut clbits = Vec::new();
            if let Op::Measure { clbit, .. } = step.op {
                clbits.push(clbit);
            }
            match step.condition {
                Some(crate::domain::circuit::Condition::Bit { clbit, .. }) => clbits.push(clbit),
                Some(crate::domain::circuit::Condition::RegisterEquals {
                    first, width, ..
                }) => clbits.extend(first..first + width),
                None => {}
            }
            nodes.push(Node {
                wires: step.op.wires(),
                clbits,
                pair,
                one_qubit: matches!(step.op, Op::One { .. }) && step.condition.is_none(),
            });
        }
        Self::from_nodes(&nodes, num_wires, num_clbits)
    }

    fn from_nodes(nodes: &[Node], num_wires: usize, num_clbits: usize) -> Self {
        let mut last_wire: Vec<Option<u32>> = vec![None; num_wires];
        let mut last_bit: Vec<Option<u32>> = vec![None; num_clbits];
        let mut succs = vec![Vec::new(); nodes.len()];
        let mut indeg = vec![0u32; nodes.len()];
        for (i, node) in nodes.iter().enumerate() {
            let i = i as u32;
            let preds = node
                .wires
                .iter()
                .map(|w| last_wire[*w as usize].replace(i))
                .chain(node.clbits.iter().map(|c| last_bit[*c as usize].replace(i)));
            for p in preds.flatten() {
                let list: &mut Vec<u32> = &mut succs[p as usize];
                if list.last() != Some(&i) {
                    list.push(i);
                    indeg[i as usize] += 1;
                }
            }
        }
        Self {
            pairs: nodes.iter().map(|n| n.pair).collect(),
            one_qubit: nodes.iter().map(|n| n.one_qubit).collect(),
            succs,
            indeg,
        }
    }

    /// The same dependencies, run backwards.
    pub fn reversed(&self) -> Self {
        let n = self.pairs.len();
        let mut succs = vec![Vec::new(); n];
        let mut indeg = vec![0u32; n];
        for (i, list) in self.succs.iter().enumerate() {
            for &s in list {
                succs[s as usize].push(i as u32);
                indeg[i] += 1;
            }
        }
        Self {
            pairs: self.pairs.clone(),
            one_qubit: self.one_qubit.clone(),
            succs,
            indeg,
        }
    }
}

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
    let n = dag.pairs.len();
    let mut indeg = dag.indeg.clone();
    let mut ready: Vec<u32> = (0..n as u32).filter(|&i| indeg[i as usize] == 0).collect();
    ready.reverse();
    let mut front: Vec<u32> = Vec::new();
    let mut out = Vec::with_capacity(if steps.is_some() { n + n / 2 } else { 0 });
    let mut decay = vec![1.0f64; device.num_qubits()];
    let mut swaps = 0usize;
    let mut since_progress = 0usize;
    let mut extended: Vec<(u32, u32)> = Vec::new();
    let mut extended_stale = true;
    let mut remaining = vec![u32::MAX; n];
    // The qubit each physical qubit last met in a cz, while only one-qubit
    // gates followed: a swap of the two merges with that cz.
    let mut partner: Vec<Option<u32>> = vec![None; device.num_qubits()];
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
                note_partners(i, dag, layout, &mut partner);
                execute(i, dag, layout, steps, &mut out, &mut indeg, &mut ready);
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
            extended = extended_set(dag, &front, &indeg, &mut remaining);
            extended_stale = false;
        }
        let (a, b) = if since_progress > stall_limit {
            // A release valve: bring the closest front gate together along a
            // shortest path, so routing always ends.
            release_swap(dag, &front, device, layout)
        } else {
            best_swap(
                dag,
                &front,
                &extended,
                device,
                layout,
                Marks {
                    decay: &decay,
                    partner: &partner,
                },
                rng,
            )
        };
        layout.swap_physical(a, b);
        partner[a as usize] = None;
        partner[b as usize] = None;
        if steps.is_some() {
            out.push(Step {
                op: Op::Swap { a, b },
                condition: None,
            });
        }
        swaps += 1;
        since_progress += 1;
        decay[a as usize] += DECAY_INCREMENT;
        decay[b as usize] += DECAY_INCREMENT;
        if swaps.is_multiple_of(DECAY_RESET_INTERVAL) {
            decay.iter_mut().for_each(|d| *d = 1.0);
        }
    }
    Routed { steps: out, swaps }
}

fn note_partners(i: u32, dag: &Dag, layout: &Layout, partner: &mut [Option<u32>]) {
    if let Some((a, b)) = dag.pairs[i as usize] {
        let (pa, pb) = (layout.v2p[a as usize], layout.v2p[b as usize]);
        partner[pa as usize] = Some(pb);
        partner[pb as usize] = Some(pa);
    }
    // Other steps than one-qubit gates end a merge chance; the DAG does not
    // keep their wires, so all partners of unknown steps are dropped.
    else if !dag.one_qubit[i as usize] {
        partner.iter_mut().for_each(|p| *p = None);
    }
}

fn execute(
    i: u32,
    dag: &Dag,
    layout: &Layout,
    steps: Option<&[Step]>,
    out: &mut Vec<Step>,
    indeg: &mut [u32],
    ready: &mut Vec<u32>,
) {
    if let Some(steps) = steps {
        let step = &steps[i as usize];
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
        out.push(Step {
            op,
            condition: step.condition,
        });
    }
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
    partner: &'a [Option<u32>],
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
        let Marks { decay, partner } = marks;
        let mut score = decay[x as usize].max(decay[y as usize])
            * (front_cost + LOOKAHEAD_WEIGHT * extended_cost);
        if partner[x as usize] == Some(y)
            && partner[y as usize] == Some(x)
            && front_cost < base_front
        {
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
