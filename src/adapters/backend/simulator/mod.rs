//! State-vector simulator backend `simulator`.
//!
//! A circuit is optimised at the requested level (`optimize`, with
//! `matrices` for fusion), lowered to specialised kernels (`program`,
//! `gates`, `kernels`) and run on a state vector of complex f64 (`execute`),
//! on all cores above a configurable size. Circuits whose measurements are
//! all terminal are simulated once and their shots drawn from the final
//! probabilities (`sample`); others are simulated per shot (`per_shot`),
//! branching only at measurements whose outcome is not certain.

mod backend;
mod complex;
mod config;
mod execute;
mod gates;
mod kernels;
mod matrices;
mod memory;
mod optimize;
mod per_shot;
mod program;
mod sample;

pub use backend::SimulatorBackend;
pub use complex::C64;
pub use config::SimulatorConfig;

use crate::domain::circuit::Circuit;
use crate::domain::{OptimizationLevel, Result};

/// The final state vector of a circuit without measurement, reset or
/// condition, after optimisation at `level`; amplitude `i` belongs to the
/// basis state whose bit `q` is qubit `q`. For tests and tools.
pub fn final_state(
    circuit: &Circuit,
    level: OptimizationLevel,
    config: &SimulatorConfig,
) -> Result<Vec<C64>> {
    let program = program::Program::compile(circuit, level.get());
    let limits = execute::Limits {
        parallel_threshold_qubits: config.parallel_threshold_qubits,
        memory_budget: config.memory_budget(),
    };
    execute::final_state(&program, &limits)
}
