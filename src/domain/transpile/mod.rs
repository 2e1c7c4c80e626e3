//! The transpiler: maps any accepted circuit onto a device's native gates
//! and coupling map, pure and without I/O.
//!
//! Gates are lowered to one-qubit unitaries and `cz` ([`lower`]), placed and
//! routed with SABRE over several seeded trials ([`sabre`]; each input gate
//! is one unit, and gates diagonal in the computational basis may run in
//! any order: [`dag`]), cleaned up ([`optimize`]: swaps merged with
//! neighbouring `cz`, one-qubit runs fused, `cz` pairs cancelled), runs of
//! gates on one pair of qubits resynthesised with the fewest `cz`
//! ([`consolidate`], [`kak`]) and written in the device's basis ([`emit`]).
//! The result is exact up to a global phase, but for controlled rotations
//! so close to the identity that Qiskit drops them too ([`lower`]).

mod consolidate;
mod dag;
mod device;
mod emit;
mod kak;
mod layout;
mod lower;
mod mat4;
mod merge;
mod optimize;
mod sabre;
mod synth;
mod target;
pub mod topology;
mod unitary;

#[cfg(test)]
mod test_circuits;
#[cfg(test)]
mod tests;

pub use target::{Basis, Target};

use dag::Dag;
use device::Device;
use layout::{Layout, Rng};
use lower::{Op, Step};

use crate::domain::circuit::Circuit;
use crate::domain::error::{Error, Result};

/// How hard the transpiler searches for a good layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranspileOptions {
    /// Seeds the random layouts and tie breaks; the same seed gives the same
    /// circuit.
    pub seed: u64,
    /// Starting layouts tried (the greedy one as it is and refined, then
    /// random ones refined); the routed circuit with the fewest two-qubit
    /// gates wins.
    pub layout_trials: usize,
    /// Routings of each starting layout, each breaking ties between equally
    /// good swaps differently: one routing's count varies by several per
    /// cent with its tie breaks, and a routing costs a seventh of a refined
    /// layout.
    pub routing_trials: usize,
    /// Forward-and-backward routing passes that refine each starting layout.
    pub layout_iterations: usize,
}

impl Default for TranspileOptions {
    fn default() -> Self {
        Self {
            seed: 0x5eed,
            layout_trials: 8,
            routing_trials: 5,
            layout_iterations: 3,
        }
    }
}

/// A circuit on a device's physical qubits, and where its qubits went.
#[derive(Debug, Clone, PartialEq)]
pub struct Transpiled {
    /// Over the device's physical qubits (qubit i is physical qubit i), only
    /// basis gates, measurements, resets and barriers (conditions kept),
    /// every two-qubit gate on a pair the device allows; the same classical
    /// bits, registers and result bits as the input.
    pub circuit: Circuit,
    /// Virtual qubit v starts on physical qubit `initial_layout[v]`.
    pub initial_layout: Vec<u32>,
    /// Virtual qubit v ends on physical qubit `final_layout[v]` (after the
    /// routing swaps, and the input's own swaps, which only relabel qubits).
    pub final_layout: Vec<u32>,
    /// Swaps routing inserted (before any merged with neighbouring gates).
    pub swaps_inserted: usize,
}

