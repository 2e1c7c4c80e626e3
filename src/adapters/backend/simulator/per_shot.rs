//! Per-shot simulation for circuits with mid-circuit measurement, reset or
//! classical conditions. Measurement outcomes are explored with the shots
//! split between them (binomially, so the distribution stays exact): the
//! state is cloned only where outcomes branch and memory allows, and
//! otherwise rebuilt by replaying the outcomes taken so far.

use std::ops::Range;
use std::sync::atomic::AtomicBool;

use rand_chacha::ChaCha12Rng;

use super::complex::C64;
use super::config::memory_needed;
use super::execute::{Limits, certain, check, zero_state};
use super::kernels;
use super::memory;
use super::program::{Instr, Program};
use super::sample::binomial;
use crate::domain::circuit::{Circuit, Counts, outcome_key};
use crate::domain::{Error, Result};

/// Most state copies the per-shot method keeps alive at once.
const MAX_LIVE_STATES: u64 = 64;

/// Runs `shots` shots of `program` (compiled from `circuit`) one branch of
/// outcomes at a time.
pub fn run(
    program: &Program,
    circuit: &Circuit,
    shots: u64,
    rng: &mut ChaCha12Rng,
    limits: &Limits,
    parallel: bool,
    cancel: &AtomicBool,
) -> Result<Counts> {
    let state_bytes = 16u64 << program.num_qubits;
    let spare = limits
        .memory_budget
        .saturating_sub(memory_needed(program.num_qubits))
        / state_bytes;
    let mut explorer = Explorer {
        program,
        parallel,
        rng,
        cancel,
        output: circuit.output_clbits(),
        counts: Counts::new(),
        spare_states: spare.min(MAX_LIVE_STATES),
        num_clbits: circuit.num_clbits(),
    };
    let mut amps = zero_state(program.num_qubits, parallel);
    let clbits = Clbits::new(circuit.num_clbits());
    explorer.explore(&mut amps, 0, shots, clbits, &mut Vec::new())?;
    Ok(explorer.counts)
}

/// Classical bits of one branch.
#[derive(Debug, Clone)]
struct Clbits(Vec<u64>);

impl Clbits {
    fn new(n: u32) -> Self {
        Self(vec![0; (n as usize).div_ceil(64)])
    }

    fn get(&self, i: u32) -> bool {
        (self.0[i as usize / 64] >> (i % 64)) & 1 == 1
    }

    fn set(&mut self, i: u32, value: bool) {
        let word = &mut self.0[i as usize / 64];
        let bit = 1u64 << (i % 64);
        if value { *word |= bit } else { *word &= !bit }
    }
}

struct Explorer<'a> {
    program: &'a Program,
    parallel: bool,
    rng: &'a mut ChaCha12Rng,
    cancel: &'a AtomicBool,
    output: Range<u32>,
    counts: Counts,
    /// State copies that may still be made.
    spare_states: u64,
    num_clbits: u32,
}

