//! Layouts (which physical qubit holds each wire), the seeded generator that
//! draws them, and a search for a perfect layout: one where every pair of
//! qubits the circuit joins sits on a coupling edge, so no swap is needed
//! (a GHZ chain on a grid, say), in the spirit of VF2 subgraph matching.

use super::device::Device;

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

    pub fn swap_physical(&mut self, a: u32, b: u32) {
        self.p2v.swap(a as usize, b as usize);
        self.v2p[self.p2v[a as usize] as usize] = a;
        self.v2p[self.p2v[b as usize] as usize] = b;
    }
}

/// How many placements the perfect-layout search tries before giving up;
/// keeps it to milliseconds on devices where no perfect layout exists.
const SEARCH_BUDGET: usize = 200_000;

/// A layout placing the wires of `pairs` so that every pair is adjacent,
/// if the search finds one within its budget. `interacting` marks the wires
/// that appear in a pair; `component` is where they may go.
pub fn perfect_layout(
    pairs: &[(u32, u32)],
    interacting: &[bool],
    component: &[u32],
    device: &Device,
) -> Option<Vec<Option<u32>>> {
    let (graph, order) = interaction_order(pairs, interacting);
    let mut search = Search {
        graph: &graph,
        order: &order,
        component,
        device,
        placed: vec![None; interacting.len()],
        used: vec![false; device.num_qubits()],
        budget: SEARCH_BUDGET,
    };
    search.place(0).then_some(search.placed)
}

/// The interaction graph of `pairs`, and its wires breadth first from the
/// busiest wire of each connected part, so every wire but a part's first
/// has a neighbour placed before it.
fn interaction_order(pairs: &[(u32, u32)], interacting: &[bool]) -> (Vec<Vec<u32>>, Vec<u32>) {
    let nv = interacting.len();
    let mut graph: Vec<Vec<u32>> = vec![Vec::new(); nv];
    for &(a, b) in pairs {
        if !graph[a as usize].contains(&b) {
            graph[a as usize].push(b);
            graph[b as usize].push(a);
        }
    }
    let mut order = Vec::new();
    let mut seen = vec![false; nv];
    let mut roots: Vec<u32> = (0..nv as u32)
        .filter(|&v| interacting[v as usize])
        .collect();
    roots.sort_by_key(|&v| std::cmp::Reverse(graph[v as usize].len()));
    for root in roots {
        if seen[root as usize] {
            continue;
        }
        seen[root as usize] = true;
        let mut i = order.len();
        order.push(root);
        while i < order.len() {
            let v = order[i] as usize;
            for &w in &graph[v] {
                if !std::mem::replace(&mut seen[w as usize], true) {
                    order.push(w);
                }
            }
            i += 1;
        }
    }
    (graph, order)
}

/// A layout that keeps interacting wires close when no perfect one exists:
/// wires in breadth-first order, each on the free qubit nearest its placed
/// neighbours (the most cornered one among equals), as a start that routing
/// may keep or refine.
pub fn greedy_layout(
    pairs: &[(u32, u32)],
    interacting: &[bool],
    component: &[u32],
    device: &Device,
) -> Vec<Option<u32>> {
    let (graph, order) = interaction_order(pairs, interacting);
    let mut placed: Vec<Option<u32>> = vec![None; interacting.len()];
    let mut used = vec![false; device.num_qubits()];
    for v in order {
        let free_neighbors = |p: u32, used: &[bool]| {
            device
                .neighbors(p)
                .iter()
                .filter(|&&q| !used[q as usize])
                .count()
        };
        let best = component
            .iter()
            .copied()
            .filter(|&p| !used[p as usize])
            .min_by_key(|&p| {
                let distance: u32 = graph[v as usize]
                    .iter()
                    .filter_map(|&w| placed[w as usize])
                    .map(|q| device.dist(p, q))
                    .sum();
                (distance, free_neighbors(p, &used))
            })
            .expect("the component holds every interacting wire");
        placed[v as usize] = Some(best);
        used[best as usize] = true;
    }
    placed
}

struct Search<'a> {
    graph: &'a [Vec<u32>],
    order: &'a [u32],
    component: &'a [u32],
    device: &'a Device,
    placed: Vec<Option<u32>>,
    used: Vec<bool>,
    budget: usize,
}

impl Search<'_> {
    fn free_neighbors(&self, p: u32) -> usize {
        self.device
            .neighbors(p)
            .iter()
            .filter(|&&q| !self.used[q as usize])
            .count()
    }

    fn place(&mut self, k: usize) -> bool {
        let Some(&v) = self.order.get(k) else {
            return true;
        };
        let anchor = self.graph[v as usize]
            .iter()
            .find_map(|&w| self.placed[w as usize]);
        let mut candidates: Vec<u32> = match anchor {
            Some(p) => self.device.neighbors(p).to_vec(),
            None => self.component.to_vec(),
        };
        candidates.retain(|&p| {
            !self.used[p as usize]
                && self.device.neighbors(p).len() >= self.graph[v as usize].len()
                && self.graph[v as usize]
                    .iter()
                    .all(|&w| self.placed[w as usize].is_none_or(|q| self.device.dist(p, q) == 1))
        });
        // Warnsdorff's rule: the most cornered place first, so long chains
        // do not strand qubits they will need.
        candidates.sort_by_key(|&p| self.free_neighbors(p));
        for p in candidates {
            if self.budget == 0 {
                return false;
            }
            self.budget -= 1;
            self.placed[v as usize] = Some(p);
            self.used[p as usize] = true;
            if self.place(k + 1) {
                return true;
            }
            self.placed[v as usize] = None;
            self.used[p as usize] = false;
        }
        false
    }
}
