//! Runs a [`Program`]: once and sampled when every measurement is terminal,
//! otherwise per shot (see `per_shot`).

use std::sync::atomic::{AtomicBool, Ordering};

use rand_chacha::ChaCha12Rng;

use super::complex::C64;
use super::gates::Kernel;
use super::memory;
use super::per_shot;
use super::program::{Instr, Program};
use super::sample::sample;
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

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    pub counts: Counts,
    /// `"sampling"` or `"per_shot"`.
    pub method: &'static str,
}

pub(super) fn canceled() -> Error {
    Error::canceled("the job was canceled while the simulator ran it")
}

pub(super) fn check(cancel: &AtomicBool) -> Result<()> {
    if cancel.load(Ordering::Relaxed) {
        Err(canceled())
    } else {
        Ok(())
    }
}

/// A measurement probability with rounding noise around 0 and 1 removed, so
/// that an outcome that cannot happen is never drawn (and never renormalised
/// from noise).
pub(super) fn certain(p1: f64) -> f64 {
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
pub fn zero_state(num_qubits: u32, parallel: bool) -> Vec<C64> {
    let mut amps = memory::zeroed(1usize << num_qubits, parallel);
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
    let mut amps = zero_state(program.num_qubits, parallel);
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
    let counts = per_shot::run(program, circuit, shots, rng, limits, parallel, cancel)?;
    Ok(Outcome {
        counts,
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
    let mut amps = zero_state(program.num_qubits, parallel);
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
