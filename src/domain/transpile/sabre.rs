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
            extended = extended_set(dag, &front, &indeg);
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
fn extended_set(dag: &Dag, front: &[u32], indeg: &[u32]) -> Vec<(u32, u32)> {
    let mut seen_indeg: Vec<(u32, u32)> = Vec::new();
    let mut pending: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
    let mut queue: std::collections::VecDeque<u32> = front.iter().copied().collect();
    while let Some(i) = queue.pop_front() {
        for &s in &dag.succs[i as usize] {
            let left = pending.entry(s).or_insert(indeg[s as usize]);
            *left -= 1;
            if *left == 0 {
                if let Some(pair) = dag.pairs[s as usize] {
                    seen_indeg.push(pair);
                    if seen_indeg.len() >= EXTENDED_SET_SIZE {
                        return seen_indeg;
                    }
                }
                queue.push_back(s);
            }
        }
    }
    seen_indeg
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
    let base_front = {
        let total: u32 = front_pairs
            .iter()
            .map(|&(a, b)| device.dist(layout.v2p[a as usize], layout.v2p[b as usize]))
            .sum();
        total as f64 / front_pairs.len().max(1) as f64
    };
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
        let cost = |pairs: &[(u32, u32)]| -> f64 {
            let total: u32 = pairs
                .iter()
                .map(|&(a, b)| {
                    device.dist(moved(layout.v2p[a as usize]), moved(layout.v2p[b as usize]))
                })
                .sum();
            total as f64 / pairs.len().max(1) as f64
        };
        let front_cost = cost(&front_pairs);
        let Marks { decay, partner } = marks;
        let mut score = decay[x as usize].max(decay[y as usize])
            * (front_cost + LOOKAHEAD_WEIGHT * cost(extended));
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
