//! Clean-up after routing: swaps become `cz`, merged with a `cz` they touch
//! (SWAP·CZ needs two `cz`, not four), runs of one-qubit gates are fused
//! into one unitary each, and `cz` pairs left back to back cancel.

use super::lower::{Op, Step};
use super::unitary::Mat2;

/// Expands every swap into `cz` and one-qubit gates; a swap right next to a
/// `cz` on the same pair (only one-qubit gates between) merges with it.
pub fn expand_swaps(steps: Vec<Step>, num_wires: usize) -> Vec<Step> {
    let mut slots: Vec<Vec<Step>> = Vec::with_capacity(steps.len());
    // The slot of each wire's last two-qubit step, while only one-qubit
    // steps without condition followed it; and those steps' slots.
    let mut last_two: Vec<Option<usize>> = vec![None; num_wires];
    let mut since: Vec<Vec<usize>> = vec![Vec::new(); num_wires];
    for step in steps {
        let k = slots.len();
        let plain = step.condition.is_none();
        match step.op {
            Op::One { q, .. } if plain => {
                since[q as usize].push(k);
                slots.push(vec![step]);
            }
            Op::Cz { a, b } | Op::Swap { a, b } if plain => {
                let is_swap = matches!(step.op, Op::Swap { .. });
                let (ua, ub) = (a as usize, b as usize);
                let partner = match (last_two[ua], last_two[ub]) {
                    (Some(x), Some(y)) if x == y => Some(x),
                    _ => None,
                };
                let mergeable = partner.filter(|&j| match slots[j].as_slice() {
                    [only] => match only.op {
                        Op::Swap { .. } => !is_swap,
                        Op::Cz { .. } => is_swap,
                        _ => false,
                    },
                    _ => false,
                });
                if let Some(j) = mergeable {
                    let mut between: Vec<usize> =
                        since[ua].iter().chain(&since[ub]).copied().collect();
                    between.sort_unstable();
                    let moved: Vec<Step> = between
                        .iter()
                        .map(|&s| relabel(std::mem::take(&mut slots[s]).remove(0), a, b))
                        .collect();
                    // One-qubit gates pass through a swap onto the other wire:
                    // after a cz+swap pair they go to the end, before a
                    // swap+cz pair to its start.
                    let merged = if is_swap {
                        let mut v = swap_after_cz(a, b);
                        v.extend(moved);
                        v
                    } else {
                        let mut v = moved;
                        v.extend(cz_after_swap(a, b));
                        v
                    };
                    slots[j] = merged;
                    last_two[ua] = None;
                    last_two[ub] = None;
                } else {
                    slots.push(vec![step]);
                    last_two[ua] = Some(k);
                    last_two[ub] = Some(k);
                }
                since[ua].clear();
                since[ub].clear();
            }
            _ => {
                for w in step.op.wires() {
                    last_two[w as usize] = None;
                    since[w as usize].clear();
                }
                slots.push(vec![step]);
            }
        }
    }
    let mut out = Vec::with_capacity(slots.len() * 2);
    for step in slots.into_iter().flatten() {
        match step.op {
            Op::Swap { a, b } => {
                for op in plain_swap(a, b) {
                    out.push(Step {
                        op,
                        condition: step.condition,
                    });
                }
            }
            _ => out.push(step),
        }
    }
    out
}

fn relabel(step: Step, a: u32, b: u32) -> Step {
    match step.op {
        Op::One { q, m } => Step {
            op: Op::One {
                q: if q == a { b } else { a },
                m,
            },
            condition: step.condition,
        },
        _ => unreachable!("only one-qubit steps sit between merged two-qubit steps"),
    }
}

fn one(q: u32, m: Mat2) -> Op {
    Op::One { q, m }
}

/// cx(c, t) as `cz` between Hadamards on the target.
fn cx(c: u32, t: u32) -> [Op; 3] {
    [one(t, Mat2::h()), Op::Cz { a: c, b: t }, one(t, Mat2::h())]
}

fn plain_swap(a: u32, b: u32) -> Vec<Op> {
    [cx(a, b), cx(b, a), cx(a, b)]
        .into_iter()
        .flatten()
        .collect()
}

fn steps(ops: impl IntoIterator<Item = Op>) -> Vec<Step> {
    ops.into_iter()
        .map(|op| Step {
            op,
            condition: None,
        })
        .collect()
}

/// cz then swap, in time order: H(b), cx(b, a), cx(a, b), H(a)
/// (SWAP·CZ = H_a·CX_ab·CX_ba·H_b as matrices).
fn swap_after_cz(a: u32, b: u32) -> Vec<Step> {
    let mut ops = vec![one(b, Mat2::h())];
    ops.extend(cx(b, a));
    ops.extend(cx(a, b));
    ops.push(one(a, Mat2::h()));
    steps(ops)
}

/// swap then cz, the reverse of [`swap_after_cz`] (both are their own
/// inverse's transpose): H(a), cx(a, b), cx(b, a), H(b).
fn cz_after_swap(a: u32, b: u32) -> Vec<Step> {
    let mut ops = vec![one(a, Mat2::h())];
    ops.extend(cx(a, b));
    ops.extend(cx(b, a));
    ops.push(one(b, Mat2::h()));
    steps(ops)
}

/// Fuses each run of one-qubit steps without condition into one (dropping
/// identities) and cancels `cz` pairs with nothing left between them,
/// repeating while that finds more.
pub fn fuse_and_cancel(mut steps: Vec<Step>, num_wires: usize) -> Vec<Step> {
    loop {
        let before = steps.len();
        steps = fuse_pass(steps, num_wires);
        if steps.len() == before {
            return steps;
        }
    }
}

fn fuse_pass(steps: Vec<Step>, num_wires: usize) -> Vec<Step> {
    let mut out: Vec<Option<Step>> = Vec::with_capacity(steps.len());
    let mut pending: Vec<Option<Mat2>> = vec![None; num_wires];
    // Index in `out` of each wire's last step.
    let mut last: Vec<Option<usize>> = vec![None; num_wires];
    let flush = |q: u32,
                 out: &mut Vec<Option<Step>>,
                 pending: &mut Vec<Option<Mat2>>,
                 last: &mut Vec<Option<usize>>| {
        if let Some(m) = pending[q as usize].take()
            && !m.is_identity_up_to_phase()
        {
            last[q as usize] = Some(out.len());
            out.push(Some(Step {
                op: Op::One { q, m },
                condition: None,
            }));
        }
    };
    for step in steps {
        if let (Op::One { q, m }, None) = (&step.op, step.condition) {
            let slot = &mut pending[*q as usize];
            *slot = Some(match slot {
                Some(prev) => *m * *prev,
                None => *m,
            });
            continue;
        }
        let wires = step.op.wires();
        for &w in &wires {
            flush(w, &mut out, &mut pending, &mut last);
        }
        if let (Op::Cz { a, b }, None) = (&step.op, step.condition) {
            let (ua, ub) = (*a as usize, *b as usize);
            if let (Some(x), Some(y)) = (last[ua], last[ub])
                && x == y
                && let Some(Step {
                    op: Op::Cz { .. },
                    condition: None,
                }) = &out[x]
            {
                out[x] = None;
                // The wires' last steps are gone; nothing may cancel against
                // what came before them without a fresh look, which the next
                // pass takes.
                last[ua] = None;
                last[ub] = None;
                continue;
            }
        }
        for &w in &wires {
            last[w as usize] = Some(out.len());
        }
        out.push(Some(step));
    }
    for q in 0..num_wires as u32 {
        flush(q, &mut out, &mut pending, &mut last);
    }
    out.into_iter().flatten().collect()
}
