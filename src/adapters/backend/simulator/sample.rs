//! Drawing shots from a final state without a second 2^n array: the shots'
//! uniforms are sorted and matched against the running sum of |amp|² in one
//! streaming pass (per chunk, chunks in parallel).

use rand_chacha::rand_core::RngCore;
use rayon::prelude::*;

use super::complex::C64;
use super::kernels;

/// Amplitudes per chunk of the streaming pass.
const CHUNK: usize = 1 << 14;

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
}
