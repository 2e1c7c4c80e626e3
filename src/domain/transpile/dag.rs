//! The dependencies routing respects. Each input two-qubit gate is one node
//! with all the steps it was lowered to, so a controlled phase (two `cz`
//! and one-qubit gates) asks for adjacency once, and a swap routing puts
//! right after it merges with it (three `cz` for both, not five). Gates
//! diagonal in the computational basis commute, so they do not wait for
//! each other: after a Hadamard, every controlled phase on its qubit may
//! run in whichever order suits the layout.

use std::ops::Range;

use super::lower::{Op, Step};
use super::mat4::Mat4;
use super::unitary::C;

/// Off-diagonal entries below this make a gate diagonal; far below the
/// precision the transpiler keeps.
const DIAGONAL_TOLERANCE: f64 = 1e-12;

/// Dependencies between nodes, each a run of consecutive steps.
#[derive(Debug, Clone)]
pub struct Dag {
    /// The steps each node runs, in order.
    pub spans: Vec<Range<u32>>,
    /// The two wires of a node that needs them adjacent, if it does.
    pub pairs: Vec<Option<(u32, u32)>>,
    /// The wire of a node that is a one-qubit gate without condition,
    /// which a swap merge may move across.
    pub one_qubit: Vec<Option<u32>>,
    /// Whether a node is diagonal in the computational basis (and without
    /// condition): it commutes with every other such node.
    pub diagonal: Vec<bool>,
    /// Whether a node is a two-qubit gate without condition, which a swap
    /// right after it merges with.
    pub mergeable: Vec<bool>,
    pub succs: Vec<Vec<u32>>,
    pub indeg: Vec<u32>,
}

struct Node {
    span: Range<u32>,
    wires: Vec<u32>,
    clbits: Vec<u32>,
    pair: Option<(u32, u32)>,
    plain: bool,
    diagonal: bool,
}

impl Dag {
    /// From `steps` and the `spans` of input instructions they came from.
    pub fn new(
        steps: &[Step],
        spans: &[Range<usize>],
        num_wires: usize,
        num_clbits: usize,
    ) -> Self {
        let mut nodes: Vec<Node> = Vec::with_capacity(steps.len());
        for span in spans {
            let group = &steps[span.clone()];
            if let Some(node) = two_qubit_node(group, span) {
                nodes.push(node);
            } else {
                nodes.extend(span.clone().map(|k| step_node(&steps[k], k)));
            }
        }
        Self::from_nodes(&nodes, num_wires, num_clbits)
    }

    /// A wire's diagonal nodes since its last other node commute, so each
    /// depends on that other node only; the next other node depends on all
    /// of them.
    fn from_nodes(nodes: &[Node], num_wires: usize, num_clbits: usize) -> Self {
        let mut last_other: Vec<Option<u32>> = vec![None; num_wires];
        let mut diagonal_run: Vec<Vec<u32>> = vec![Vec::new(); num_wires];
        let mut last_bit: Vec<Option<u32>> = vec![None; num_clbits];
        let mut succs = vec![Vec::new(); nodes.len()];
        let mut indeg = vec![0u32; nodes.len()];
        let mut preds: Vec<u32> = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            let i = i as u32;
            preds.clear();
            for &w in &node.wires {
                let w = w as usize;
                if node.diagonal {
                    preds.extend(last_other[w]);
                    diagonal_run[w].push(i);
                } else {
                    if diagonal_run[w].is_empty() {
                        preds.extend(last_other[w]);
                    } else {
                        preds.append(&mut diagonal_run[w]);
                    }
                    last_other[w] = Some(i);
                }
            }
            preds.extend(
                node.clbits
                    .iter()
                    .filter_map(|&c| last_bit[c as usize].replace(i)),
            );
            preds.sort_unstable();
            preds.dedup();
            for &p in &preds {
                succs[p as usize].push(i);
                indeg[i as usize] += 1;
            }
        }
        Self {
            spans: nodes.iter().map(|n| n.span.clone()).collect(),
            pairs: nodes.iter().map(|n| n.pair).collect(),
            one_qubit: nodes
                .iter()
                .map(|n| {
                    let one = n.plain && n.pair.is_none() && n.wires.len() == 1;
                    (one && n.clbits.is_empty()).then(|| n.wires[0])
                })
                .collect(),
            diagonal: nodes.iter().map(|n| n.diagonal).collect(),
            mergeable: nodes.iter().map(|n| n.plain && n.pair.is_some()).collect(),
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
            spans: self.spans.clone(),
            pairs: self.pairs.clone(),
            one_qubit: self.one_qubit.clone(),
            diagonal: self.diagonal.clone(),
            mergeable: self.mergeable.clone(),
            succs,
            indeg,
        }
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }
}

fn clbits_of(step: &Step) -> Vec<u32> {
    let mut clbits = Vec::new();
    if let Op::Measure { clbit, .. } = step.op {
        clbits.push(clbit);
    }
    match step.condition {
        Some(crate::domain::circuit::Condition::Bit { clbit, .. }) => clbits.push(clbit),
        Some(crate::domain::circuit::Condition::RegisterEquals { first, width, .. }) => {
            clbits.extend(first..first + width)
        }
        None => {}
    }
    clbits
}

/// One step alone: a one-qubit gate, measurement, reset, barrier, or a
/// step of a gate on three qubits.
fn step_node(step: &Step, k: usize) -> Node {
    let plain = step.condition.is_none();
    let (pair, diagonal) = match &step.op {
        Op::Cz { a, b } => (Some((*a, *b)), plain),
        Op::Swap { a, b } => (Some((*a, *b)), false),
        Op::One { m, .. } => (None, plain && is_small(m.0[0][1]) && is_small(m.0[1][0])),
        _ => (None, false),
    };
    Node {
        span: k as u32..k as u32 + 1,
        wires: step.op.wires(),
        clbits: clbits_of(step),
        pair,
        plain,
        diagonal,
    }
}

/// The steps of one input gate as one node, when they are one-qubit gates
/// and `cz` on the same two wires, at least one `cz`.
fn two_qubit_node(group: &[Step], span: &Range<usize>) -> Option<Node> {
    let pair = group.iter().find_map(|s| match s.op {
        Op::Cz { a, b } => Some((a, b)),
        _ => None,
    })?;
    let on_pair = |q: u32| q == pair.0 || q == pair.1;
    let fits = group.iter().all(|s| match s.op {
        Op::One { q, .. } => on_pair(q),
        Op::Cz { a, b } => on_pair(a) && on_pair(b),
        _ => false,
    });
    if !fits {
        return None;
    }
    // One input gate: every step carries its condition.
    let plain = group[0].condition.is_none();
    let diagonal = plain
        && Mat4::of_ops(group.iter().map(|s| &s.op), pair.0, pair.1)
            .is_some_and(|u| (0..4).all(|r| (0..4).all(|c| r == c || is_small(u.0[r][c]))));
    Some(Node {
        span: span.start as u32..span.end as u32,
        wires: vec![pair.0, pair.1],
        clbits: clbits_of(&group[0]),
        pair: Some(pair),
        plain,
        diagonal,
    })
}

fn is_small(x: C) -> bool {
    x.abs() < DIAGONAL_TOLERANCE
}

#[cfg(test)]
#[path = "dag_tests.rs"]
mod tests;
