//! Gate kernels over a state vector, specialised by the kind of gate.
//!
//! Amplitude `i` belongs to the basis state whose bit `q` is qubit `q`. A
//! kernel on qubits `Q` (targets and controls) visits `len >> |Q|` groups; the
//! counter `k` of a group is spread over the bits not in `Q` (see [`Spread`])
//! and the group is the 1, 2 or 4 amplitudes that differ only in the target
//! bits, with every control bit set. Groups are disjoint, so they may run on
//! several threads at once; that is what makes the raw-pointer writes sound.

use std::ops::Range;

use rayon::prelude::*;

use super::complex::C64;
use super::gates::DiagPart;

/// Groups per rayon task: enough work that splitting costs little.
const GRAIN: usize = 1 << 13;

/// A shared view of the amplitudes for kernels whose groups are disjoint.
#[derive(Clone, Copy)]
struct Amps(*mut C64);

// SAFETY: every kernel hands each index to exactly one group, and each group
// to exactly one task, so no two threads touch the same amplitude.
unsafe impl Send for Amps {}
unsafe impl Sync for Amps {}

impl Amps {
    /// The start of the state; a method, so closures capture the whole
    /// `Amps` (which is `Sync`) rather than its raw-pointer field.
    #[inline(always)]
    fn ptr(self) -> *mut C64 {
        self.0
    }

    #[inline(always)]
    fn get(self, i: usize) -> C64 {
        // SAFETY: callers pass indices below the slice length (groups are
        // spread inside it) and no other task writes index `i`.
        unsafe { *self.0.add(i) }
    }

    #[inline(always)]
    fn set(self, i: usize, value: C64) {
        // SAFETY: as for `get`.
        unsafe { *self.0.add(i) = value }
    }
}

/// Groups per task when `parallel`: `GRAIN`, or a quarter of the work for
/// small states (which only run in parallel when the threshold says so,
/// as in tests).
fn task_size(groups: usize) -> usize {
    GRAIN.min(groups.div_ceil(4)).max(1)
}

/// Runs `body` over `0..groups`, split across threads when `parallel`.
#[inline]
fn for_groups(groups: usize, parallel: bool, body: impl Fn(Range<usize>) + Sync + Send) {
    if parallel {
        let size = task_size(groups);
        (0..groups.div_ceil(size))
            .into_par_iter()
            .for_each(|t| body(t * size..((t + 1) * size).min(groups)));
    } else {
        body(0..groups);
    }
}

/// Pairs per task of [`for_pair_runs`].
const RUN: usize = 1 << 12;

/// Calls `body(lo, hi)` on disjoint slices of equal length that together
/// cover every pair (i, i + 2^target) with bit `target` of i clear: `lo[r]`
/// and `hi[r]` are the two amplitudes of one pair. Contiguous runs let the
/// compiler vectorise the kernels' inner loops.
#[inline]
fn for_pair_runs(
    amps: &mut [C64],
    target: u32,
    parallel: bool,
    body: impl Fn(&mut [C64], &mut [C64]) + Sync + Send,
) {
    let t = 1usize << target;
    let run = t.min(RUN);
    // Pairs per task: whole blocks of 2t amplitudes when t is small.
    let per_task = RUN.max(run);
    let pairs = amps.len() / 2;
    let a = Amps(amps.as_mut_ptr());
    let task = |first: usize| {
        let mut p = first;
        while p < (first + per_task).min(pairs) {
            let i0 = ((p >> target) << (target + 1)) | (p & (t - 1));
            // SAFETY: [i0, i0 + run) and [i0 + t, i0 + t + run) lie inside
            // the state (run ≤ t and the block of 2t starting at
            // i0 - (i0 mod t) is inside), do not overlap (run ≤ t), and
            // pair index ranges of different calls are disjoint.
            let (lo, hi) = unsafe {
                (
                    std::slice::from_raw_parts_mut(a.ptr().add(i0), run),
                    std::slice::from_raw_parts_mut(a.ptr().add(i0 + t), run),
                )
            };
            body(lo, hi);
            p += run;
        }
    };
    let tasks = pairs.div_ceil(per_task);
    if parallel && tasks > 1 {
        (0..tasks).into_par_iter().for_each(|k| task(k * per_task));
    } else {
        (0..tasks).for_each(|k| task(k * per_task));
    }
}

