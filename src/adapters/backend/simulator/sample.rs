//! Drawing shots from a final state without a second 2^n array: the shots'
//! uniforms are sorted and matched against the running sum of |amp|² in one
//! streaming pass (per chunk, chunks in parallel). A small state (up to
//! `TABLE_MAX` amplitudes) keeps its running sums in a table instead.

use rand_chacha::rand_core::RngCore;
use rayon::prelude::*;

use super::complex::C64;
use super::kernels;

/// Amplitudes per chunk of the streaming pass.
const CHUNK: usize = 1 << 14;

/// Up to this many amplitudes a table of running sums, searched once per
/// shot, is cheaper than sorting the shots (profiled: the sort was most of
/// a 100-shot Bell job's sampling).
const TABLE_MAX: usize = 1 << 12;
// The table's total is the streaming pass's only while a table-sized state
// is a single chunk of it.
const _: () = assert!(TABLE_MAX <= CHUNK);

/// A uniform number in [0, 1) with 53 random bits.
pub fn uniform(rng: &mut impl RngCore) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// How many of `n` trials with success probability `p` succeed.
pub fn binomial(n: u64, p: f64, rng: &mut impl RngCore) -> u64 {
    if p <= 0.0 {
        0
    } else if p >= 1.0 {
        n
    } else {
        (0..n).filter(|_| uniform(rng) < p).count() as u64
    }
}

/// Draws `shots` basis states with probability |amp|² (normalised by the
/// total, so rounding in the state does not bias the draw). Returns
/// (basis index, count) pairs in increasing index order. A basis state with
/// amplitude exactly zero is never drawn.
pub fn sample(
    amps: &[C64],
    shots: u64,
    rng: &mut impl RngCore,
    parallel: bool,
) -> Vec<(usize, u64)> {
    if amps.len() <= TABLE_MAX {
        return sample_by_table(amps, shots, rng);
    }
    let chunk = CHUNK.min(amps.len());
    let sums = kernels::chunk_probabilities(amps, chunk, parallel);
    let total: f64 = sums.iter().sum();
    let mut u: Vec<f64> = (0..shots).map(|_| uniform(rng) * total).collect();
    u.sort_unstable_by(f64::total_cmp);
    let last_nonzero = sums.iter().rposition(|s| *s > 0.0).unwrap_or(0);
    // (chunk, the uniforms it owns, the running sum where it starts)
    let mut work = Vec::new();
    let (mut start, mut j) = (0.0, 0);
    for (c, s) in sums.iter().enumerate() {
        let end = start + s;
        let from = j;
        while j < u.len() && (u[j] < end || c == last_nonzero) {
            j += 1;
        }
        if j > from {
            work.push((c, from..j, start));
        }
        start = end;
    }
    let scan = |(c, range, start): &(usize, std::ops::Range<usize>, f64)| {
        let slice = &amps[c * chunk..((c + 1) * chunk).min(amps.len())];
        let uniforms = &u[range.clone()];
        let mut hits: Vec<(usize, u64)> = Vec::new();
        let mut record = |i: usize| match hits.last_mut() {
            Some((last, n)) if *last == i => *n += 1,
            _ => hits.push((i, 1)),
        };
        let (mut cum, mut k, mut last) = (*start, 0, None);
        for (i, a) in slice.iter().enumerate() {
            let p = a.norm_sqr();
            if p == 0.0 {
                continue;
            }
            last = Some(c * chunk + i);
            cum += p;
            while k < uniforms.len() && uniforms[k] < cum {
                record(c * chunk + i);
                k += 1;
            }
            if k == uniforms.len() {
                break;
            }
        }
        // Rounding can leave the last uniforms just past the sum.
        while k < uniforms.len() {
            record(last.expect("a chunk that owns uniforms has probability"));
            k += 1;
        }
        hits
    };
    let per_chunk: Vec<Vec<(usize, u64)>> = if parallel {
        work.par_iter().map(scan).collect()
    } else {
        work.iter().map(scan).collect()
    };
    per_chunk.into_iter().flatten().collect()
}

/// `sample` for a small state: each shot's uniform finds its basis state
/// by binary search in the running sums, computed in one pass. The running
/// sums, their total (a state this small is one chunk, summed in the same
/// order) and the uniforms are the streaming pass's, so a seed draws the
/// same counts either way.
fn sample_by_table(amps: &[C64], shots: u64, rng: &mut impl RngCore) -> Vec<(usize, u64)> {
    let mut running = Vec::with_capacity(amps.len());
    let (mut total, mut last_nonzero) = (0.0, 0);
    for (i, a) in amps.iter().enumerate() {
        let p = a.norm_sqr();
        if p > 0.0 {
            last_nonzero = i;
        }
        total += p;
        running.push(total);
    }
    let mut counts = vec![0u64; amps.len()];
    for _ in 0..shots {
        let u = uniform(rng) * total;
        // The first state whose running sum passes u has probability
        // (a zero amplitude leaves the sum where it was); rounding can
        // leave u past the last sum, which then counts for the last state.
        let index = running.partition_point(|sum| *sum <= u).min(last_nonzero);
        counts[index] += 1;
    }
    counts
        .into_iter()
        .enumerate()
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha12Rng;
    use rand_chacha::rand_core::SeedableRng;

    use super::*;

    #[test]
    fn zero_amplitudes_are_never_drawn_and_all_shots_are() {
        let mut amps = vec![C64::ZERO; 1 << 16];
        amps[3] = C64::new(0.6, 0.0);
        amps[(1 << 16) - 1] = C64::new(0.0, 0.8);
        let mut rng = ChaCha12Rng::seed_from_u64(7);
        let hits = sample(&amps, 10_000, &mut rng, true);
        assert!(hits.iter().all(|(i, _)| *i == 3 || *i == (1 << 16) - 1));
        assert_eq!(hits.iter().map(|h| h.1).sum::<u64>(), 10_000);
        let n3 = hits.iter().find(|h| h.0 == 3).unwrap().1 as f64;
        assert!((n3 / 10_000.0 - 0.36).abs() < 0.03, "{n3}");
    }

    /// The small-state table and the streaming pass draw the same counts
    /// from the same seed, zero amplitudes never drawn: the same state
    /// padded with zeros past the table's size takes the streaming pass.
    #[test]
    fn the_table_draws_what_the_streaming_pass_draws() {
        let mut small = vec![C64::ZERO; 64];
        for (i, a) in small.iter_mut().enumerate().filter(|(i, _)| i % 3 != 0) {
            *a = C64::new((i as f64).sqrt(), 0.1 * i as f64);
        }
        let norm = small.iter().map(|a| a.norm_sqr()).sum::<f64>().sqrt();
        small
            .iter_mut()
            .for_each(|a| *a = C64::new(a.re / norm, a.im / norm));
        let mut padded = small.clone();
        padded.resize(2 * TABLE_MAX, C64::ZERO);
        for seed in 0..20 {
            let table = sample(&small, 1000, &mut ChaCha12Rng::seed_from_u64(seed), false);
            let streamed = sample(&padded, 1000, &mut ChaCha12Rng::seed_from_u64(seed), false);
            assert_eq!(table, streamed, "seed {seed}");
            assert_eq!(table.iter().map(|h| h.1).sum::<u64>(), 1000);
            assert!(
                table.iter().all(|(i, _)| i % 3 != 0),
                "zero amplitudes drawn"
            );
        }
    }
}