impl Explorer<'_> {
    /// The instruction at `pc` as it runs on this branch: the body of a
    /// condition that holds, `None` for one that does not.
    fn effective<'p>(instr: &'p Instr, clbits: &Clbits) -> Option<&'p Instr> {
        match instr {
            Instr::If { condition, instr } => {
                condition.holds(|b| clbits.get(b)).then_some(&**instr)
            }
            other => Some(other),
        }
    }

    /// Puts measurement or reset `instr` into `outcome` (probability `prob`).
    fn settle(
        &self,
        amps: &mut [C64],
        instr: &Instr,
        outcome: bool,
        prob: f64,
        clbits: &mut Clbits,
    ) {
        match *instr {
            Instr::Measure { qubit, clbit } => {
                kernels::collapse(amps, qubit, outcome, prob, self.parallel);
                clbits.set(clbit, outcome);
            }
            Instr::Reset { qubit } => {
                kernels::collapse(amps, qubit, outcome, prob, self.parallel);
                if outcome {
                    kernels::flip(amps, qubit, 0, self.parallel);
                }
            }
            _ => {}
        }
    }

    /// Runs `shots` shots from `pc` on the branch `amps`/`clbits`, reached
    /// through the measurement outcomes `path`.
    fn explore(
        &mut self,
        amps: &mut Vec<C64>,
        mut pc: usize,
        mut shots: u64,
        mut clbits: Clbits,
        path: &mut Vec<bool>,
    ) -> Result<()> {
        let depth = path.len();
        let program = self.program;
        let instrs = &program.instrs;
        while pc < instrs.len() {
            check(self.cancel)?;
            let Some(instr) = Self::effective(&instrs[pc], &clbits) else {
                pc += 1;
                continue;
            };
            let qubit = match instr {
                Instr::Kernels(kernels) => {
                    kernels.iter().for_each(|k| k.apply(amps, self.parallel));
                    pc += 1;
                    continue;
                }
                Instr::Measure { qubit, .. } | Instr::Reset { qubit } => *qubit,
                Instr::If { .. } => return Err(Error::internal("nested condition")),
            };
            let p1 = certain(kernels::prob_one(amps, qubit, self.parallel));
            let n1 = binomial(shots, p1, self.rng);
            let n0 = shots - n1;
            let mut outcome = n1 > 0;
            if n0 > 0 && n1 > 0 {
                // The smaller branch recurses (depth stays below log2 shots);
                // the larger one continues in this loop.
                let (small, large) = if n1 <= n0 {
                    (true, false)
                } else {
                    (false, true)
                };
                let (n_small, n_large) = if small { (n1, n0) } else { (n0, n1) };
                let prob = |o: bool| if o { p1 } else { 1.0 - p1 };
                if self.spare_states > 0 {
                    self.spare_states -= 1;
                    let mut other = memory::copy(amps, self.parallel);
                    let mut other_bits = clbits.clone();
                    self.settle(&mut other, instr, small, prob(small), &mut other_bits);
                    path.push(small);
                    let result = self.explore(&mut other, pc + 1, n_small, other_bits, path);
                    path.pop();
                    drop(other);
                    self.spare_states += 1;
                    result?;
                } else {
                    // No memory for a copy: finish the smaller branch in
                    // place, then rebuild this point by replaying the path.
                    let mut small_bits = clbits.clone();
                    self.settle(amps, instr, small, prob(small), &mut small_bits);
                    path.push(small);
                    self.explore(amps, pc + 1, n_small, small_bits, path)?;
                    path.pop();
                    let (replayed_pc, replayed_bits) = self.replay(amps, path)?;
                    debug_assert_eq!(replayed_pc, pc);
                    clbits = replayed_bits;
                }
                outcome = large;
                shots = n_large;
            }
            let prob = if outcome { p1 } else { 1.0 - p1 };
            self.settle(amps, instr, outcome, prob, &mut clbits);
            path.push(outcome);
            pc += 1;
        }
        let key = outcome_key(self.output.clone(), |c| clbits.get(c));
        *self.counts.entry(key).or_default() += shots;
        path.truncate(depth);
        Ok(())
    }

    /// Rebuilds from |0…0⟩ the branch that took the outcomes `path`; returns
    /// the index of the measurement or reset that comes next, and the bits.
    fn replay(&self, amps: &mut [C64], path: &[bool]) -> Result<(usize, Clbits)> {
        amps.fill(C64::ZERO);
        amps[0] = C64::ONE;
        let mut clbits = Clbits::new(self.num_clbits);
        let mut forced = path.iter();
        for (pc, instr) in self.program.instrs.iter().enumerate() {
            check(self.cancel)?;
            let Some(instr) = Self::effective(instr, &clbits) else {
                continue;
            };
            match instr {
                Instr::Kernels(kernels) => {
                    kernels.iter().for_each(|k| k.apply(amps, self.parallel))
                }
                Instr::Measure { qubit, .. } | Instr::Reset { qubit } => {
                    let Some(&outcome) = forced.next() else {
                        return Ok((pc, clbits));
                    };
                    let p1 = certain(kernels::prob_one(amps, *qubit, self.parallel));
                    let prob = if outcome { p1 } else { 1.0 - p1 };
                    self.settle(amps, instr, outcome, prob, &mut clbits);
                }
                Instr::If { .. } => return Err(Error::internal("nested condition")),
            }
        }
        Err(Error::internal("replayed past the end of the program"))
    }
}