/// Like [`for_pair_runs`] for two qubits: calls `body` with four disjoint
/// slices of equal length whose `r`-th elements are the amplitudes with
/// (bit q0, bit q1) = (0,0), (1,0), (0,1), (1,1) of one group.
#[inline]
fn for_quad_runs(
    amps: &mut [C64],
    q0: u32,
    q1: u32,
    parallel: bool,
    body: impl Fn([&mut [C64]; 4]) + Sync + Send,
) {
    let (b0, b1) = (1usize << q0, 1usize << q1);
    let run = (1usize << q0.min(q1)).min(RUN);
    let per_task = RUN.max(run);
    let groups = amps.len() / 4;
    let spread = Spread::new(b0 | b1);
    let a = Amps(amps.as_mut_ptr());
    let task = |first: usize| {
        let mut p = first;
        while p < (first + per_task).min(groups) {
            let base = spread.apply(p);
            // SAFETY: `run` divides 2^min(q0, q1), so the four runs stay
            // inside their blocks: in bounds, mutually disjoint, and
            // disjoint from every other call's.
            let slices = [0, b0, b1, b0 | b1].map(|offset| unsafe {
                std::slice::from_raw_parts_mut(a.ptr().add(base | offset), run)
            });
            body(slices);
            p += run;
        }
    };
    let tasks = groups.div_ceil(per_task);
    if parallel && tasks > 1 {
        (0..tasks).into_par_iter().for_each(|k| task(k * per_task));
    } else {
        (0..tasks).for_each(|k| task(k * per_task));
    }
}

/// Spreads a group counter over the bit positions not in a set: inserts a
/// zero bit at each position of the set, lowest first.
#[derive(Clone, Copy, Debug)]
pub struct Spread {
    lows: [usize; 4],
    len: usize,
}

impl Spread {
    /// `mask` has at most four bits set.
    pub fn new(mask: usize) -> Self {
        debug_assert!(mask.count_ones() <= 4);
        let mut lows = [0; 4];
        let mut len = 0;
        let mut rest = mask;
        while rest != 0 {
            let bit = rest & rest.wrapping_neg();
            lows[len] = bit - 1;
            len += 1;
            rest &= rest - 1;
        }
        Self { lows, len }
    }

    #[inline(always)]
    pub fn apply(&self, mut k: usize) -> usize {
        for lo in &self.lows[..self.len] {
            k = (k & lo) | ((k & !lo) << 1);
        }
        k
    }
}

/// A dense 2×2 matrix `m` (row-major) on `target`, applied where every bit
/// of `controls` is set.
pub fn matrix1(amps: &mut [C64], target: u32, controls: usize, m: [C64; 4], parallel: bool) {
    if controls == 0 {
        for_pair_runs(amps, target, parallel, move |lo, hi| {
            for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
                let (a, b) = (*x, *y);
                *x = m[0] * a + m[1] * b;
                *y = m[2] * a + m[3] * b;
            }
        });
        return;
    }
    let t = 1usize << target;
    let spread = Spread::new(controls | t);
    let groups = amps.len() >> spread.len;
    let a = Amps(amps.as_mut_ptr());
    for_groups(groups, parallel, move |range| {
        for k in range {
            let i0 = spread.apply(k) | controls;
            let i1 = i0 | t;
            let (x, y) = (a.get(i0), a.get(i1));
            a.set(i0, m[0] * x + m[1] * y);
            a.set(i1, m[2] * x + m[3] * y);
        }
    });
}

/// diag(d0, d1) on `target`, where every bit of `controls` is set.
pub fn diag1(amps: &mut [C64], target: u32, controls: usize, d: [C64; 2], parallel: bool) {
    if controls == 0 {
        for_pair_runs(amps, target, parallel, move |lo, hi| {
            lo.iter_mut().for_each(|x| *x *= d[0]);
            hi.iter_mut().for_each(|y| *y *= d[1]);
        });
        return;
    }
    let t = 1usize << target;
    let spread = Spread::new(controls | t);
    let groups = amps.len() >> spread.len;
    let a = Amps(amps.as_mut_ptr());
    for_groups(groups, parallel, move |range| {
        for k in range {
            let i0 = spread.apply(k) | controls;
            let i1 = i0 | t;
            a.set(i0, a.get(i0) * d[0]);
            a.set(i1, a.get(i1) * d[1]);
        }
    });
}

