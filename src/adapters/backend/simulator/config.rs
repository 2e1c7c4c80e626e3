//! Configuration of the simulator and the limits derived from it.

use serde::Deserialize;

/// How the simulator backend is set up; every field has a default.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimulatorConfig {
    /// Memory the simulator may use for state vectors and working space, in
    /// bytes. `None` means half the machine's physical memory as read from
    /// `/proc/meminfo` (4 GiB when that cannot be read).
    pub max_memory_bytes: Option<u64>,
    /// Most shots one job may ask for.
    pub max_shots: u32,
    /// Circuits with more qubits than this run their gate kernels on all
    /// cores (rayon); smaller ones stay on one thread, where forking costs
    /// more than it saves. 0 parallelises everything.
    pub parallel_threshold_qubits: u32,
    /// A file that gets a line per run as the run starts (`<unix ms> <job
    /// id>`), for audits and the cluster tests: each line is one write to a
    /// file opened for appending, so it is there even if the process is
    /// killed a moment later. None by default.
    pub run_log: Option<std::path::PathBuf>,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            max_memory_bytes: None,
            max_shots: 1_000_000,
            parallel_threshold_qubits: 14,
            run_log: None,
        }
    }
}

/// Used when `/proc/meminfo` cannot be read.
const FALLBACK_MEMORY_BYTES: u64 = 4 << 30;

/// The hard ceiling on qubits: state indices are `usize` bit patterns.
const ABSOLUTE_MAX_QUBITS: u32 = 40;

impl SimulatorConfig {
    /// The memory budget in bytes, resolving the default.
    pub fn memory_budget(&self) -> u64 {
        self.max_memory_bytes.unwrap_or_else(|| {
            physical_memory_bytes().map_or(FALLBACK_MEMORY_BYTES, |total| total / 2)
        })
    }
}

/// Bytes one run of `num_qubits` needs: the state vector (16 bytes per
/// amplitude) plus working space (per-chunk sums for sampling, the sorted
/// uniforms, classical bits) that stays a small fraction of it.
pub fn memory_needed(num_qubits: u32) -> u64 {
    let state = 16u64 << num_qubits;
    state + state / 64 + (16 << 20)
}

/// The largest qubit count whose run fits `budget` bytes.
pub fn max_qubits_for(budget: u64) -> u32 {
    (1..=ABSOLUTE_MAX_QUBITS)
        .take_while(|n| memory_needed(*n) <= budget)
        .last()
        .unwrap_or(0)
}

/// `MemTotal` from `/proc/meminfo`, in bytes.
fn physical_memory_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_mem_total(&text)
}

fn parse_mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_maps_to_qubits() {
        // 26 qubits: 1 GiB of amplitudes plus working space.
        assert_eq!(max_qubits_for(2 << 30), 26);
        assert_eq!(max_qubits_for(1 << 30), 25);
        assert_eq!(max_qubits_for(0), 0);
    }

    #[test]
    fn meminfo_is_read_in_kib() {
        let text = "MemTotal:       24000000 kB\nMemFree: 1 kB\n";
        assert_eq!(parse_mem_total(text), Some(24_000_000 * 1024));
        assert_eq!(parse_mem_total("nonsense"), None);
    }

    #[test]
    fn config_rejects_unknown_fields_and_fills_defaults() {
        let config: SimulatorConfig = serde_json::from_str(r#"{"max_shots": 10}"#).unwrap();
        assert_eq!(config.max_shots, 10);
        assert_eq!(config.parallel_threshold_qubits, 14);
        assert!(serde_json::from_str::<SimulatorConfig>(r#"{"max_shot": 10}"#).is_err());
    }
}
