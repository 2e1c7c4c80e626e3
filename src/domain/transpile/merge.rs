//! Which swaps routing may insert almost for free: a swap right after a
//! two-qubit gate on the same pair merges with it (SWAP·CZ takes two `cz`,
//! SWAP·CP three, as many as a swap alone). A gate diagonal in the
//! computational basis still merges when only diagonal gates followed it
//! on its two qubits: it commutes past them to the swap, so its steps are
//! written out again right before the swap.

use super::dag::Dag;
use super::layout::Layout;

/// How a swap merges with the gate routed before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    /// The gate is the last two-qubit gate on both qubits, with at most
    /// one-qubit gates after it: nothing moves.
    Adjacent(u32),
    /// The gate is diagonal, and only diagonal gates followed it on both
    /// qubits: it moves up to the swap.
    Commuted(u32),
}

/// Per physical qubit, the routed gates a swap on it could merge with.
#[derive(Debug, Clone)]
pub struct MergeMarks {
    /// The last two-qubit node on a qubit and the other qubit it joined,
    /// while only one-qubit gates followed.
    last: Vec<Option<(u32, u32)>>,
    /// The diagonal two-qubit nodes on a qubit, each with its other qubit,
    /// while only diagonal gates followed them.
    diagonal: Vec<Vec<(u32, u32)>>,
}

impl MergeMarks {
    pub fn new(num_qubits: usize) -> Self {
        Self {
            last: vec![None; num_qubits],
            diagonal: vec![Vec::new(); num_qubits],
        }
    }

    /// Notes that node `i` of `dag` ran, on the qubits `layout` gives.
    pub fn executed(&mut self, i: u32, dag: &Dag, layout: &Layout) {
        let k = i as usize;
        match (dag.pairs[k], dag.one_qubit[k]) {
            (Some((a, b)), _) if dag.mergeable[k] => {
                let (pa, pb) = (layout.v2p[a as usize], layout.v2p[b as usize]);
                for (p, other) in [(pa, pb), (pb, pa)] {
                    let p = p as usize;
                    self.last[p] = Some((i, other));
                    if dag.diagonal[k] {
                        self.diagonal[p].push((i, other));
                    } else {
                        self.diagonal[p].clear();
                    }
                }
            }
            // A one-qubit gate joins the block of the gate before it, but
            // only a diagonal one commutes with diagonal gates.
            (None, Some(q)) => {
                if !dag.diagonal[k] {
                    self.diagonal[layout.v2p[q as usize] as usize].clear();
                }
            }
            // Anything else (a measurement, a barrier, a condition) ends
            // every chance; the DAG keeps no wires for them.
            _ => self.clear(),
        }
    }

    /// Notes a swap of physical qubits `a` and `b`.
    pub fn swapped(&mut self, a: u32, b: u32) {
        for p in [a, b] {
            self.last[p as usize] = None;
            self.diagonal[p as usize].clear();
        }
    }

    fn clear(&mut self) {
        self.last.iter_mut().for_each(|l| *l = None);
        self.diagonal.iter_mut().for_each(Vec::clear);
    }

    /// The gate a swap of physical qubits `x` and `y` merges with, if any.
    pub fn merge(&self, x: u32, y: u32) -> Option<Merge> {
        let (ux, uy) = (x as usize, y as usize);
        if let (Some((g, ox)), Some((h, _))) = (self.last[ux], self.last[uy])
            && g == h
            && ox == y
        {
            return Some(Merge::Adjacent(g));
        }
        // The latest such gate: the fewest gates to move past.
        self.diagonal[ux]
            .iter()
            .rev()
            .find(|&&(g, other)| other == y && self.diagonal[uy].contains(&(g, x)))
            .map(|&(g, _)| Merge::Commuted(g))
    }
}
