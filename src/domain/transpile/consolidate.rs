//! Two-qubit block consolidation: a maximal run of `cz` on one pair of wires,
//! with the one-qubit gates on those wires around and between them, is one
//! 4×4 unitary, which the KAK synthesis may write with fewer `cz` (a routing
//! swap beside a controlled phase: five become three).

use super::kak::synthesize_two;
use super::lower::{Op, Step, cz_count};
use super::mat4::Mat4;

struct Block {
    a: u32,
    b: u32,
    /// Indices into the steps, in order.
    members: Vec<usize>,
    cz: usize,
}

/// Replaces every block whose resynthesis needs fewer `cz` than it holds;
/// the new gates take the place of the block's last step. Only steps
/// without condition join blocks; anything else on a wire (measurement,
/// reset, barrier, condition, a `cz` with another wire) ends its block.
pub fn consolidate_blocks(steps: Vec<Step>, num_wires: usize) -> Vec<Step> {
    let blocks = collect_blocks(&steps, num_wires);
    let mut replacement: Vec<Option<Vec<Step>>> = vec![None; steps.len()];
    let mut removed = vec![false; steps.len()];
    for block in blocks.iter().filter(|b| b.cz >= 2) {
        let ops = block.members.iter().map(|&i| &steps[i].op);
        let Some(u) = Mat4::of_ops(ops, block.a, block.b) else {
            continue;
        };
        let Some(new_ops) = synthesize_two(&u, block.a, block.b) else {
            continue;
        };
        let new_cz = new_ops
            .iter()
            .filter(|op| matches!(op, Op::Cz { .. }))
            .count();
        if new_cz >= block.cz {
            continue;
        }
        block.members.iter().for_each(|&i| removed[i] = true);
        let last = *block.members.last().expect("a block has a cz");
        replacement[last] = Some(
            new_ops
                .into_iter()
                .map(|op| Step {
                    op,
                    condition: None,
                })
                .collect(),
        );
    }
    let mut out = Vec::with_capacity(steps.len());
    for ((step, gone), new) in steps.into_iter().zip(removed).zip(replacement) {
        match new {
            Some(new) => out.extend(new),
            None if !gone => out.push(step),
            None => {}
        }
    }
    out
}

/// At most how many `cz` [`consolidate_blocks`] leaves: any block takes
/// three at most. Cheap beside the synthesis, so routings are compared by
/// it (a swap beside a controlled phase counts three `cz` for both).
pub fn cz_bound(steps: &[Step], num_wires: usize) -> usize {
    let total = cz_count(steps);
    let saved: usize = collect_blocks(steps, num_wires)
        .iter()
        .map(|b| b.cz.saturating_sub(3))
        .sum();
    total - saved
}

/// The maximal blocks, each wire's share of a block contiguous on that wire,
/// so the block may be moved to the place of its last step.
fn collect_blocks(steps: &[Step], num_wires: usize) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    // The block each wire is in, while nothing else touched the wire.
    let mut open: Vec<Option<usize>> = vec![None; num_wires];
    // One-qubit steps on a wire since anything else touched it; they open
    // the next block on the wire.
    let mut loose: Vec<Vec<usize>> = vec![Vec::new(); num_wires];
    let close = |w: u32, open: &mut Vec<Option<usize>>, blocks: &[Block]| {
        if let Some(i) = open[w as usize] {
            open[blocks[i].a as usize] = None;
            open[blocks[i].b as usize] = None;
        }
    };
    for (k, step) in steps.iter().enumerate() {
        match (&step.op, step.condition) {
            (Op::One { q, .. }, None) => match open[*q as usize] {
                Some(i) => blocks[i].members.push(k),
                None => loose[*q as usize].push(k),
            },
            (Op::Cz { a, b }, None) => {
                let (ua, ub) = (*a as usize, *b as usize);
                if let (Some(i), Some(j)) = (open[ua], open[ub])
                    && i == j
                {
                    blocks[i].members.push(k);
                    blocks[i].cz += 1;
                    continue;
                }
                close(*a, &mut open, &blocks);
                close(*b, &mut open, &blocks);
                let mut members: Vec<usize> = loose[ua].drain(..).collect();
                members.append(&mut loose[ub]);
                members.sort_unstable();
                members.push(k);
                open[ua] = Some(blocks.len());
                open[ub] = Some(blocks.len());
                blocks.push(Block {
                    a: *a,
                    b: *b,
                    members,
                    cz: 1,
                });
            }
            (op, _) => {
                for w in op.wires() {
                    close(w, &mut open, &blocks);
                    loose[w as usize].clear();
                }
            }
        }
    }
    blocks
}

#[cfg(test)]
#[path = "consolidate_tests.rs"]
mod tests;