/// Multiplies the amplitudes that have every bit of `mask` set by `phase`
/// (Z, S, T, P, CZ, CP and their like).
pub fn phase(amps: &mut [C64], mask: usize, phase: C64, parallel: bool) {
    let spread = Spread::new(mask);
    let groups = amps.len() >> spread.len;
    let a = Amps(amps.as_mut_ptr());
    for_groups(groups, parallel, move |range| {
        for k in range {
            let i = spread.apply(k) | mask;
            a.set(i, a.get(i) * phase);
        }
    });
}

/// X on `target` where every bit of `controls` is set (X, CX, CCX): a
/// permutation, so no arithmetic.
pub fn flip(amps: &mut [C64], target: u32, controls: usize, parallel: bool) {
    if controls == 0 {
        for_pair_runs(amps, target, parallel, |lo, hi| lo.swap_with_slice(hi));
        return;
    }
    let t = 1usize << target;
    let spread = Spread::new(controls | t);
    let groups = amps.len() >> spread.len;
    let a = Amps(amps.as_mut_ptr());
    for_groups(groups, parallel, move |range| {
        for k in range {
            let i0 = spread.apply(k) | controls;
            let i1 = i0 | t;
            let x = a.get(i0);
            a.set(i0, a.get(i1));
            a.set(i1, x);
        }
    });
}

/// Exchanges qubits `q0` and `q1` where every bit of `controls` is set
/// (SWAP, CSWAP).
pub fn swap(amps: &mut [C64], q0: u32, q1: u32, controls: usize, parallel: bool) {
    if controls == 0 {
        for_quad_runs(amps, q0, q1, parallel, |[_, s01, s10, _]| {
            s01.swap_with_slice(s10)
        });
        return;
    }
    let (b0, b1) = (1usize << q0, 1usize << q1);
    let spread = Spread::new(controls | b0 | b1);
    let groups = amps.len() >> spread.len;
    let a = Amps(amps.as_mut_ptr());
    for_groups(groups, parallel, move |range| {
        for k in range {
            let base = spread.apply(k) | controls;
            let (i01, i10) = (base | b0, base | b1);
            let x = a.get(i01);
            a.set(i01, a.get(i10));
            a.set(i10, x);
        }
    });
}

/// A dense 4×4 matrix on `(q0, q1)`; its row and column index is
/// `bit(q0) + 2·bit(q1)`.
pub fn matrix2(amps: &mut [C64], q0: u32, q1: u32, m: &[C64; 16], parallel: bool) {
    let m = *m;
    for_quad_runs(amps, q0, q1, parallel, move |[s0, s1, s2, s3]| {
        for r in 0..s0.len() {
            let v = [s0[r], s1[r], s2[r], s3[r]];
            let row = |k: usize| {
                m[4 * k] * v[0] + m[4 * k + 1] * v[1] + m[4 * k + 2] * v[2] + m[4 * k + 3] * v[3]
            };
            s0[r] = row(0);
            s1[r] = row(1);
            s2[r] = row(2);
            s3[r] = row(3);
        }
    });
}

/// Low bits of a state index that [`diag_tables`] looks up per amplitude;
/// the rest are fixed through each run of 2^8 amplitudes.
pub const TABLE_LOW_BITS: u32 = 8;

