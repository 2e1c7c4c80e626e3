//! Runs a [`Program`]: once and sampled when every measurement is terminal,
//! otherwise by exploring measurement outcomes with the shots split between
//! them (binomially, so the distribution stays exact), cloning the state
//! only where outcomes branch and memory allows, and replaying otherwise.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use rand_chacha::ChaCha12Rng;

use super::complex::C64;
use super::config::memory_needed;
use super::gates::Kernel;
use super::kernels;
use super::program::{Instr, Program};
use super::sample::{binomial, sample};
use crate::domain::circuit::{Circuit, Counts, outcome_key};
use crate::domain::{Error, Result};

/// How a run may use the machine.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Kernels run on all cores above this many qubits.
    pub parallel_threshold_qubits: u32,
    /// Bytes available for state vectors.
    pub memory_budget: u64,
}

/// Most state copies the per-shot method keeps alive at once.
const MAX_LIVE_STATES: u64 = 64;

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    pub counts: Counts,
    /// `"sampling"` or `"per_shot"`.
    pub method: &'static str,
}

fn canceled() -> Error {
    Error::canceled("the job was canceled while the simulator ran it")
}

fn check(cancel: &AtomicBool) -> Result<()> {
    if cancel.load(Ordering::Relaxed) {
        Err(canceled())
    } else {
        Ok(())
    }
}

/// A measurement probability with rounding noise around 0 and 1 removed, so
/// that an outcome that cannot happen is never drawn (and never renormalised
/// from noise).
fn certain(p1: f64) -> f64 {
    const NOISE: f64 = 1e-13;
    if p1 < NOISE {
        0.0
    } else if p1 > 1.0 - NOISE {
        1.0
    } else {
        p1
    }
}

/// |0…0⟩ on `num_qubits` qubits.
pub fn zero_state(num_qubits: u32) -> Vec<C64> {
    let mut amps = vec![C64::ZERO; 1usize << num_qubits];
    amps[0] = C64::ONE;
    amps
}

fn apply_all(
    amps: &mut [C64],
    kernels: &[Kernel],
    parallel: bool,
    cancel: &AtomicBool,
) -> Result<()> {
    for kernel in kernels {
        check(cancel)?;
        kernel.apply(amps, parallel);
    }
    Ok(())
}

/// The final state of a circuit without measurement, reset or condition.
pub fn final_state(program: &Program, limits: &Limits) -> Result<Vec<C64>> {
    let parallel = program.num_qubits > limits.parallel_threshold_qubits;
    let mut amps = zero_state(program.num_qubits);
    let never = AtomicBool::new(false);
    for instr in &program.instrs {
        match instr {
            Instr::Kernels(kernels) => apply_all(&mut amps, kernels, parallel, &never)?,
            _ => {
                return Err(Error::invalid_argument(
                    "final_state needs a circuit without measurement",
                ));
            }
        }
    }
    Ok(amps)
}

/// Runs `shots` shots of `program` (compiled from `circuit`).
pub fn run(
    program: &Program,
    circuit: &Circuit,
    shots: u64,
    rng: &mut ChaCha12Rng,
    limits: &Limits,
    cancel: &AtomicBool,
) -> Result<Outcome> {
    let parallel = program.num_qubits > limits.parallel_threshold_qubits;
    if circuit.measurements_are_terminal() {
        let counts = run_sampled(program, circuit, shots, rng, parallel, cancel)?;
        return Ok(Outcome {
            counts,
            method: "sampling",
        });
    }
    let state_bytes = 16u64 << program.num_qubits;
    let mut explorer = Explorer {
        program,
        parallel,
        rng,
        cancel,
        output: circuit.output_clbits(),
        counts: Counts::new(),
        spare_states: (limits
            .memory_budget
            .saturating_sub(memory_needed(program.num_qubits))
            / state_bytes)
            .min(MAX_LIVE_STATES),
        num_clbits: circuit.num_clbits(),
    };
    let mut amps = zero_state(program.num_qubits);
    let clbits = Clbits::new(circuit.num_clbits());
    explorer.explore(&mut amps, 0, shots, clbits, &mut Vec::new())?;
    Ok(Outcome {
        counts: explorer.counts,
        method: "per_shot",
    })
}

fn run_sampled(
    program: &Program,
    circuit: &Circuit,
    shots: u64,
    rng: &mut ChaCha12Rng,
    parallel: bool,
    cancel: &AtomicBool,
) -> Result<Counts> {
    let mut amps = zero_state(program.num_qubits);
    // Uncontrolled swaps at the very end, followed only by measurements,
    // relabel qubits instead of moving amplitudes (QFT ends with n/2).
    let tail = program
        .instrs
        .iter()
        .rposition(|i| !matches!(i, Instr::Measure { .. }));
    let mut trailing_swaps: &[Kernel] = &[];
    // Which qubit each classical bit finally holds (the last measure wins).
    let mut source: Vec<Option<u32>> = vec![None; circuit.num_clbits() as usize];
    for (pc, instr) in program.instrs.iter().enumerate() {
        match instr {
            Instr::Kernels(kernels) if Some(pc) == tail => {
                let keep = kernels
                    .iter()
                    .rposition(|k| !matches!(k, Kernel::Swap { controls: 0, .. }))
                    .map_or(0, |last| last + 1);
                trailing_swaps = &kernels[keep..];
                apply_all(&mut amps, &kernels[..keep], parallel, cancel)?;
            }
            Instr::Kernels(kernels) => apply_all(&mut amps, kernels, parallel, cancel)?,
            Instr::Measure { qubit, clbit } => source[*clbit as usize] = Some(*qubit),
            _ => {
                return Err(Error::internal(
                    "a terminal-measurement circuit has a reset or condition",
                ));
            }
        }
    }
    // Measuring qubit q after swaps S1…Sk is measuring S1(…Sk(q)) before.
    for q in source.iter_mut().flatten() {
        for swap in trailing_swaps.iter().rev() {
            if let Kernel::Swap { q0, q1, .. } = swap {
                *q = if *q == *q0 {
                    *q1
                } else if *q == *q1 {
                    *q0
                } else {
                    *q
                };
            }
        }
    }
    check(cancel)?;
    let hits = sample(&amps, shots, rng, parallel);
    let output = circuit.output_clbits();
    let mut counts = Counts::new();
    for (index, n) in hits {
        let key = outcome_key(output.clone(), |c| {
            source[c as usize].is_some_and(|q| (index >> q) & 1 == 1)
        });
        *counts.entry(key).or_default() += n;
    }
    Ok(counts)
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
                    let mut other = amps.clone();
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
