//! Measurement outcomes and how they are written as counts keys.

use std::collections::BTreeMap;
use std::ops::Range;

/// Outcome bitstring → how many shots gave it. Ordered, so that results can
/// be chunked and compared deterministically.
pub type Counts = BTreeMap<String, u64>;

/// Writes the classical bits `output` as a counts key: the highest bit leftmost
/// and bit `output.start` rightmost, so that with several registers the
/// last-declared register stands leftmost (the OpenQASM/Qiskit convention).
pub fn outcome_key(output: Range<u32>, bit: impl Fn(u32) -> bool) -> String {
    output
        .rev()
        .map(|i| if bit(i) { '1' } else { '0' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_zero_is_rightmost() {
        // bits 0 and 2 set out of 4
        assert_eq!(outcome_key(0..4, |i| i == 0 || i == 2), "0101");
    }

    #[test]
    fn a_sub_range_is_written_alone() {
        assert_eq!(outcome_key(2..5, |i| i == 2), "001");
    }
}