/// Multiplies amplitude `i` by the product over `parts` of
/// `part.table[part.index(i)]`: many commuting diagonal gates in one pass.
pub fn diag_tables(amps: &mut [C64], parts: &[DiagPart], parallel: bool) {
    // Each part's table index splits into bits from the low byte of `i`,
    // looked up, and bits that stay fixed through a run of 256 amplitudes.
    const LOW: u32 = TABLE_LOW_BITS;
    if amps.len() < 1 << LOW {
        for (i, x) in amps.iter_mut().enumerate() {
            *x *= parts.iter().fold(C64::ONE, |f, p| f * p.table[p.index(i)]);
        }
        return;
    }
    let lows: Vec<[u16; 1 << LOW]> = parts
        .iter()
        .map(|p| {
            let mut low = [0u16; 1 << LOW];
            for (i, slot) in low.iter_mut().enumerate() {
                *slot = p.index(i) as u16;
            }
            low
        })
        .collect();
    // Parts that read a qubit of the low byte vary within a run of 256
    // amplitudes; the others give one factor per run (in a QFT batch, all
    // but one part).
    let varying: Vec<usize> = (0..parts.len())
        .filter(|p| parts[*p].qubits.iter().any(|q| *q < LOW))
        .collect();
    let all_vary = varying.len() == parts.len();
    let a = Amps(amps.as_mut_ptr());
    let (lows, varying) = (&lows, &varying);
    for_groups(amps.len() >> LOW, parallel, move |range| {
        let mut factors = [C64::ONE; 1 << LOW];
        for block in range {
            let base = block << LOW;
            // The low byte of `base` is zero: `index` gives the fixed part.
            let constant = parts
                .iter()
                .enumerate()
                .filter(|(k, _)| !varying.contains(k))
                .fold(C64::ONE, |f, (_, p)| f * p.table[p.index(base)]);
            match varying.as_slice() {
                [] => {
                    for offset in 0..1usize << LOW {
                        a.set(base | offset, a.get(base | offset) * constant);
                    }
                }
                [v] => {
                    let (part, low) = (&parts[*v], &lows[*v]);
                    let high = part.index(base);
                    if all_vary {
                        for (offset, l) in low.iter().enumerate() {
                            let i = base | offset;
                            a.set(i, a.get(i) * part.table[high | usize::from(*l)]);
                        }
                    } else {
                        for (offset, l) in low.iter().enumerate() {
                            let i = base | offset;
                            let f = part.table[high | usize::from(*l)] * constant;
                            a.set(i, a.get(i) * f);
                        }
                    }
                }
                many => {
                    factors.fill(constant);
                    for v in many {
                        let (part, low) = (&parts[*v], &lows[*v]);
                        let high = part.index(base);
                        for (f, l) in factors.iter_mut().zip(low) {
                            *f *= part.table[high | usize::from(*l)];
                        }
                    }
                    for (offset, f) in factors.iter().enumerate() {
                        let i = base | offset;
                        a.set(i, a.get(i) * *f);
                    }
                }
            }
        }
    });
}

/// Multiplies every amplitude by `factor` (a global phase).
pub fn scale(amps: &mut [C64], factor: C64, parallel: bool) {
    if parallel {
        amps.par_chunks_mut(GRAIN)
            .for_each(|c| c.iter_mut().for_each(|x| *x *= factor));
    } else {
        amps.iter_mut().for_each(|x| *x *= factor);
    }
}

/// The probability that measuring `qubit` gives 1.
pub fn prob_one(amps: &[C64], qubit: u32, parallel: bool) -> f64 {
    let t = 1usize << qubit;
    let spread = Spread::new(t);
    let groups = amps.len() >> 1;
    let sum = |range: Range<usize>| {
        range
            .map(|k| amps[spread.apply(k) | t].norm_sqr())
            .sum::<f64>()
    };
    if parallel {
        let size = task_size(groups);
        (0..groups.div_ceil(size))
            .into_par_iter()
            .map(|c| sum(c * size..((c + 1) * size).min(groups)))
            // Summed in a fixed order, so that the same seed gives the
            // same draws whatever the thread scheduling.
            .collect::<Vec<f64>>()
            .iter()
            .sum()
    } else {
        sum(0..groups)
    }
}

/// Projects `qubit` onto `outcome` (which had probability `prob` > 0) and
/// renormalises.
pub fn collapse(amps: &mut [C64], qubit: u32, outcome: bool, prob: f64, parallel: bool) {
    let t = 1usize << qubit;
    let spread = Spread::new(t);
    let norm = 1.0 / prob.sqrt();
    let (keep, drop) = if outcome { (t, 0) } else { (0, t) };
    let a = Amps(amps.as_mut_ptr());
    for_groups(amps.len() >> 1, parallel, move |range| {
        for k in range {
            let i = spread.apply(k);
            a.set(i | keep, a.get(i | keep).scale(norm));
            a.set(i | drop, C64::ZERO);
        }
    });
}

