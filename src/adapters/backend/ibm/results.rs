//! A SamplerV2 result (asked for with `support_qiskit: false`, so plain
//! JSON) turned into counts: per pub, `data` holds one entry per classical
//! register with its `samples` (one hex integer per shot, bit `i` = the
//! register's bit `i`) and `num_bits`.

use std::collections::HashMap;

use serde::Deserialize;

use crate::domain::circuit::{Circuit, Counts, outcome_key};
use crate::domain::{Error, Result};

#[derive(Debug, Deserialize)]
pub struct SamplerResult {
    results: Vec<PubResult>,
}

#[derive(Debug, Deserialize)]
struct PubResult {
    data: HashMap<String, RegisterSamples>,
}

#[derive(Debug, Deserialize)]
struct RegisterSamples {
    samples: Vec<String>,
    num_bits: u32,
}

/// One register's shots, each as its bits (bit 0 first).
struct Shots {
    first: u32,
    size: u32,
    bits: Vec<Vec<bool>>,
}

/// The counts of the job's one pub over `circuit.output_clbits()`; `names`
/// are the registers' names in the submitted program.
pub fn counts(result: &SamplerResult, circuit: &Circuit, names: &[String]) -> Result<Counts> {
    let [pub_result] = result.results.as_slice() else {
        return Err(malformed(format!(
            "{} pub results for a job of one pub",
            result.results.len()
        )));
    };
    let output = circuit.output_clbits();
    let mut registers = Vec::new();
    for (register, name) in circuit.cregs().iter().zip(names) {
        let range = register.range();
        if range.end <= output.start || range.start >= output.end {
            continue;
        }
        let entry = pub_result
            .data
            .get(name)
            .ok_or_else(|| malformed(format!("no samples for register '{name}'")))?;
        if entry.num_bits != register.size {
            return Err(malformed(format!(
                "register '{name}' has {} bits, the result says {}",
                register.size, entry.num_bits
            )));
        }
        let bits = entry
            .samples
            .iter()
            .map(|s| hex_bits(s, register.size))
            .collect::<Result<Vec<_>>>()?;
        registers.push(Shots {
            first: register.first,
            size: register.size,
            bits,
        });
    }
    let shots = registers.first().map_or(0, |r| r.bits.len());
    if registers.iter().any(|r| r.bits.len() != shots) {
        return Err(malformed(
            "registers with different numbers of shots".into(),
        ));
    }
    // Which register, and which bit of it, each output bit is.
    let owner: HashMap<u32, (usize, usize)> = output
        .clone()
        .filter_map(|flat| {
            let at = registers
                .iter()
                .position(|r| (r.first..r.first + r.size).contains(&flat))?;
            Some((flat, (at, (flat - registers[at].first) as usize)))
        })
        .collect();
    let mut counts = Counts::new();
    for shot in 0..shots {
        let key = outcome_key(output.clone(), |flat| {
            owner
                .get(&flat)
                .is_some_and(|&(r, i)| registers[r].bits[shot][i])
        });
        *counts.entry(key).or_insert(0) += 1;
    }
    Ok(counts)
}

/// The bits of a sample such as `0x5` (bit 0 first), `num_bits` of them.
pub fn hex_bits(sample: &str, num_bits: u32) -> Result<Vec<bool>> {
    let digits = sample
        .strip_prefix("0x")
        .or_else(|| sample.strip_prefix("0X"))
        .unwrap_or(sample);
    let mut bits = vec![false; num_bits as usize];
    if digits.is_empty() {
        return Err(malformed(format!("sample '{sample}' is not a hex number")));
    }
    for (nibble_index, c) in digits.chars().rev().enumerate() {
        let nibble = c
            .to_digit(16)
            .ok_or_else(|| malformed(format!("sample '{sample}' is not a hex number")))?;
        for b in 0..4 {
            if nibble >> b & 1 == 0 {
                continue;
            }
            let at = nibble_index * 4 + b;
            let slot = bits.get_mut(at).ok_or_else(|| {
                malformed(format!("sample '{sample}' does not fit in {num_bits} bits"))
            })?;
            *slot = true;
        }
    }
    Ok(bits)
}

fn malformed(what: String) -> Error {
    Error::internal(format!("IBM Quantum result: {what}"))
}

#[cfg(test)]
#[path = "results_tests.rs"]
mod tests;