/// Maps `circuit` onto `target`. Fails when the device has too few qubits,
/// or its coupling map has no connected part large enough for the qubits
/// the circuit's two-qubit gates join.
pub fn transpile(
    circuit: &Circuit,
    target: &Target,
    options: &TranspileOptions,
) -> Result<Transpiled> {
    let (nv, np) = (circuit.num_qubits() as usize, target.num_qubits() as usize);
    if nv > np {
        return Err(Error::invalid_argument(format!(
            "the circuit has {nv} qubits, more than the device's {np}"
        )));
    }
    let lowered = lower::lower(circuit);
    let device = Device::new(target);
    let component = device.largest_component();
    let mut interacting = vec![false; nv];
    for step in &lowered.steps {
        if let Op::Cz { a, b } = step.op {
            interacting[a as usize] = true;
            interacting[b as usize] = true;
        }
    }
    let num_interacting = interacting.iter().filter(|&&x| x).count();
    if num_interacting > component.len() {
        return Err(Error::invalid_argument(format!(
            "the circuit's two-qubit gates join {num_interacting} qubits, but the device's \
             largest connected group of qubits has {}",
            component.len()
        )));
    }

    let clbits = circuit.num_clbits() as usize;
    let dag = Dag::new(&lowered.steps, &lowered.spans, np, clbits);
    let backward = dag.reversed();
    let pairs: Vec<(u32, u32)> = lowered
        .steps
        .iter()
        .filter_map(|s| match s.op {
            Op::Cz { a, b } => Some((a, b)),
            _ => None,
        })
        .collect();
    let perfect = layout::perfect_layout(&pairs, &interacting, &component, &device)
        .map(|placed| fill_layout(&placed, np));
    let greedy = layout::greedy_layout(&pairs, &interacting, &component, &device);
    let (trials, routings) = if num_interacting == 0 || perfect.is_some() {
        // Nothing to route, or nothing a swap would improve.
        (1, 1)
    } else {
        (options.layout_trials.max(1), options.routing_trials.max(1))
    };
    let mut best: Option<(usize, Routing)> = None;
    for trial in 0..trials {
        let mut rng = Rng::new(options.seed ^ (trial as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
        let start = if let Some(perfect) = &perfect {
            perfect.clone()
        } else if num_interacting == 0 {
            Layout::from_p2v((0..np as u32).collect())
        } else {
            // The greedy start as it is and refined, then random starts.
            let first = match trial {
                0 | 1 => fill_layout(&greedy, np),
                _ => random_layout(&interacting, &component, np, &mut rng),
            };
            if trial == 0 {
                first
            } else {
                refined_layout(first, (&dag, &backward), &device, options, &mut rng)
            }
        };
        // The rng goes on from routing to routing: each breaks ties anew.
        for _ in 0..routings {
            let mut layout = start.clone();
            let routed = sabre::route(&dag, &device, &mut layout, &mut rng, Some(&lowered.steps));
            let steps = optimize::expand_swaps(routed.steps, np);
            let steps = optimize::fuse_and_cancel(steps, np);
            let cost = consolidate::cz_bound(&steps, np);
            if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                best = Some((
                    cost,
                    Routing {
                        steps,
                        start: start.clone(),
                        end: layout,
                        swaps: routed.swaps,
                    },
                ));
            }
        }
    }
    let (_, mut routing) = best.expect("at least one trial runs");
    // Only the chosen routing is consolidated: the KAK synthesis per block
    // costs more than the rest of the clean-up.
    routing.steps = optimize::fuse_and_cancel(
        consolidate::consolidate_blocks(std::mem::take(&mut routing.steps), np),
        np,
    );
    let steps = match target.basis() {
        Basis::EcrRzSxX => emit::cz_to_ecr(routing.steps, target)?,
        Basis::PrxCz | Basis::CzRzSxX => routing.steps,
    };
    Ok(Transpiled {
        circuit: emit::to_circuit(&steps, circuit, target)?,
        initial_layout: routing.start.v2p[..nv].to_vec(),
        final_layout: lowered
            .final_wire
            .iter()
            .map(|&w| routing.end.v2p[w as usize])
            .collect(),
        swaps_inserted: routing.swaps,
    })
}

struct Routing {
    steps: Vec<Step>,
    start: Layout,
    end: Layout,
    swaps: usize,
}

/// A random layout with the interacting wires inside `component`.
fn random_layout(interacting: &[bool], component: &[u32], np: usize, rng: &mut Rng) -> Layout {
    let mut places: Vec<u32> = component.to_vec();
    rng.shuffle(&mut places);
    let mut in_component = vec![false; np];
    component
        .iter()
        .for_each(|&p| in_component[p as usize] = true);
    places.extend((0..np as u32).filter(|&p| !in_component[p as usize]));
    // Interacting wires take the first places, then the others, then the
    // idle placeholders.
    let order = (0..interacting.len() as u32)
        .filter(|&v| interacting[v as usize])
        .chain((0..interacting.len() as u32).filter(|&v| !interacting[v as usize]))
        .chain(interacting.len() as u32..np as u32);
    let mut p2v = vec![0u32; np];
    for (v, &p) in order.zip(&places) {
        p2v[p as usize] = v;
    }
    Layout::from_p2v(p2v)
}

/// `layout` refined by routing the circuit forwards and backwards:
/// where a backward pass ends is a start that suits the circuit's first
/// gates.
fn refined_layout(
    mut layout: Layout,
    (forward, backward): (&Dag, &Dag),
    device: &Device,
    options: &TranspileOptions,
    rng: &mut Rng,
) -> Layout {
    for _ in 0..options.layout_iterations {
        sabre::route(forward, device, &mut layout, rng, None);
        sabre::route(backward, device, &mut layout, rng, None);
    }
    layout
}

/// A whole layout from the places of some wires: the other wires, then the
/// idle placeholders, take the free physical qubits in order.
fn fill_layout(placed: &[Option<u32>], np: usize) -> Layout {
    let mut p2v: Vec<Option<u32>> = vec![None; np];
    for (v, p) in placed.iter().enumerate() {
        if let Some(p) = p {
            p2v[*p as usize] = Some(v as u32);
        }
    }
    let mut rest =
        (0..np as u32).filter(|&v| (v as usize) >= placed.len() || placed[v as usize].is_none());
    let p2v = p2v
        .into_iter()
        .map(|v| v.unwrap_or_else(|| rest.next().expect("as many wires as qubits")))
        .collect();
    Layout::from_p2v(p2v)
}
