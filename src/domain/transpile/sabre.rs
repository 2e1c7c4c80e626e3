//! SABRE layout and routing (Li, Ding, Xie, ASPLOS 2019): gates run as soon
//! as their qubits are adjacent; otherwise the swap that most shortens the
//! front layer's distances, with a lookahead over the gates that follow and
//! a decay that spreads swaps over qubits, is inserted. Routing the circuit
//! forwards and backwards from a random start settles on an initial layout.

use super::device::Device;
use super::lower::{Op, Step};

/// Weight of the extended set against the front layer.
const LOOKAHEAD_WEIGHT: f64 = 0.5;
/// How many two-qubit gates past the front layer the lookahead sees.
const EXTENDED_SET_SIZE: usize = 20;
const DECAY_INCREMENT: f64 = 0.001;
const DECAY_RESET_INTERVAL: usize = 5;

/// A small seeded generator (SplitMix64): layouts and tie breaks must be
/// reproducible from the options' seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Which physical qubit holds each wire, and the reverse. Wires from the
/// circuit's count up to the device's size are idle placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub v2p: Vec<u32>,
    pub p2v: Vec<u32>,
}

impl Layout {
    pub fn from_p2v(p2v: Vec<u32>) -> Self {
        let mut v2p = vec![0; p2v.len()];
        for (p, &v) in p2v.iter().enumerate() {
            v2p[v as usize] = p as u32;
        }
        Self { v2p, p2v }
    }

    fn swap_physical(&mut self, a: u32, b: u32) {
        self.p2v.swap(a as usize, b as usize);
        self.v2p[self.p2v[a as usize] as usize] = a;
        self.v2p[self.p2v[b as usize] as usize] = b;
    }
}

/// A step as dependencies see it: the wires and classical bits it touches.
struct Node {
    wires: Vec<u32>,
    clbits: Vec<u32>,
    pair: Option<(u32, u32)>,
}

/// Dependencies between steps: through shared wires and classical bits.
#[derive(Debug, Clone)]
pub struct Dag {
    /// The two wires of a step that needs them adjacent, if it does.
    pairs: Vec<Option<(u32, u32)>>,
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
            best_swap(dag, &front, &extended, device, layout, &decay, rng)
        };
        layout.swap_physical(a, b);
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

fn best_swap(
    dag: &Dag,
    front: &[u32],
    extended: &[(u32, u32)],
    device: &Device,
    layout: &Layout,
    decay: &[f64],
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
        let score = decay[x as usize].max(decay[y as usize])
            * (cost(&front_pairs) + LOOKAHEAD_WEIGHT * cost(extended));
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