/// Sums of |amplitude|² over consecutive chunks of `chunk` amplitudes.
pub fn chunk_probabilities(amps: &[C64], chunk: usize, parallel: bool) -> Vec<f64> {
    let sum = |c: &[C64]| c.iter().map(|x| x.norm_sqr()).sum::<f64>();
    if parallel {
        amps.par_chunks(chunk).map(sum).collect()
    } else {
        amps.chunks(chunk).map(sum).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_skips_the_masked_bits() {
        let s = Spread::new(0b1010);
        let got: Vec<usize> = (0..4).map(|k| s.apply(k)).collect();
        assert_eq!(got, vec![0b0000, 0b0001, 0b0100, 0b0101]);
    }

    #[test]
    fn flip_with_control_moves_only_controlled_amplitudes() {
        // |q1 q0> = |01> --CX(0→1)--> |11>
        let mut amps = vec![C64::ZERO; 4];
        amps[1] = C64::ONE;
        flip(&mut amps, 1, 1, false);
        assert_eq!(amps[3], C64::ONE);
        assert_eq!(amps[1], C64::ZERO);
    }

    #[test]
    fn parallel_and_serial_kernels_agree() {
        let n = 16;
        let init: Vec<C64> = (0..1usize << n)
            .map(|i| C64::new((i as f64 * 0.37).sin(), (i as f64 * 0.11).cos()))
            .collect();
        let h = std::f64::consts::FRAC_1_SQRT_2;
        let m = [
            C64::new(h, 0.0),
            C64::new(0.0, h),
            C64::new(0.0, h),
            C64::new(h, 0.0),
        ];
        let run = |parallel: bool| {
            let mut a = init.clone();
            matrix1(&mut a, 15, 1 << 3, m, parallel);
            swap(&mut a, 2, 14, 0, parallel);
            phase(&mut a, 0b11, C64::I, parallel);
            for target in [0, 5, 13, 15] {
                matrix1(&mut a, target, 0, m, parallel);
                flip(&mut a, target, 0, parallel);
                diag1(&mut a, target, 0, [C64::I, m[0]], parallel);
            }
            let mut m2 = [C64::ZERO; 16];
            for (j, x) in m2.iter_mut().enumerate() {
                *x = C64::new(j as f64 * 0.1, 1.0 - j as f64 * 0.05);
            }
            matrix2(&mut a, 14, 1, &m2, parallel);
            matrix2(&mut a, 0, 15, &m2, parallel);
            swap(&mut a, 15, 0, 1 << 7, parallel);
            a
        };
        assert_eq!(run(false), run(true));
    }

    #[test]
    fn diagonal_tables_match_their_definition() {
        let part = |qubits: Vec<u32>, seed: f64| {
            let table = (0..1usize << qubits.len())
                .map(|j| C64::cis(seed * (j as f64 + 1.0)))
                .collect();
            DiagPart { qubits, table }
        };
        let layouts = [
            vec![part(vec![9, 12], 0.3)],
            vec![part(vec![9, 12], 0.3), part(vec![2, 11], 0.7)],
            vec![part(vec![0, 13], 0.3), part(vec![5, 3, 10], 0.2)],
            vec![
                part(vec![1, 4], 0.1),
                part(vec![8, 10], 0.5),
                part(vec![6], 0.9),
            ],
        ];
        for parts in layouts {
            for parallel in [false, true] {
                let mut amps: Vec<C64> = (0..1 << 14).map(|i| C64::new(1.0, i as f64)).collect();
                let want: Vec<C64> = amps
                    .iter()
                    .enumerate()
                    .map(|(i, x)| parts.iter().fold(*x, |acc, p| acc * p.table[p.index(i)]))
                    .collect();
                diag_tables(&mut amps, &parts, parallel);
                for (g, w) in amps.iter().zip(&want) {
                    assert!(g.dist(*w) < 1e-9 * (1.0 + w.norm_sqr().sqrt()), "{parts:?}");
                }
            }
        }
    }
}
